"""How well a head on embeddings sorts songs it never saw: stratified k-fold, by song.

Each song is predicted once, by the head fitted on the other folds (its windows never on
both sides), from the mean of its windows' probabilities, as prediction gives it later
(:func:`genriflow.training.head.song_probabilities`). The accuracy comes with its 95 %
Wilson interval; the songs the head would call ``unsure`` (below ``min_confidence``) are
counted apart, with their own accuracy, so a user sees what the threshold buys.

>>> rng = np.random.default_rng(0)
>>> windows = [rng.normal(loc=3 * (i % 2), size=(1, 4)) for i in range(12)]
>>> result = cross_validate_head(windows, ["a", "b"] * 6, HeadConfig(folds=3))
>>> result.accuracy, result.n, result.per_category["a"].songs
(1.0, 12, 6)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from genriflow.errors import ConfigError
from genriflow.evaluation.metrics import classification_metrics
from genriflow.intervals import wilson_interval
from genriflow.training.head import HeadConfig, fit_head, song_probabilities


@dataclass(frozen=True)
class CategoryFigures:
    """One category's cross-validated figures.

    Attributes
    ----------
    songs : int
        Labelled songs of the category.
    precision : float
        Of the songs predicted to be in it, the share that are.
    recall : float
        Of its songs, the share predicted to be in it.
    """

    songs: int
    precision: float
    recall: float


@dataclass
class CrossValidation:
    """Cross-validated figures of a head, song by song.

    Attributes
    ----------
    labels : list of str
        The categories, in the probability columns' order.
    folds : int
        Folds actually used.
    n, correct : int
        Songs, and songs whose most probable category is their label.
    accuracy : float
    interval : tuple of float
        95 % Wilson score interval of :attr:`accuracy`.
    per_category : dict of str to CategoryFigures
    min_confidence : float
    sure, sure_correct, unsure, unsure_correct : int
        Songs at or above ``min_confidence`` and below it, and how many of each are right
        (by their most probable category).
    probabilities : np.ndarray, shape (n, n_labels)
        Each song's out-of-fold probabilities, in input order.
    """

    labels: list[str]
    folds: int
    n: int
    correct: int
    accuracy: float
    interval: tuple[float, float]
    per_category: dict[str, CategoryFigures]
    min_confidence: float
    sure: int
    sure_correct: int
    unsure: int
    unsure_correct: int
    probabilities: np.ndarray

    @property
    def part(self) -> str:
        """What the figures were measured on, in words."""
        return (f"{self.folds}-fold stratified cross-validation over {self.n} labelled "
                "songs (each predicted by a head that never saw it)")

    def to_dict(self) -> dict:
        """JSON-ready figures (no probabilities), with :attr:`part`."""
        return {
            "part": self.part, "folds": self.folds, "n": self.n, "correct": self.correct,
            "accuracy": self.accuracy, "interval": list(self.interval),
            "interval_method": "95 % Wilson score interval",
            "per_category": {k: vars(v) for k, v in self.per_category.items()},
            "min_confidence": self.min_confidence,
            "sure": {"n": self.sure, "correct": self.sure_correct},
            "unsure": {"n": self.unsure, "correct": self.unsure_correct},
        }


def cross_validate_head(windows: Sequence[np.ndarray], labels: Sequence[str],
                        config: HeadConfig) -> CrossValidation:
    """Stratified k-fold cross-validation of :func:`~genriflow.training.head.fit_head`.

    Parameters
    ----------
    windows : sequence of np.ndarray, each shape (n_windows_i, n_values)
        One array per song.
    labels : sequence of str
        One category per song; at least two categories, each with at least two songs.
    config : HeadConfig
        ``folds`` is lowered to the largest category's song count when that is fewer (a
        category smaller than ``folds`` is simply in fewer test folds: every head is
        still fitted on every category).

    Raises
    ------
    ConfigError
        Fewer than two categories, or a category with a single song.
    """
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(labels)
    names, counts = np.unique(y, return_counts=True)
    if len(names) < 2 or counts.min() < 2:
        found = ", ".join(f"{k} {n}" for k, n in zip(names, counts, strict=True))
        raise ConfigError("labels", "need at least two categories of at least two songs "
                          f"each; got {found or 'none'}")
    folds = int(min(config.folds, counts.max()))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=config.seed)
    probabilities = np.zeros((len(y), len(names)))
    with warnings.catch_warnings():  # a small category is in fewer test folds than others
        warnings.filterwarnings("ignore", message="The least populated class")
        splits = list(splitter.split(np.zeros(len(y)), y))
    for train, test in splits:
        head = fit_head([windows[i] for i in train], y[train], config)
        columns = np.searchsorted(names, head.classes_)
        probabilities[np.ix_(test, columns)] = song_probabilities(
            head, [windows[i] for i in test])
    predicted = names[probabilities.argmax(axis=1)]
    right = predicted == y
    sure = probabilities.max(axis=1) >= config.min_confidence
    metrics = classification_metrics(y, predicted, names.tolist(), part="cross-validation")
    correct = int(right.sum())
    return CrossValidation(
        labels=names.tolist(), folds=folds, n=len(y), correct=correct,
        accuracy=correct / len(y), interval=wilson_interval(correct, len(y)),
        per_category={k: CategoryFigures(v["support"], v["precision"], v["recall"])
                      for k, v in metrics["per_class"].items()},
        min_confidence=config.min_confidence, sure=int(sure.sum()),
        sure_correct=int(right[sure].sum()), unsure=int((~sure).sum()),
        unsure_correct=int(right[~sure].sum()), probabilities=probabilities)
