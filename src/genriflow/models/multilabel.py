"""Several genres at once: genre sets, thresholds and the genres a song is given.

A multi-label model gives each genre its own probability (one sigmoid, or one one-vs-rest
head, per genre). A song's predicted genres are its most probable genre and every other
genre at or above its threshold, best first: every song has at least one, and the list
always starts with the genre a single-label answer would give. The thresholds are either
the 2024 report's fixed 0.2 or one per genre, tuned on the validation songs that carry
several genres (:func:`choose_thresholds`; the 0.2 when there are none).

The name is shared with :mod:`genriflow.datasets.multilabel` (reading multi-genre
datasets) because each layer keeps its own side of several genres at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import f1_score

from genriflow.errors import ConfigError

#: The 2024 report's threshold: a genre is present above it.
SEED_THRESHOLD = 0.2


def indicator(label_sets: Sequence[Sequence[str]], labels: Sequence[str]) -> np.ndarray:
    """Label sets as a (songs, genres) boolean matrix in the order of ``labels``.

    >>> indicator([["rock"], ["jazz", "rock"]], ["jazz", "rock"]).astype(int).tolist()
    [[0, 1], [1, 1]]
    """
    where = {g: i for i, g in enumerate(labels)}
    out = np.zeros((len(label_sets), len(labels)), dtype=bool)
    for row, genres in enumerate(label_sets):
        for genre in genres:
            if genre not in where:
                raise ConfigError("labels", f"genre {genre!r} is not one of the model's")
            out[row, where[genre]] = True
    return out


def predicted_sets(probabilities: np.ndarray, thresholds: float | np.ndarray
                   ) -> np.ndarray:
    """Each song's predicted genres as a boolean matrix: its most probable genre, and
    every other at or above its threshold.

    >>> predicted_sets(np.array([[0.7, 0.3, 0.1], [0.1, 0.15, 0.05]]), 0.2).astype(int)
    array([[1, 1, 0],
           [0, 1, 0]])
    >>> predicted_sets(np.array([[0.8, 0.6]]), np.array([0.9, 0.5])).astype(int)
    array([[1, 1]])
    """
    p = np.asarray(probabilities, dtype=float)
    chosen = p >= np.broadcast_to(thresholds, p.shape[1:])
    chosen[np.arange(len(p)), p.argmax(axis=1)] = True
    return chosen


def top_k_sets(probabilities: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` most probable genres of each song (a single-label model's "top two")."""
    p = np.asarray(probabilities, dtype=float)
    chosen = np.zeros(p.shape, dtype=bool)
    np.put_along_axis(chosen, np.argsort(-p, axis=1)[:, :k], True, axis=1)
    return chosen


def tune_thresholds(truth: np.ndarray, probabilities: np.ndarray, *,
                    grid: Sequence[float] = tuple(np.round(np.arange(0.05, 0.96, 0.05), 2)),
                    default: float = SEED_THRESHOLD) -> np.ndarray:
    """Per genre, the threshold of ``grid`` with the best F1 on these (validation) songs;
    ``default`` for a genre none of them has."""
    truth = np.asarray(truth, dtype=bool)
    p = np.asarray(probabilities, dtype=float)
    out = np.full(truth.shape[1], default)
    for g in range(truth.shape[1]):
        if truth[:, g].any():
            scores = [f1_score(truth[:, g], p[:, g] >= t, zero_division=0) for t in grid]
            out[g] = grid[int(np.argmax(scores))]
    return out


def choose_thresholds(truth: np.ndarray, probabilities: np.ndarray | None, *,
                      how: str = "tuned") -> dict:
    """A multi-label model's thresholds, and which were used, from its validation songs.

    Tuning on songs of one genre teaches the thresholds to name one genre (a high bar
    for every second genre), so only the songs with several genres tune them; without
    any, every genre keeps the 2024 report's fixed :data:`SEED_THRESHOLD`.

    Parameters
    ----------
    truth : np.ndarray
        (songs, genres) boolean: the validation songs' genres.
    probabilities : np.ndarray or None
        (songs, genres): the model's probabilities for them (unused, and may be ``None``,
        with ``how="seed"``).
    how : {'tuned', 'seed'}
        ``tuned``: per genre, the best F1 over the several-genre songs
        (:func:`tune_thresholds`); ``seed``: the fixed 0.2.

    Returns
    -------
    dict
        ``thresholds`` (a list, one per genre), ``thresholds_used`` (``"tuned"`` or
        ``"seed"``), ``thresholds_tuned_on`` (the songs tuned on, 0 with the seed's) and
        ``thresholds_from`` (the same in words, for reports).

    Examples
    --------
    >>> truth = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1], [1, 0, 1]], dtype=bool)
    >>> p = np.array([[0.9, 0.1, 0.0], [0.8, 0.45, 0.1], [0.1, 0.7, 0.35], [0.7, 0.3, 0.4]])
    >>> chosen = choose_thresholds(truth, p)      # the first song has one genre: left out
    >>> chosen["thresholds_used"], chosen["thresholds_tuned_on"], chosen["thresholds"]
    ('tuned', 3, [0.15, 0.35, 0.15])
    >>> choose_thresholds(truth[:1], p[:1])["thresholds_from"]
    'fixed 0.2 (the 2024 report): no validation song has several genres to tune on'
    """
    truth = np.asarray(truth, dtype=bool)
    several = truth.sum(axis=1) > 1
    n_genres = truth.shape[1]
    if how == "tuned" and several.any():
        tuned = tune_thresholds(truth[several], np.asarray(probabilities)[several])
        n = int(several.sum())
        return {"thresholds": [float(t) for t in tuned], "thresholds_used": "tuned",
                "thresholds_tuned_on": n,
                "thresholds_from": f"tuned on the {n} validation songs with several genres "
                                   "(best F1 per genre)"}
    why = (": no validation song has several genres to tune on" if how == "tuned" else "")
    return {"thresholds": [SEED_THRESHOLD] * n_genres, "thresholds_used": "seed",
            "thresholds_tuned_on": 0,
            "thresholds_from": f"fixed {SEED_THRESHOLD} (the 2024 report){why}"}


def genres_above(probabilities: np.ndarray, labels: Sequence[str],
                 thresholds: float | np.ndarray) -> list[tuple[str, float]]:
    """One song's predicted genres with their probabilities, best first (at least one).

    >>> genres_above(np.array([0.3, 0.9, 0.1]), ["blues", "rock", "jazz"], 0.2)
    [('rock', 0.9), ('blues', 0.3)]
    """
    p = np.asarray(probabilities, dtype=float)
    chosen = predicted_sets(p[None, :], thresholds)[0]
    order = [i for i in np.argsort(-p, kind="stable") if chosen[i]]
    return [(labels[i], float(p[i])) for i in order]
