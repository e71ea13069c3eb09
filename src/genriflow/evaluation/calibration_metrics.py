"""How far to trust a probability: calibration figures of one part, before and after.

- expected calibration error (ECE): the songs binned by their top probability (15
  equal-width bins), the gap between each bin's mean confidence and its accuracy, weighted
  by the bin's share of songs;
- negative log-likelihood (NLL) of the true genre;
- Brier score: the mean squared distance between the probability vector and the one-hot
  truth, summed over genres.

Each comes with its 95 % percentile-bootstrap interval (``ece_interval``, ...: the songs
resampled, 1000 draws, seed 0), accuracy with its Wilson interval.

A multi-label model's genres are each a yes/no on its own, so there every (song, genre)
pair is one forecast (:func:`multilabel_calibration_figures`): ECE of each probability
against the share of pairs whose song has the genre, the mean binary cross-entropy, the
mean squared error and the share of pairs right at 0.5.

>>> p = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8]])
>>> figures = calibration_figures(p, np.array(["a", "b", "b"]), ["a", "b"])
>>> round(figures["ece"], 3), round(figures["nll"], 3), round(figures["brier"], 3)
(0.3, 0.415, 0.273)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Bins of the expected calibration error.
ECE_BINS = 15


def reliability_bins(proba: np.ndarray, correct: np.ndarray, bins: int = ECE_BINS
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per confidence bin: mean confidence, accuracy and count (empty bins: NaN, 0)."""
    confidence = np.asarray(proba, dtype=float).max(axis=1)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore"):
        mean_conf = np.bincount(which, confidence, bins) / counts
        accuracy = np.bincount(which, correct.astype(float), bins) / counts
    return mean_conf, accuracy, counts


def expected_calibration_error(proba: np.ndarray, y: np.ndarray, classes: Sequence[str],
                               bins: int = ECE_BINS) -> float:
    """Top-label ECE: confidence against accuracy in ``bins`` equal-width bins."""
    correct = np.asarray(classes)[np.asarray(proba).argmax(axis=1)] == np.asarray(y)
    return _ece(*reliability_bins(proba, correct, bins))


def _ece(confidence: np.ndarray, accuracy: np.ndarray, counts: np.ndarray) -> float:
    """The bins' gaps between accuracy and confidence, weighted by their shares."""
    used = counts > 0
    return float(np.sum(counts[used] / counts.sum()
                        * np.abs(accuracy[used] - confidence[used])))


#: Resamples of the songs behind each calibration figure's interval.
BOOTSTRAP_DRAWS = 1000


def calibration_figures(proba: np.ndarray, y: np.ndarray, classes: Sequence[str]) -> dict:
    """ECE (15 bins), NLL, Brier score and accuracy of probabilities ``proba`` (songs,
    genres; columns in ``classes`` order) against labels ``y``, each with its 95 %
    interval (``*_interval``); JSON-ready."""
    from genriflow.intervals import wilson_interval

    proba = np.asarray(proba, dtype=float)
    truth = np.asarray(y)[:, None] == np.asarray(classes)[None, :]
    p_true = np.clip(np.sum(proba * truth, axis=1), 1e-12, None)
    nll, brier = -np.log(p_true), np.sum((proba - truth) ** 2, axis=1)
    correct = truth[np.arange(len(proba)), proba.argmax(axis=1)]
    confidence = proba.max(axis=1)[:, None]
    figures = {
        "n": int(len(proba)),
        "accuracy": float(np.mean(correct)),
        "accuracy_interval": list(wilson_interval(int(correct.sum()), len(correct))),
        "ece": expected_calibration_error(proba, y, classes),
        "nll": float(np.mean(nll)),
        "brier": float(np.mean(brier)),
        "bins": ECE_BINS,
        "reliability": _reliability(proba, truth),
    }
    return {**figures, **_intervals(
        len(proba), lambda rows: _ece(*reliability_bins(confidence[rows], correct[rows])),
        nll=nll, brier=brier)}


def _intervals(n: int, ece_of, **per_song: np.ndarray) -> dict:
    """95 % percentile-bootstrap intervals of the ECE (``ece_of(rows)``) and of the mean
    of each per-song figure, the same ``n`` songs resampled for all."""
    if not n:
        return {}
    rows = np.random.default_rng(0).integers(0, n, size=(BOOTSTRAP_DRAWS, n))
    drawn = {"ece": np.array([ece_of(r) for r in rows]),
             **{name: values[rows].mean(axis=1) for name, values in per_song.items()}}
    return {f"{name}_interval": [float(v) for v in np.percentile(values, [2.5, 97.5])]
            for name, values in drawn.items()}


def multilabel_calibration_figures(proba: np.ndarray, truth: np.ndarray) -> dict:
    """ECE (15 bins), NLL, Brier score and accuracy of every (song, genre) probability of
    a multi-label model, ``proba`` (songs, genres), against ``truth`` (songs, genres; 0/1).

    >>> figures = multilabel_calibration_figures(np.array([[0.9, 0.2], [0.6, 0.1]]),
    ...                                          np.array([[1, 0], [0, 0]]))
    >>> round(figures["ece"], 3), round(figures["brier"], 3), figures["accuracy"]
    (0.25, 0.105, 0.75)
    """
    songs = np.asarray(proba, dtype=float)
    truth = np.asarray(truth, dtype=bool)
    p, t = songs.ravel(), truth.ravel()
    confidence, share, counts = reliability_bins(p[:, None], t)
    q = np.clip(songs, 1e-12, 1 - 1e-12)
    nll = -np.where(truth, np.log(q), np.log(1 - q))  # (songs, genres)
    figures = {
        "n": int(songs.shape[0]),
        "pairs": int(p.size),
        "accuracy": float(np.mean((p >= 0.5) == t)),
        "ece": _ece(confidence, share, counts),
        "nll": float(np.mean(nll)),
        "brier": float(np.mean((p - t) ** 2)),
        "bins": ECE_BINS,
        "reliability": _listed_bins(confidence, share, counts),
    }
    # A song's genres travel together: the songs are resampled, as for one genre each.
    return {**figures, **_intervals(
        len(songs), lambda rows: _ece(*reliability_bins(songs[rows].ravel()[:, None],
                                                        truth[rows].ravel())),
        nll=nll.mean(axis=1), brier=((songs - truth) ** 2).mean(axis=1))}


def _reliability(proba: np.ndarray, truth: np.ndarray) -> dict:
    correct = truth[np.arange(len(proba)), proba.argmax(axis=1)]
    return _listed_bins(*reliability_bins(proba, correct))


def _listed_bins(confidence: np.ndarray, accuracy: np.ndarray, counts: np.ndarray) -> dict:
    def listed(values: np.ndarray) -> list:
        return [None if np.isnan(v) else float(v) for v in values]

    return {"confidence": listed(confidence), "accuracy": listed(accuracy),
            "count": counts.tolist()}


def before_after(before: np.ndarray, after: np.ndarray, y: np.ndarray,
                 classes: Sequence[str], *, method: str) -> dict:
    """The calibration figures of one part's probabilities before and after calibration
    by ``method`` (fitted on the validation part)."""
    return {"method": method, "fitted_on": "valid",
            "before": calibration_figures(before, y, classes),
            "after": calibration_figures(after, y, classes)}


def multilabel_before_after(before: np.ndarray, after: np.ndarray, truth: np.ndarray, *,
                            method: str) -> dict:
    """:func:`before_after` of a multi-label model: every (song, genre) pair a forecast."""
    return {"method": method, "fitted_on": "valid", "per": "genre",
            "before": multilabel_calibration_figures(before, truth),
            "after": multilabel_calibration_figures(after, truth)}
