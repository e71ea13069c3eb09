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
Their numbers come from :mod:`genriflow.models.head_arrays`, which also keeps a fitted
head as plain arrays (``head.safetensors``) that predict with NumPy alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from genriflow.models.head_arrays import (
    HeadArrays,
    analysis_inputs,
    group_scores,
    prior_logits,
    softmax,
)

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

__all__ = ["AnalysisInputs", "TagPriorHead", "group_scores", "head_arrays", "head_pipeline"]


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
        return analysis_inputs(X, self.parts, self.tag_groups)


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
        return prior_logits(X, self.n_prior, self.prior_weight, self.floor)

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
        return softmax(self.decision_function(X))

    def predict(self, X) -> np.ndarray:
        return self.classes_[self.decision_function(X).argmax(axis=1)]


def head_arrays(estimator: object) -> HeadArrays | None:
    """The plain arrays of a fitted ``AnalysisInputs -> TagPriorHead`` pipeline (as
    :func:`genriflow.training.tag_head.make_head` builds it), the estimator itself if it
    is already :class:`~genriflow.models.head_arrays.HeadArrays`; ``None`` for any other
    estimator."""
    if isinstance(estimator, HeadArrays):
        return estimator
    steps = getattr(estimator, "steps", None)
    if not isinstance(steps, list) or len(steps) != 2:
        return None
    (_, inputs), (_, clf) = steps
    if type(inputs) is not AnalysisInputs or type(clf) is not TagPriorHead:
        return None
    return HeadArrays(
        parts=tuple((int(a), int(b)) for a, b in inputs.parts),
        tag_groups=tuple(tuple(int(i) for i in g) for g in inputs.tag_groups),
        classes=tuple(str(c) for c in clf.classes), prior_weight=float(clf.prior_weight),
        floor=float(clf.floor), mean=np.asarray(clf.mean_, dtype=np.float64),
        scale=np.asarray(clf.scale_, dtype=np.float64),
        coef=np.asarray(clf.coef_, dtype=np.float64),
        intercept=np.asarray(clf.intercept_, dtype=np.float64),
        settings={"C": float(clf.C), "intercept_C": float(clf.intercept_C),
                  "max_iter": int(clf.max_iter), "n_iter": int(clf.n_iter_),
                  "n_features_in": int(inputs.n_features_in_)})


def head_pipeline(head: HeadArrays) -> Pipeline:
    """The fitted pipeline ``head`` was taken from: the same parameters and learned state,
    so the same probabilities (what skops saves, and what training code reads)."""
    from sklearn.pipeline import Pipeline

    settings = head.settings or {}
    inputs = AnalysisInputs(parts=head.parts, tag_groups=head.tag_groups)
    inputs.n_features_in_ = int(settings.get("n_features_in",
                                             max(stop for _, stop in head.parts)))
    clf = TagPriorHead(C=settings.get("C", 1e-3), intercept_C=settings.get("intercept_C", 0.1),
                       prior_weight=head.prior_weight, floor=head.floor, classes=head.classes,
                       max_iter=settings.get("max_iter", 3000))
    clf.classes_ = head.classes_
    clf.mean_, clf.scale_ = head.mean.copy(), head.scale.copy()
    clf.coef_, clf.intercept_ = head.coef.copy(), head.intercept.copy()
    clf.n_features_in_ = len(head.mean) + len(head.classes)
    clf.n_iter_ = int(settings.get("n_iter", 0))
    return Pipeline([("inputs", inputs), ("clf", clf)])
