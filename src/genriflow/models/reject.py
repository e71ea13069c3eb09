"""The reject option ("none of these"): unknown-genre scores and the rule saved with a model.

Every score is **higher for a song more likely to be of no genre the model knows**:

``max-prob``
    ``1 - max_k p_k``: how little the model believes its best guess (Hendrycks & Gimpel
    2017). Every model has it.
``energy``
    ``-logsumexp_k z_k`` of the logits ``z`` (Liu et al. 2020): low for songs the model
    gives large logits. Needs logits: networks, logistic regression, LDA, gradient boosting
    and the MLP have them; a model that gives probabilities only (svm, knn, random forest)
    is refused with a :class:`~genriflow.errors.ConfigError`.
``distance``
    The Mahalanobis distance of a song's representation (a classical pipeline's scaled
    features before its classifier) to the nearest training class mean, with one shared,
    Ledoit-Wolf-shrunk covariance (Lee et al. 2018).
``relative-distance``
    The squared distance to the nearest class mean less the squared distance to one
    Gaussian fitted to all training songs (the relative Mahalanobis distance, Ren et al.
    2021): what makes a song unlike the genres rather than unlike music at large.
``music-distance``
    The Mahalanobis distance of a song's mean musicnn embedding (MTT musicnn's
    ``penultimate`` layer, averaged over the song's windows) to one Ledoit-Wolf Gaussian
    of the training songs' means: how unlike music the song is. Scored once per song, not
    per window: noise and babble have windows that resemble quiet passages of real music,
    but not their average (see ``benchmarks/default_model.py``).

The means and precision matrices are kept as plain numbers (``openset.safetensors`` in the
model folder, never pickle).

A :class:`RejectRule` says which score and above which threshold a song is ``unknown``;
the threshold is chosen on the validation part so that ``target_tpr`` (95 %) of the known
songs there are accepted (:func:`choose_threshold`).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from genriflow.errors import ConfigError, one_of
from genriflow.models.reject_options import DEFAULT_TARGET_TPR as DEFAULT_TARGET_TPR
from genriflow.models.reject_options import DISTANCE_SCORES as DISTANCE_SCORES
from genriflow.models.reject_options import SCORES as SCORES
from genriflow.models.reject_options import SONG_SCORES as SONG_SCORES
from genriflow.models.reject_options import check_target as check_target

#: Where a model folder keeps the distance score's class means and precision matrix.
STATS_FILE = "openset.safetensors"


def max_prob_score(probabilities: np.ndarray) -> np.ndarray:
    """``1 - max p`` per row of probabilities, shape (n, n_labels) -> (n,).

    >>> max_prob_score(np.array([[0.9, 0.1], [0.5, 0.5]])).round(3).tolist()
    [0.1, 0.5]
    """
    return 1.0 - np.asarray(probabilities, dtype=np.float64).max(axis=1)


def energy_score(logits: np.ndarray) -> np.ndarray:
    """The energy ``-logsumexp(z)`` per row of logits, shape (n, n_labels) -> (n,).

    >>> energy_score(np.array([[0.0, 0.0], [10.0, 0.0]])).round(3).tolist()
    [-0.693, -10.0]
    """
    z = np.asarray(logits, dtype=np.float64)
    top = z.max(axis=1)
    return -(top + np.log(np.exp(z - top[:, None]).sum(axis=1)))


def choose_threshold(known_scores: np.ndarray, target_tpr: float = DEFAULT_TARGET_TPR) -> float:
    """The lowest threshold that accepts (score <= threshold) at least ``target_tpr`` of
    the known songs' scores.

    >>> choose_threshold(np.arange(1, 21) / 20, 0.95)      # 19 of 20 accepted
    0.95
    """
    check_target("target_tpr", target_tpr)
    scores = np.sort(np.asarray(known_scores, dtype=np.float64))
    if scores.size == 0:
        raise ConfigError("known_scores", "is empty: no known song to choose a threshold on")
    return float(scores[math.ceil(target_tpr * scores.size) - 1])


class Scorable(Protocol):
    """What the scores read of a model (:class:`~genriflow.models.base.GenreClassifier`)."""

    def predict_proba(self, X: np.ndarray) -> np.ndarray: ...

    def logits(self, X: np.ndarray) -> np.ndarray: ...

    def embed(self, X: np.ndarray) -> np.ndarray: ...

    def music_embedding(self, X: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class RejectRule:
    """Which unknown-genre score, and above which value a song is ``unknown``.

    Attributes
    ----------
    score : str
        One of :data:`SCORES`.
    threshold : float
        A song whose score is above it is rejected.
    target_tpr : float
        The share of known songs of ``chosen_on`` the threshold accepts (0.95).
    chosen_on : str
        The data part the threshold was chosen on (``"valid"``).

    >>> rule = RejectRule("max-prob", 0.6, 0.95, "valid")
    >>> rule.rejects(np.array([0.2, 0.7])).tolist()
    [False, True]
    >>> RejectRule.from_dict(rule.to_dict()) == rule
    True
    """

    score: str
    threshold: float
    target_tpr: float = DEFAULT_TARGET_TPR
    chosen_on: str = "valid"

    def __post_init__(self) -> None:
        one_of("score", self.score, SCORES)
        if not (isinstance(self.threshold, int | float) and math.isfinite(self.threshold)):
            raise ConfigError("threshold", f"must be a finite number; got {self.threshold!r}")
        check_target("target_tpr", self.target_tpr)
        if not isinstance(self.chosen_on, str) or not self.chosen_on:
            raise ConfigError("chosen_on", f"must name a data part; got {self.chosen_on!r}")

    def rejects(self, scores: np.ndarray | float) -> np.ndarray:
        """Whether each score is above the threshold (unknown)."""
        return np.asarray(scores, dtype=np.float64) > self.threshold

    def to_dict(self) -> dict:
        return {"score": self.score, "threshold": float(self.threshold),
                "chosen_on": self.chosen_on, "target_tpr": float(self.target_tpr)}

    @classmethod
    def from_dict(cls, data: dict) -> RejectRule:
        """The rule of :meth:`to_dict`; a missing or unexpected key is a ConfigError."""
        fields = ("score", "threshold", "target_tpr", "chosen_on")
        missing = [f for f in fields if f not in data]
        if missing:
            raise ConfigError("open_set", f"lacks {', '.join(missing)}")
        extra = sorted(set(data) - set(fields))
        if extra:
            raise ConfigError("open_set", f"has unknown key(s) {', '.join(extra)}")
        return cls(data["score"], data["threshold"], data["target_tpr"], data["chosen_on"])


@dataclass(frozen=True, eq=False)
class ClassMeans:
    """Class means and one shared precision matrix: the ``distance`` score's state.

    Attributes
    ----------
    labels : tuple of str
    means : np.ndarray, shape (n_labels, n_dims)
    precision : np.ndarray, shape (n_dims, n_dims)
        Inverse of the pooled within-class covariance (Ledoit-Wolf shrinkage).
    background_mean : np.ndarray, shape (n_dims,)
    background_precision : np.ndarray, shape (n_dims, n_dims)
        The same of all training rows as one Gaussian (for ``relative-distance``).

    >>> Z = np.array([[0.0, 0.0], [0.2, 0.1], [4.0, 4.0], [4.2, 3.9]])
    >>> stats = ClassMeans.fit(Z, np.array(["a", "a", "b", "b"]))
    >>> bool(stats.score(np.array([[20.0, -20.0]]))[0] > stats.score(Z).max())
    True
    """

    labels: tuple[str, ...]
    means: np.ndarray
    precision: np.ndarray
    background_mean: np.ndarray
    background_precision: np.ndarray

    @classmethod
    def fit(cls, Z: np.ndarray, y: np.ndarray) -> ClassMeans:
        """Means per label of ``Z`` (n, n_dims) and the precision of the centred rows."""
        from sklearn.covariance import LedoitWolf

        Z, y = np.asarray(Z, dtype=np.float64), np.asarray(y)
        labels = tuple(sorted({str(v) for v in y}))
        means = np.stack([Z[y == label].mean(axis=0) for label in labels])
        centred = Z - means[np.searchsorted(labels, y)]
        precision = LedoitWolf(assume_centered=True).fit(centred).precision_
        background = LedoitWolf().fit(Z)
        return cls(labels, means, precision, background.location_, background.precision_)

    def _squared(self, Z: np.ndarray) -> np.ndarray:
        Z = np.asarray(Z, dtype=np.float64)
        if Z.ndim != 2 or Z.shape[1] != self.means.shape[1]:
            raise ConfigError("features", f"have shape {Z.shape}; the distance score needs "
                              f"rows of {self.means.shape[1]} values")
        diff = Z[:, None, :] - self.means[None, :, :]
        return np.maximum(np.einsum("nkd,de,nke->nk", diff, self.precision, diff).min(axis=1),
                          0.0)

    def background(self, Z: np.ndarray) -> np.ndarray:
        """The Mahalanobis distance of each row of ``Z`` to the one Gaussian of all
        training rows, (n,)."""
        d = np.asarray(Z, dtype=np.float64) - self.background_mean
        return np.sqrt(np.maximum(np.einsum("nd,de,ne->n", d, self.background_precision, d),
                                  0.0))

    def score(self, Z: np.ndarray) -> np.ndarray:
        """The Mahalanobis distance of each row of ``Z`` to its nearest class mean, (n,)."""
        return np.sqrt(self._squared(Z))

    def relative(self, Z: np.ndarray) -> np.ndarray:
        """The squared distance to the nearest class mean less that to the background, (n,)."""
        d = np.asarray(Z, dtype=np.float64) - self.background_mean
        return self._squared(Z) - np.einsum("nd,de,ne->n", d, self.background_precision, d)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the means and precision as safetensors (labels in its metadata)."""
        import json

        from safetensors.numpy import save_file

        arrays = {name: np.ascontiguousarray(getattr(self, name)) for name in (
            "means", "precision", "background_mean", "background_precision")}
        save_file(arrays, str(path),
                  metadata={"labels": json.dumps(list(self.labels))})
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> ClassMeans:
        import json

        from safetensors import safe_open

        with safe_open(str(path), framework="numpy") as f:
            labels = tuple(json.loads(f.metadata()["labels"]))
            return cls(labels, *(f.get_tensor(name) for name in (
                "means", "precision", "background_mean", "background_precision")))


@dataclass(frozen=True, eq=False)
class OpenSet:
    """A model's reject option: the rule and, for ``distance``, the class statistics.

    Attached to a model as ``model.open_set``; saved in its folder as ``config.json``'s
    ``open_set`` (the rule) and :data:`STATS_FILE`.
    """

    rule: RejectRule
    distance: ClassMeans | None = None

    def __post_init__(self) -> None:
        if self.rule.score in DISTANCE_SCORES and self.distance is None:
            raise ConfigError("open_set", "uses the distance score but has no class means")

    def scores(self, model: Scorable, X: np.ndarray) -> np.ndarray:
        """The rule's unknown-genre score of each row of ``X`` by ``model``."""
        return unknown_scores(model, X, self.rule.score, distance=self.distance)

    def save(self, folder: str | os.PathLike) -> None:
        """The class statistics (if any) into ``folder``; the rule goes in ``config.json``."""
        if self.distance is not None:
            self.distance.save(Path(folder) / STATS_FILE)

    @classmethod
    def load(cls, folder: str | os.PathLike, rule: dict | None) -> OpenSet | None:
        """The reject option of a model folder (``rule`` from its ``config.json``)."""
        if rule is None:
            return None
        stats = Path(folder) / STATS_FILE
        return cls(RejectRule.from_dict(rule), ClassMeans.load(stats) if stats.is_file()
                   else None)


def unknown_scores(model: Scorable, X: np.ndarray, score: str, *,
                   distance: ClassMeans | None = None) -> np.ndarray:
    """One unknown-genre score of each row of ``X`` (higher = more likely unknown).

    Parameters
    ----------
    model : Scorable
        A :class:`~genriflow.models.base.GenreClassifier`; ``energy`` needs its
        ``logits``, the distances its ``embed``.
    X : np.ndarray, shape (n, *set_shape)
    score : str
        One of :data:`SCORES`.
    distance : ClassMeans or None
        Needed for ``distance`` and ``relative-distance``.

    Raises
    ------
    ConfigError
        An unknown score, or one the model cannot give.
    """
    one_of("score", score, SCORES)
    if score == "max-prob":
        return max_prob_score(model.predict_proba(X))
    if score == "energy":
        return energy_score(model.logits(X))
    if score == "music-distance":
        if distance is None:
            raise ConfigError("score", f"{score} needs the training songs' statistics")
        return distance.background(model.music_embedding(X))
    Z = model.embed(X)                         # a model without one says why
    if distance is None:
        raise ConfigError("score", f"{score} needs the training classes' means")
    return distance.score(Z) if score == "distance" else distance.relative(Z)
