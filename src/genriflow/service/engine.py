"""The model kept warm, a bounded queue, and concurrent songs batched into one API pass.

Requests never run inference on the event loop: each song becomes an :class:`Item` on an
asyncio queue; a dispatcher takes the first waiting song as soon as one of ``workers``
threads is free, gathers the others that arrive within ``batch_wait`` (up to
``max_batch``), and hands them to :func:`genriflow.analyse` as one call, in the thread
pool. Admission is bounded: past ``queue_limit`` songs running or waiting, a request is
refused at once (503 with ``Retry-After``) rather than left to pile up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import genriflow
from genriflow.api import Classifier, analyse, model_identity, probe
from genriflow.errors import GenriflowError
from genriflow.features.options import RunOptions
from genriflow.service.config import ServiceConfig
from genriflow.service.errors import ServiceError, from_library
from genriflow.service.results import song_result

log = logging.getLogger("genriflow.service")


@dataclass
class Item:
    """One song to analyse.

    Attributes
    ----------
    path : Path
        The file on the server (an upload or an allowed path).
    name : str
        What the client calls it (results and messages).
    tags : bool
        Also tags, moods and voice.
    similar : bool
        Also the library's most similar songs (when a library is configured).
    delete : bool
        Remove ``path`` once analysed (uploads).
    future : asyncio.Future
        Set to the song's result (a dict) or to a :class:`ServiceError`.
    """

    path: Path
    name: str
    tags: bool = False
    similar: bool = False
    delete: bool = False
    future: asyncio.Future = field(default=None, repr=False)  # type: ignore[assignment]


class Engine:
    """The warm model and the bounded, batching queue in front of it.

    Parameters
    ----------
    config : ServiceConfig
    on_batch : callable or None
        Called with each batch's size and seconds (metrics).
    """

    def __init__(self, config: ServiceConfig,
                 on_batch: Callable[[int, float], None] | None = None) -> None:
        self.config = config
        self.on_batch = on_batch
        self.pool = ThreadPoolExecutor(config.workers, thread_name_prefix="genriflow-infer")
        self.options = RunOptions(store=config.store, n_jobs=1, progress=False)
        self.classifier: Classifier | None = None
        self.identity: dict[str, str] = {}
        self.load_error: str | None = None
        self.pending = 0
        self._queue: asyncio.Queue[Item] | None = None
        self._free: asyncio.Semaphore | None = None
        self._tasks: set[asyncio.Task] = set()
        self._dispatcher: asyncio.Task | None = None

    # -- life cycle -------------------------------------------------------------------
    async def start(self) -> None:
        """Start the dispatcher and load the model in the pool (``ready`` once done)."""
        self._queue = asyncio.Queue()
        self._free = asyncio.Semaphore(self.config.workers)
        self._dispatcher = asyncio.create_task(self._dispatch(), name="genriflow-dispatch")
        loop = asyncio.get_running_loop()
        self._loading = loop.run_in_executor(self.pool, self._load)

    def _load(self) -> None:
        started = time.perf_counter()
        try:
            classifier = Classifier(self.config.model, excerpts=self.config.excerpts,
                                    options=self.options)
            ref = model_identity(self.config.model)
            # Warm up: numba's kernels compile and the networks load here, once.
            t = np.arange(4 * 22050) / 22050
            analyse(0.1 * np.sin(2 * np.pi * 220 * t), sr=22050, model=classifier.model,
                    tags=True, excerpts=self.config.excerpts)
        except GenriflowError as exc:
            self.load_error = str(exc)
            log.error("the model cannot be loaded: %s", exc)
            return
        self.identity = {"name": ref.name, "identity": ref.identity,
                         "version": genriflow.__version__}
        self.classifier = classifier
        log.info("model %s loaded and warm in %.1f s", ref.identity,
                 time.perf_counter() - started)

    @property
    def ready(self) -> bool:
        """Whether the model is loaded and warm."""
        return self.classifier is not None

    async def wait_ready(self) -> None:
        """Until the model has loaded (or failed to)."""
        await self._loading

    async def close(self) -> None:
        """Finish every admitted song, then stop the dispatcher and the pool (drained)."""
        while self.pending:
            await asyncio.sleep(0.05)
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher
        await asyncio.get_running_loop().run_in_executor(None, self.pool.shutdown, True)

    # -- admission ----------------------------------------------------------------------
    def admit(self, n: int = 1) -> None:
        """Take ``n`` places in the queue, or refuse at once.

        Raises
        ------
        ServiceError
            503 (``Retry-After``) when the model is not ready or the queue is full.
        """
        if not self.ready:
            message = (f"the model failed to load: {self.load_error}" if self.load_error
                       else "the model is loading; try again shortly")
            raise ServiceError(503, "not-ready", message, {"Retry-After": "5"})
        if self.pending + n > self.config.queue_limit:
            raise ServiceError(503, "busy", f"the queue is full ({self.pending} of "
                               f"{self.config.queue_limit} songs); retry later",
                               {"Retry-After": "1"})
        self.pending += n

    def release(self, n: int = 1) -> None:
        """Give back ``n`` places taken by :meth:`admit` for songs never submitted."""
        self.pending -= n

    async def admit_waiting(self, n: int, share: float = 0.5) -> None:
        """Take ``n`` places once they are free, keeping ``1 - share`` of the queue for
        interactive requests (batch jobs use this)."""
        limit = max(1, int(self.config.queue_limit * share))
        while not self.ready or self.pending + n > max(limit, n):
            if self.load_error:
                raise ServiceError(503, "not-ready", f"the model failed to load: "
                                   f"{self.load_error}")
            await asyncio.sleep(0.05)
        self.pending += n

    def submit(self, item: Item) -> asyncio.Future:
        """Queue an admitted song; its future gets the result."""
        assert self._queue is not None
        item.future = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(item)
        return item.future

    # -- the work -----------------------------------------------------------------------
    async def _dispatch(self) -> None:
        assert self._queue is not None and self._free is not None
        loop = asyncio.get_running_loop()
        while True:
            await self._free.acquire()
            batch = [await self._queue.get()]
            deadline = loop.time() + self.config.batch_wait
            while len(batch) < self.config.max_batch:
                try:
                    batch.append(await asyncio.wait_for(self._queue.get(),
                                                        max(0.0, deadline - loop.time())))
                except TimeoutError:
                    break
            task = asyncio.create_task(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: list[Item]) -> None:
        assert self._free is not None
        started = time.perf_counter()
        try:
            results = await asyncio.get_running_loop().run_in_executor(
                self.pool, self._analyse, batch)
        except Exception as exc:  # a bug: every song of the batch learns of it
            log.error("batch of %d failed", len(batch), exc_info=exc)
            results = [exc] * len(batch)
        finally:
            self._free.release()
            self.pending -= len(batch)
            for item in batch:
                if item.delete:
                    item.path.unlink(missing_ok=True)
        if self.on_batch is not None:
            self.on_batch(len(batch), time.perf_counter() - started)
        for item, result in zip(batch, results, strict=True):
            if item.future.done():  # its request gave up (timeout, disconnect)
                continue
            if isinstance(result, BaseException):
                item.future.set_exception(result)
            else:
                item.future.set_result(result)

    def _analyse(self, batch: list[Item]) -> list[Any]:
        """In a pool thread: check each song, then analyse the usable ones together (one
        API call per kind of request), each song's result or error in order."""
        assert self.classifier is not None
        out: list[Any] = [None] * len(batch)
        durations: dict[int, float] = {}
        for i, item in enumerate(batch):
            try:
                info = probe(item.path)
            except GenriflowError as exc:
                out[i] = from_library(exc, item.name)
                continue
            if info.duration > self.config.max_duration:
                out[i] = ServiceError(413, "too-long", f"{item.name}: {info.duration:.0f} s "
                                      f"of audio; the limit is {self.config.max_duration:.0f} s")
                continue
            durations[i] = info.duration
        for tags in (False, True):
            todo = [i for i in durations if batch[i].tags == tags]
            if todo:
                self._analyse_group(batch, todo, tags, durations, out)
        return out

    def _analyse_group(self, batch: list[Item], todo: list[int], tags: bool,
                       durations: dict[int, float], out: list[Any]) -> None:
        classifier = self.classifier
        assert classifier is not None
        paths = [str(batch[i].path) for i in todo]
        analysis = analyse(paths, model=classifier.model, tags=tags, k=10,
                           top=classifier.top, excerpts=self.config.excerpts,
                           options=self.options)
        predictions = {p.path: p for p in analysis.predictions}
        song_tags = {t.path: t for t in analysis.tags}
        errors = {str(e.path): e for e in analysis.errors}
        for i, path in zip(todo, paths, strict=True):
            item = batch[i]
            if path in errors or path not in predictions:
                out[i] = from_library(errors[path], item.name) if path in errors else \
                    ServiceError(422, "unusable", f"{item.name}: nothing could be analysed")
                continue
            similar = None
            if item.similar and self.config.library is not None:
                similar = self._similar(item)
            out[i] = song_result(item.name, predictions[path], song_tags.get(path),
                                 self.identity, durations[i], similar)

    def _similar(self, item: Item) -> list[tuple[str, float]] | None:
        with genriflow.Library(self.config.library) as library:
            try:
                return library.similar(item.path, k=5, options=self.options)
            except GenriflowError as exc:
                log.warning("similar songs of %s: %s", item.name, exc)
                return None
