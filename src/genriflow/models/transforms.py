"""Small scikit-learn transformers genriflow's pipelines need."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted


def variance_columns(columns: Sequence[str]) -> tuple[int, ...]:
    """Indices of the variance columns (``*_var``) of a feature table: the ones to log."""
    return tuple(i for i, name in enumerate(columns) if name.endswith("_var"))


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


class Columns(TransformerMixin, BaseEstimator):
    """Only the given columns, in the given order (a head's input read from a wider array).

    Parameters
    ----------
    columns : tuple of int
        Indices of the columns kept.

    >>> Columns((2, 0)).fit_transform(np.arange(6).reshape(2, 3)).tolist()
    [[2.0, 0.0], [5.0, 3.0]]
    """

    def __init__(self, columns: tuple[int, ...] = ()) -> None:
        self.columns = columns

    def fit(self, X, y=None):
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def transform(self, X):
        return np.asarray(X, dtype=np.float64)[:, list(self.columns)]


class FrameStandardizer(TransformerMixin, BaseEstimator):
    """Standardise each feature row of frame arrays with statistics over samples and frames.

    For ``X`` of shape (n_samples, n_features, n_frames), feature ``f`` becomes
    ``(X[:, f, :] - mean_[f]) / scale_[f]``, where the mean and the standard deviation are
    taken over every training sample and every frame. This is the standardisation the
    Genriflow project found best for its (166, frames) stacks; fit it on the training
    split only.

    Attributes
    ----------
    mean_ : np.ndarray, shape (n_features,), float64
    scale_ : np.ndarray, shape (n_features,), float64
        Population standard deviation; 1 where a feature is constant, so that it maps to 0.
    n_features_in_ : int
    """

    def fit(self, X, y=None):
        # X may be lazy rows of a memory map (genriflow.features.dataset.Rows): only its shape
        # is checked here and samples are read one at a time.
        X = X if hasattr(X, "shape") else np.asarray(X)
        _check_shape(X.shape)
        # Two passes, one sample at a time: float64 statistics without a float64 copy of X.
        total = sum(sample.sum(axis=1, dtype=np.float64) for sample in X)
        count = X.shape[0] * X.shape[2]
        mean = total / count
        squares = sum(((sample - mean[:, None]) ** 2).sum(axis=1) for sample in X)
        scale = np.sqrt(squares / count)
        self.mean_ = mean
        self.scale_ = np.where(scale > 10 * np.finfo(np.float64).eps * np.abs(mean), scale, 1.0)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        """Standardised copy of ``X``; float32 input stays float32, other input is float64."""
        check_is_fitted(self)
        X = _frames(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, fitted on {self.n_features_in_}")
        dtype = np.float32 if X.dtype == np.float32 else np.float64
        mean, scale = self.mean_.astype(dtype), self.scale_.astype(dtype)
        return ((X - mean[:, None]) / scale[:, None]).astype(dtype, copy=False)


def _frames(X) -> np.ndarray:
    X = np.asarray(X)
    _check_shape(X.shape)
    return X


def _check_shape(shape: tuple[int, ...]) -> None:
    if len(shape) != 3 or shape[0] == 0 or shape[2] == 0:
        raise ValueError(
            f"expected a non-empty array of shape (n_samples, n_features, n_frames), got {shape}"
        )


def flatten(X) -> np.ndarray:
    """One float32 row per sample: frame arrays (n, features, frames) are flattened."""
    X = np.asarray(X, dtype=np.float32)
    return X.reshape(len(X), -1)


def reduce_pca(n_components: int = 10, seed: int = 0,
               log_columns: Sequence[int] = ()) -> Pipeline:
    """Log of variance columns, standardisation and PCA: the projection shared by the
    clustering methods and the PCA pictures."""
    return Pipeline([("log", LogColumns(tuple(log_columns))), ("scale", StandardScaler()),
                     ("pca", PCA(n_components=n_components, random_state=seed))])
