"""Several genre models as one: each reads its own features, their song-level answers are
averaged.

The built-in ``gtzan`` model is one: the classical model on the GTZAN table (the song's
central 30 s clip) and the zero-shot model on the taggers' tags (excerpts spread over the
song) see different things, and the mean of their probabilities is right more often than
either (see :func:`~genriflow.models.registry.describe_models`). The rule is fixed, a mean
with equal weights. A mean of two models that disagree is timid (its top genre is right
far more often than its probability says), so the fused probabilities may be sharpened by
one temperature ``T``: ``softmax(log(mean) / T)``, which keeps every song's top genre
(the built-in ``gtzan`` ships the ``T`` that ``tools/build_default_model.py`` fitted).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from genriflow.features.sets import FeatureConfig
from genriflow.models.base import GenreClassifier, ModelError, SongProbabilities

if TYPE_CHECKING:
    from genriflow.features.extract import FileFeatures


@dataclass(repr=False)  # GenreClassifier's: short, without the arrays
class FusedGenreModel(GenreClassifier):
    """The mean of several models' song-level probabilities, over the same labels.

    Parameters
    ----------
    parts : sequence of GenreClassifier
        The models, each with its own features (their label sets must be equal; the
        columns follow the first part's order).
    config : dict
        Saved as the model's identity (``model`` is its name).
    temperature : float
        Of the fused probabilities (1: the plain mean; below 1 sharpens them).

    Raises
    ------
    ModelError
        For fewer than two parts, parts with different labels, or a temperature that is
        not a positive number.
    """

    parts: Sequence[GenreClassifier]
    config: dict = field(default_factory=lambda: {"kind": "fused", "model": "fused"})
    temperature: float = 1.0

    def __post_init__(self) -> None:
        if len(self.parts) < 2:
            raise ModelError("a fused model needs at least two models")
        if not (isinstance(self.temperature, int | float) and 0 < self.temperature < np.inf):
            raise ModelError(f"a fused model's temperature must be a positive number; got "
                             f"{self.temperature!r}")
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

    @property
    def split_model(self) -> GenreClassifier:
        """The first part's split (the one the fused model is scored on)."""
        return self.parts[0].split_model

    def song_probabilities(self, features_by_set: Mapping[str, FileFeatures], *,
                           aggregation: str = "mean") -> SongProbabilities:
        """Each part's song-level probabilities from its own features, fused (:meth:`fuse`).

        The timeline is that of the part with the most windows (columns in
        :attr:`labels` order). The song is ``unknown`` when a part with a reject rule calls
        it so (the score is that of the first such part); ``None`` when no part has one.
        """
        singles = [part.song_probabilities(features_by_set, aggregation=aggregation)
                   for part in self.parts]
        longest = max(range(len(singles)), key=lambda i: len(singles[i].offsets))
        timeline = singles[longest]
        order = [list(self.parts[longest].labels).index(label) for label in self.labels]
        judged = [single for single in singles if single.unknown is not None]
        return SongProbabilities(
            self.fuse([single.probabilities for single in singles]), timeline.offsets,
            timeline.window_probabilities[:, order],
            unknown=any(s.unknown for s in judged) if judged else None,
            unknown_score=judged[0].unknown_score if judged else None)

    def fuse(self, song_probabilities: Sequence[np.ndarray]) -> np.ndarray:
        """One song's probabilities from each part's (in :attr:`parts` order, each in its
        part's label order), as the mean in :attr:`labels` order (sharpened by
        :attr:`temperature`).

        >>> from genriflow.models.zero_shot import ZeroShotGenreModel
        >>> a, b = ZeroShotGenreModel(), ZeroShotGenreModel()
        >>> fused = FusedGenreModel([a, b])
        >>> p = np.eye(10)[0]
        >>> fused.fuse([p, np.eye(10)[1]])[:3].tolist()
        [0.5, 0.5, 0.0]
        >>> sharp = FusedGenreModel([a, b], temperature=0.5)
        >>> sharp.fuse([np.r_[0.6, 0.4, np.zeros(8)], np.r_[0.6, 0.4, np.zeros(8)]])[:2].round(3)
        array([0.692, 0.308])
        """
        columns = []
        for part, probabilities in zip(self.parts, song_probabilities, strict=True):
            order = [list(part.labels).index(label) for label in self.labels]
            columns.append(np.asarray(probabilities)[order])
        return sharpen(np.mean(columns, axis=0), self.temperature)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Not defined for one feature matrix: each part reads its own features; see
        :meth:`song_probabilities`."""
        raise ModelError("a fused model classifies whole songs (each of its models reads "
                         "its own features): use genriflow.classify")


def sharpen(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """``softmax(log(p) / T)`` along the last axis (``p`` itself for ``T == 1``).

    >>> sharpen(np.array([[0.6, 0.4], [0.5, 0.5]]), 0.5).round(3).tolist()
    [[0.692, 0.308], [0.5, 0.5]]
    """
    p = np.asarray(probabilities, dtype=np.float64)
    if temperature == 1.0:
        return p
    from scipy.special import softmax

    return softmax(np.log(np.clip(p, 1e-12, None)) / temperature, axis=-1)
