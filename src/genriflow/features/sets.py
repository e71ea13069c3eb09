"""Named feature sets: a frozen configuration and a function from waveform to features.

A new representation is one new entry in :data:`FEATURE_SETS`, not a new pipeline.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from genriflow.features.gtzan_table import GTZAN_TABLE_COLUMNS, gtzan_table_features


@dataclass(frozen=True)
class FeatureConfig:
    """What to compute and on which audio; its hash keys the feature cache.

    Attributes
    ----------
    set : str
        Name in :data:`FEATURE_SETS`.
    sr : int
        Sample rate in Hz the audio is resampled to.
    clip_seconds : float
        Length of the clip one feature vector describes. Training uses one clip per file
        (the whole file when it is at most 1.5 clips long, otherwise its central clip);
        prediction slides clips over the song.
    """

    set: str = "kaggle"
    sr: int = 22050
    clip_seconds: float = 30.0

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
    columns : tuple of str
        Names of the output values, in order.
    compute : callable
        ``compute(y, sr) -> np.ndarray`` of shape ``(len(columns),)``.
    version : int
        Bumped whenever ``compute`` changes its numbers, so caches are recomputed.
    description : str
    """

    name: str
    columns: tuple[str, ...]
    compute: Callable[[np.ndarray, int], np.ndarray]
    version: int
    description: str


FEATURE_SETS: dict[str, FeatureSet] = {
    "kaggle": FeatureSet(
        name="kaggle",
        columns=GTZAN_TABLE_COLUMNS,
        compute=gtzan_table_features,
        version=1,
        description="The 57 columns of the Kaggle GTZAN table (features_30_sec.csv), "
        "computed as librosa computes them at its defaults.",
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
