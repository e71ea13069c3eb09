"""The feature engine's worker processes: every core busy, pretrained networks included.

Workers are fresh interpreters started by loky (the process pool joblib and scikit-learn
use), never forks of the caller: a fork copies the parent's thread pools, and in a process
that has already run torch (or any OpenMP code) it copies their locks held, so a forked
worker once hung on its first network pass. Unlike multiprocessing's ``spawn`` and
``forkserver`` workers, loky's never import the caller's main module, so a plain script or
a notebook cell that runs an extraction at import time (no ``if __name__ ==
"__main__":`` guard) works: its workers do not run the script again.

A batch of at most :data:`SERIAL_TASKS` files, or ``n_jobs=1``, runs in the calling process
with no pool at all: one song from the command line starts no worker. A larger batch runs
in ``n_jobs - 1`` workers and in the calling process, which computes whenever the next
result is not ready. The pool is loky's
reusable one: the next batch (a library classifies in batches of 16) finds its workers
started, their networks loaded, unless they sat idle :data:`IDLE_SECONDS`. Each task
carries only its own file's stored keys, not the whole store's (a file whose content is
not known yet is hashed here first).

Each worker runs on one thread (one process per core already: BLAS, OpenMP, ONNX Runtime
and torch threads inside each would fight over the same cores) and loads the pretrained
networks it needs once, when it starts, on the job's back end (ONNX Runtime or PyTorch)
and device (CPU or CUDA: :mod:`~genriflow.features.pretrained.backend`); the caller
computes the first file itself meanwhile. On CUDA each worker holds its own CUDA context
and copy of the networks.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import threading
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from typing import NamedTuple

from genriflow.audio import AudioError, AudioErrorKind
from genriflow.audio.errors import AudioWarning
from genriflow.errors import ConfigError
from genriflow.features.compute import Computed, compute_file
from genriflow.features.sampling import Sampling
from genriflow.features.sets import FeatureConfig
from genriflow.features.store import content_hash

#: How the service's job processes start (never ``fork``: see the module docstring); the
#: feature engine's workers are loky's.
START_METHOD = ("forkserver" if "forkserver" in multiprocessing.get_all_start_methods()
                else "spawn")
#: Batches of at most this many files to compute run in the calling process: starting
#: workers (and loading networks in each) costs more than it saves on so few.
SERIAL_TASKS = 2
#: Seconds an idle worker waits for the next batch before it exits.
IDLE_SECONDS = 60
#: Files sent to each worker ahead: with one, a worker that finished while this process
#: computed a long song waited for it to hand out the next.
QUEUED = 2

Result = Computed | AudioError


class Task(NamedTuple):
    """One file to compute, with what is already known of it."""

    path: str
    configs: tuple[FeatureConfig, ...]
    sampling: Sampling
    content: str | None = None
    duration: float | None = None
    declared: float | None = None
    network_backend: str = "auto"
    device: str = "auto"


def compute(task: Task, done: dict[str, set[str]]) -> Result:
    """One file's :class:`~genriflow.features.compute.Computed`, or why it failed; a bad
    file never raises (it must not stop a batch); options that cannot run here (``cuda``
    without CUDA) raise their :class:`~genriflow.errors.ConfigError`.

    BLAS runs on one thread here in every process, as in a worker: a multi-threaded
    matrix product rounds differently (a song's excerpt changed by 1e-4 between the
    calling process and a Ray worker), and a file's features must not depend on which
    process, engine or machine computed it."""
    from threadpoolctl import threadpool_limits

    from genriflow.features.pretrained.backend import using

    try:
        with using(task.network_backend, task.device), threadpool_limits(1, "blas"):
            return compute_file(task.path, task.configs, sampling=task.sampling, done=done,
                                content=task.content, duration=task.duration,
                                declared=task.declared)
    except AudioError as exc:
        return exc
    except ConfigError:  # no file's fault: the whole job's
        raise
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop a batch
        return AudioError(task.path, f"feature extraction failed: {exc}",
                          AudioErrorKind.CORRUPT)


def results(tasks: Sequence[Task], n_jobs: int, done: dict[str, set[str]],
            networks: Sequence[str] = (), network_backend: str = "auto",
            device: str = "auto") -> Iterator[Result]:
    """Every task's result, in order, from this process and ``n_jobs - 1`` workers.

    This process computes too, whenever the next result is not ready, so ``n_jobs``
    processes compute in all, one per core, and the job holds one process's memory less
    than a pool of ``n_jobs`` beside an idle caller.

    Parameters
    ----------
    tasks : sequence of Task
    n_jobs : int
        Processes computing; 1, or at most :data:`SERIAL_TASKS` tasks, computes here only.
    done : dict
        Config digest -> keys already stored (not recomputed).
    networks : sequence of str
        Pretrained networks the tasks run, loaded by each worker as it starts.
    network_backend, device : str
        The back end and device the workers load them on (the tasks' own).

    Raises
    ------
    ConfigError
        For a device this machine cannot run the networks on (``cuda`` without CUDA),
        before any file is computed.
    """
    if networks and tasks:
        from genriflow.features.pretrained.backend import placement

        placement(network_backend, device)
    if n_jobs == 1 or len(tasks) <= SERIAL_TASKS:
        for task in tasks:
            yield compute(task, done)
        return
    from joblib.externals.loky import get_reusable_executor

    workers = min(n_jobs - 1, len(tasks) - 1)
    # loky's one pool per process, kept between batches (a library classifies in batches)
    # until idle for IDLE_SECONDS: workers start, import and load their networks once.
    with _interrupts_ignored():  # Ctrl-C is this process's to handle, not the workers'
        pool = get_reusable_executor(max_workers=workers, timeout=IDLE_SECONDS,
                                     initializer=_prepare_local_worker,
                                     initargs=(tuple(networks), network_backend, device))
        for _ in range(workers):  # start them now: they import and load while we compute
            pool.submit(_started)
    by_content = _by_content(done)
    queue: deque[Future | Result] = deque()  # the results to come, in task order
    try:
        # The first file runs here, before any worker computes: numba compiles librosa's
        # kernels and writes its on-disk cache once, from one process. Workers compiling
        # into a cold cache at the same time once left it corrupt. This process computes
        # on one thread, as the workers do.
        with _one_thread(networks):
            yield compute(tasks[0], done)
            following = iter(tasks[1:])
            task = next(following, None)
            while task is not None or queue:
                while task is not None and sum(isinstance(f, Future) and not f.done()
                                               for f in queue) < QUEUED * workers:
                    task = _with_content(task)
                    queue.append(pool.submit(compute_captured, task,
                                             _done_of(task, done, by_content)))
                    task = next(following, None)
                while queue and not (isinstance(queue[0], Future) and not queue[0].done()):
                    yield _said(queue.popleft())
                if queue and task is not None:  # the next result is not ready: work here
                    queue.append(compute(task, done))
                    task = next(following, None)
                elif queue:
                    yield _said(queue.popleft())
    finally:
        # Stopped early (an error, a closed generator): the files not started are dropped.
        for item in queue:
            if isinstance(item, Future):
                item.cancel()


def _said(item: Future | Result) -> Result:
    """A result computed here, or a worker's, whose file warnings are said here, where
    the caller's warning policy holds."""
    if not isinstance(item, Future):
        return item
    result, caught = item.result()
    for warning in caught:
        warnings.warn(warning, stacklevel=3)
    return result


def _by_content(done: dict[str, set[str]]) -> dict[str, dict[str, set[str]]]:
    """The stored keys by file content: content hash -> config digest -> keys."""
    out: dict[str, dict[str, set[str]]] = {}
    for digest, keys in done.items():
        for key in keys:
            out.setdefault(key.partition("@")[0], {}).setdefault(digest, set()).add(key)
    return out


def _with_content(task: Task) -> Task:
    """``task`` with its file's content hash, taken here if it is not known yet (a new,
    moved or copied file): a worker is sent only that content's stored keys, so a copy of
    a stored song is served from the store, not computed again. An unreadable file is left
    for the worker to report, as any file's error."""
    if task.content is not None:
        return task
    try:
        return task._replace(content=content_hash(task.path))
    except OSError:
        return task


def _done_of(task: Task, done: dict[str, set[str]],
             by_content: dict[str, dict[str, set[str]]]) -> dict[str, set[str]]:
    """What a worker needs of ``done`` for ``task``: its file's stored keys (none for a
    file whose content could not be read: the worker reports its error)."""
    return by_content.get(task.content, {}) if task.content else {}


@contextlib.contextmanager
def _one_thread(networks: Sequence[str]) -> Iterator[None]:
    """This process on one thread (BLAS, OpenMP, and the networks' runtimes) meanwhile.

    ONNX Runtime sessions opened meanwhile keep one thread (one per process: the caller
    of a pool is one of its computing processes); torch is limited only where something
    imported it (a process on ONNX Runtime alone never does).
    """
    import sys

    from threadpoolctl import threadpool_limits

    from genriflow.features.pretrained import onnx_runtime

    with threadpool_limits(limits=1), onnx_runtime.threads(1):
        if not networks or "torch" not in sys.modules:
            yield
            return
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(threads)


_THREAD_LIMITS: list = []


@contextlib.contextmanager
def _interrupts_ignored() -> Iterator[None]:
    """Ctrl-C ignored while worker processes start, so that they start ignoring it.

    A terminal sends Ctrl-C's SIGINT to every process of the command, the workers too; a
    worker that is still importing would print a traceback of its own. A process started
    while SIGINT is ignored keeps ignoring it (Python then installs no handler), and this
    process alone answers Ctrl-C: one ``interrupted`` line, the workers shut down.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set a signal handler
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    # SIGTERM (the command line's Terminated) waits until the pool is whole: raised inside
    # loky's start-up it left a half-made pool whose manager thread kept the process alive
    # after the command had ended, its workers with it
    pending: list[int] = []
    previous_term = signal.getsignal(signal.SIGTERM)
    deferring = callable(previous_term)
    if deferring:
        signal.signal(signal.SIGTERM, lambda signum, frame: pending.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if deferring:
            signal.signal(signal.SIGTERM, previous_term)
            if pending:
                signal.raise_signal(signal.SIGTERM)


def _prepare_local_worker(networks: Sequence[str], network_backend: str = "auto",
                          device: str = "auto") -> None:
    """:func:`prepare_process` for a worker of the local pool, which leaves Ctrl-C to the
    process that started it (a worker restarted later did not start ignoring it)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    prepare_process(networks, network_backend, device)


def prepare_process(networks: Sequence[str], network_backend: str = "auto",
                    device: str = "auto") -> None:
    """Set up a worker process once, before its first file: one thread (BLAS, OpenMP, ONNX
    Runtime and torch), subnormal floats as zero, and the pretrained ``networks`` loaded
    on ``network_backend`` and ``device``.

    Every engine's workers call it: the local pool's as they start, a Ray worker before
    its first task (:mod:`~genriflow.features.ray_engine`).
    """
    from threadpoolctl import threadpool_limits

    from genriflow.features.pretrained import backend, onnx_runtime

    _THREAD_LIMITS.append(threadpool_limits(limits=1))
    onnx_runtime.set_threads(1, denormals_as_zero=True)
    if not networks:
        return
    with backend.using(network_backend, device):
        try:
            chosen = backend.placement()
        except ConfigError:  # the caller says so, before any file is computed
            return
        if chosen.runtime == "torch":
            _prepare_torch()
        for name in networks:
            with contextlib.suppress(Exception):  # a missing network is each file's error
                backend.load(name)


def _prepare_torch() -> None:
    import torch

    torch.set_num_threads(1)
    with contextlib.suppress(RuntimeError):  # only possible before any parallel work
        torch.set_num_interop_threads(1)
    # Subnormal floats (below 1e-38) as zero: they arise in the networks' convolutions on
    # quiet passages and cost x86 cores a hundred times a normal operation; no feature
    # changes beyond float rounding (measured ~15 % faster passes on real songs).
    torch.set_flush_denormal(True)


def _started() -> None:
    """Nothing: submitted once per worker so that each starts at once."""


def compute_captured(task: Task, done: dict[str, set[str]],
                     compute_one: Callable[[Task, dict[str, set[str]]], Result] = compute
                     ) -> tuple[Result, list[AudioWarning]]:
    """The task's result (by ``compute_one``, :func:`compute` unless a test wraps it) and
    the file warnings it raised, for the caller to say: a worker's warnings would otherwise
    be lost in its process."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AudioWarning)
        result = compute_one(task, done)
    for other in caught:
        if not isinstance(other.message, AudioWarning):
            warnings.warn_explicit(other.message, other.category, other.filename, other.lineno)
    return result, [w.message for w in caught if isinstance(w.message, AudioWarning)]
