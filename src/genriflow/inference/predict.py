"""A song's genre prediction: its probabilities, overall and over time, and how it prints.

Made by :class:`~genriflow.inference.pipeline.Pipeline` (each window classified, then
aggregated by :func:`~genriflow.models.base.aggregate`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from genriflow.audio.errors import AudioError, AudioErrorKind
from genriflow.datasets.discover import find_audio_files
from genriflow.errors import at_least
from genriflow.inference.batch import Batch
from genriflow.models.base import AGGREGATIONS, aggregate  # noqa: F401 (the song's rule)


@dataclass(eq=False)
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
        :func:`genriflow.models.answers.min_confidence_of`; 0: never unsure).

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
        (:func:`genriflow.models.answers.is_unsure`)."""
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
        best first (every genre when ``k`` exceeds their number).

        Raises
        ------
        ConfigError
            ``k`` not a whole number of at least 1 (a negative one sliced genres off the
            end of the list).
        """
        at_least("k", k, 1, optional=True, whole=True)
        order = np.argsort(self.probabilities)[::-1][: self.n_top if k is None else k]
        return [(self.labels[i], float(self.probabilities[i])) for i in order]

    def __eq__(self, other: object) -> bool:
        """The same fields, arrays compared element by element: a dataclass's own ``==``
        raised on its NumPy arrays ("truth value of an array is ambiguous")."""
        if not isinstance(other, Prediction):
            return NotImplemented
        return all(_same(getattr(self, f.name), getattr(other, f.name))
                   for f in fields(self))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        """The song, its model and top genres: a notebook or a batch of songs would
        otherwise print every window's probabilities."""
        top = [(genre, round(p, 3)) for genre, p in self.top()]
        return (f"Prediction(path={self.path!r}, model={self.model!r}, top={top}, "
                f"unknown={self.unknown}, unsure={self.unsure}, "
                f"windows={len(self.offsets)})")

    def __str__(self) -> str:
        listed = self.top() if self.thresholds is None else self.genres
        genres = ", ".join(f"{genre} {p:.0%}" for genre, p in listed)
        return f"{self.path}: {f'unknown (best guess: {genres})' if self.unknown else genres}"


def _same(a: object, b: object) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return a is not None and b is not None and np.array_equal(a, b)
    return a == b


class Predictions(Batch[Prediction]):
    """The predictions of a batch, in input order, and ``errors``: the files that could not
    be used (see :class:`~genriflow.inference.batch.Batch`)."""

    @property
    def predictions(self) -> list[Prediction]:
        """The predictions, as a list."""
        return list(self.results)


def expand_inputs(inputs: Iterable[str | os.PathLike]) -> tuple[list[Path], list[AudioError]]:
    """Files as given, and the audio files found below any folder (recursively), each path
    once (in the order first met: folders that overlap, a file also given in its folder);
    each folder with none is an error (kind ``missing``), and each that cannot be listed
    one of kind ``unreadable``, so that a batch lists it as failed."""
    files: list[Path] = []
    empty: list[AudioError] = []
    for item in inputs:
        path = Path(item)
        if not os.path.isdir(path):  # False where it cannot be looked at: the decoder says why
            files.append(path)
            continue
        found, unlisted = find_audio_files(path)
        files.extend(found)
        empty.extend(unlisted)
        if not found and not unlisted:
            empty.append(AudioError(path, "no audio files in this folder",
                                    AudioErrorKind.MISSING))
    # a file met twice (overlapping folders) is one song: computed and answered once
    return list(dict.fromkeys(files)), empty
