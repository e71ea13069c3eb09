"""Genre predictions for songs of any length: window by window, then aggregated."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genriflow.audio import AudioError
from genriflow.datasets.discover import iter_audio_files
from genriflow.features.extract import extract
from genriflow.models.folder import GenreModel

AGGREGATIONS = ("mean", "vote")


@dataclass
class Prediction:
    """One song's genre probabilities, overall and over time.

    Attributes
    ----------
    path : str
    labels : list of str
    probabilities : np.ndarray, shape (n_labels,)
        Aggregated over windows (mean of probabilities, or vote shares).
    offsets : np.ndarray, shape (n_windows,)
        Start of each analysed window, in seconds.
    window_probabilities : np.ndarray, shape (n_windows, n_labels)
        The timeline: probabilities of each window.
    """

    path: str
    labels: list[str]
    probabilities: np.ndarray
    offsets: np.ndarray
    window_probabilities: np.ndarray

    @property
    def genre(self) -> str:
        return self.labels[int(np.argmax(self.probabilities))]

    def top(self, k: int = 3) -> list[tuple[str, float]]:
        """The ``k`` most probable genres with their probabilities, best first."""
        order = np.argsort(self.probabilities)[::-1][:k]
        return [(self.labels[i], float(self.probabilities[i])) for i in order]


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
    """
    if how == "mean":
        return window_probabilities.mean(axis=0)
    if how == "vote":
        winners = window_probabilities.argmax(axis=1)
        return np.bincount(winners, minlength=window_probabilities.shape[1]) / len(winners)
    raise ValueError(f"unknown aggregation {how!r}; choose from {', '.join(AGGREGATIONS)}")


def predict_files(model: GenreModel, paths: Sequence[str | os.PathLike],
                  max_windows: int | None = 10, aggregation: str = "mean",
                  store: str | os.PathLike | None = None, n_jobs: int | None = None,
                  progress: bool = True) -> tuple[list[Prediction], list[AudioError]]:
    """Classify songs; a bad file never stops the others.

    Parameters
    ----------
    model : GenreModel
    paths : sequence of path
        Files and folders (folders are searched recursively for audio).
    max_windows : int or None
        A song longer than the model's clip is cut into clips; at most this many, spread
        evenly over the song, are analysed (``None``: all).
    aggregation : {'mean', 'vote'}
    store, n_jobs, progress
        As for :func:`genriflow.features.extract.extract`.

    Returns
    -------
    predictions : list of Prediction
        In input order, for every file that could be decoded.
    errors : list of AudioError
        One per file that could not, with the reason.
    """
    files = expand_inputs(paths)
    result = extract(files, model.feature_config, store_root=store, n_jobs=n_jobs,
                     max_windows=max_windows, progress=progress)
    predictions = []
    for item in result.files:
        window_probs = model.predict_proba(item.values)
        predictions.append(Prediction(item.path, model.labels, aggregate(window_probs, aggregation),
                                      item.offsets, window_probs))
    return predictions, result.errors
