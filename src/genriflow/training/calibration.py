"""Calibration fitted on the validation part: probabilities that mean what they say.

A classical head gets scikit-learn's calibrator over the fitted (frozen) pipeline:
``sigmoid`` (Platt, one-vs-rest), ``isotonic`` or ``temperature`` (one scale of the
log-probabilities, which keeps every song's top genre). A network gets temperature scaling
of its logits (Guo et al., 2017): one number ``T``, the logits divided by it before the
softmax, chosen to minimise the validation clips' negative log-likelihood. How well either
worked is measured on the test part (:mod:`genriflow.evaluation.calibration`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax

#: Calibration methods of a classical head (``none`` keeps its probabilities).
CALIBRATIONS = ("none", "sigmoid", "isotonic", "temperature")
#: Calibration methods of a network.
NETWORK_CALIBRATIONS = ("none", "temperature")


def calibrated(estimator, method: str, X: np.ndarray, y: np.ndarray):
    """``estimator`` (fitted, left unchanged) wrapped with a calibrator of ``method``
    fitted on ``X, y``; ``method='none'`` returns it as it is."""
    if method == "none":
        return estimator
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a class missing from a small validation part
        return CalibratedClassifierCV(FrozenEstimator(estimator), method=method).fit(X, y)


def clip_probabilities(piece_logits: Sequence[np.ndarray], temperature: float) -> np.ndarray:
    """Clips' probabilities as prediction makes them: the softmax of each piece's logits
    divided by ``temperature``, averaged over the clip's pieces; shape (n_clips, n_labels).

    >>> clip_probabilities([np.array([[2.0, 0.0]])], 1e9).round(3).tolist()
    [[0.5, 0.5]]
    """
    return np.stack([np.exp(log_softmax(np.asarray(z, float) / temperature, axis=1)).mean(0)
                     for z in piece_logits])


def fit_temperature(piece_logits: Sequence[np.ndarray], y: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of clips' labels.

    Parameters
    ----------
    piece_logits : sequence of np.ndarray, each shape (n_pieces_i, n_labels)
        The network's logits for every piece of each validation clip.
    y : np.ndarray of int, shape (n_clips,)
        Label indices.

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
    """
    y = np.asarray(y, dtype=int)

    def nll(log_t: float) -> float:
        p = clip_probabilities(piece_logits, float(np.exp(log_t)))
        return float(-np.mean(np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None))))

    result = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded",
                             options={"xatol": 1e-4})
    return float(np.exp(result.x))
