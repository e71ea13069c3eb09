"""Several genre models as one: each reads its own features, their song-level answers are
averaged.

The built-in ``gtzan`` model is one: the classical model on the GTZAN table (the song's
central 30 s clip) and the zero-shot model on the taggers' tags (excerpts spread over the
song) see different things, and the mean of their probabilities is right more often than
either (see :func:`~genriflow.models.registry.describe_models`). The rule is fixed, a mean
with equal weights: nothing is fitted on the clips it is scored on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from genriflow.features.sets import FeatureConfig
from genriflow.models.base import GenreClassifier, ModelError


@dataclass
class FusedGenreModel(GenreClassifier):
    """The mean of several models' song-level probabilities, over the same labels.

    Parameters
    ----------
    parts : sequence of GenreClassifier
        The models, each with its own features (their label sets must be equal; the
        columns follow the first part's order).
    config : dict
        Saved as the model's identity (``model`` is its name).

    Raises
    ------
    ModelError
        For fewer than two parts, or parts with different labels.
    """

    parts: Sequence[GenreClassifier]
    config: dict = field(default_factory=lambda: {"kind": "fused", "model": "fused"})

    def __post_init__(self) -> None:
        if len(self.parts) < 2:
            raise ModelError("a fused model needs at least two models")
        labels = set(self.parts[0].labels)
        for part in self.parts[1:]:
            if set(part.labels) != labels:
                raise ModelError(f"cannot fuse {part.config.get('model')!r}: its labels "
                                 f"differ from {self.parts[0].config.get('model')!r}'s")
        self.parts = tuple(self.parts)

    @property
    def labels(self) -> list[str]:
        return list(self.parts[0].labels)

    @property
    def feature_config(self) -> FeatureConfig:  # type: ignore[override]
        """The first part's features (every part's: :attr:`feature_configs`)."""
        return self.parts[0].feature_config

    @property
    def feature_configs(self) -> list[FeatureConfig]:
        return [part.feature_config for part in self.parts]

    def fuse(self, song_probabilities: Sequence[np.ndarray]) -> np.ndarray:
        """One song's probabilities from each part's (in :attr:`parts` order, each in its
        part's label order), as the mean in :attr:`labels` order.

        >>> from genriflow.models.zero_shot import ZeroShotGenreModel
        >>> a, b = ZeroShotGenreModel(), ZeroShotGenreModel()
        >>> fused = FusedGenreModel([a, b])
        >>> p = np.eye(10)[0]
        >>> fused.fuse([p, np.eye(10)[1]])[:3].tolist()
        [0.5, 0.5, 0.0]
        """
        columns = []
        for part, probabilities in zip(self.parts, song_probabilities, strict=True):
            order = [list(part.labels).index(label) for label in self.labels]
            columns.append(np.asarray(probabilities)[order])
        return np.mean(columns, axis=0)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Not defined for one feature matrix: each part reads its own features; see
        :func:`genriflow.inference.predict.predictions_from`."""
        raise ModelError("a fused model classifies whole songs (each of its models reads "
                         "its own features): use genriflow.classify")
