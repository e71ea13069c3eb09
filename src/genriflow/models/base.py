"""The one interface of a genre classifier, whatever computes its probabilities."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np

from genriflow.features.sets import FeatureConfig


class GenreClassifier(ABC):
    """A fitted genre classifier with what it needs to classify new audio.

    Implemented by :class:`~genriflow.models.classical.ClassicalGenreModel`,
    :class:`~genriflow.models.deep.DeepGenreModel` and
    :class:`~genriflow.models.zero_shot.ZeroShotGenreModel`; prediction, evaluation and the
    model folder use nothing else.

    Attributes
    ----------
    labels : list of str
        Class names, in the order of the probability columns.
    feature_config : FeatureConfig
        The features the model reads; prediction computes the same.
    config : dict
        Everything else saved in ``config.json`` (model name, split, data, versions).
    """

    labels: list[str]
    feature_config: FeatureConfig
    config: dict

    @abstractmethod
    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_labels), columns in :attr:`labels` order."""

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Most probable label per sample, shape (n_samples,)."""
        return np.asarray(self.labels)[self.predict_proba(X).argmax(axis=1)]

    def save(self, folder: str | os.PathLike, metrics: dict | None = None) -> Path:
        """Write the model folder (see :func:`genriflow.models.folder.save_model`)."""
        from genriflow.models.folder import save_model

        return save_model(self, folder, metrics)
