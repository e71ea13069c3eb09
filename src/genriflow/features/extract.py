"""The feature engine: many files, many feature sets, each window decoded once.

For every file the engine plans the windows to analyse, decodes each window once, builds
one :class:`~genriflow.features.spectra.Spectra` (so an STFT is shared by every set derived
from it) and runs every requested set on it. Files run in a process pool with a progress
bar; results go to the :class:`~genriflow.features.store.FeatureStore` in batches, so a
killed run resumes where it stopped. Failures never stop a batch: they come back as
:class:`~genriflow.audio.AudioError` values naming the file and the reason.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
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

from genriflow.audio import (
    ARRAY_PATH,
    AudioError,
    AudioErrorKind,
    cut,
    info,
    load,
    mono_waveform,
    window_offsets,
)
from genriflow.audio.augment import augment_waveform
from genriflow.errors import ConfigError
from genriflow.features.options import RunOptions
from genriflow.features.sets import FeatureConfig, feature_set
from genriflow.features.spectra import Spectra
from genriflow.features.store import Entry, FeatureStore, HashCache, content_hash

#: Files with less audio than this (seconds) are rejected as too short.
MIN_SECONDS = 1.0


@dataclass
class FileFeatures:
    """The features of one file for one set: one array per analysed window.

    Attributes
    ----------
    path : str
    values : np.ndarray, shape (n_windows, *set_shape)
        Read-only views of the feature store's memory maps once committed (nothing is held
        in memory), fresh arrays when there is no store.
    offsets : np.ndarray, shape (n_windows,)
        Window start times in seconds.
    keys : tuple of str
        Store keys of the windows (content hash @ window).
    """

    path: str
    values: np.ndarray
    offsets: np.ndarray
    keys: tuple[str, ...] = ()

    def row(self) -> np.ndarray:
        """The file's features as one array: its only window (a view), or the windows' mean."""
        return self.values[0] if len(self.values) == 1 else self.values.mean(axis=0)


@dataclass
class Extraction:
    """Result of a batch for one set: features of the files that worked, errors for the rest."""

    files: list[FileFeatures] = field(default_factory=list)
    errors: list[AudioError] = field(default_factory=list)
    computed: int = 0
    store: FeatureStore | None = None

    def matrix(self) -> np.ndarray:
        """One row per file (the mean over its windows), shape (n_files, *set_shape).

        Arrays whose last axis (frames) differs, as ``log-mel`` of clips of slightly
        different lengths, are cut to the shortest. With a store, the matrix is packed once
        into the store and returned as a read-only memory map, so a dataset larger than
        memory can be trained on: only the rows a batch reads are loaded.
        """
        rows = [f.row() for f in self.files]
        frames = min(r.shape[-1] for r in rows) if rows[0].ndim > 1 else None
        rows = [r[..., :frames] for r in rows] if frames else rows
        if self.store is None:
            return np.stack(rows)
        keys = ["|".join(f.keys) for f in self.files]
        return self.store.matrix(keys, rows)


def plan_windows(duration: float, clip_seconds: float | None,
                 max_windows: int | None) -> list[tuple[float, float | None]]:
    """(offset, duration) of the windows to analyse in a file of ``duration`` seconds.

    A file of at most 1.5 clips (GTZAN's 29.9–30.6 s clips, say), or any file when
    ``clip_seconds`` is ``None``, is analysed whole. ``max_windows=1`` takes the central
    clip (training); otherwise clips tile the song, spread evenly when there are more than
    ``max_windows`` (prediction).
    """
    if clip_seconds is None or duration <= 1.5 * clip_seconds:
        return [(0.0, None)]
    if max_windows == 1:
        return [((duration - clip_seconds) / 2, clip_seconds)]
    return [(o, clip_seconds) for o in window_offsets(duration, clip_seconds, max_windows)]


def _window_key(content: str, window: tuple[float, float | None]) -> str:
    offset, seconds = window
    return f"{content}@{offset:.3f}+{seconds or 'all'}"


def _skeleton(duration: float, configs: Sequence[FeatureConfig],
              max_windows: int | None, content: str) -> tuple[dict, dict[str, tuple]]:
    """Windows per set for a file of ``duration`` seconds, and the result layout, every
    array still ``None``."""
    plans = {c.set: plan_windows(duration, c.clip_seconds, max_windows) for c in configs}
    results = {c.set: ([_window_key(content, w) for w in plans[c.set]],
                       np.array([w[0] for w in plans[c.set]]), [None] * len(plans[c.set]))
               for c in configs}
    return plans, results


def _stored(path: str, configs: Sequence[FeatureConfig], max_windows: int | None,
            content: str | None, done: dict[str, set[str]]) -> dict[str, tuple] | None:
    """The file's result layout if every window of every set is already stored."""
    if content is None:
        return None
    try:
        _, results = _skeleton(info(path).duration, configs, max_windows, content)
    except AudioError:
        return None
    for config in configs:
        if not set(results[config.set][0]) <= done.get(config.digest(), set()):
            return None
    return results


def compute_file(path: str | os.PathLike, configs: Sequence[FeatureConfig],
                 max_windows: int | None = 1,
                 done: dict[str, set[str]] | None = None,
                 content: str | None = None) -> dict[str, tuple]:
    """Compute several feature sets of one file, decoding each window once.

    Parameters
    ----------
    path : path
    configs : sequence of FeatureConfig
        Sets to compute; they must share ``sr``.
    max_windows : int or None
        See :func:`plan_windows`.
    done : dict or None
        Config digest -> keys already stored; those windows are not recomputed.
    content : str or None
        The file's content hash, if known (see :class:`~genriflow.features.store.HashCache`).

    Returns
    -------
    dict
        Set name -> ``(keys, offsets, arrays)``; ``arrays[i]`` is ``None`` for a window
        already in the store.

    Raises
    ------
    AudioError
        If the file cannot be decoded, is too short, or yields non-finite features.
    """
    done = done or {}
    duration = info(path).duration  # a missing or unreadable file is reported as such

    def read(offset: float, seconds: float | None, sr: int) -> np.ndarray:
        return load(path, sr=sr, offset=offset, duration=seconds, min_duration=MIN_SECONDS)

    return _compute(path, read, duration, configs, max_windows, done,
                    content or content_hash(path))


def extract_waveform(y: np.ndarray, sr: int, config: FeatureConfig, *,
                     max_windows: int | None = 1) -> FileFeatures:
    """The features of a waveform held in memory, exactly as of a file of the same samples.

    The waveform is downmixed and resampled as :func:`~genriflow.audio.load` does for a
    file (see :func:`~genriflow.audio.to_mono_resampled`), cut into the same windows and
    run through the same feature set. Nothing is stored: an array has no content hash
    (augmented copies are seeded by a hash of its samples instead).

    Parameters
    ----------
    y : array, shape (n,), (channels, n) or (n, channels)
        Samples at ``sr``, any rate and channel count; the longer axis of a 2-D array is
        time (so both librosa's and soundfile's layouts work).
    sr : int
        Rate of ``y`` in Hz.
    config : FeatureConfig
    max_windows : int or None
        See :func:`plan_windows`.

    Returns
    -------
    FileFeatures
        With ``path`` :data:`~genriflow.audio.ARRAY_PATH` and no store keys.

    Raises
    ------
    ConfigError
        For a rate that is not a whole number of Hz of at least 1.
    AudioError
        For an array that is not audio (not numbers, not 1-D or 2-D, empty, NaN or
        infinite), shorter than :data:`MIN_SECONDS`, or whose features are not finite.
    """
    mono = mono_waveform(y, sr)
    content = hashlib.blake2b(mono.tobytes(), digest_size=8).hexdigest()

    def read(offset: float, seconds: float | None, target_sr: int) -> np.ndarray:
        return cut(mono, sr, target_sr, offset=offset, duration=seconds,
                   min_duration=MIN_SECONDS)

    _, offsets, arrays = _compute(ARRAY_PATH, read, mono.size / sr, [config], max_windows,
                                  {}, content)[config.set]
    return FileFeatures(ARRAY_PATH, np.stack(arrays), offsets)


def _compute(path: str | os.PathLike, read: Callable[[float, float | None, int], np.ndarray],
             duration: float, configs: Sequence[FeatureConfig], max_windows: int | None,
             done: dict[str, set[str]], content: str) -> dict[str, tuple]:
    """:func:`compute_file` on audio of ``duration`` seconds that ``read(offset, seconds,
    sr)`` cuts into windows."""
    plans, results = _skeleton(duration, configs, max_windows, content)
    for window in dict.fromkeys(w for plan in plans.values() for w in plan):
        todo = [c for c in configs if window in plans[c.set]
                and _window_key(content, window) not in done.get(c.digest(), ())]
        if not todo:
            continue
        y = read(window[0], window[1], todo[0].sr)
        versions: dict[tuple[str, int], Spectra] = {}
        for config in todo:
            version = (config.augment, config.augment_copy)
            if version not in versions:
                versions[version] = Spectra(_augmented(y, config, content), config.sr)
            value = feature_set(config.set).compute(versions[version], config)
            if not np.all(np.isfinite(value)):
                raise AudioError(path, "features are not finite (silent or broken audio)",
                                 AudioErrorKind.CORRUPT)
            results[config.set][2][plans[config.set].index(window)] = value
    return results


def _augmented(y: np.ndarray, config: FeatureConfig, content: str) -> np.ndarray:
    """The waveform, or its augmented copy (seeded by the file's content and the copy)."""
    if config.augment == "none":
        return y
    seed = int(content[:8], 16) + 7919 * config.augment_copy
    return augment_waveform(y, config.sr, config.augment, seed)


_DONE: dict[str, set[str]] = {}
_THREAD_LIMITS: list = []


def _init_worker(done: dict[str, set[str]], single_thread: bool = False) -> None:
    global _DONE
    _DONE = done
    if single_thread:
        # One process per core already: BLAS/OpenMP threads inside each worker would only
        # fight over the same cores (measured: 0.25 s/file with them, 0.15 s without).
        from threadpoolctl import threadpool_limits

        _THREAD_LIMITS.append(threadpool_limits(limits=1))


def _worker(args: tuple) -> tuple[str, dict | AudioError]:
    path, configs, max_windows, content = args
    try:
        return path, compute_file(path, configs, max_windows, _DONE, content)
    except AudioError as exc:
        return path, exc
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop a batch
        return path, AudioError(path, f"feature extraction failed: {exc}",
                                AudioErrorKind.CORRUPT)


def _results(tasks: list[tuple], n_jobs: int, done: dict) -> Iterator[tuple]:
    _init_worker(done)
    if n_jobs == 1 or len(tasks) <= 2:
        yield from map(_worker, tasks)
        return
    # The first file runs here, before any worker starts: numba compiles librosa's kernels
    # and writes its on-disk cache once, from one process. Workers compiling into a cold
    # cache at the same time once left it corrupt (every later process crashed loading it).
    yield _worker(tasks[0])
    with ProcessPoolExecutor(max_workers=min(n_jobs, len(tasks) - 1),
                             initializer=_init_worker, initargs=(done, True)) as pool:
        yield from pool.map(_worker, tasks[1:], chunksize=1)


def extract_sets(paths: Sequence[str | os.PathLike], configs: Sequence[FeatureConfig], *,
                 options: RunOptions | None = None, max_windows: int | None = 1,
                 batch_size: int = 16) -> dict[str, Extraction]:
    """Compute several feature sets for every file, in parallel, through the store.

    Parameters
    ----------
    paths : sequence of path
    configs : sequence of FeatureConfig
        One per set; all must share ``sr`` (one decode serves them all).
    options : RunOptions or None
        Feature store (``None`` computes everything and keeps nothing on disk), worker
        processes (``None`` uses every core, 1 runs in this process, as do sets that run a
        network, see :attr:`FeatureSet.in_process`, on torch's threads) and progress bar.
        ``None`` means ``RunOptions()``.
    max_windows : int or None
        Windows per file: 1 for training, more for prediction (see :func:`plan_windows`).
    batch_size : int
        Files per committed store part: a killed run loses at most this many.

    Returns
    -------
    dict
        Set name -> :class:`Extraction`, files in input order (failures left out).
    """
    if len({c.sr for c in configs}) > 1:
        raise ConfigError("configs", "must share one sample rate to be computed together")
    if len({c.set for c in configs}) < len(configs):
        raise ConfigError("configs", "must name each feature set once")
    options = options or RunOptions()
    store_root, progress = options.store, options.progress
    n_jobs = 1 if any(feature_set(c.set).in_process for c in configs) else options.n_jobs
    n_jobs = n_jobs or os.cpu_count() or 1
    stores = ({c.set: FeatureStore.open(store_root, c) for c in configs}
              if store_root is not None else {})
    done = {c.digest(): stores[c.set].keys() for c in configs} if stores else {}
    hashes = HashCache(store_root) if store_root is not None else None
    out = {c.set: Extraction(store=stores.get(c.set)) for c in configs}
    pending: dict[str, list[Entry]] = {c.set: [] for c in configs}
    paths = [str(Path(p)) for p in paths]
    known = {p: hashes.get(p) for p in paths} if hashes else {}
    ready = {p: _stored(p, configs, max_windows, known[p], done) for p in known}
    tasks = [(p, list(configs), max_windows, known.get(p)) for p in paths if not ready.get(p)]
    computed = _results(tasks, n_jobs, done)
    with _progress_bar(progress) as bar:
        job = bar.add_task(f"features [{', '.join(c.set for c in configs)}]", total=len(paths))
        for i, path in enumerate(paths, start=1):
            result = ready.get(path) or next(computed)[1]
            _collect(path, result, out, pending, stores)
            if hashes is not None and not isinstance(result, AudioError):
                hashes.put(path, next(iter(result.values()))[0][0].split("@")[0])
            if stores and (i % batch_size == 0 or i == len(paths)):
                for name, entries in pending.items():
                    stores[name].write(entries)
                    _release({e.path for e in entries}, out[name].files, stores[name])
                    entries.clear()
                hashes.save()
            bar.advance(job)
    return out


def extract(paths: Sequence[str | os.PathLike], config: FeatureConfig, *,
            options: RunOptions | None = None, max_windows: int | None = 1) -> Extraction:
    """:func:`extract_sets` for one feature set."""
    return extract_sets(paths, [config], options=options, max_windows=max_windows)[config.set]


def _collect(path: str, result: dict | AudioError, out: dict[str, Extraction],
             pending: dict[str, list[Entry]], stores: dict[str, FeatureStore]) -> None:
    if isinstance(result, AudioError):
        for extraction in out.values():
            extraction.errors.append(result)
        return
    for name, (keys, offsets, arrays) in result.items():
        values = []
        for key, array in zip(keys, arrays, strict=True):
            if array is None:
                array = stores[name].get(key)
            else:
                out[name].computed += 1
                if stores:
                    pending[name].append(Entry(key, path, array))
            values.append(np.asarray(array))
        stacked = values[0][None] if len(values) == 1 else np.stack(values)
        out[name].files.append(FileFeatures(path, stacked, offsets, tuple(keys)))


def _release(committed: set[str], files: list[FileFeatures], store: FeatureStore) -> None:
    """Swap freshly computed arrays for views of the store's memory maps once committed."""
    for item in reversed(files):
        if not committed:
            return
        if item.path not in committed:
            continue
        committed.discard(item.path)
        views = [store.get(key) for key in item.keys]
        item.values = views[0][None] if len(views) == 1 else np.stack(views)


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
