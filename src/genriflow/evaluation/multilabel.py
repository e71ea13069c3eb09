"""Several genres at once: thresholds, predicted genre sets and their figures.

A multi-label model gives each genre its own probability (one sigmoid, or one one-vs-rest
head, per genre). A song's predicted genres are those at or above their genre's
threshold, best first; a song with none above gets its most probable genre, so every song
has at least one. The thresholds are either the 2024 report's fixed 0.2 or one per genre,
tuned on the validation part (:func:`tune_thresholds`).

:func:`multilabel_metrics` gives the report's figures: the seed's measure (a song counts as
right when every one of its genres is predicted), exact-set accuracy, micro and macro F1
at the thresholds used, and per genre ROC-AUC and average precision with their mean (mAP),
each accuracy with its Wilson interval.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import average_precision_score, f1_score, roc_auc_score

from genriflow.errors import ConfigError
from genriflow.intervals import wilson_interval

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
    """Each song's predicted genres as a boolean matrix: at or above the threshold, else
    the most probable one alone.

    >>> predicted_sets(np.array([[0.7, 0.3, 0.1], [0.1, 0.15, 0.05]]), 0.2).astype(int)
    array([[1, 1, 0],
           [0, 1, 0]])
    """
    p = np.asarray(probabilities, dtype=float)
    chosen = p >= np.broadcast_to(thresholds, p.shape[1:])
    none = ~chosen.any(axis=1)
    chosen[none, p[none].argmax(axis=1)] = True
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


def _share(right: np.ndarray) -> dict:
    n, k = int(right.size), int(right.sum())
    low, high = wilson_interval(k, n) if n else (float("nan"), float("nan"))
    return {"accuracy": k / n if n else float("nan"), "correct": k, "n": n,
            "interval": [low, high], "interval_method": "Wilson 95 %"}


def multilabel_metrics(truth: np.ndarray, probabilities: np.ndarray, labels: Sequence[str],
                       thresholds: float | np.ndarray, part: str,
                       predicted: np.ndarray | None = None) -> dict:
    """The multi-label figures of one part (JSON-ready).

    Parameters
    ----------
    truth : (songs, genres) bool
    probabilities : (songs, genres) float
    labels : sequence of str
    thresholds : float or (genres,) array
    part : str
        What the songs are (stored with the figures).
    predicted : (songs, genres) bool or None
        The predicted sets; default :func:`predicted_sets` at ``thresholds``.

    Returns
    -------
    dict
        ``all_genres_found`` (the seed's measure) and ``exact_set`` (each with correct, n,
        Wilson interval), ``micro_f1``, ``macro_f1``, ``per_genre`` (ROC-AUC and average
        precision where the part has the genre and songs without it), ``mAP``.
    """
    truth = np.asarray(truth, dtype=bool)
    p = np.asarray(probabilities, dtype=float)
    chosen = predicted_sets(p, thresholds) if predicted is None else predicted
    per_genre = {}
    for g, genre in enumerate(labels):
        if 0 < truth[:, g].sum() < len(truth):
            per_genre[genre] = {"roc_auc": float(roc_auc_score(truth[:, g], p[:, g])),
                                "average_precision": float(
                                    average_precision_score(truth[:, g], p[:, g]))}
    aps = [v["average_precision"] for v in per_genre.values()]
    return {
        "part": part,
        "n": int(len(truth)),
        "thresholds": np.broadcast_to(thresholds, (len(labels),)).tolist(),
        "all_genres_found": _share(np.all(chosen >= truth, axis=1)),
        "exact_set": _share(np.all(chosen == truth, axis=1)),
        "micro_f1": float(f1_score(truth, chosen, average="micro", zero_division=0)),
        "macro_f1": float(f1_score(truth, chosen, average="macro", zero_division=0)),
        "per_genre": per_genre,
        "mAP": float(np.mean(aps)) if aps else float("nan"),
    }
