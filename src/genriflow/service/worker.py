"""The warm model and what it does with a batch of songs: in the service's threads, or in
each of its worker processes (``pool="process"``, the default: the event loop then never
shares an interpreter lock with the analysis, so refusals and health checks stay quick).

A :class:`Worker` holds one :class:`~genriflow.inference.pipeline.Pipeline` (what
:func:`genriflow.analyse` runs): it loads the model once and warms it up (numba's kernels
compile, the pretrained networks load), then analyses batches of :class:`Task`: each song
is checked (:func:`genriflow.probe`: not audio, nothing decodes, too long), and the usable
ones go through the pipeline together, one call per kind of request.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import signal
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import genriflow
from genriflow.api import model_identity, probe
from genriflow.audio.errors import AudioWarning
from genriflow.errors import GenriflowError
from genriflow.features.options import RunOptions
from genriflow.features.sampling import Sampling
from genriflow.inference.pipeline import Pipeline
from genriflow.service.config import ServiceConfig
from genriflow.service.errors import ServiceError, from_library
from genriflow.service.results import song_result

log = logging.getLogger("genriflow.service")

#: The songs being analysed: the file on the server -> the name the client gave it.
_NAMES: dict[str, str] = {}
_SHOW_WARNING = warnings.showwarning


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A song's :class:`~genriflow.audio.errors.AudioWarning` (a cut upload) as one log
    line naming it as the client did, not by its private upload path; any other warning
    as Python shows it."""
    if isinstance(message, AudioWarning):
        log.warning("%s: %s", _NAMES.get(str(message.path), message.path.name),
                    message.reason)
    else:
        _SHOW_WARNING(message, category, filename, lineno, file, line)


@dataclass(frozen=True)
class Task:
    """One song for a worker: its file on the server, what the client calls it, and what
    is asked (tags, moods and voice; the library's similar songs)."""

    path: str
    name: str
    tags: bool = False
    similar: bool = False


class Worker:
    """The model kept warm, analysing batches of songs.

    Parameters
    ----------
    config : ServiceConfig

    Raises
    ------
    GenriflowError
        The model cannot be loaded.
    """

    def __init__(self, config: ServiceConfig) -> None:
        started = time.perf_counter()
        self.config = config
        self.options = RunOptions(store=config.store, n_jobs=1, progress=False)
        self.pipeline = Pipeline(config.model, k_tags=10, options=self.options,
                                 sampling=Sampling.of(config.excerpts, full=False))
        ref = model_identity(config.model, excerpts=config.excerpts)  # with a fixed count
        self.identity = {"name": ref.name, "identity": ref.identity,
                         "version": genriflow.__version__}
        t = np.arange(4 * 22050) / 22050  # warm up: every kernel and network, once
        self.pipeline(0.1 * np.sin(2 * np.pi * 220 * t), sr=22050, tags=True)
        log.info("model %s loaded and warm in %.1f s", ref.identity,
                 time.perf_counter() - started)

    def describe(self) -> dict[str, Any]:
        """The model's name, identity, version, labels and whether it is multi-label (its
        probabilities each genre's on its own, not shares of one)."""
        model = self.pipeline.model
        return {**self.identity, "labels": list(model.labels),
                "multi_label": bool(model.multi_label)}

    def analyse(self, batch: list[Task]) -> list[dict | ServiceError]:
        """Each song's result (the JSON of :func:`~genriflow.service.results.song_result`)
        or why it was refused, in order."""
        warnings.showwarning = _show_warning  # here: a caller's catch_warnings restores it
        _NAMES.update((task.path, task.name) for task in batch)
        try:
            return self._checked(batch)
        finally:
            for task in batch:
                _NAMES.pop(task.path, None)

    def _checked(self, batch: list[Task]) -> list[dict | ServiceError]:
        out: list[Any] = [None] * len(batch)
        durations: dict[int, float] = {}
        for i, task in enumerate(batch):
            try:
                info = probe(task.path)
            except GenriflowError as exc:
                out[i] = from_library(exc, task.name)
                continue
            if info.duration > self.config.max_duration:
                out[i] = ServiceError(413, "too-long", f"{task.name}: {info.duration:.0f} s "
                                      f"of audio; the limit is {self.config.max_duration:.0f} s")
                continue
            durations[i] = info.duration
        for tags in (False, True):
            todo = [i for i in durations if batch[i].tags == tags]
            if todo:
                self._analyse(batch, todo, tags, durations, out)
        return out

    def _analyse(self, batch: list[Task], todo: list[int], tags: bool,
                 durations: dict[int, float], out: list[Any]) -> None:
        paths = [batch[i].path for i in todo]
        analysis = self.pipeline(paths, tags=tags)
        answers = {a.path: a for a in analysis.results if a.prediction is not None}
        errors = {str(e.path): e for e in analysis.errors}
        for i, path in zip(todo, paths, strict=True):
            task = batch[i]
            if path in errors:
                out[i] = from_library(errors[path], task.name)
            elif path not in answers:
                out[i] = ServiceError(422, "unusable", f"{task.name}: nothing could be "
                                      "analysed")
            else:
                similar = self._similar(task) if task.similar and self.config.library else None
                out[i] = song_result(task.name, answers[path], self.identity, durations[i],
                                     similar)

    def _similar(self, task: Task) -> list[tuple[str, float]] | None:
        with genriflow.Library(self.config.library) as library:
            try:
                return library.similar(task.path, k=5, options=self.options)
            except GenriflowError as exc:
                log.warning("similar songs of %s: %s", task.name, exc)
                return None


# -- in a worker process ------------------------------------------------------------------
_WORKER: Worker | None = None
_FAILED: str | None = None


def init_process(config: ServiceConfig) -> None:
    """A worker process's start: one thread for its numeric libraries (one process per
    core already), Ctrl-C left to the service (which drains the pool), the model loaded.

    The workers load and warm up one at a time (a lock file): numba writes its kernels'
    on-disk cache during the first warm-up, and processes compiling into a cold cache at
    the same time can leave it corrupt (see :mod:`genriflow.features.workers`).
    """
    global _WORKER, _FAILED
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
    if not logging.getLogger().handlers:  # as the service's process logs (server.serve)
        logging.basicConfig(format="%(levelname)s:     %(message)s")
    with contextlib.suppress(ImportError, RuntimeError):
        import torch

        torch.set_num_threads(1)
    with open(Path(tempfile.gettempdir()) / "genriflow-service-warmup.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            _WORKER = Worker(config)
        except GenriflowError as exc:
            _FAILED = str(exc)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def process_describe() -> dict[str, Any]:
    """:meth:`Worker.describe` of this process's worker (after its start)."""
    if _WORKER is None:
        raise GenriflowError(_FAILED or "the worker did not start")
    return _WORKER.describe()


def process_analyse(batch: list[Task]) -> list[dict | ServiceError]:
    """:meth:`Worker.analyse` in this process."""
    if _WORKER is None:
        raise GenriflowError(_FAILED or "the worker did not start")
    return _WORKER.analyse(batch)
