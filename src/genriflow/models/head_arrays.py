"""The tag-prior head (:mod:`genriflow.models.heads`) as plain arrays, applied with NumPy.

A fitted head is a few arrays (the features' mean and scale, the weights, the
intercepts) and a few settings (the analysis parts it reads, the genres' tag groups,
the prior's weight and floor). :class:`HeadArrays` keeps exactly those, computes the
probabilities with NumPy alone, and is saved beside the head's ``model.skops`` as
``head.safetensors``: the arrays as tensors, the settings as JSON in its metadata.
Loading a model folder that has one reads no scikit-learn and no skops (whose
trusted-type scan alone imports scikit-learn, SciPy and torch: seconds at every start),
and like ``openset.safetensors`` it holds nothing that could execute.

The scikit-learn classes (:class:`~genriflow.models.heads.AnalysisInputs`,
:class:`~genriflow.models.heads.TagPriorHead`) compute through the same functions
(:func:`analysis_inputs`, :func:`prior_logits`), so both give the same numbers;
(:func:`~genriflow.models.heads.head_arrays`) and back
(:func:`~genriflow.models.heads.head_pipeline`) where a pipeline is needed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: The head's file in a model folder, beside ``model.skops``.
HEAD_FILE = "head.safetensors"
#: What the file's metadata calls its format; a file of another format or version is
#: refused rather than misread.
FORMAT = "genriflow-tag-prior-head"
VERSION = 1
_ARRAYS = ("mean", "scale", "coef", "intercept")


def group_scores(X: np.ndarray, groups: Sequence[Sequence[int]]) -> np.ndarray:
    """The largest value of each group's columns, shape (n, n_groups); 0 for an empty group.

    >>> group_scores(np.array([[0.1, 0.7, 0.2]]), [(0, 1), (), (2,)]).tolist()
    [[0.7, 0.0, 0.2]]
    """
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    return np.stack(
        [X[:, list(g)].max(axis=1) if len(g) else np.zeros(len(X)) for g in groups], axis=1
    )


def analysis_inputs(
    X: np.ndarray, parts: Sequence[tuple[int, int]], tag_groups: Sequence[Sequence[int]]
) -> np.ndarray:
    """The head's input: the column ranges ``parts`` of the analysis rows ``X``, then the
    tag groups' scores (:func:`group_scores`).

    >>> analysis_inputs(np.array([[0.1, 0.7, 0.2, 5.0]]), [(3, 4)], [(0, 1), (2,), ()])
    array([[5. , 0.7, 0.2, 0. ]])
    """
    X = np.asarray(X, dtype=np.float64)
    columns = [X[:, start:stop] for start, stop in parts]
    columns.append(group_scores(X, tag_groups))
    return np.concatenate(columns, axis=1)


def prior_logits(
    X: np.ndarray, n_prior: int, prior_weight: float, floor: float
) -> tuple[np.ndarray, np.ndarray]:
    """Split the head's input into its features and the logits' offset from the prior:
    ``prior_weight * log(share + floor)``, ``share`` being the last ``n_prior`` columns
    normalised to sum to one.

    >>> features, offset = prior_logits(np.array([[7.0, 1.0, 3.0]]), 2, 1.0, 0.0)
    >>> features.tolist(), np.exp(offset).round(6).tolist()
    ([[7.0]], [[0.25, 0.75]])
    """
    X = np.asarray(X, dtype=np.float64)
    features, prior = X[:, :-n_prior], X[:, -n_prior:] + 1e-9
    share = prior / prior.sum(axis=1, keepdims=True)
    return features, prior_weight * np.log(share + floor)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax (as ``scipy.special.softmax(z, axis=1)``).

    >>> softmax(np.array([[0.0, np.log(3.0)]])).tolist()
    [[0.25, 0.75]]
    """
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


class HeadFileError(ValueError):
    """A ``head.safetensors`` that is not a genriflow head of a version this one reads."""


@dataclass(frozen=True, eq=False)
class HeadArrays:
    """A fitted tag-prior head, as :class:`~genriflow.models.classical.ClassicalGenreModel`
    uses its estimator: ``classes_``, ``predict_proba``, ``predict``, and ``embed`` (the
    head's input, what the pipeline's steps before its classifier give).

    Attributes
    ----------
    parts, tag_groups
        :class:`~genriflow.models.heads.AnalysisInputs`' settings.
    classes : tuple of str
    prior_weight, floor : float
    mean, scale : np.ndarray, shape (n_features,)
        The features' standardisation.
    coef : np.ndarray, shape (n_features, n_classes)
    intercept : np.ndarray, shape (n_classes,)
    settings : dict
        The rest of the fitted estimators' state, kept for
        :func:`~genriflow.models.heads.head_pipeline`
        (``C``, ``intercept_C``, ``max_iter``, ``n_iter``, ``n_features_in``).

    Examples
    --------
    >>> head = HeadArrays(parts=((2, 3),), tag_groups=((0,), (1,)), classes=("a", "b"),
    ...                   prior_weight=1.0, floor=0.05, mean=np.zeros(1), scale=np.ones(1),
    ...                   coef=np.array([[1.0, -1.0]]), intercept=np.zeros(2))
    >>> head.predict_proba(np.array([[0.5, 0.5, 2.0]])).round(3).tolist()
    [[0.982, 0.018]]
    >>> head.predict(np.array([[0.1, 0.9, -2.0]])).tolist()
    ['b']
    """

    parts: tuple[tuple[int, int], ...]
    tag_groups: tuple[tuple[int, ...], ...]
    classes: tuple[str, ...]
    prior_weight: float
    floor: float
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    settings: dict | None = None

    @property
    def classes_(self) -> np.ndarray:
        return np.asarray(self.classes, dtype=str)

    @property
    def reach(self) -> int:
        """How many columns an analysis row needs: one past the last the head reads."""
        tags = [index + 1 for group in self.tag_groups for index in group]
        return max([stop for _, stop in self.parts] + tags, default=0)

    def embed(self, X: np.ndarray) -> np.ndarray:
        """The head's input for analysis rows ``X``: (n, n_features + n_classes)."""
        return analysis_inputs(X, self.parts, self.tag_groups)

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """The logits of analysis rows ``X``, (n, n_classes)."""
        features, offset = prior_logits(
            self.embed(X), len(self.classes), self.prior_weight, self.floor
        )
        return ((features - self.mean) / self.scale) @ self.coef + self.intercept + offset

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities of analysis rows ``X``, (n, n_classes)."""
        return softmax(self.decision_function(X))

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[self.decision_function(X).argmax(axis=1)]

    def save(self, path: str | os.PathLike) -> None:
        """Write ``path`` (safetensors: the arrays, and the settings as JSON metadata)."""
        from safetensors.numpy import save_file

        settings = {
            "parts": self.parts,
            "tag_groups": self.tag_groups,
            "classes": self.classes,
            "prior_weight": self.prior_weight,
            "floor": self.floor,
            "settings": self.settings or {},
        }
        save_file(
            {name: np.ascontiguousarray(getattr(self, name), dtype=np.float64) for name in _ARRAYS},
            str(path),
            metadata={"format": FORMAT, "version": str(VERSION), "head": json.dumps(settings)},
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> HeadArrays:
        """Read a file written by :meth:`save`.

        Raises
        ------
        HeadFileError
            For a file that does not read as one, of another format or version, or whose
            arrays do not fit together.
        """
        from safetensors import SafetensorError, safe_open

        name = Path(path).name
        try:
            with safe_open(str(path), framework="np") as f:
                metadata = f.metadata() or {}
                arrays = {key: f.get_tensor(key) for key in _ARRAYS}
        except (OSError, KeyError, SafetensorError) as exc:
            raise HeadFileError(f"{name}: unreadable head file ({exc})") from None
        if metadata.get("format") != FORMAT or metadata.get("version") != str(VERSION):
            raise HeadFileError(f"{name}: not a genriflow head file of version {VERSION}")
        try:
            settings = json.loads(metadata["head"])
            head = cls(
                parts=tuple((int(a), int(b)) for a, b in settings["parts"]),
                tag_groups=tuple(tuple(int(i) for i in g) for g in settings["tag_groups"]),
                classes=tuple(str(c) for c in settings["classes"]),
                prior_weight=float(settings["prior_weight"]),
                floor=float(settings["floor"]),
                settings=settings.get("settings"),
                **arrays,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise HeadFileError(f"{name}: unreadable settings ({exc!r})") from None
        n_features, n_classes = len(head.mean), len(head.classes)
        if (
            head.scale.shape != (n_features,)
            or head.coef.shape != (n_features, n_classes)
            or head.intercept.shape != (n_classes,)
            or len(head.tag_groups) != n_classes
            or sum(stop - start for start, stop in head.parts) != n_features
        ):
            raise HeadFileError(f"{name}: its arrays do not fit together")
        return head
