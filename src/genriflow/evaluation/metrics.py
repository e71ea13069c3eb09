"""Classification metrics, always labelled with the data part they were measured on.

Named like :mod:`genriflow.service.metrics` (the service's Prometheus counters): the
package says whose metrics they are.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from sklearn.metrics import (
    balanced_accuracy_score,
    confusion_matrix,
    precision_recall_fscore_support,
)

from genriflow.evaluation.tracks import by_track, right_by_track, track_ids
from genriflow.intervals import macro_recall_counts_interval, wilson_interval


def classification_metrics(y_true: Sequence[str], y_pred: Sequence[str],
                           labels: Sequence[str], part: str,
                           items: Sequence[str] | None = None) -> dict:
    """Accuracy, balanced accuracy, per-class precision/recall/F1 and the confusion matrix.

    Parameters
    ----------
    y_true, y_pred : sequence of str, length n
    labels : sequence of str
        Class order of the per-class figures and of the confusion matrix.
    part : str
        What the samples are, e.g. ``"test (gtzan-fault-filtered, 290 clips)"``; stored
        with the numbers so that none travels without its split.
    items : sequence of str or None
        What each sample is (a file's path): then each prediction is kept too, so two
        models tested on the same part can be compared item by item (McNemar's test).
        Items that are segments of one track (a 3-second table's rows, one GTZAN clip
        key) are counted by track (:mod:`genriflow.evaluation.tracks`).

    Returns
    -------
    dict
        JSON-ready: ``part``, ``n``, ``correct``, ``accuracy`` with its Wilson 95 %
        ``interval``, ``balanced_accuracy`` (macro recall) with its 95 %
        ``balanced_accuracy_interval`` (:func:`macro_recall_interval`), ``per_class``
        (label -> precision, recall with its Wilson 95 % ``recall_interval`` over the
        genre's ``support``, f1, support), ``confusion`` (labels, matrix with true
        labels as rows) and, with ``items``, ``predictions`` (item, truth, predicted).
        For segments of tracks every interval is over the tracks, and ``tracks`` holds the
        figures of each track's majority vote (:func:`~genriflow.evaluation.tracks.by_track`).
    """
    labels = list(labels)
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0)
    with warnings.catch_warnings():
        # a small test part may lack a genre the model predicts; the figure stays defined
        warnings.filterwarnings("ignore", message="y_pred contains classes not in y_true")
        balanced = float(balanced_accuracy_score(y_true, y_pred))
    correct = int(np.sum(y_true == y_pred))
    matrix = confusion_matrix(y_true, y_pred, labels=labels)
    figures = {
        "part": part,
        "n": int(len(y_true)),
        "correct": correct,
        "accuracy": correct / len(y_true),
        "interval": list(wilson_interval(correct, len(y_true))),
        "interval_method": "Wilson 95 %",
        "balanced_accuracy": balanced,
        "balanced_accuracy_interval": list(macro_recall_interval(y_true, y_pred)),
        "per_class": {
            label: {"precision": float(p), "recall": float(r), "f1": float(f),
                    "support": int(s),
                    # a genre of 3 test songs at 1/3 is anywhere from 0.06 to 0.79
                    "recall_interval": (list(wilson_interval(int(right), int(s))) if s
                                        else None)}
            for label, p, r, f, s, right in zip(labels, precision, recall, f1, support,
                                                np.diag(matrix), strict=True)
        },
        "confusion": {
            "labels": labels,
            "matrix": matrix.tolist(),
        },
    }
    tracks = track_ids(items)
    if tracks is not None:
        counted = by_track(y_true, y_pred, tracks, labels)
        for label, interval in counted.pop("recall_intervals").items():
            figures["per_class"][label]["recall_interval"] = interval
        figures.update(counted)
    if items is not None:
        figures["predictions"] = [[str(i), str(t), str(p)]
                                  for i, t, p in zip(items, y_true, y_pred, strict=True)]
    return figures


def macro_recall_interval(y_true: Sequence[str], y_pred: Sequence[str], *, draws: int = 2000,
                          seed: int = 0) -> tuple[float, float]:
    """95 % interval of macro recall (balanced accuracy) from the true and predicted labels.

    Counted per true class, then drawn by
    :func:`~genriflow.intervals.macro_recall_counts_interval`: each class's recall from its
    Jeffreys posterior, averaged, 2.5 and 97.5 percentiles. For large classes that is the
    bootstrap that resamples items within each class; a class at 0/n or n/n still adds
    width.

    Parameters
    ----------
    y_true, y_pred : sequence of str, length n
        The true and predicted labels (classes are the labels present in ``y_true``).
    draws, seed : int
        Passed on: how many means are drawn, and their seed.

    Returns
    -------
    tuple of float
        ``(low, high)``.

    Examples
    --------
    >>> truth = ["a"] * 50 + ["b"] * 10          # recalls 0.9 and 0.6: macro 0.75
    >>> low, high = macro_recall_interval(truth, ["a"] * 45 + ["b"] * 11 + ["a"] * 4)
    >>> bool(0.55 < low < 0.75 < high < 0.95)   # wide: b's recall rests on 10 items
    True
    >>> low, high = macro_recall_interval(list("aaabbbccc"), list("aaabbbaaa"))
    >>> bool(low < 2 / 3 < high)   # c at 0/3, a and b at 3/3: still uncertain
    True
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    classes = np.unique(y_true)
    n = [int(np.sum(y_true == c)) for c in classes]
    correct = [int(np.sum(y_pred[y_true == c] == c)) for c in classes]
    return macro_recall_counts_interval(correct, n, draws=draws, seed=seed)


def mcnemar(a: dict, b: dict) -> dict | None:
    """McNemar's exact test between two models' figures on the same items (their
    ``predictions``): the items one gets right and the other wrong, and the two-sided
    p-value that both are equally accurate. ``None`` when either lacks its predictions or
    they share no item. Segments of tracks (a 3-second table's rows) are not independent
    items: each track is then one item, right when its segments' majority vote is
    (:func:`~genriflow.evaluation.tracks.right_by_track`), and ``unit`` says so.

    >>> a = {"predictions": [["x", "rock", "rock"], ["y", "jazz", "jazz"], ["z", "pop", "rock"]]}
    >>> b = {"predictions": [["x", "rock", "pop"], ["y", "jazz", "pop"], ["z", "pop", "rock"]]}
    >>> mcnemar(a, b)
    {'items': 3, 'only_first_right': 2, 'only_second_right': 0, 'p_value': 0.5}
    """
    from scipy.stats import binomtest

    if "predictions" not in a or "predictions" not in b:
        return None
    right_a = right_by_track(a["predictions"])
    right_b = right_by_track(b["predictions"])
    unit = "tracks (majority vote of their segments)"
    if right_a is None or right_b is None:
        right_a = {i: t == p for i, t, p in a["predictions"]}
        right_b = {i: t == p for i, t, p in b["predictions"]}
        unit = None
    shared = sorted(set(right_a) & set(right_b))
    if not shared:
        return None
    only_a = sum(right_a[i] and not right_b[i] for i in shared)
    only_b = sum(right_b[i] and not right_a[i] for i in shared)
    p = 1.0 if only_a + only_b == 0 else float(
        binomtest(only_a, only_a + only_b, 0.5).pvalue)
    found = {"items": len(shared), "only_first_right": only_a, "only_second_right": only_b,
             "p_value": p}
    return found if unit is None else {**found, "unit": unit}


def clustering_metrics(y_true: Sequence[str], clusters: Sequence[int]) -> dict:
    """How well clusters found without labels match the genres.

    Parameters
    ----------
    y_true : sequence of str, length n
        The genres.
    clusters : sequence of int, length n
        Cluster ids.

    Returns
    -------
    dict
        ``ari`` (adjusted Rand index, 0 for chance, 1 for a perfect match), ``nmi``
        (normalised mutual information, 0 to 1) and ``matched_accuracy``: the accuracy after
        each cluster is given the genre the Hungarian algorithm matches it with (one cluster
        per genre; clusters left unmatched count as errors) and
        ``matched_balanced_accuracy``: the mean over genres of the share of each genre's
        items in its matched cluster (macro recall; a genre left unmatched scores 0), which
        a large genre cannot carry alone where genres are of unequal size.
    """
    from scipy.optimize import linear_sum_assignment
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    _, ids, counts = contingency(y_true, clusters)
    rows, cols = linear_sum_assignment(counts, maximize=True)
    matched = np.zeros(len(counts))
    matched[rows] = counts[rows, cols]
    return {"ari": float(adjusted_rand_score(np.asarray(y_true), np.asarray(clusters))),
            "nmi": float(normalized_mutual_info_score(y_true, clusters)),
            "matched_accuracy": float(counts[rows, cols].sum() / len(y_true)),
            "matched_balanced_accuracy": float(np.mean(matched / counts.sum(axis=1))),
            "n_clusters": len(ids)}


def clustering_intervals(y_true: Sequence[str], clusters: Sequence[int], *, n: int = 1000,
                         seed: int = 0, items: Sequence[str] | None = None) -> dict:
    """95 % intervals of :func:`clustering_metrics`' four figures, by half-sampling.

    Each of ``n`` draws scores a random half of the items, without replacement (the
    matching of clusters to genres made again each time). A half drawn without replacement
    varies as much as the whole sample's figure does (the finite-population correction
    halves the variance that half the items double), and unlike a bootstrap resample it
    repeats no item: a repeated item always agrees with itself, which would inflate all
    three figures. The interval is the figure plus the draws' 2.5 and 97.5 percentiles
    less their median. The clustering itself is held fixed: the intervals say how much
    the figures depend on which items were scored, not how much another run of the
    clustering would differ.

    Where ``items`` are segments of tracks (a 3-second table's rows, sharing a GTZAN clip
    key: :func:`~genriflow.evaluation.tracks.track_ids`), each draw takes a random half of
    the tracks, each with all its segments: a track's segments are not independent items,
    and halves of segments vary about three times too little (ten segments a track).
    Other items (one file per clip) are drawn as before.

    Returns
    -------
    dict
        ``ari_low``, ``ari_high``, ``nmi_low``, ``nmi_high``, ``matched_accuracy_low``,
        ``matched_accuracy_high``, ``matched_balanced_accuracy_low`` and ``_high``.

    Examples
    --------
    >>> y = ["a"] * 50 + ["b"] * 50
    >>> found = clustering_intervals(y, [0] * 45 + [1] * 55, n=200)
    >>> 0.85 < found["matched_accuracy_low"] < 0.95 < found["matched_accuracy_high"] <= 1.0
    True
    """
    y, c = np.asarray(y_true), np.asarray(clusters)
    point = clustering_metrics(y, c)
    rng = np.random.default_rng(seed)
    tracks = track_ids(items)
    if tracks is None:
        half = max(2, len(y) // 2)
        halves = (rng.permutation(len(y))[:half] for _ in range(n))
    else:
        index = np.unique(tracks, return_inverse=True)[1]
        count = int(index.max()) + 1
        halves = (np.flatnonzero(np.isin(index, rng.permutation(count)[:max(2, count // 2)]))
                  for _ in range(n))
    drawn = [clustering_metrics(y[rows], c[rows]) for rows in halves]
    intervals = {}
    for name, floor in (("ari", -1.0), ("nmi", 0.0), ("matched_accuracy", 0.0),
                        ("matched_balanced_accuracy", 0.0)):
        q_low, middle, q_high = np.percentile([d[name] for d in drawn], [2.5, 50, 97.5])
        intervals[f"{name}_low"] = float(max(floor, point[name] + q_low - middle))
        intervals[f"{name}_high"] = float(min(1.0, point[name] + q_high - middle))
    return intervals


def contingency(y_true: Sequence[str], clusters: Sequence[int]) -> tuple[np.ndarray, np.ndarray,
                                                                         np.ndarray]:
    """Labels, cluster ids and the (labels, clusters) table of how many items share both."""
    labels, y_idx = np.unique(np.asarray(y_true), return_inverse=True)
    ids, c_idx = np.unique(np.asarray(clusters), return_inverse=True)
    counts = np.zeros((len(labels), len(ids)), dtype=np.int64)
    np.add.at(counts, (y_idx, c_idx), 1)
    return labels, ids, counts
