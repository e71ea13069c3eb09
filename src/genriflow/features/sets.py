"""Named feature sets: a configuration and a function from shared spectra to an array.

A new representation is one new entry in :data:`FEATURE_SETS`, not a new pipeline.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from genriflow.features.gtzan_table import GTZAN_TABLE_COLUMNS, gtzan_table_features

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
    """

    set: str = "kaggle"
    sr: int = 22050
    clip_seconds: float | None = 30.0
    options: dict = field(default_factory=dict)

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
    compute : callable
        ``compute(spectra, config) -> np.ndarray`` of a documented shape.
    columns : tuple of str or None
        Names of the values of a vector set; ``None`` for tensors.
    version : int
        Bumped whenever ``compute`` changes its numbers, so stores recompute.
    description : str
    """

    name: str
    compute: Callable[[Spectra, FeatureConfig], np.ndarray]
    columns: tuple[str, ...] | None
    version: int
    description: str


def _kaggle(spectra: Spectra, config: FeatureConfig) -> np.ndarray:
    return gtzan_table_features(spectra.y, spectra.sr)


FEATURE_SETS: dict[str, FeatureSet] = {
    "kaggle": FeatureSet(
        name="kaggle",
        compute=_kaggle,
        columns=GTZAN_TABLE_COLUMNS,
        version=1,
        description="The 57 columns of the Kaggle GTZAN table (features_30_sec.csv), "
        "computed as librosa computed them.",
    ),
}


def feature_set(name: str) -> FeatureSet:
    """Look a feature set up by name, with a readable error for unknown names."""
    try:
        return FEATURE_SETS[name]
    except KeyError:
        raise ValueError(
            f"unknown feature set {name!r}; choose from {', '.join(FEATURE_SETS)}"
        ) from None
