"""Named feature sets: a configuration and a function from shared spectra to an array.

A new representation is one new entry in :data:`FEATURE_SETS`, not a new pipeline.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from genriflow.audio.augment import AUGMENTATIONS
from genriflow.errors import ConfigError, at_least, one_of
from genriflow.features.embeddings import (
    EMBEDDING_MODELS,
    EmbeddingParams,
    embedding,
    musicnn_tags,
    tag_names,
)
from genriflow.features.gtzan_table import GTZAN_TABLE_COLUMNS, gtzan_table_from_spectra
from genriflow.features.representations import REPRESENTATIONS
from genriflow.features.representations import columns as representation_columns

if TYPE_CHECKING:
    from genriflow.features.spectra import Spectra


@dataclass(frozen=True)
class FeatureConfig:
    """What to compute and on which audio; its digest keys the feature store.

    Attributes
    ----------
    set : str
        Name in :data:`FEATURE_SETS`.
    sr : int
        Sample rate in Hz the audio is decoded at.
    clip_seconds : float or None
        Length of the clip one array describes. Training uses one clip per file (the
        whole file when it is at most 1.5 clips long, otherwise its central clip);
        prediction slides clips over the song. ``None``: always the whole file.
    options : dict
        The set's own parameters (see its params dataclass); empty means its defaults.
    augment : str
        One of :data:`~genriflow.audio.augment.AUGMENTATIONS`: ``none``, or a waveform
        augmentation applied first (``weak``: noise; ``strong``: noise, time stretch,
        shift, pitch).
    augment_copy : int
        Which augmented copy (each is seeded differently, and stored on its own).

    Raises
    ------
    ConfigError
        For an unknown set, options the set does not take, or a value out of range; the
        field is named as the public API names it (``feature_set`` for ``set``).
    """

    set: str = "kaggle"
    sr: int = 22050
    clip_seconds: float | None = 30.0
    options: dict = field(default_factory=dict)
    augment: str = "none"
    augment_copy: int = 0

    def __post_init__(self) -> None:
        feature_set(self.set).params_of(self)
        at_least("sr", self.sr, 1)
        if self.clip_seconds is not None and self.clip_seconds <= 0:
            raise ConfigError("clip_seconds", f"must be positive; got {self.clip_seconds!r}")
        one_of("augment", self.augment, AUGMENTATIONS)
        at_least("augment_copy", self.augment_copy, 0)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> FeatureConfig:
        return cls(**data)

    def digest(self) -> str:
        """Short stable hash of the configuration and the feature code's version."""
        payload = json.dumps({**self.to_dict(), "version": feature_set(self.set).version},
                             sort_keys=True)
        return hashlib.blake2b(payload.encode(), digest_size=8).hexdigest()


@dataclass(frozen=True)
class FeatureSet:
    """A named representation.

    Attributes
    ----------
    name : str
    function : callable
        ``function(spectra, params) -> np.ndarray`` of a documented shape.
    params : type or None
        Frozen dataclass of the set's parameters, built from ``FeatureConfig.options``.
    columns : callable or None
        ``columns(params) -> tuple of str``: names of a vector set's values; ``None`` for
        tensors.
    version : int
        Bumped whenever ``function`` changes its numbers, so stores recompute.
    description : str
    in_process : bool
        The set runs a PyTorch network: the engine computes it in the calling process,
        with all of torch's threads, never in forked workers (a fork of a process that has
        already run torch copies its thread pool's locks held, and the worker hangs).
    """

    name: str
    function: Callable[[Spectra, Any], np.ndarray]
    params: type | None
    columns: Callable[[Any], tuple[str, ...]] | None
    version: int
    description: str
    in_process: bool = False

    def params_of(self, config: FeatureConfig) -> Any:
        """The set's parameters for ``config`` (its ``options`` over the defaults).

        Raises
        ------
        ConfigError
            If the set takes no options or not these ones (a value out of range is
            reported by the parameters' own check, under the option's name).
        """
        if self.params is None:
            if config.options:
                raise ConfigError("options", f"must be empty: feature set {self.name!r} "
                                  "takes none")
            return None
        try:
            return self.params(**config.options)
        except TypeError as exc:
            raise ConfigError("options", f"are not those of feature set {self.name!r}: "
                              f"{exc}") from None

    def compute(self, spectra: Spectra, config: FeatureConfig) -> np.ndarray:
        """The set's array for one clip."""
        return self.function(spectra, self.params_of(config))

    def column_names(self, config: FeatureConfig) -> tuple[str, ...] | None:
        """Names of the values of a vector set, ``None`` for a tensor set."""
        return None if self.columns is None else self.columns(self.params_of(config))


def _kaggle(spectra: Spectra, params: None) -> np.ndarray:
    return gtzan_table_from_spectra(spectra)


_DESCRIPTIONS = {
    "genriflow-stack": "Chroma, tonnetz, mel (dB) and MFCC stacked over 30 s: (166, frames).",
    "cs229-raw": "Four seeded 2 s windows of raw amplitude at 22050 Hz: (4, 44100).",
    "cs229-mel": "Four seeded 2 s windows of 64-band log-mel, n_fft 512, hop 256: (4, 64, 173).",
    "mel-image": "128-band mel (dB, fmax 8 kHz) scaled to [0, 1], resized to 128 x 128.",
    "spectral-summary": "Tempo and mean/variance of chroma (STFT, CENS), MFCC, centroid, "
    "contrast, rolloff and zero-crossing rate; option rich adds Essentia's statistics.",
    "log-mel": "Log-mel spectrogram for deep models, any length: (n_mels, frames).",
}

FEATURE_SETS: dict[str, FeatureSet] = {
    "kaggle": FeatureSet(
        name="kaggle", function=_kaggle, params=None,
        columns=lambda _: GTZAN_TABLE_COLUMNS, version=1,
        description="The 57 columns of the Kaggle GTZAN table (features_30_sec.csv), "
        "computed as librosa computed them.",
    ),
    **{
        name: FeatureSet(
            name=name, function=function, params=params,
            columns=representation_columns if name == "spectral-summary" else None,
            version=1, description=_DESCRIPTIONS[name],
        )
        for name, (params, function) in REPRESENTATIONS.items()
    },
}


FEATURE_SETS.update({
    name: FeatureSet(
        name=name, function=embedding, columns=None, version=1, in_process=True,
        params=partial(EmbeddingParams, model=name,
                       layer="pool5" if name.endswith("vgg") else "max_pool"),
        description=f"Embedding of the pretrained {name} network (musicnn package weights): "
        "a layer averaged over 3 s patches, default max_pool (753 values).",
    )
    for name in EMBEDDING_MODELS
})
FEATURE_SETS["musicnn-tags"] = FeatureSet(
    name="musicnn-tags", function=musicnn_tags, params=None,
    columns=lambda _: tag_names(), version=1, in_process=True,
    description="Mean tag probabilities of MSD musicnn (50 tags) and MTT musicnn (50 tags).",
)


def feature_set(name: str) -> FeatureSet:
    """Look a feature set up by name.

    Raises
    ------
    ConfigError
        For an unknown name, listing the known ones.
    """
    return FEATURE_SETS[one_of("feature_set", name, FEATURE_SETS)]
