"""How a dataset is split, checked without importing NumPy or pandas (the command line
refuses a bad ``--split`` or ``--folds`` before any of them loads); :mod:`.splits` applies it.
"""

from __future__ import annotations

from dataclasses import dataclass

from genriflow.datasets import SPLIT_METHODS
from genriflow.errors import ConfigError, at_least, one_of

PARTS = ("train", "valid", "test")
#: What an evaluation's ``part`` may name: a part of the model's own split, or ``all`` rows.
EVALUATION_PARTS = ("test", "valid", "train", "all")


@dataclass(frozen=True)
class SplitConfig:
    """How to split a dataset.

    Attributes
    ----------
    method : str
        One of :data:`SPLIT_METHODS`. ``auto`` picks ``manifest`` when the manifest fixes the
        split, ``gtzan-fault-filtered`` for GTZAN (at least half of the listed clips
        present; name it explicitly for a partial copy), ``stratified-grouped`` when groups
        are known, otherwise ``stratified``.
    seed : int
        Random seed of the random methods.
    ratios : tuple of float
        Train, validation and test fractions of the random hold-out methods (default
        70/10/20, as the 2024 report used).
    n_folds : int
        Folds of the k-fold methods.
    """

    method: str = "auto"
    seed: int = 0
    ratios: tuple[float, float, float] = (0.7, 0.1, 0.2)
    n_folds: int = 10

    def __post_init__(self) -> None:
        # Named as the public API and the command line name them (split=, folds=).
        one_of("split", self.method, SPLIT_METHODS)
        at_least("folds", self.n_folds, 2)
        at_least("seed", self.seed, 0)  # NumPy's and scikit-learn's seeds are not negative
        if len(self.ratios) != 3 or min(self.ratios) <= 0 or abs(sum(self.ratios) - 1) > 1e-6:
            raise ConfigError(
                "ratios", f"must be three positive fractions summing to 1; got {self.ratios!r}"
            )
