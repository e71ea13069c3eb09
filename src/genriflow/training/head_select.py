"""Choosing a head's input, its regularisation and its unsure threshold from a few labels.

Every candidate (:func:`candidates`: each input of
:data:`~genriflow.training.head.HEAD_INPUTS` at each of :data:`CANDIDATE_C`) is
cross-validated on the labelled songs with folds that keep a group (an album, a folder,
else the song) on one side (:func:`grouped_folds`). Each candidate's threshold is the one
that makes its out-of-fold songs cheapest (:func:`choose_threshold`: a wrong category costs
1, an ``unsure`` song ``unsure_cost``), unless the user fixed one; the candidate with the
lowest such cost wins (the earlier one on a tie). What a choice is worth is measured one
level up, by :func:`genriflow.evaluation.crossval.cross_validate_head`, which makes the
choice inside each of its own folds.

>>> from genriflow.features.embeddings import ANALYSIS_SIZE
>>> rng = np.random.default_rng(0)
>>> windows = [rng.normal(loc=i % 2, size=(2, ANALYSIS_SIZE)) for i in range(12)]
>>> choice = choose(windows, ["a", "b"] * 6, list(range(12)), HeadConfig(folds=3))
>>> choice.config.input in HEAD_INPUTS, 0 <= choice.config.min_confidence <= 1
(True, True)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from genriflow.errors import ConfigError
from genriflow.training.head import HEAD_INPUTS, HeadConfig, fit_head, song_probabilities

#: The regularisation strengths tried with each input.
CANDIDATE_C = (0.02, 0.2)
#: The thresholds tried (a song below one is ``unsure``); 0: never unsure.
THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.0, 0.951, 0.05))


def grouped_folds(labels: Sequence[str], groups: Sequence, folds: int,
                  seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified folds that keep each group on one side, as (train, test) index arrays.

    ``folds`` is lowered to the number of groups, or the largest category's songs, when
    there are fewer.

    >>> [t.tolist() for _, t in grouped_folds(list("aaabbb"), [1, 1, 2, 3, 3, 4], 5, 0)]
    [[3, 4], [0, 1], [2, 5]]

    Raises
    ------
    ConfigError
        Fewer than two groups.
    """
    from sklearn.model_selection import StratifiedGroupKFold

    y, groups = np.asarray(labels), np.asarray([str(g) for g in groups])
    k = min(folds, len(np.unique(groups)), int(np.unique(y, return_counts=True)[1].max()))
    if k < 2:
        raise ConfigError("labels", "need songs of at least two albums or folders to "
                          "cross-validate")
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    with warnings.catch_warnings():  # a small category is in fewer test folds than others
        warnings.filterwarnings("ignore", message="The least populated class")
        return list(splitter.split(np.zeros(len(y)), y, groups))


def out_of_fold(windows: Sequence[np.ndarray], labels: Sequence[str],
                splits: Sequence[tuple[np.ndarray, np.ndarray]],
                config: HeadConfig) -> np.ndarray:
    """Each song's probabilities (n_songs, n_categories, sorted categories) by the head
    fitted on the folds it is not in (a category a fold never saw gets 0 there; a fold
    whose other folds hold a single category leaves its songs at 0)."""
    y = np.asarray(labels)
    names = np.unique(y)
    probabilities = np.zeros((len(y), len(names)))
    for train, test in splits:
        if len(np.unique(y[train])) < 2:  # too few songs: its test songs stay at 0 (unsure)
            continue
        head = fit_head([windows[i] for i in train], y[train], config)
        columns = np.searchsorted(names, head.classes_)
        probabilities[np.ix_(test, columns)] = song_probabilities(
            head, [windows[i] for i in test])
    return probabilities


def cost(probabilities: np.ndarray, labels: Sequence[str], threshold: float,
         unsure_cost: float) -> float:
    """Mean cost per song: 1 for a sure wrong category, ``unsure_cost`` for an unsure song
    (top probability below ``threshold``), 0 for a sure right one.

    >>> cost(np.array([[0.9, 0.1], [0.4, 0.6], [0.55, 0.45]]), ["a", "a", "b"], 0.58, 0.5)
    0.5
    """
    y = np.asarray(labels)
    names = np.unique(y)
    sure = probabilities.max(axis=1) >= threshold
    wrong = names[probabilities.argmax(axis=1)] != y
    return float(np.mean(np.where(sure, wrong.astype(float), unsure_cost)))


def choose_threshold(probabilities: np.ndarray, labels: Sequence[str],
                     unsure_cost: float) -> float:
    """The threshold of :data:`THRESHOLDS` with the lowest :func:`cost` (the lowest one on
    a tie: no song is called unsure without a gain)."""
    costs = [cost(probabilities, labels, t, unsure_cost) for t in THRESHOLDS]
    return float(THRESHOLDS[int(np.argmin(costs))])


def candidates(config: HeadConfig) -> list[HeadConfig]:
    """Every input at every strength of :data:`CANDIDATE_C`, the rest of ``config`` kept."""
    return [replace(config, input=name, c=c) for name in HEAD_INPUTS for c in CANDIDATE_C]


@dataclass
class Choice:
    """The head chosen by grouped cross-validation.

    Attributes
    ----------
    config : HeadConfig
        Its input, ``c`` and ``min_confidence`` (the chosen threshold, or the user's).
    table : list of dict
        Per candidate: ``input``, ``c``, ``min_confidence``, ``cost``, ``right`` (sure and
        right), ``unsure`` (shares of the songs, out of fold).
    folds : int
    """

    config: HeadConfig
    table: list[dict]
    folds: int


def choose(windows: Sequence[np.ndarray], labels: Sequence[str], groups: Sequence,
           config: HeadConfig) -> Choice:
    """The candidate (and threshold) with the lowest out-of-fold :func:`cost`.

    Parameters
    ----------
    windows : sequence of np.ndarray, each shape (n_windows_i, ANALYSIS_SIZE)
        Each song's ``musicnn`` analysis, one row per window.
    labels : sequence of str
    groups : sequence
        One per song: songs of a group never sit on both sides of a fold.
    config : HeadConfig
        Folds, seed, ``unsure_cost``, and ``min_confidence`` when the user fixed it.
        Too few songs to cross-validate (a single group or category): ``config`` itself,
        its threshold 0 unless fixed, and an empty table.
    """
    y = np.asarray(labels)
    names = np.unique(y)
    if len({str(g) for g in groups}) < 2 or len(names) < 2:  # nothing to choose on
        return Choice(replace(config, min_confidence=config.min_confidence or 0.0), [], 0)
    splits = grouped_folds(y, groups, config.folds, config.seed)
    table, best = [], None
    for candidate in candidates(config):
        p = out_of_fold(windows, y, splits, candidate)
        threshold = (config.min_confidence if config.min_confidence is not None
                     else choose_threshold(p, y, config.unsure_cost))
        sure = p.max(axis=1) >= threshold
        right = sure & (names[p.argmax(axis=1)] == y)
        row = {"input": candidate.input, "c": candidate.c, "min_confidence": threshold,
               "cost": cost(p, y, threshold, config.unsure_cost),
               "right": float(right.mean()), "unsure": float(1 - sure.mean())}
        table.append(row)
        if best is None or row["cost"] < best[1]["cost"] - 1e-12:
            best = (replace(candidate, min_confidence=threshold), row)
    return Choice(best[0], table, len(splits))
