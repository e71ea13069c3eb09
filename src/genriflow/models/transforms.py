"""Small scikit-learn transformers genriflow's pipelines need."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin


class LogColumns(TransformerMixin, BaseEstimator):
    """Natural log of selected columns, the others passed through.

    Variances of frame-level features are positive and heavy-tailed (log-normal-like);
    on the GTZAN table their log makes every linear and distance-based model better.

    Parameters
    ----------
    columns : tuple of int
        Indices of the columns to transform.
    eps : float
        Added before the log so that zero variance (silence) stays finite.
    """

    def __init__(self, columns: tuple[int, ...] = (), eps: float = 1e-10) -> None:
        self.columns = columns
        self.eps = eps

    def fit(self, X, y=None):
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def transform(self, X):
        X = np.array(X, dtype=np.float64, copy=True)
        idx = list(self.columns)
        X[:, idx] = np.log(np.maximum(X[:, idx], 0.0) + self.eps)
        return X
