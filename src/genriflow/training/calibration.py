"""Calibration fitted on the validation part: probabilities that mean what they say.

A classical head gets scikit-learn's calibrator over the fitted (frozen) pipeline:
``sigmoid`` (Platt, one-vs-rest), ``isotonic`` or ``temperature`` (one scale of the
log-probabilities, which keeps every song's top genre). A network gets temperature scaling
of its logits (Guo et al., 2017): one number ``T``, the logits divided by it before the
softmax, chosen to minimise the validation clips' negative log-likelihood; a multi-label
network's logits are divided alike before each genre's sigmoid, ``T`` minimising the
binary cross-entropy of every (clip, genre) pair. How well either
worked is measured on the test part (:mod:`genriflow.evaluation.calibration_metrics`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax

from genriflow.training import CALIBRATIONS as CALIBRATIONS
from genriflow.training import NETWORK_CALIBRATIONS as NETWORK_CALIBRATIONS


def calibrated(estimator, method: str, X: np.ndarray, y: np.ndarray):
    """``estimator`` (fitted, left unchanged) wrapped with a calibrator of ``method``
    fitted on ``X, y``; ``method='none'`` returns it as it is."""
    if method == "none":
        return estimator
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    # The estimator is frozen, so folds would change nothing but scikit-learn's default
    # 5-fold split refuses a validation part with fewer than 5 songs of some genre: one
    # "fold" testing every song gives the same calibrator on any validation part.
    rows = np.arange(len(y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a class missing from a small validation part
        return CalibratedClassifierCV(FrozenEstimator(estimator), method=method,
                                      cv=[(rows, rows)]).fit(X, y)


def calibrated_per_genre(pipeline, method: str, X: np.ndarray, Y: np.ndarray):
    """A multi-label (one-vs-rest) pipeline whose genres' classifiers are each wrapped with
    a calibrator of ``method`` fitted on ``X`` and that genre's column of ``Y`` (0/1); a
    copy: ``pipeline`` is left unchanged. A genre the validation songs all have, or none
    has, keeps its own probabilities (nothing to fit a calibrator on)."""
    import copy

    out = copy.deepcopy(pipeline)
    if method == "none":
        return out
    Z = out[:-1].transform(np.asarray(X, dtype=np.float64))
    ovr = out.steps[-1][1]
    Y = np.asarray(Y).astype(int)
    ovr.estimators_ = [calibrated(est, method, Z, Y[:, g]) if 0 < Y[:, g].sum() < len(Y)
                       else est for g, est in enumerate(ovr.estimators_)]
    return out


def clip_probabilities(piece_logits: Sequence[np.ndarray], temperature: float, *,
                       multi_label: bool = False) -> np.ndarray:
    """Clips' probabilities as prediction makes them: the softmax (multi-label: each
    genre's sigmoid) of each piece's logits divided by ``temperature``, averaged over the
    clip's pieces; shape (n_clips, n_labels).

    >>> clip_probabilities([np.array([[2.0, 0.0]])], 1e9).round(3).tolist()
    [[0.5, 0.5]]
    >>> clip_probabilities([np.array([[2.0, 0.0]])], 1.0, multi_label=True).round(3).tolist()
    [[0.881, 0.5]]
    """
    from scipy.special import expit

    def one(z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, float) / temperature
        return expit(z) if multi_label else np.exp(log_softmax(z, axis=1))

    return np.stack([one(z).mean(0) for z in piece_logits])


def fit_temperature(piece_logits: Sequence[np.ndarray], y: np.ndarray, *,
                    multi_label: bool = False) -> float:
    """The temperature that minimises the negative log-likelihood of clips' labels.

    Parameters
    ----------
    piece_logits : sequence of np.ndarray, each shape (n_pieces_i, n_labels)
        The network's logits for every piece of each validation clip.
    y : np.ndarray
        Label indices, shape (n_clips,); multi-label: the 0/1 genres of each clip, shape
        (n_clips, n_labels), and the likelihood is each (clip, genre) pair's.
    multi_label : bool

    Returns
    -------
    float
        ``T`` in [0.05, 20] (searched on a log scale); above 1 softens over-confident
        probabilities, below 1 sharpens timid ones.

    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 400)
    >>> logits = [np.array([[4.0 * (2 * k - 1), 0.0]]) * (1 if rng.random() < 0.7 else -1)
    ...           for k in y]
    >>> 1.5 < fit_temperature(logits, 1 - y) < 20  # 70 % right at 98 % confidence
    True
    >>> both = [np.array([[4.0, -4.0]]) * (1 if rng.random() < 0.7 else -1) for _ in y]
    >>> 1.5 < fit_temperature(both, np.tile([1, 0], (400, 1)), multi_label=True) < 20
    True
    """
    y = np.asarray(y, dtype=float if multi_label else int)

    def nll(log_t: float) -> float:
        p = clip_probabilities(piece_logits, float(np.exp(log_t)), multi_label=multi_label)
        if multi_label:
            q = np.clip(p, 1e-12, 1 - 1e-12)
            return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))
        return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None))))

    result = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded",
                             options={"xatol": 1e-4})
    return float(np.exp(result.x))
