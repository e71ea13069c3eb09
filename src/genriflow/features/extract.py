"""Compute a feature set for many files: cached, in parallel, with a progress bar.

Each file is decoded once per window it contributes; failures never stop a batch, they are
returned as :class:`~genriflow.audio.AudioError` values with the file and the reason.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from genriflow.audio import AudioError, AudioErrorKind, info, load, window_offsets
from genriflow.features.cache import FeatureCache, content_hash
from genriflow.features.sets import FeatureConfig, feature_set

#: Files with less audio than this (seconds) are rejected as too short.
MIN_SECONDS = 1.0


@dataclass
class FileFeatures:
    """The features of one file: one row per analysed window.

    Attributes
    ----------
    path : str
    values : np.ndarray, shape (n_windows, n_features)
    offsets : np.ndarray, shape (n_windows,)
        Window start times in seconds.
    """

    path: str
    values: np.ndarray
    offsets: np.ndarray


@dataclass
class Extraction:
    """Result of a batch: features of the files that worked, errors for the rest."""

    files: list[FileFeatures] = field(default_factory=list)
    errors: list[AudioError] = field(default_factory=list)

    def matrix(self) -> np.ndarray:
        """One row per file (the mean over its windows), shape (n_files, n_features)."""
        return np.stack([f.values.mean(axis=0) for f in self.files])


def plan_windows(duration: float, clip_seconds: float,
                 max_windows: int | None) -> list[tuple[float, float | None]]:
    """(offset, duration) of the windows to analyse in a file of ``duration`` seconds.

    A file of at most 1.5 clips is analysed whole (GTZAN's 29.9–30.6 s clips, say).
    ``max_windows=1`` takes the central clip (training); otherwise clips tile the song,
    spread evenly when there are more than ``max_windows`` (prediction).
    """
    if duration <= 1.5 * clip_seconds:
        return [(0.0, None)]
    if max_windows == 1:
        return [((duration - clip_seconds) / 2, clip_seconds)]
    return [(o, clip_seconds) for o in window_offsets(duration, clip_seconds, max_windows)]


def file_features(path: str | os.PathLike, config: FeatureConfig,
                  cache: FeatureCache | None = None,
                  max_windows: int | None = 1) -> FileFeatures:
    """Features of one file, window by window, served from ``cache`` where possible.

    Raises
    ------
    AudioError
        If the file cannot be decoded or is shorter than :data:`MIN_SECONDS`.
    """
    fset = feature_set(config.set)
    cache = cache or FeatureCache(None)
    digest = config.digest()
    content = content_hash(path) if cache.root is not None else ""
    windows = plan_windows(info(path).duration, config.clip_seconds, max_windows)
    rows = []
    for offset, seconds in windows:
        key = f"{offset:.3f}-{seconds or 'all'}"
        value = cache.get(digest, content, key)
        if value is None:
            y = load(path, sr=config.sr, offset=offset, duration=seconds,
                     min_duration=MIN_SECONDS)
            value = np.asarray(fset.compute(y, config.sr), dtype=np.float64)
            if not np.all(np.isfinite(value)):
                raise AudioError(path, "features are not finite (silent or broken audio)",
                                 AudioErrorKind.CORRUPT)
            cache.put(digest, content, key, value)
        rows.append(value)
    return FileFeatures(str(path), np.stack(rows), np.array([w[0] for w in windows]))


def _worker(args: tuple) -> FileFeatures | AudioError:
    path, config, cache_root, max_windows = args
    try:
        return file_features(path, config, FeatureCache(cache_root), max_windows)
    except AudioError as exc:
        return exc
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop a batch
        return AudioError(path, f"feature extraction failed: {exc}", AudioErrorKind.CORRUPT)


def extract(paths: Sequence[str | os.PathLike], config: FeatureConfig,
            cache_dir: str | os.PathLike | None = None, n_jobs: int | None = None,
            max_windows: int | None = 1, progress: bool = True) -> Extraction:
    """Compute ``config``'s feature set for every file, in parallel.

    Parameters
    ----------
    paths : sequence of path
    config : FeatureConfig
    cache_dir : path or None
        Feature cache folder; ``None`` computes everything afresh.
    n_jobs : int or None
        Worker processes; ``None`` uses every core, 1 runs in this process.
    max_windows : int or None
        Windows per file: 1 for training, more for prediction (see :func:`plan_windows`).
    progress : bool
        Show a progress bar with rate and time remaining.

    Returns
    -------
    Extraction
        Files in input order (failures left out) and the errors.
    """
    n_jobs = n_jobs or os.cpu_count() or 1
    tasks = [(str(Path(p)), config, cache_dir, max_windows) for p in paths]
    result = Extraction()
    with _progress_bar(progress) as bar:
        job = bar.add_task(f"features [{config.set}]", total=len(tasks))
        if n_jobs == 1 or len(tasks) <= 1:
            for out in map(_worker, tasks):
                _collect(result, out)
                bar.advance(job)
        else:
            with ProcessPoolExecutor(max_workers=min(n_jobs, len(tasks))) as pool:
                for out in pool.map(_worker, tasks, chunksize=1):
                    _collect(result, out)
                    bar.advance(job)
    return result


def _collect(result: Extraction, out: FileFeatures | AudioError) -> None:
    if isinstance(out, AudioError):
        result.errors.append(out)
    else:
        result.files.append(out)


class _FilesPerSecond(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:.2f} files/s")


def _progress_bar(enabled: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), _FilesPerSecond(),
        TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
        disable=not enabled, transient=False,
    )
