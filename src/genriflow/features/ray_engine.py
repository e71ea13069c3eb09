"""The Ray engine: the feature engine's per-song work as Ray tasks, on one machine or many.

The local engine (:mod:`~genriflow.features.workers`) keeps every core of one machine
busy; this one spreads the same work over a Ray cluster (``RunOptions(engine="ray")``, the
optional extra ``pip install "genriflow[ray]"``). Only where the work runs differs:

* the files are listed once, by the caller (:func:`~genriflow.features.extract.extract_sets`),
  and cut into batches of a few files, one Ray task each (``num_cpus=1``);
* every file is computed by the same function as in the local pool
  (:func:`~genriflow.features.workers.compute`, after the same per-process set-up:
  :func:`~genriflow.features.workers.prepare_process`), so the features are the same
  numbers;
* results come back to the driver, in input order, which writes them exactly as for the
  local engine: into the feature store, a part per batch of files, made visible by a
  rename (so the store need not be on storage every node sees), and shows the progress;
* a task whose worker dies (killed, out of memory, its node lost) is run again by Ray
  (``max_retries``); a task returns its batch's results only when every file of it is
  done, so a retried batch is computed whole again and nothing is lost or counted twice.
  A batch that fails every try is run again file by file, so only a file that kills its
  worker every time is reported, as that file's error; the others are computed.

Ray is imported only here, and only when the engine runs.
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
import os
import socket
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from genriflow.audio import AudioError, AudioErrorKind
from genriflow.errors import ConfigError
from genriflow.features import workers
from genriflow.features.workers import Result, Task

#: How often Ray runs a task again after its worker died.
MAX_RETRIES = 3
#: At most this many files per task (fewer when there are few files per CPU, so that
#: every CPU gets several tasks and a slow file holds up little).
MAX_BATCH = 16
#: Tasks per CPU the batches aim at.
TASKS_PER_CPU = 4

ComputeOne = Callable[[Task, dict[str, set[str]]], Result]


def import_ray() -> Any:
    """The ``ray`` module, or a one-line :class:`~genriflow.errors.ConfigError` saying
    how to install it."""
    try:
        import ray
    except ImportError:
        raise ConfigError("engine", "is ray, but Ray is not installed: pip install "
                          "\"genriflow[ray]\"") from None
    return ray


def connect(address: str | None = None) -> Any:
    """Join a Ray cluster (once per process) and return the ``ray`` module.

    Parameters
    ----------
    address : str or None
        ``auto`` (the cluster this machine is part of), ``HOST:PORT`` or
        ``ray://HOST:PORT`` (Ray Client); ``None`` keeps the instance this process already
        joined, else starts a local one on this machine's cores.

    Raises
    ------
    ConfigError
        Ray missing, or no cluster at ``address``.
    """
    ray = import_ray()
    if address is not None and address.startswith("ray://"):
        _check_client(address)
    if address is not None and address != "auto":
        _check_answers(address)
    if ray.is_initialized():
        return ray
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 logging_level="ERROR")
    except (ConnectionError, RuntimeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError("address", f"{address!r}: no Ray cluster to join ({first})") from None
    return ray


def _check_client(address: str) -> None:
    """Refuse, in one line, a ``ray://`` address where Ray Client cannot run: it needs
    ``ray[client]`` (gRPC), which ``genriflow[ray]`` does not install. Ray's own words
    (after a connection attempt) read as if no cluster answered."""
    if importlib.util.find_spec("grpc") is None:
        raise ConfigError("address", f"{address!r} connects through Ray Client, which is "
                          "not installed: pip install \"ray[client]\"")


def _check_answers(address: str, timeout: float = 5.0) -> None:
    """Refuse, in one line, a ``HOST:PORT`` (or ``ray://HOST:PORT``) where nothing takes a
    connection: ``ray.init`` would wait minutes for the cluster's control store there,
    writing a warning to stderr every few seconds."""
    where = address.removeprefix("ray://")
    host, _, port = where.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except OSError as exc:
        why = exc.strerror or str(exc) or type(exc).__name__
        raise ConfigError("address", f"{address!r}: no Ray cluster to join (nothing "
                          f"answers at {where}: {why})") from None


def batches(tasks: Sequence[Task], n_cpus: int) -> list[list[Task]]:
    """The tasks cut into batches in order: about :data:`TASKS_PER_CPU` per CPU, at most
    :data:`MAX_BATCH` files each.

    >>> [len(b) for b in batches([Task(str(i), (), None) for i in range(10)], 2)]
    [2, 2, 2, 2, 2]
    """
    size = max(1, min(MAX_BATCH, math.ceil(len(tasks) / (TASKS_PER_CPU * max(n_cpus, 1)))))
    return [list(tasks[i:i + size]) for i in range(0, len(tasks), size)]


def results(tasks: Sequence[Task], done: dict[str, set[str]], networks: Sequence[str] = (),
            *, n_jobs: int | None = None, address: str | None = None,
            max_retries: int = MAX_RETRIES, compute_one: ComputeOne = workers.compute
            ) -> Iterator[Result]:
    """Every task's result, in order, computed by Ray tasks (the local engine's contract:
    :func:`~genriflow.features.workers.results`).

    Parameters
    ----------
    tasks : sequence of Task
    done : dict
        Config digest -> keys already stored (not recomputed); sent to the cluster once.
    networks : sequence of str
        Pretrained networks the tasks run, loaded by each Ray worker before its first task.
    n_jobs : int or None
        Tasks running at once; ``None``: one per CPU of the cluster.
    address : str or None
        See :func:`connect`.
    max_retries : int
        Runs of a task again after its worker died.
    compute_one : callable
        The per-file function, :func:`~genriflow.features.workers.compute`; tests pass a
        wrapper that kills its worker.

    Yields
    ------
    Computed or AudioError
        One per task, in input order; the file warnings its worker raised are said here.
    """
    if not tasks:
        return
    ray = connect(address)
    cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    limit = n_jobs or cpus
    work = batches(tasks, limit)
    remote = ray.remote(_compute_batch).options(num_cpus=1, max_retries=max_retries,
                                                retry_exceptions=False)
    shared = ray.put(done)
    running: dict[Any, int] = {}
    finished: dict[int, list] = {}
    submitted = given = 0
    try:
        while given < len(work):
            # Keep `limit` tasks busy, but never run far ahead of what has been handed on.
            while (len(running) < limit and submitted < len(work)
                   and submitted < given + TASKS_PER_CPU * limit):
                ref = remote.remote(work[submitted], shared, tuple(networks), compute_one)
                running[ref] = submitted
                submitted += 1
            if given not in finished:
                ready, _ = ray.wait(list(running), num_returns=1)
                for ref in ready:
                    index = running.pop(ref)
                    finished[index] = _collect(ray, ref, work[index], shared, networks,
                                               max_retries, compute_one)
                continue
            for result, caught in finished.pop(given):
                for warning in caught:
                    warnings.warn(warning, stacklevel=2)
                yield result
            given += 1
    finally:
        for ref in running:
            with contextlib.suppress(Exception):
                ray.cancel(ref, force=True)


def _collect(ray: Any, ref: Any, batch: list[Task], shared: Any, networks: Sequence[str],
             max_retries: int, compute_one: ComputeOne) -> list:
    """A finished batch's results; a batch that failed every try is run again file by
    file, and a file that still fails becomes its own error."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayError:
        pass
    remote = ray.remote(_compute_batch).options(num_cpus=1, max_retries=max_retries,
                                                retry_exceptions=False)
    refs = [remote.remote([task], shared, tuple(networks), compute_one) for task in batch]
    out = []
    for task, one in zip(batch, refs, strict=True):
        try:
            out.extend(ray.get(one))
        except ray.exceptions.RayError as exc:
            reason = f"its Ray worker died on every one of {max_retries + 1} tries " \
                     f"({type(exc).__name__})"
            out.append((AudioError(task.path, reason, AudioErrorKind.CORRUPT), []))
    return out


_PREPARED: set[tuple[str, ...]] = set()


def _compute_batch(batch: list[Task], done: dict[str, set[str]], networks: tuple[str, ...],
                   compute_one: ComputeOne) -> list:
    """Runs in a Ray worker: each file's result and warnings, in order."""
    if networks not in _PREPARED:
        workers.prepare_process(networks)
        _PREPARED.add(networks)
        # The worker's first file runs alone on its node: numba compiles librosa's kernels
        # into its on-disk cache then, and workers compiling into a cold cache at once
        # once left it corrupt (see the local engine, which computes the first file itself).
        with _node_lock():
            first = workers.compute_captured(batch[0], done, compute_one)
        return [first, *(workers.compute_captured(task, done, compute_one)
                         for task in batch[1:])]
    return [workers.compute_captured(task, done, compute_one) for task in batch]


@contextlib.contextmanager
def _node_lock() -> Iterator[None]:
    """An exclusive lock shared by the processes of this machine (none where there is no
    ``fcntl``)."""
    try:
        import fcntl
    except ImportError:  # not POSIX
        yield
        return
    path = Path(tempfile.gettempdir()) / f"genriflow-first-file-{os.getuid()}.lock"
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
