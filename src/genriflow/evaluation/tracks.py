"""Figures on the segments of tracks (a 3-second feature table), counted by track.

The ten 3-second segments of a GTZAN track are not ten independent test items: they share
the track's recording, artist and production, and a model that gets one wrong mostly gets
its neighbours wrong too. Intervals that count 2000 segments as items are about
:math:`\\sqrt{10}` times too narrow for the 200 tracks behind them. Here the segments of one
track (items sharing a GTZAN clip key, :func:`~genriflow.datasets.gtzan.clip_key`) are one
item: each track scored by its share of right segments, and separately by the majority vote
of its segments. The share of a track is a number in [0, 1] whose variance is at most
``p(1 - p)``, so a Wilson interval over the tracks with these shares as counts is never
narrower than it should be; where the segments are fully alike it is exact.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from genriflow.datasets.gtzan import clip_key
from genriflow.intervals import macro_recall_counts_interval, wilson_interval


def track_ids(items: Sequence[str] | None) -> np.ndarray | None:
    """Each item's track (its GTZAN clip key, else the item itself), or ``None`` where no
    two items share one (every item is its own track: nothing to count by track).

    >>> track_ids(["blues.00000.0.wav", "blues.00000.1.wav", "x.wav"]).tolist()
    ['blues.00000', 'blues.00000', 'x.wav']
    >>> track_ids(["blues.00000.wav", "blues.00001.wav"]) is None
    True
    """
    if items is None:
        return None
    tracks = np.array([clip_key(str(item)) or str(item) for item in items], dtype=object)
    return tracks if len(np.unique(tracks)) < len(tracks) else None


def by_track(y_true: np.ndarray, y_pred: np.ndarray, tracks: np.ndarray,
             labels: Sequence[str]) -> dict:
    """Intervals of segment figures counted by track, and the tracks' majority-vote figures.

    Parameters
    ----------
    y_true, y_pred : numpy.ndarray, length n
        Each segment's genre and prediction.
    tracks : numpy.ndarray, length n
        Each segment's track (:func:`track_ids`).
    labels : sequence of str
        The model's labels.

    Returns
    -------
    dict
        ``interval`` (of the segment accuracy), ``interval_method``,
        ``balanced_accuracy_interval`` and ``recall_intervals`` (per genre), all over the
        tracks; ``tracks``: ``n``, ``correct``, ``accuracy`` with its Wilson ``interval``
        and ``balanced_accuracy`` with its interval, of each track's majority vote.

    Examples
    --------
    >>> truth = np.array(["a"] * 4 + ["b"] * 4)
    >>> guess = np.array(["a", "a", "a", "b", "b", "b", "a", "a"])
    >>> found = by_track(truth, guess, np.array(list("xxyyzzww")), ["a", "b"])
    >>> found["tracks"]["n"], found["tracks"]["correct"]    # x right, y tied: a; z right
    (4, 3)
    """
    del labels  # the genres are those of y_true; kept for the callers' symmetry
    ids, index = np.unique(tracks, return_inverse=True)
    segments = np.bincount(index)
    share = np.bincount(index, weights=(y_true == y_pred).astype(float)) / segments
    truth = np.empty(len(ids), dtype=object)
    truth[index] = y_true
    observed = float(np.mean(y_true == y_pred))
    classes = np.unique(truth)
    right = [float(share[truth == c].sum()) for c in classes]
    count = [int(np.sum(truth == c)) for c in classes]
    balanced = float(np.mean([np.mean(y_true[y_true == c] == y_pred[y_true == c])
                              for c in classes]))
    b_low, b_high = macro_recall_counts_interval(right, count)
    vote = _votes(y_pred, index, len(ids))
    voted = int(np.sum(vote == truth))
    voted_recalls = [int(np.sum(vote[truth == c] == c)) for c in classes]
    return {
        "interval": list(_over_tracks(float(share.sum()), len(ids), observed)),
        "interval_method": f"Wilson 95 % over {len(ids)} tracks (each track's share of "
                           "right segments: a track's segments are not independent items)",
        "balanced_accuracy_interval": [float(min(b_low, balanced)),
                                       float(max(b_high, balanced))],
        "recall_intervals": {str(c): list(wilson_interval(r, n))
                             for c, r, n in zip(classes, right, count, strict=True)},
        "tracks": {"by": f"majority vote of each track's segments ({len(y_true)} segments "
                         f"of {len(ids)} tracks)",
                   "n": len(ids), "correct": voted, "accuracy": voted / len(ids),
                   "interval": list(wilson_interval(voted, len(ids))),
                   "balanced_accuracy": float(np.mean(np.array(voted_recalls) / count)),
                   "balanced_accuracy_interval": list(
                       macro_recall_counts_interval(voted_recalls, count))},
    }


def item_interval(accuracy: float, n: int, tracks: int | None = None) -> tuple[float, float]:
    """The 95 % Wilson interval of an accuracy on ``n`` items, or, where they are segments
    of ``tracks`` tracks, over the tracks as :func:`by_track` counts them (with equal
    segments a track): for a figure known only as a share of its items, such as a
    validation accuracy that chose a model or a search's trial.

    >>> [round(v, 3) for v in item_interval(0.5, 400)], [round(v, 3) for v in
    ...                                                  item_interval(0.5, 400, 40)]
    ([0.451, 0.549], [0.352, 0.648])
    """
    if tracks:
        return _over_tracks(accuracy * tracks, tracks, accuracy)
    return wilson_interval(round(accuracy * n), n)


def _over_tracks(right: float, tracks: int, observed: float) -> tuple[float, float]:
    """Wilson's interval over ``tracks`` tracks of which ``right`` (a sum of shares) are
    right, widened to hold ``observed``: the shares' mean differs from the segment figure
    where tracks have unequal numbers of segments."""
    low, high = wilson_interval(right, tracks)
    return float(min(low, observed)), float(max(high, observed))


def _votes(y_pred: np.ndarray, index: np.ndarray, n: int) -> np.ndarray:
    """Each track's majority vote of its segments' predictions (a tie: the first genre
    in alphabetical order)."""
    vote = np.empty(n, dtype=object)
    for t in range(n):
        votes, counts = np.unique(y_pred[index == t], return_counts=True)
        vote[t] = votes[counts.argmax()]  # np.unique sorts: argmax takes the first of a tie
    return vote


def right_by_track(predictions: Sequence[Sequence[str]]) -> dict[str, bool] | None:
    """Whether each track's majority vote is right, from ``(item, truth, predicted)``
    rows; ``None`` where no two items share a track (then items are compared as they are).

    >>> right_by_track([["blues.00000.0.wav", "blues", "blues"],
    ...                 ["blues.00000.1.wav", "blues", "jazz"],
    ...                 ["blues.00000.2.wav", "blues", "blues"]])
    {'blues.00000': True}
    """
    tracks = track_ids([row[0] for row in predictions])
    if tracks is None:
        return None
    ids, index = np.unique(tracks, return_inverse=True)
    truth = np.empty(len(ids), dtype=object)
    truth[index] = [row[1] for row in predictions]
    vote = _votes(np.array([row[2] for row in predictions], dtype=object), index, len(ids))
    return {str(t): bool(v == g) for t, v, g in zip(ids, vote, truth, strict=True)}
