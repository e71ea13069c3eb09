"""Named feature sets: a configuration and a function from shared spectra to an array.

A new representation is one new entry in :data:`FEATURE_SETS`, not a new pipeline.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from importlib import import_module
from typing import TYPE_CHECKING, Any

import numpy as np

from genriflow.audio.augment import AUGMENTATIONS
from genriflow.errors import ConfigError, at_least, one_of
from genriflow.features.embeddings import (
    ANALYSIS_SIZE,
    EMBEDDING_MODELS,
    NETWORK_SR,
    PATCH_SECONDS,
    TAG_MODELS,
    EmbeddingParams,
    embedding,
    musicnn_analyses,
    musicnn_analysis,
    musicnn_tags,
    select_layer,
    select_tags,
    tag_names,
)

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
        Sample rate in Hz the audio is analysed at; a network set's is its network's
        (16000 Hz for the musicnn sets), whatever is given.
    clip_seconds : float or None
        Length of the clip one array describes: one clip per song (the whole file when it
        is at most 1.5 clips long, otherwise its central clip), or clips tiling the song
        for a full analysis (see :mod:`genriflow.features.sampling`). ``None``: always the
        whole file. Network sets analyse their own patches instead (set to ``None``).
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
        fs = feature_set(self.set)
        fs.params_of(self)
        at_least("sr", self.sr, 1)
        if fs.rate is not None:
            object.__setattr__(self, "sr", fs.rate)
        if fs.patch_seconds is not None:
            object.__setattr__(self, "clip_seconds", None)
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

    def stored(self) -> FeatureConfig:
        """The configuration the feature store keeps this one's arrays under: itself, or
        for a set read from another (:attr:`FeatureSet.base`) that set's, with the same
        augmentation."""
        base = feature_set(self.set).base
        if base is None:
            return self
        return FeatureConfig(set=base, augment=self.augment, augment_copy=self.augment_copy)

    def view(self, stored: np.ndarray) -> np.ndarray:
        """This set's array from :meth:`stored`'s (the array itself for a stored set)."""
        fs = feature_set(self.set)
        return stored if fs.base is None else fs.select(stored, fs.params_of(self))


@dataclass(frozen=True)
class FeatureSet:
    """A named representation.

    Attributes
    ----------
    name : str
    function : callable
        ``function(spectra, params) -> np.ndarray`` of a documented shape.
    params : callable or None
        Builds the set's parameters (a frozen dataclass) from ``FeatureConfig.options``.
    columns : callable or None
        ``columns(params) -> tuple of str``: names of a vector set's values; ``None`` for
        tensors.
    version : int
        Bumped whenever ``function`` changes its numbers, so stores recompute.
    description : str
    patch_seconds : float or None
        The set runs a pretrained network on patches of this length: a song is analysed
        patch by patch (``FeatureConfig.clip_seconds`` is unused).
    rate : int or None
        The sample rate the set always works at (its network's).
    networks : tuple of str
        The pretrained networks it runs (loaded once per worker process).
    base : str or None
        The set is read from this one's stored arrays by ``select`` and never stored
        itself: ``musicnn-tags``, ``msd-musicnn`` and ``mtt-musicnn`` from the combined
        ``musicnn`` analysis, so asking for several of them runs the networks once.
    select : callable or None
        ``select(base_array, params) -> np.ndarray``, with ``base``.
    batch : callable or None
        ``batch(list of spectra, params) -> list of np.ndarray``: ``function`` of several
        windows at once, each value as ``function`` gives it (the network sets: one
        forward pass over every patch of a song's windows).
    settling : callable or None
        ``settling(array) -> np.ndarray``: the values of a window whose running mean says
        when adaptive sampling has analysed enough excerpts (the musicnn tags, see
        :mod:`~genriflow.features.sampling`); ``None``: the set always analyses every
        excerpt of the plan.
    """

    name: str
    function: Callable[[Spectra, Any], np.ndarray]
    params: Callable[..., Any] | None
    columns: Callable[[Any], tuple[str, ...]] | None
    version: int
    description: str
    patch_seconds: float | None = None
    rate: int | None = None
    networks: tuple[str, ...] = ()
    base: str | None = None
    select: Callable[[np.ndarray, Any], np.ndarray] | None = None
    batch: Callable[[Sequence[Spectra], Any], list[np.ndarray]] | None = None
    settling: Callable[[np.ndarray], np.ndarray] | None = None

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
        """The set's array for one clip (the feature engine computes a set with a ``base``
        as that set, and reads it with :meth:`FeatureConfig.view`)."""
        return self.function(spectra, self.params_of(config))

    def compute_many(self, spectra: Sequence[Spectra],
                     config: FeatureConfig) -> list[np.ndarray]:
        """:meth:`compute` of several windows, in order (at once where the set can)."""
        params = self.params_of(config)
        if self.batch is not None:
            return self.batch(spectra, params)
        return [self.function(s, params) for s in spectra]

    def column_names(self, config: FeatureConfig) -> tuple[str, ...] | None:
        """Names of the values of a vector set, ``None`` for a tensor set."""
        return None if self.columns is None else self.columns(self.params_of(config))


# The sets computed from spectra (librosa, SciPy, numba) are imported when one is computed,
# not when it is named: a configuration read back from a model folder or the feature store
# costs no import beyond NumPy, and neither does a prediction served from the store.


def _kaggle(spectra: Spectra, params: None) -> np.ndarray:
    from genriflow.features.gtzan_table import gtzan_table_from_spectra

    return gtzan_table_from_spectra(spectra)


def _kaggle_columns(params: None) -> tuple[str, ...]:
    from genriflow.features.gtzan_table import GTZAN_TABLE_COLUMNS

    return GTZAN_TABLE_COLUMNS


def _representation(name: str, part: int) -> Callable[..., Any]:
    """Part ``part`` of ``REPRESENTATIONS[name]`` (0: its parameters' class, 1: its
    function), called through: :mod:`~genriflow.features.representations` is imported
    on the first call."""
    def call(*args: Any, **kwargs: Any) -> Any:
        module = import_module("genriflow.features.representations")
        return module.REPRESENTATIONS[name][part](*args, **kwargs)

    call.__name__ = call.__qualname__ = f"{name}-{('params', 'function')[part]}"
    return call


def _representation_columns(params: Any) -> tuple[str, ...]:
    from genriflow.features.representations import columns

    return columns(params)


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
        columns=_kaggle_columns, version=1,
        description="The 57 columns of the Kaggle GTZAN table (features_30_sec.csv), "
        "computed as librosa computed them.",
    ),
    **{
        name: FeatureSet(
            name=name, function=_representation(name, 1), params=_representation(name, 0),
            columns=_representation_columns if name == "spectral-summary" else None,
            version=1, description=description,
        )
        # one per entry of representations.REPRESENTATIONS (tests/features check it)
        for name, description in _DESCRIPTIONS.items()
    },
}


_NETWORK = {"patch_seconds": PATCH_SECONDS, "rate": NETWORK_SR}

FEATURE_SETS["musicnn"] = FeatureSet(
    name="musicnn", function=musicnn_analysis, params=None, columns=None, version=1,
    batch=musicnn_analyses, settling=select_tags,
    networks=TAG_MODELS, **_NETWORK,
    description=f"The combined analysis of a 3 s patch ({ANALYSIS_SIZE} values): tags and "
    "embedding layers of MSD and MTT musicnn, one forward pass each; musicnn-tags, "
    "msd-musicnn and mtt-musicnn are read from it.",
)
FEATURE_SETS.update({
    name: FeatureSet(
        name=name, function=embedding, columns=None, version=2, **_NETWORK,
        params=partial(EmbeddingParams, model=name,
                       layer="pool5" if name.endswith("vgg") else "max_pool"),
        **({"base": "musicnn", "select": select_layer} if name in TAG_MODELS
           else {"networks": (name,)}),
        description=f"Embedding of the pretrained {name} network (musicnn package weights): "
        "a layer averaged over 3 s patches, default "
        + ("pool5 (256 values)." if name.endswith("vgg") else "max_pool (753 values)."),
    )
    for name in EMBEDDING_MODELS
})
FEATURE_SETS["musicnn-tags"] = FeatureSet(
    name="musicnn-tags", function=musicnn_tags, params=None,
    columns=lambda _: tag_names(), version=2, base="musicnn", select=select_tags,
    **_NETWORK,
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
