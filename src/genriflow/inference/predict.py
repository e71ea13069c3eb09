"""Genre predictions for songs of any length: window by window, then aggregated."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from genriflow.audio import AudioError
from genriflow.datasets.discover import iter_audio_files
from genriflow.errors import at_least, one_of
from genriflow.features.extract import (
    Extraction,
    FileFeatures,
    extract_sets,
    extract_waveform_sets,
)
from genriflow.features.options import RunOptions
from genriflow.features.sampling import DEFAULT_SAMPLING, Sampling

if TYPE_CHECKING:
    from genriflow.models.base import GenreClassifier

AGGREGATIONS = ("mean", "vote")


@dataclass
class Prediction:
    """One song's genre probabilities, overall and over time.

    Attributes
    ----------
    path : str
        The file, or ``"<array>"`` for a waveform given in memory.
    labels : list of str
    probabilities : np.ndarray, shape (n_labels,)
        Aggregated over windows (mean of probabilities, or vote shares).
    offsets : np.ndarray, shape (n_windows,)
        Start of each analysed window (an excerpt, a clip or the whole file), in seconds.
    window_probabilities : np.ndarray, shape (n_windows, n_labels)
        The timeline: probabilities of each window.
    model : str
        The model's name (``config["model"]``), for provenance.
    n_top : int
        How many genres :meth:`top` and the printed form list by default.
    thresholds : np.ndarray or None, shape (n_labels,)
        A multi-label model's per-genre thresholds (its probabilities are each genre's on
        its own); ``None`` for a single-label model.
    unknown : bool or None
        Whether the model's reject rule calls the song none of its genres (its
        ``open_set``, see :mod:`genriflow.models.reject`); ``None``: the model has none.
    unknown_score : float or None
        The rule's unknown-genre score (higher = more likely unknown): the mean of the
        windows' scores.
    min_confidence : float
        Below it the top genre's probability makes the song :attr:`unsure` (see
        :func:`genriflow.models.base.min_confidence_of`; 0: never unsure).

    Examples
    --------
    >>> p = Prediction("song.mp3", ["jazz", "rock"], np.array([0.25, 0.75]),
    ...                np.array([0.0]), np.array([[0.25, 0.75]]))
    >>> p.genre
    'rock'
    >>> p.top(1)
    [('rock', 0.75)]

    A multi-label model names every genre at or above its threshold:

    >>> m = Prediction("song.mp3", ["blues", "jazz", "rock"], np.array([0.4, 0.1, 0.9]),
    ...                np.array([0.0]), np.array([[0.4, 0.1, 0.9]]),
    ...                thresholds=np.array([0.3, 0.3, 0.5]))
    >>> m.genres
    [('rock', 0.9), ('blues', 0.4)]
    >>> print(m)
    song.mp3: rock 90%, blues 40%

    A model with a reject rule says when a song is none of its genres:

    >>> print(Prediction("noise.wav", ["jazz", "rock"], np.array([0.69, 0.31]), np.array([0.0]),
    ...                  np.array([[0.69, 0.31]]), n_top=2, unknown=True, unknown_score=7.5))
    noise.wav: unknown (best guess: jazz 69%, rock 31%)
    """

    path: str
    labels: list[str]
    probabilities: np.ndarray
    offsets: np.ndarray
    window_probabilities: np.ndarray
    model: str = ""
    n_top: int = 3
    thresholds: np.ndarray | None = None
    unknown: bool | None = None
    unknown_score: float | None = None
    min_confidence: float = 0.0

    @property
    def unsure(self) -> bool:
        """Not :attr:`unknown`, and the top genre's probability below :attr:`min_confidence`
        (:func:`genriflow.models.base.is_unsure`)."""
        from genriflow.models.base import is_unsure

        return is_unsure(float(np.max(self.probabilities)), self.min_confidence, self.unknown)

    @property
    def genres(self) -> list[tuple[str, float]]:
        """The song's genres with their probabilities, best first: for a multi-label model
        every genre at or above its threshold (at least the top one), else the top one."""
        if self.thresholds is None:
            return self.top(1)
        from genriflow.models.multilabel import genres_above

        return genres_above(self.probabilities, self.labels, self.thresholds)

    @property
    def genre(self) -> str:
        """The most probable genre."""
        return self.labels[int(np.argmax(self.probabilities))]

    def top(self, k: int | None = None) -> list[tuple[str, float]]:
        """The ``k`` (default :attr:`n_top`) most probable genres with their probabilities,
        best first."""
        order = np.argsort(self.probabilities)[::-1][: self.n_top if k is None else k]
        return [(self.labels[i], float(self.probabilities[i])) for i in order]

    def __str__(self) -> str:
        listed = self.top() if self.thresholds is None else self.genres
        genres = ", ".join(f"{genre} {p:.0%}" for genre, p in listed)
        return f"{self.path}: {f'unknown (best guess: {genres})' if self.unknown else genres}"


class Predictions(NamedTuple):
    """The predictions of a batch, in input order, and the files that could not be used."""

    predictions: list[Prediction]
    errors: list[AudioError]


def expand_inputs(inputs: Iterable[str | os.PathLike]) -> list[Path]:
    """Files as given, and the audio files found below any folder (recursively)."""
    files: list[Path] = []
    for item in inputs:
        path = Path(item)
        files.extend(iter_audio_files(path) if path.is_dir() else [path])
    return files


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


def check_options(*, aggregation: str, top: int) -> None:
    """The one check of the prediction options (before any file is read)."""
    one_of("aggregation", aggregation, AGGREGATIONS)
    at_least("top", top, 1)


def prediction_of(model: GenreClassifier, item: FileFeatures, aggregation: str = "mean",
               top: int = 3, min_confidence: float | None = None) -> Prediction:
    """The :class:`Prediction` of one song's features (one row per window) by ``model``;
    ``min_confidence`` ``None``: the model's own, else the default
    (:func:`~genriflow.models.base.min_confidence_of`)."""
    from genriflow.models.base import min_confidence_of

    window_probs = model.predict_proba(item.values)
    unknown = score = None
    if model.open_set is not None:  # the reject option: mean of the windows' scores, or
        score = song_unknown_score(model, item.values)  # the score of their mean
        unknown = bool(model.open_set.rule.rejects(score))
        if hasattr(model, "no_genre_fits"):  # a vocabulary: unknown only if no genre fits
            unknown = model.no_genre_fits(item.values, unknown)
    return Prediction(item.path, list(model.labels), aggregate(window_probs, aggregation),
                      item.offsets, window_probs, str(model.config.get("model", "")), top,
                      model.thresholds, unknown, score,
                      min_confidence_of(model.config, min_confidence))


def song_unknown_score(model: GenreClassifier, values: np.ndarray) -> float:
    """The unknown-genre score of one song's windows (n_windows, *set_shape) by ``model``'s
    reject rule: the mean of the windows' scores, or for a song-level score
    (:data:`~genriflow.models.reject.SONG_SCORES`) the score of the windows' mean."""
    from genriflow.models.reject import SONG_SCORES

    values = np.asarray(values)
    if model.open_set.rule.score in SONG_SCORES:
        return float(model.open_set.scores(model, values.mean(axis=0, keepdims=True))[0])
    return float(np.mean(model.open_set.scores(model, values)))


def song_prediction(model: GenreClassifier, features: Mapping[str, FileFeatures],
                    aggregation: str = "mean", top: int = 3,
                    min_confidence: float | None = None) -> Prediction:
    """One song's :class:`Prediction` by any model, from its features of every set in
    ``model.feature_configs`` (set name -> :class:`FileFeatures`).

    A fused model (:class:`~genriflow.models.fusion.FusedGenreModel`) averages its parts'
    song-level probabilities; its timeline is that of the part with the most windows. Its
    reject option is its parts': the song is ``unknown`` when a part with a reject rule
    calls it so (the score is that of the first such part).
    """
    from genriflow.models.base import min_confidence_of
    from genriflow.models.fusion import FusedGenreModel

    if not isinstance(model, FusedGenreModel):
        return prediction_of(model, features[model.feature_config.set], aggregation, top,
                             min_confidence)
    singles = [prediction_of(part, features[part.feature_config.set], aggregation, top)
               for part in model.parts]
    timeline = max(singles, key=lambda p: len(p.offsets))
    order = [timeline.labels.index(label) for label in model.labels]
    judged = [single for single in singles if single.unknown is not None]
    return Prediction(timeline.path, model.labels,
                      model.fuse([single.probabilities for single in singles]),
                      timeline.offsets, timeline.window_probabilities[:, order],
                      str(model.config.get("model", "")), top,
                      unknown=any(s.unknown for s in judged) if judged else None,
                      unknown_score=judged[0].unknown_score if judged else None,
                      min_confidence=min_confidence_of(model.config, min_confidence))


def predictions_from(model: GenreClassifier, extractions: Mapping[str, Extraction],
                     aggregation: str = "mean", top: int = 3,
                     min_confidence: float | None = None) -> Predictions:
    """:func:`song_prediction` of every file extracted for all of ``model.feature_configs``
    (set name -> :class:`Extraction`); a file that failed for any set is an error once."""
    sets = [config.set for config in model.feature_configs]
    by_set = [{item.path: item for item in extractions[name].files} for name in sets]
    errors = {str(e.path): e for name in sets for e in extractions[name].errors}
    predictions = [song_prediction(model, {name: found[item.path]
                                           for name, found in zip(sets, by_set, strict=True)},
                                   aggregation, top, min_confidence)
                   for item in extractions[sets[0]].files
                   if all(item.path in found for found in by_set)]
    return Predictions(predictions, list(errors.values()))


def predict_files(model: GenreClassifier, paths: Sequence[str | os.PathLike], *,
                  sampling: Sampling = DEFAULT_SAMPLING, aggregation: str = "mean", top: int = 3,
                  options: RunOptions | None = None,
                  min_confidence: float | None = None) -> Predictions:
    """Classify songs; a bad file never stops the others.

    Parameters
    ----------
    model : GenreClassifier
    paths : sequence of path
        Files and folders (folders are searched recursively for audio).
    sampling : Sampling
        How much of each song is analysed: by default a few excerpts spread over it (the
        central clip for a model on 30 s clips), ``Sampling(full=True)`` all of it. Each
        analysed window gets its probabilities (the timeline), averaged into the song's.
    aggregation : {'mean', 'vote'}
    top : int
        Genres each prediction lists by default.
    options : RunOptions or None
        Store, workers and progress bar of the feature extraction.
    min_confidence : float or None
        A song whose top genre is below it is ``unsure`` (not when ``unknown``); ``None``:
        the model's own, else 0.5 (:func:`~genriflow.models.base.min_confidence_of`).

    Returns
    -------
    Predictions
        ``predictions`` in input order for every file that could be decoded, ``errors``
        (one :class:`~genriflow.audio.AudioError` per file that could not, with the reason).
    """
    from genriflow.models.base import min_confidence_of

    check_options(aggregation=aggregation, top=top)
    min_confidence_of(model.config, min_confidence)  # checked before any file is read
    result = extract_sets(expand_inputs(paths), model.feature_configs, sampling=sampling,
                          options=options)
    return predictions_from(model, result, aggregation, top, min_confidence)


def predict_waveform(model: GenreClassifier, y: np.ndarray, sr: int, *,
                     sampling: Sampling = DEFAULT_SAMPLING, aggregation: str = "mean",
                     top: int = 3) -> Prediction:
    """Classify a waveform held in memory exactly as the same audio in a file.

    Parameters
    ----------
    model : GenreClassifier
    y : np.ndarray, shape (n,) or multi-channel
        Any sample rate; several channels are mixed down (see
        :func:`~genriflow.features.extract.extract_waveform`).
    sr : int
        Its sample rate, in Hz.
    sampling, aggregation, top
        As for :func:`predict_files`.

    Raises
    ------
    AudioError, ConfigError
        An unusable waveform (empty, not finite, too short) or a bad option.
    """
    check_options(aggregation=aggregation, top=top)
    features = extract_waveform_sets(y, sr, model.feature_configs, sampling=sampling)
    return song_prediction(model, features, aggregation, top)
