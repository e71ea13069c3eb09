"""A bounded queue in front of the warm model, and concurrent songs batched into one pass.

Requests never run inference on the event loop: each song becomes an :class:`Item` on an
asyncio queue; a dispatcher takes the first waiting song as soon as one of ``workers``
is free, gathers the others that arrive within ``batch_wait`` (up to ``max_batch``), and
hands them as one batch to a :class:`~genriflow.service.worker.Worker` (one
:func:`genriflow.analyse` call), in a worker process (``pool="process"``) or a thread.
Admission is bounded: past ``queue_limit`` songs running or waiting, a request is refused
at once (503 with ``Retry-After``) rather than left to pile up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genriflow.errors import GenriflowError
from genriflow.features.workers import START_METHOD
from genriflow.service import worker
from genriflow.service.config import ServiceConfig
from genriflow.service.errors import ServiceError

log = logging.getLogger("genriflow.service")

#: The headers of a request refused before its body is read: the connection is closed
#: after the answer, so the client stops sending the body and reads the answer at once.
REFUSED = {"Connection": "close"}


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
        self.pool: Executor | None = None
        self.worker: worker.Worker | None = None  # the thread pool's
        self.model: dict[str, Any] | None = None
        self.load_error: str | None = None
        self.pending = 0
        self._queue: asyncio.Queue[Item] | None = None
        self._free: asyncio.Semaphore | None = None
        self._tasks: set[asyncio.Task] = set()
        self._dispatcher: asyncio.Task | None = None
        self._loading: asyncio.Task | None = None

    # -- life cycle -------------------------------------------------------------------
    async def start(self) -> None:
        """Start the pool and the dispatcher; the model loads in the background (:attr:`ready`
        once every worker is warm)."""
        self._queue = asyncio.Queue()
        self._free = asyncio.Semaphore(self.config.workers)
        self._dispatcher = asyncio.create_task(self._dispatch(), name="genriflow-dispatch")
        if self.config.pool == "process":
            self.pool = ProcessPoolExecutor(
                self.config.workers, mp_context=multiprocessing.get_context(START_METHOD),
                initializer=worker.init_process, initargs=(self.config,))
        else:
            self.pool = ThreadPoolExecutor(self.config.workers,
                                           thread_name_prefix="genriflow-infer")
        self._loading = asyncio.create_task(self._load(), name="genriflow-load")

    async def _load(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            if self.config.pool == "process":  # one call per worker: each starts and warms
                described = await asyncio.gather(*(
                    loop.run_in_executor(self.pool, worker.process_describe)
                    for _ in range(self.config.workers)))
                self.model = described[0]
            else:
                self.worker = await loop.run_in_executor(self.pool, worker.Worker,
                                                         self.config)
                self.model = self.worker.describe()
        except GenriflowError as exc:
            self.load_error = str(exc)
            log.error("the model cannot be loaded: %s", exc)
        except Exception as exc:  # a bug, or a worker process that died
            self.load_error = f"internal error while loading: {type(exc).__name__}"
            log.error("the model cannot be loaded", exc_info=exc)

    @property
    def ready(self) -> bool:
        """Whether the model is loaded and warm."""
        return self.model is not None

    @property
    def identity(self) -> dict[str, str]:
        """The model's name, identity and version (empty until loaded)."""
        return {k: v for k, v in (self.model or {}).items()
                if k not in ("labels", "multi_label")}

    @property
    def labels(self) -> list[str] | None:
        """The model's genres (``None`` until loaded)."""
        return None if self.model is None else list(self.model["labels"])

    @property
    def multi_label(self) -> bool | None:
        """Whether the model is multi-label: each genre's probability on its own, not a
        share of one (``None`` until loaded)."""
        return None if self.model is None else bool(self.model.get("multi_label"))

    async def wait_ready(self) -> None:
        """Until the model has loaded (or failed to)."""
        assert self._loading is not None
        await self._loading

    async def close(self) -> None:
        """Finish every admitted song, then stop the dispatcher and the pool (drained)."""
        while self.pending:
            await asyncio.sleep(0.05)
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher
        if self._loading is not None:
            self._loading.cancel()
        if self.pool is not None:
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
            raise ServiceError(503, "not-ready", message, REFUSED | {"Retry-After": "5"})
        if self.pending + n > self.config.queue_limit:
            raise ServiceError(503, "busy", f"the queue is full ({self.pending} of "
                               f"{self.config.queue_limit} songs); retry later",
                               REFUSED | {"Retry-After": "1"})
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
            batch = self._drop_abandoned(batch)
            if not batch:
                self._free.release()
                continue
            task = asyncio.create_task(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _drop_abandoned(self, batch: list[Item]) -> list[Item]:
        """The songs of ``batch`` still awaited: one whose future is already done (a
        cancelled job's, a request past its timeout) is never analysed."""
        for item in batch:
            if item.future.done():
                self.pending -= 1
                if item.delete:
                    item.path.unlink(missing_ok=True)
        return [item for item in batch if not item.future.done()]

    async def _run(self, batch: list[Item]) -> None:
        assert self._free is not None
        started = time.perf_counter()
        tasks = [worker.Task(str(item.path), item.name, item.tags, item.similar)
                 for item in batch]
        analyse = (worker.process_analyse if self.worker is None
                   else self.worker.analyse)
        try:
            results = await asyncio.get_running_loop().run_in_executor(
                self.pool, analyse, tasks)
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
