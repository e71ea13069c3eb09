"""A genre head on the musicnn taggers that keeps what the tags already know.

The built-in ``gtzan`` model is a scikit-learn pipeline of two steps, both here:

:class:`AnalysisInputs`
    reads one window's ``musicnn`` analysis (the 100 tags and every embedding layer of
    both taggers, :data:`~genriflow.features.embeddings.ANALYSIS_LAYOUT`) and returns the
    chosen parts of it, followed by the zero-shot genre scores of the tags (the largest
    probability among each genre's tags, :data:`genriflow.models.zero_shot.GENRE_TAGS`).
:class:`TagPriorHead`
    a multinomial logistic regression whose logits start from the zero-shot genre shares:
    ``z_k = w_k . x + b_k + log(share_k + floor)``. The weights learn only the correction
    to what the tags say. With few training songs of a genre (GTZAN's rock, pop, country
    here) the correction stays small and the taggers' knowledge of that genre is kept; a
    genre the tags cannot name (reggae) gets its evidence from the weights alone.

Both are plain estimators (parameters in ``__init__``, learned state ending in ``_``),
saved with skops and loaded only from :data:`genriflow.models.folder.TRUSTED_PREFIXES`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted


class AnalysisInputs(TransformerMixin, BaseEstimator):
    """Parts of the ``musicnn`` analysis, then tag-group scores.

    Parameters
    ----------
    parts : tuple of (int, int)
        Column ranges ``[start, stop)`` of the analysis to pass on, in order.
    tag_groups : tuple of tuple of int
        For each group (a genre), the tag columns whose largest value is its score; an
        empty group scores 0.

    Examples
    --------
    >>> X = np.array([[0.1, 0.7, 0.2, 5.0]])
    >>> AnalysisInputs(parts=((3, 4),), tag_groups=((0, 1), (2,), ())).fit_transform(X)
    array([[5. , 0.7, 0.2, 0. ]])
    """

    def __init__(self, parts: tuple[tuple[int, int], ...] = (),
                 tag_groups: tuple[tuple[int, ...], ...] = ()) -> None:
        self.parts = parts
        self.tag_groups = tag_groups

    def fit(self, X, y=None):
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def transform(self, X) -> np.ndarray:
        check_is_fitted(self)
        X = np.asarray(X, dtype=np.float64)
        columns = [X[:, start:stop] for start, stop in self.parts]
        columns.append(group_scores(X, self.tag_groups))
        return np.concatenate(columns, axis=1)


def group_scores(X: np.ndarray, groups: Sequence[Sequence[int]]) -> np.ndarray:
    """The largest value of each group's columns, shape (n, n_groups); 0 for an empty group.

    >>> group_scores(np.array([[0.1, 0.7, 0.2]]), [(0, 1), (), (2,)]).tolist()
    [[0.7, 0.0, 0.2]]
    """
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    return np.stack([X[:, list(g)].max(axis=1) if len(g) else np.zeros(len(X))
                     for g in groups], axis=1)


class TagPriorHead(ClassifierMixin, BaseEstimator):
    """Multinomial logistic regression on top of a prior from tag scores.

    The last ``len(classes)`` input columns are the classes' prior scores (in the order
    of ``classes``); the others are features, standardised inside. The logits are
    ``X_std @ coef_ + intercept_ + prior_weight * log(share + floor)``, where ``share`` is
    the prior scores normalised to sum to one. Fitted by L-BFGS on the weighted
    cross-entropy with L2 penalties on the weights (``1 / C``) and on the intercepts
    (``1 / intercept_C``), so that a class with few rows stays near its prior.

    Parameters
    ----------
    C : float
        Inverse strength of the weights' L2 penalty (per training row, as scikit-learn).
    intercept_C : float
        The same for the intercepts.
    prior_weight : float
        Weight of the log prior shares in the logits (0: a plain logistic regression).
    floor : float
        Added to each prior share before the log: how far a class the tags never name
        can be lifted by the weights.
    classes : tuple of str
        The class names, in the order of the prior columns at the end of ``X`` (as many
        prior columns as classes).
    max_iter : int

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> F = rng.normal(size=(60, 2)); y = (F[:, 0] > 0).astype(int)
    >>> prior = np.full((60, 2), 0.5)
    >>> head = TagPriorHead(C=1.0, classes=("a", "b")).fit(np.c_[F, prior], np.array(["a", "b"])[y])
    >>> float(head.score(np.c_[F, prior], np.array(["a", "b"])[y])) > 0.9
    True
    """

    def __init__(self, C: float = 1e-3, intercept_C: float = 0.1, prior_weight: float = 1.0,
                 floor: float = 0.05, classes: tuple[str, ...] = (), max_iter: int = 3000) -> None:
        self.C = C
        self.intercept_C = intercept_C
        self.prior_weight = prior_weight
        self.floor = floor
        self.classes = classes
        self.max_iter = max_iter

    @property
    def n_prior(self) -> int:
        return len(self.classes)

    def _split(self, X) -> tuple[np.ndarray, np.ndarray]:
        X = np.asarray(X, dtype=np.float64)
        features, prior = X[:, :-self.n_prior], X[:, -self.n_prior:] + 1e-9
        share = prior / prior.sum(axis=1, keepdims=True)
        return features, self.prior_weight * np.log(share + self.floor)

    def fit(self, X, y, sample_weight=None):
        from scipy.optimize import minimize
        from scipy.special import logsumexp

        features, offset = self._split(X)
        self.classes_ = np.asarray(self.classes, dtype=str)
        index = {str(c): i for i, c in enumerate(self.classes)}
        y = np.array([index[str(label)] for label in y], dtype=int)
        self.mean_ = features.mean(axis=0)
        self.scale_ = np.where(features.std(axis=0) > 1e-12, features.std(axis=0), 1.0)
        F = (features - self.mean_) / self.scale_
        n, d = F.shape
        k = self.n_prior
        w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        w = w / w.sum()
        Y = np.eye(k)[y]
        lam, lam_b = 1.0 / (self.C * n), 1.0 / (self.intercept_C * n)

        def loss(theta):
            B, b = theta[:d * k].reshape(d, k), theta[d * k:]
            Z = F @ B + b + offset
            log_p = Z - logsumexp(Z, axis=1, keepdims=True)
            value = -(w * (Y * log_p).sum(axis=1)).sum() + 0.5 * (
                lam * (B ** 2).sum() + lam_b * (b ** 2).sum())
            G = (np.exp(log_p) - Y) * w[:, None]
            return value, np.concatenate([(F.T @ G + lam * B).ravel(), G.sum(0) + lam_b * b])

        result = minimize(loss, np.zeros(d * k + k), jac=True, method="L-BFGS-B",
                          options={"maxiter": self.max_iter})
        self.coef_ = result.x[:d * k].reshape(d, k)
        self.intercept_ = result.x[d * k:]
        self.n_features_in_ = d + k
        self.n_iter_ = int(result.nit)
        return self

    def decision_function(self, X) -> np.ndarray:
        """The logits, shape (n, n_prior)."""
        check_is_fitted(self)
        features, offset = self._split(X)
        return ((features - self.mean_) / self.scale_) @ self.coef_ + self.intercept_ + offset

    def predict_proba(self, X) -> np.ndarray:
        from scipy.special import softmax

        return softmax(self.decision_function(X), axis=1)

    def predict(self, X) -> np.ndarray:
        return self.classes_[self.decision_function(X).argmax(axis=1)]
