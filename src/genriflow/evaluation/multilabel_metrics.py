"""The figures of several genres at once (the decisions themselves, thresholds and predicted
sets, are the models' own: :mod:`genriflow.models.multilabel`).

:func:`multilabel_metrics` gives the report's figures: the seed's measure (a song counts as
right when every one of its genres is predicted), exact-set accuracy, micro and macro F1
at the thresholds used, and per genre ROC-AUC and average precision with their mean (mAP),
each accuracy with its Wilson interval.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import average_precision_score, f1_score, roc_auc_score

from genriflow.intervals import wilson_interval
from genriflow.models.multilabel import (
    SEED_THRESHOLD,
    indicator,
    predicted_sets,
    top_k_sets,
    tune_thresholds,
)

__all__ = ["SEED_THRESHOLD", "indicator", "predicted_sets", "top_k_sets", "tune_thresholds",
           "multilabel_metrics"]

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
