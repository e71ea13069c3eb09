"""The feature engine: many files, many feature sets, each stretch of a file decoded once.

For every file the engine plans the windows each set analyses (a sample of a song or all
of it: :mod:`~genriflow.features.sampling`), decodes each stretch once and runs every set
on it (:mod:`~genriflow.features.compute`). Sets read from another (``musicnn-tags``,
``msd-musicnn`` from the combined ``musicnn`` analysis) are computed and stored as that
one, so asking for tags, genres and embeddings at once, or one after the other, runs the
networks once. Files run in worker processes (:mod:`~genriflow.features.workers`), or as
Ray tasks on a cluster (:mod:`~genriflow.features.ray_engine`), with a
progress bar; results go to the :class:`~genriflow.features.store.FeatureStore` in batches,
so a killed run resumes where it stopped, and a file the store has already analysed is not
read at all. Failures never stop a batch: they come back as
:class:`~genriflow.audio.AudioError` values naming the file and the reason.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from genriflow.audio import ARRAY_PATH, AudioError, mono_waveform
from genriflow.errors import ConfigError
from genriflow.features import workers
from genriflow.features.compute import (
    Computed,
    analyse,
    array_reader,
    choose,
    plan_stages,
    windows_of,
)
from genriflow.features.options import RunOptions
from genriflow.features.sampling import DEFAULT_SAMPLING, Sampling
from genriflow.features.sets import FeatureConfig, feature_set
from genriflow.features.store import Entry, FeatureStore, HashCache, Known, warn_not_kept
from genriflow.progress import file_done, progress_bar


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
    """Result of a batch for one set: features of the files that worked, errors for the rest.

    ``computed`` counts the files analysed now (not served whole from the store); ``store``
    is the store of the set's stored configuration, ``config`` the set's own.
    """

    files: list[FileFeatures] = field(default_factory=list)
    errors: list[AudioError] = field(default_factory=list)
    computed: int = 0
    store: FeatureStore | None = None
    config: FeatureConfig | None = None

    def matrix(self) -> np.ndarray:
        """One row per file (the mean over its windows), shape (n_files, *set_shape).

        Arrays whose last axis (frames) differs, as ``log-mel`` of clips of slightly
        different lengths, are cut to the shortest. With a store, the matrix is packed once
        into the store and returned as a read-only memory map, so a dataset larger than
        memory can be trained on: only the rows a batch reads are loaded; where the store
        cannot be written, it is stacked in memory (said once, as for the features).
        """
        rows = [f.row() for f in self.files]
        frames = min(r.shape[-1] for r in rows) if rows[0].ndim > 1 else None
        rows = [r[..., :frames] for r in rows] if frames else rows
        if self.store is None or self.store.unwritable is not None:
            return np.stack(rows)
        # A set read from another shares its keys: its own digest tells their rows apart.
        own = self.config is not None and self.config.stored() != self.config
        prefix = f"{self.config.digest()}:" if own else ""
        keys = [prefix + "|".join(f.keys) for f in self.files]
        try:
            return self.store.matrix(keys, rows)
        except OSError as exc:
            _not_kept(self.store, exc)
            return np.stack(rows)


def extract_sets(paths: Sequence[str | os.PathLike], configs: Sequence[FeatureConfig], *,
                 options: RunOptions | None = None, sampling: Sampling = DEFAULT_SAMPLING,
                 batch_size: int = 16) -> dict[str, Extraction]:
    """Compute several feature sets for every file, in parallel, through the store.

    Parameters
    ----------
    paths : sequence of path
    configs : sequence of FeatureConfig
        One per set, at any rates: each stretch of a file is decoded once and resampled
        once per rate. Sets read from the same stored set (``musicnn-tags``,
        ``msd-musicnn``, ``mtt-musicnn``) are computed once, together.
    options : RunOptions or None
        Feature store (``None`` computes everything and keeps nothing on disk), engine
        (``local`` worker processes, or ``ray`` tasks on a Ray cluster: the same per-file
        function, results written here either way), workers (``None`` uses every core; 1
        runs in this process) and progress bar. ``None`` means ``RunOptions()``.
    sampling : Sampling
        Which windows of each song (see :mod:`~genriflow.features.sampling`): by default
        a few excerpts of a network set's song and the central clip of a clip set's.
    batch_size : int
        Files per committed store part: a killed run loses at most this many.

    A store that cannot be written (read-only, a full disk) still serves what it holds;
    the rest is computed and not kept, said once as a
    :class:`~genriflow.errors.GenriflowWarning` naming the store and the reason.

    Returns
    -------
    dict
        Set name -> :class:`Extraction`, files in input order (failures left out).

    Raises
    ------
    ConfigError
        For one set named twice with different configurations, or a store that cannot be
        a folder (a file in the way).
    """
    configs = _distinct(configs)
    stored = list({c.stored().digest(): c.stored() for c in configs}.values())
    options = options or RunOptions()
    root = options.store
    stores = {c.digest(): FeatureStore.open(root, c) for c in stored} if root else {}
    for store in stores.values():
        if store.unwritable is not None:
            _not_kept(store, store.unwritable)
    done = {digest: store.keys() for digest, store in stores.items()}
    hashes = HashCache(root) if root is not None else None
    out = {c.set: Extraction(store=stores.get(c.stored().digest()), config=c)
           for c in configs}
    pending: dict[str, list[Entry]] = {digest: [] for digest in stores}
    paths = [str(Path(p)) for p in paths]
    known = {p: hashes.get(p) for p in paths} if hashes else {}
    ready = {p: r for p in known
             if (r := _ready(known[p], stored, sampling, done, stores))}
    tasks = [workers.Task(p, tuple(stored), sampling, *(known.get(p) or (None, None, None)),
                          network_backend=options.network_backend, device=options.device)
             for p in paths if p not in ready]
    networks = sorted({n for c in stored for n in feature_set(c.set).networks})
    if networks and tasks and options.device == "cuda" and options.engine == "local":
        from genriflow.features.pretrained.backend import placement

        placement(options.network_backend, "cuda")  # no GPU: said before the first file
    computed = _engine(options, tasks, done, networks)
    try:
        with progress_bar(options.progress, "files") as bar:
            job = bar.add_task(f"features [{', '.join(c.set for c in configs)}] "
                               f"{analysed(configs, sampling)}", total=len(paths))
            for i, path in enumerate(paths, start=1):
                result = ready.get(path) or next(computed)
                _collect(path, result, configs, out, pending, stores)
                if hashes is not None and isinstance(result, Computed) and path not in ready:
                    hashes.put(path, result.content, result.duration, result.declared)
                if stores and (i % batch_size == 0 or i == len(paths)):
                    _commit(pending, stores, configs, out)
                    try:
                        hashes.save()
                    except OSError as exc:
                        _not_kept(next(iter(stores.values())), exc)
                bar.advance(job)
                file_done()
    finally:
        computed.close()
    return out


def analysed(configs: Sequence[FeatureConfig], sampling: Sampling) -> str:
    """What a person is told is analysed of each file: the sampling's excerpts when a
    network set is among ``configs``, else the clip a clip set takes.

    >>> analysed([FeatureConfig(set="kaggle")], DEFAULT_SAMPLING)
    'central 30 s'
    >>> analysed([FeatureConfig(set="musicnn")], DEFAULT_SAMPLING)
    '4-24 excerpts'
    """
    if sampling.full or any(feature_set(c.set).networks for c in configs):
        return sampling.label
    seconds = {c.clip_seconds for c in configs}
    return "whole files" if None in seconds else f"central {max(seconds):g} s"


def _engine(options: RunOptions, tasks: list[workers.Task], done: dict[str, set[str]],
            networks: list[str]) -> Iterator[Computed | AudioError]:
    """The tasks' results, in order, from the engine ``options`` names."""
    if options.engine == "ray":
        from genriflow.features import ray_engine

        ray_engine.import_ray()  # a missing extra is said before any work starts
        return ray_engine.results(tasks, done, networks, n_jobs=options.n_jobs,
                                  address=options.address)
    return workers.results(tasks, options.n_jobs or os.cpu_count() or 1, done, networks,
                           options.network_backend, options.device)


def extract(paths: Sequence[str | os.PathLike], config: FeatureConfig, *,
            options: RunOptions | None = None, sampling: Sampling = DEFAULT_SAMPLING) -> Extraction:
    """:func:`extract_sets` for one feature set."""
    return extract_sets(paths, [config], options=options, sampling=sampling)[config.set]


def extract_waveform(y: np.ndarray, sr: int, config: FeatureConfig, *,
                     sampling: Sampling = DEFAULT_SAMPLING) -> FileFeatures:
    """The features of a waveform held in memory, exactly as of a file of the same samples.

    The waveform is downmixed as :func:`~genriflow.audio.load` does a file's samples, cut
    into the same windows, resampled and run through the same sets by the same code (see
    :mod:`~genriflow.features.compute`). Nothing is stored: an array has no content hash
    (augmented copies are seeded by a hash of its samples instead).

    Parameters
    ----------
    y : array, shape (n,), (channels, n) or (n, channels)
        Samples at ``sr``, any rate and channel count; the longer axis of a 2-D array is
        time (so both librosa's and soundfile's layouts work).
    sr : int
        Rate of ``y`` in Hz.
    config : FeatureConfig
    sampling : Sampling
        As for :func:`extract_sets`.

    Returns
    -------
    FileFeatures
        With ``path`` :data:`~genriflow.audio.ARRAY_PATH` and no store keys.

    Raises
    ------
    ConfigError
        For a rate that is not a whole number of Hz within
        :data:`~genriflow.audio.waveform.WAVEFORM_RATES`.
    AudioError
        For an array that is not audio (not numbers, not 1-D or 2-D, empty, NaN or
        infinite), shorter than :data:`~genriflow.features.compute.MIN_SECONDS`, or whose
        features are not finite.
    """
    return extract_waveform_sets(y, sr, [config], sampling=sampling)[config.set]


def extract_waveform_sets(y: np.ndarray, sr: int, configs: Sequence[FeatureConfig], *,
                          sampling: Sampling = DEFAULT_SAMPLING) -> dict[str, FileFeatures]:
    """:func:`extract_waveform` for several sets at once, in one pass (as
    :func:`extract_sets` for files): set name -> its :class:`FileFeatures`."""
    configs = _distinct(configs)
    stored = list({c.stored().digest(): c.stored() for c in configs}.values())
    mono = mono_waveform(y, sr)
    content = hashlib.blake2b(mono.tobytes(), digest_size=8).hexdigest()
    windows = analyse(ARRAY_PATH, array_reader(mono, sr), mono.size / sr, stored, sampling,
                      {}, content)
    out = {}
    for config in configs:
        _, offsets, arrays = windows[config.stored().digest()]
        out[config.set] = FileFeatures(ARRAY_PATH, np.stack([config.view(a) for a in arrays]),
                                       offsets)
    return out


def _distinct(configs: Sequence[FeatureConfig]) -> list[FeatureConfig]:
    """The configurations, each once; one set under two configurations is an error."""
    by_set: dict[str, FeatureConfig] = {}
    for config in configs:
        if by_set.setdefault(config.set, config) != config:
            raise ConfigError("configs", f"name feature set {config.set!r} twice, with "
                              "different configurations")
    return list(by_set.values())


def _ready(known: Known | None, stored: Sequence[FeatureConfig], sampling: Sampling,
           done: dict[str, set[str]], stores: dict[str, FeatureStore]) -> Computed | None:
    """A file's result layout, read from the store alone, if it holds every window of every
    set (known content and duration: the file is not opened); an adaptive set's stored
    values decide its plan, as they did when it was computed."""
    if known is None or known.duration is None:
        return None
    windows = {}
    for config in stored:
        digest = config.digest()
        keys = done.get(digest, set())

        def value(window, digest=digest, keys=keys):
            key = window.key(known.content)
            return stores[digest].get(key) if key in keys else None

        chosen, final = choose(config, plan_stages(config, known.duration, sampling),
                               sampling, value, duration=known.duration)
        if not final or any(w.key(known.content) not in keys for w in chosen):
            return None
        windows[digest] = windows_of(chosen, known.content)
    return Computed(known.content, known.duration, windows, known.declared)


def _collect(path: str, result: Computed | AudioError, configs: Sequence[FeatureConfig],
             out: dict[str, Extraction], pending: dict[str, list[Entry]],
             stores: dict[str, FeatureStore]) -> None:
    if isinstance(result, AudioError):
        for extraction in out.values():
            extraction.errors.append(result)
        return
    for digest, (keys, _, arrays) in result.windows.items():
        if digest in pending:
            pending[digest].extend(Entry(key, path, array)
                                   for key, array in zip(keys, arrays, strict=True)
                                   if array is not None)
    for config in configs:
        digest = config.stored().digest()
        keys, offsets, arrays = result.windows[digest]
        values = [config.view(np.asarray(stores[digest].get(key) if array is None else array))
                  for key, array in zip(keys, arrays, strict=True)]
        if any(array is not None for array in arrays):
            out[config.set].computed += 1
        stacked = values[0][None] if len(values) == 1 else np.stack(values)
        out[config.set].files.append(FileFeatures(path, stacked, offsets, tuple(keys)))


def _commit(pending: dict[str, list[Entry]], stores: dict[str, FeatureStore],
            configs: Sequence[FeatureConfig], out: dict[str, Extraction]) -> None:
    """Write the pending entries, one part per stored set, and swap the fresh arrays of
    the files they belong to for views of the store's memory maps."""
    committed = {}
    for digest, entries in pending.items():
        store = stores[digest]
        if store.unwritable is None:
            try:
                store.write(entries)
                committed[digest] = {e.path for e in entries}
            except OSError as exc:  # the fresh arrays are kept in memory instead
                store.unwritable = exc.strerror or str(exc)
                _not_kept(store, exc)
        entries.clear()
    for config in configs:
        digest = config.stored().digest()
        if digest in committed:
            _release(committed[digest], out[config.set].files, stores[digest], config)


def _not_kept(store: FeatureStore, reason: OSError | str) -> None:
    warn_not_kept(store.folder.parent, reason)


def _release(committed: set[str], files: list[FileFeatures], store: FeatureStore,
             config: FeatureConfig) -> None:
    """Swap freshly computed arrays for views of the store's memory maps once committed."""
    committed = set(committed)
    for item in reversed(files):
        if not committed:
            return
        if item.path not in committed:
            continue
        committed.discard(item.path)
        views = [config.view(store.get(key)) for key in item.keys]
        item.values = views[0][None] if len(views) == 1 else np.stack(views)
