"""The one interface of a genre classifier, whatever computes its probabilities."""

from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from genriflow.errors import ConfigError, one_of
from genriflow.features.sets import FeatureConfig
from genriflow.models.answers import (  # noqa: F401 (the rules of an answer, kept light)
    AGGREGATIONS,
    DEFAULT_MIN_CONFIDENCE,
    ModelError,
    is_unsure,
    min_confidence_of,
)
from genriflow.models.reject import OpenSet

if TYPE_CHECKING:
    from genriflow.features.extract import FileFeatures


def aggregate(window_probabilities: np.ndarray, how: str = "mean") -> np.ndarray:
    """Combine per-window probabilities, shape (n_windows, n_labels) -> (n_labels,).

    ``mean`` averages the probabilities; ``vote`` gives each window one vote for its top
    genre and returns the vote shares.

    >>> aggregate(np.array([[0.6, 0.4], [0.2, 0.8], [0.9, 0.1]]), "vote").tolist()
    [0.6666666666666666, 0.3333333333333333]
    """
    one_of("aggregation", how, AGGREGATIONS)
    if how == "mean":
        return window_probabilities.mean(axis=0)
    winners = window_probabilities.argmax(axis=1)
    return np.bincount(winners, minlength=window_probabilities.shape[1]) / len(winners)


@dataclass
class SongProbabilities:
    """A model's answer for one song (:meth:`GenreClassifier.song_probabilities`).

    Attributes
    ----------
    probabilities : np.ndarray, shape (n_labels,)
        The song's, in the model's :attr:`~GenreClassifier.labels` order.
    offsets : np.ndarray, shape (n_windows,)
        Start of each analysed window, in seconds.
    window_probabilities : np.ndarray, shape (n_windows, n_labels)
        Each window's probabilities (the timeline), in label order.
    unknown : bool or None
        Whether the model's reject rule calls the song none of its genres; ``None``: it
        has no reject rule.
    unknown_score : float or None
        The rule's unknown-genre score.
    """

    probabilities: np.ndarray
    offsets: np.ndarray
    window_probabilities: np.ndarray
    unknown: bool | None = None
    unknown_score: float | None = None


def library_versions() -> dict[str, str]:
    """Versions of the libraries that shape a model's numbers."""
    names = ("genriflow", "scikit-learn", "torch", "numpy", "librosa", "soundfile", "soxr")
    return {name: version(name) for name in names}


@dataclass(frozen=True)
class WindowGenres:
    """A model's genres of each window, read from the windows' stored analysis rows.

    What adaptive sampling asks after each stage
    (:class:`~genriflow.features.sampling.GenreMargin`), in whichever process computes
    the song: so it holds only what pickles small and computes with NumPy (a head's arrays,
    a tag map), never a network nor the reject rule's training rows.

    Attributes
    ----------
    config : FeatureConfig
        The set the model reads; its view of the stored rows is the model's input.
    model : object
        Has ``predict_proba(X) -> (n, n_genres)``.
    """

    config: FeatureConfig
    model: Any

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(self.config.view(np.asarray(rows)))


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
    #: ``config.json``'s ``kind`` and the weights file of a model that has a folder;
    #: ``None`` for a built-in model, which is loaded by name instead.
    kind: ClassVar[str | None] = None
    weights_file: ClassVar[str | None] = None
    #: The reject option ("none of these"), set by training; ``None``: never ``unknown``.
    open_set: OpenSet | None = None

    @property
    def feature_configs(self) -> list[FeatureConfig]:
        """Every feature set the model reads: its one :attr:`feature_config` (a fused model,
        :class:`~genriflow.models.fusion.FusedGenreModel`, reads several)."""
        return [self.feature_config]

    @property
    def multi_label(self) -> bool:
        """Whether each genre has its own probability (several genres per song): the
        columns of :meth:`predict_proba` then do not sum to one, and a song's genres are
        those at or above :attr:`thresholds`."""
        return bool(self.config.get("multi_label"))

    @property
    def thresholds(self) -> np.ndarray | None:
        """Per genre, the probability at or above which a multi-label model names it
        (tuned on the validation part, or the 2024 report's 0.2); ``None`` otherwise."""
        if not self.multi_label:
            return None
        return np.asarray(self.config["multi_label"]["thresholds"], dtype=float)

    @property
    def split_model(self) -> GenreClassifier:
        """The model whose split and training data this model's figures refer to: itself
        (a fused model: its first part)."""
        return self

    def __repr__(self) -> str:
        """The model's name, genres, input and reject rule: a dataclass's own repr printed
        every fitted array (18,000 characters for the built-in ``gtzan``).

        >>> from genriflow.models.zero_shot import ZeroShotGenreModel
        >>> ZeroShotGenreModel()
        ZeroShotGenreModel(model='zero-shot', labels=['blues', 'classical', 'country', \
... 7 more], features='musicnn-tags', multi_label=False, open_set=None)
        """
        labels = [repr(str(label)) for label in self.labels[:3]]
        if len(self.labels) > 3:
            labels.append(f"... {len(self.labels) - 3} more")
        name = str(self.config.get("model") or type(self).__name__)
        sets = ", ".join(config.set for config in self.feature_configs)
        rule = None if self.open_set is None else self.open_set.rule.score
        return (f"{type(self).__name__}(model={name!r}, labels=[{', '.join(labels)}], "
                f"features={sets!r}, multi_label={self.multi_label}, open_set={rule!r})")

    def song_probabilities(self, features_by_set: Mapping[str, FileFeatures], *,
                           aggregation: str = "mean") -> SongProbabilities:
        """One song's probabilities from its features of every set in
        :attr:`feature_configs` (set name -> the song's windows).

        The one way from a song's features to its answer, for every kind of model: each
        window is classified (:meth:`predict_proba`) and the windows aggregated
        (:func:`aggregate`); the reject rule, if any, says whether the song is
        ``unknown``. A model that reads several sets (a fusion) overrides it.

        Examples
        --------
        >>> from genriflow.features.extract import FileFeatures
        >>> from genriflow.models.zero_shot import ZeroShotGenreModel
        >>> model = ZeroShotGenreModel()
        >>> rows = np.random.default_rng(0).random((2, 100))
        >>> song = {"musicnn-tags": FileFeatures("a.wav", rows, np.array([0.0, 3.0]))}
        >>> answer = model.song_probabilities(song)
        >>> answer.window_probabilities.shape, round(float(answer.probabilities.sum()), 6)
        ((2, 10), 1.0)
        """
        item = features_by_set[self.feature_config.set]
        window_probabilities = self.predict_proba(item.values)
        unknown = score = None
        if self.open_set is not None:
            score = song_unknown_score(self, item.values)
            unknown = bool(self.open_set.rule.rejects(score))
            if hasattr(self, "no_genre_fits"):  # a vocabulary: unknown only if no genre fits
                unknown = self.no_genre_fits(item.values, unknown)
        return SongProbabilities(aggregate(window_probabilities, aggregation), item.offsets,
                                 window_probabilities, unknown, score)

    def window_genres(self) -> WindowGenres | None:
        """The model's genres of each window for adaptive sampling's stopping rule, or
        ``None`` where they cannot be computed cheaply beside the analysis (a network, a
        fusion): then the analysis settles on its own values."""
        return None

    @abstractmethod
    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_labels), columns in :attr:`labels` order."""

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Most probable label per sample, shape (n_samples,)."""
        return np.asarray(self.labels)[self.predict_proba(X).argmax(axis=1)]

    def logits(self, X: np.ndarray) -> np.ndarray:
        """Class logits, shape (n_samples, n_labels), for the ``energy`` score.

        Raises
        ------
        ConfigError
            For a model that gives probabilities only.
        """
        raise ConfigError("score", f"energy needs logits; the "
                          f"{self.config.get('model', type(self).__name__)} model gives "
                          "probabilities only (use max-prob or distance)")

    def embed(self, X: np.ndarray) -> np.ndarray:
        """Each sample's representation before the classifier, shape (n_samples, n_dims),
        for the ``distance`` score.

        Raises
        ------
        ConfigError
            For a model without one.
        """
        raise ConfigError("score", f"distance needs a representation before the "
                          f"classifier; the {self.config.get('model', type(self).__name__)} "
                          "model has none here (use max-prob)")

    def music_embedding(self, X: np.ndarray) -> np.ndarray:
        """MTT musicnn's ``penultimate`` layer of ``musicnn`` analysis rows (n, 200), for
        the ``music-distance`` score.

        Raises
        ------
        ConfigError
            For a model that does not read the ``musicnn`` analysis.
        """
        if self.feature_config.set != "musicnn":
            raise ConfigError("score", f"music-distance needs the musicnn analysis; the "
                              f"{self.config.get('model', type(self).__name__)} model reads "
                              f"{self.feature_config.set}")
        from genriflow.features.embeddings import EmbeddingParams, select_layer

        return select_layer(np.asarray(X, dtype=np.float64),
                            EmbeddingParams(model="mtt-musicnn", layer="penultimate"))

    def save(self, folder: str | os.PathLike, metrics: dict | None = None) -> Path:
        """Write the model folder (created if needed) and return its path.

        ``config.json`` (kind, features, everything in :attr:`config`, library versions),
        ``labels.json``, ``metrics.json`` when given, and the weights in a format that
        loads without executing code (:meth:`write_weights`). Read back by
        :func:`genriflow.models.folder.load_model`.

        Raises
        ------
        ModelError
            For a built-in model, which has no folder.
        """
        if self.kind is None:
            raise ModelError(f"{self.config.get('model', type(self).__name__)}: a built-in "
                             "model has no folder; load it by name")
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        config = {**self.config, "kind": self.kind,
                  "features": self.feature_config.to_dict(), "versions": library_versions()}
        if self.open_set is not None:
            config["open_set"] = self.open_set.rule.to_dict()
            self.open_set.save(folder)
        _write_json(folder / "config.json", config)
        _write_json(folder / "labels.json", list(self.labels))
        if metrics is not None:
            _write_json(folder / "metrics.json", metrics)
        self.write_weights(folder / str(self.weights_file))
        return folder

    def write_weights(self, path: Path) -> None:
        """Write the learned state to ``path`` (models with a folder override this)."""
        raise ModelError(f"{type(self).__name__} has no weights to write")


def feature_rows(model: GenreClassifier, X: Any, width: int | None = None, *,
                 at_least: int = 0) -> np.ndarray:
    """``X`` as the float64 rows ``model.predict_proba`` reads: (n_samples, ``width``),
    ``None``: any width of at least ``at_least`` (the last column a head reads).

    Else a :class:`ConfigError` naming ``X``, its shape and the width the model reads: a
    1-D row or a table of another feature set raised an IndexError from deep inside.

    >>> from genriflow.models.zero_shot import ZeroShotGenreModel
    >>> feature_rows(ZeroShotGenreModel(), np.zeros(100), 100)
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `X` must be 2-D, (n_samples, n_features); got shape (100,)
    """
    try:
        rows = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError("X", f"must be an array of numbers; got {type(X).__name__}") from None
    if rows.ndim != 2:
        raise ConfigError("X", f"must be 2-D, (n_samples, n_features); got shape {rows.shape}")
    if (width is not None and rows.shape[1] != width) or rows.shape[1] < at_least:
        name = model.config.get("model", type(model).__name__)
        reads = width if width is not None else f"at least {at_least}"
        raise ConfigError("X", f"has {rows.shape[1]} features per row; the {name} model "
                          f"reads {reads} ({model.feature_config.set})")
    return rows


def song_unknown_score(model: GenreClassifier, values: np.ndarray) -> float:
    """The unknown-genre score of one song's windows (n_windows, *set_shape) by ``model``'s
    reject rule: the mean of the windows' scores, or for a song-level score
    (:data:`~genriflow.models.reject.SONG_SCORES`) the score of the windows' mean."""
    from genriflow.models.reject import SONG_SCORES

    values = np.asarray(values)
    if model.open_set.rule.score in SONG_SCORES:
        return float(model.open_set.scores(model, values.mean(axis=0, keepdims=True))[0])
    return float(np.mean(model.open_set.scores(model, values)))


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
