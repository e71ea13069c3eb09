"""How well a head learnt from a few labels sorts the songs it never saw: nested, grouped.

Each song is predicted once, by a head fitted on the other folds, whose input,
regularisation and unsure threshold were chosen on those folds alone
(:func:`genriflow.training.head_select.choose`, itself cross-validated inside them): the
whole of what ``library learn`` does is measured, choice included, on songs it never saw.
Folds keep a group (an album, a folder, a recording, else the song) on one side, so
songs of one album never help predict each other. A song's probabilities are the mean of
its windows', as prediction gives them later (:func:`genriflow.training.head.song_probabilities`).

The headline is what the unlabelled songs get: the share **right**, an ``unsure`` song
(top probability below the chosen threshold) counted as not right, next to the share
unsure and the accuracy of the sure songs, each with its 95 % Wilson interval.

>>> from genriflow.features.embeddings import ANALYSIS_SIZE
>>> rng = np.random.default_rng(0)
>>> windows = [rng.normal(loc=3 * (i % 2), size=(1, ANALYSIS_SIZE)) for i in range(12)]
>>> result = cross_validate_head(windows, ["a", "b"] * 6, HeadConfig(folds=3))
>>> result.accuracy, result.right_rate, result.n, result.per_category["a"].songs
(1.0, 1.0, 12, 6)
>>> result.macro_recall
1.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from genriflow.errors import ConfigError
from genriflow.evaluation.metrics import classification_metrics
from genriflow.intervals import wilson_interval
from genriflow.reprs import brief_repr
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
        Songs, and songs whose most probable category is their label (sure or not).
    accuracy : float
        Of the most probable category, unsure songs included (see :attr:`right_rate` for
        what the songs get).
    interval : tuple of float
        95 % Wilson score interval of :attr:`accuracy`.
    per_category : dict of str to CategoryFigures
    min_confidence : list of float or None
        The threshold chosen (or fixed) in each fold; ``None`` for a fold whose training
        part holds a single category (its songs count unsure).
    sure, sure_correct, unsure, unsure_correct : int
        Songs at or above their fold's threshold and below it, and how many of each are
        right (by their most probable category).
    probabilities : np.ndarray, shape (n, n_labels)
        Each song's out-of-fold probabilities, in input order.
    chosen : list of dict
        Per fold, what was chosen on its training part: ``input``, ``c``,
        ``min_confidence``.
    """

    __repr__ = brief_repr  # short in a notebook, whatever the library's size

    labels: list[str]
    folds: int
    n: int
    correct: int
    accuracy: float
    interval: tuple[float, float]
    per_category: dict[str, CategoryFigures]
    min_confidence: list[float | None]
    sure: int
    sure_correct: int
    unsure: int
    unsure_correct: int
    probabilities: np.ndarray
    chosen: list[dict] = field(default_factory=list)

    @property
    def right_rate(self) -> float:
        """Share of the songs sure and right (an unsure song counts as not right)."""
        return self.sure_correct / self.n

    @property
    def right_interval(self) -> tuple[float, float]:
        """95 % Wilson interval of :attr:`right_rate`."""
        return wilson_interval(self.sure_correct, self.n)

    @property
    def unsure_rate(self) -> float:
        return self.unsure / self.n

    @property
    def unsure_interval(self) -> tuple[float, float]:
        """95 % Wilson interval of :attr:`unsure_rate`."""
        return wilson_interval(self.unsure, self.n)

    @property
    def sure_accuracy(self) -> float | None:
        """Accuracy of the sure songs; ``None`` when there are none."""
        return self.sure_correct / self.sure if self.sure else None

    @property
    def sure_interval(self) -> tuple[float, float] | None:
        """95 % Wilson interval of :attr:`sure_accuracy`."""
        return wilson_interval(self.sure_correct, self.sure) if self.sure else None

    @property
    def macro_recall(self) -> float:
        """The mean of the categories' recalls: each category counts the same, however
        many songs it has (:attr:`accuracy` leans towards the big ones)."""
        return float(np.mean([f.recall for f in self.per_category.values()]))

    @property
    def part(self) -> str:
        """What the figures were measured on, in words."""
        return (f"{self.folds}-fold grouped cross-validation over {self.n} labelled songs "
                "(each predicted by a head chosen and fitted without it or its group)")

    def to_dict(self) -> dict:
        """JSON-ready figures (no probabilities), with :attr:`part`."""
        return {
            "part": self.part, "folds": self.folds, "n": self.n,
            "right": {"n": self.sure_correct, "rate": self.right_rate,
                      "interval": list(self.right_interval)},
            "unsure": {"n": self.unsure, "correct": self.unsure_correct,
                       "rate": self.unsure_rate, "interval": list(self.unsure_interval)},
            "sure": {"n": self.sure, "correct": self.sure_correct,
                     "accuracy": self.sure_accuracy,
                     "interval": None if self.sure_interval is None
                     else list(self.sure_interval)},
            "correct": self.correct, "accuracy": self.accuracy,
            "interval": list(self.interval), "macro_recall": self.macro_recall,
            "interval_method": "95 % Wilson score interval",
            "per_category": {k: vars(v) for k, v in self.per_category.items()},
            "min_confidence": self.min_confidence, "chosen": self.chosen,
        }


def cross_validate_head(windows: Sequence[np.ndarray], labels: Sequence[str],
                        config: HeadConfig, groups: Sequence | None = None
                        ) -> CrossValidation:
    """Nested, grouped cross-validation of choosing and fitting a head.

    Parameters
    ----------
    windows : sequence of np.ndarray, each shape (n_windows_i, ANALYSIS_SIZE)
        Each song's ``musicnn`` analysis, one row per window.
    labels : sequence of str
        One category per song; at least two categories, each with at least two songs.
    config : HeadConfig
        ``folds`` (lowered to the number of groups when there are fewer), ``seed``,
        ``unsure_cost``, and ``min_confidence`` when fixed (``None``: chosen per fold).
    groups : sequence or None
        One per song (album, folder); ``None``: every song its own group.

    Raises
    ------
    ConfigError
        Fewer than two categories, or a category with a single song.
    """
    from genriflow.training.head_select import choose, grouped_folds

    y = np.asarray(labels)
    names, counts = np.unique(y, return_counts=True)
    if len(names) < 2 or counts.min() < 2:
        found = ", ".join(f"{k} {n}" for k, n in zip(names, counts, strict=True))
        raise ConfigError("labels", "need at least two categories of at least two songs "
                          f"each; got {found or 'none'}")
    groups = np.arange(len(y)) if groups is None else np.asarray([str(g) for g in groups])
    splits = grouped_folds(y, groups, config.folds, config.seed)
    probabilities = np.zeros((len(y), len(names)))
    floor = np.zeros(len(y))
    chosen = []
    for train, test in splits:
        if len(np.unique(y[train])) < 2:  # nothing to learn from: its songs count unsure
            floor[test] = 1.0 + 1e-9
            chosen.append({"input": None, "c": None, "min_confidence": None})
            continue
        choice = choose([windows[i] for i in train], y[train], groups[train], config)
        head = fit_head([windows[i] for i in train], y[train], choice.config)
        columns = np.searchsorted(names, head.classes_)
        probabilities[np.ix_(test, columns)] = song_probabilities(
            head, [windows[i] for i in test])
        floor[test] = choice.config.min_confidence
        chosen.append({"input": choice.config.input, "c": choice.config.c,
                       "min_confidence": choice.config.min_confidence})
    predicted = names[probabilities.argmax(axis=1)]
    right = predicted == y
    sure = probabilities.max(axis=1) >= floor
    metrics = classification_metrics(y, predicted, names.tolist(), part="cross-validation")
    correct = int(right.sum())
    return CrossValidation(
        labels=names.tolist(), folds=len(splits), n=len(y), correct=correct,
        accuracy=correct / len(y), interval=wilson_interval(correct, len(y)),
        per_category={k: CategoryFigures(v["support"], v["precision"], v["recall"])
                      for k, v in metrics["per_class"].items()},
        min_confidence=[c["min_confidence"] for c in chosen], sure=int(sure.sum()),
        sure_correct=int(right[sure].sum()), unsure=int((~sure).sum()),
        unsure_correct=int(right[~sure].sum()), probabilities=probabilities, chosen=chosen)
