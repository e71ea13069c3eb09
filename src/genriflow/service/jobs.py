"""Batch jobs: several songs in one request, answered at once with an id to poll.

A job's songs go through the same :class:`~genriflow.service.engine.Engine` as single
requests, a batch at a time, waiting for room in the queue (they never take more than half
of it, so single requests still get through). Results are kept in memory until fetched
once, or until ``job_ttl`` seconds after the job finished; a job id is random (128 bits),
so one client cannot guess another's. A queued or running job can be cancelled: no further
song of it starts, and it keeps the results of the songs analysed before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from genriflow.service.engine import Engine, Item
from genriflow.service.errors import ServiceError

log = logging.getLogger("genriflow.service")


@dataclass
class Job:
    """One batch job and what it has produced so far."""

    id: str
    items: list[Item]
    created: float = field(default_factory=time.time)
    state: str = "queued"
    results: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    finished: float | None = None
    task: asyncio.Task | None = field(default=None, repr=False)

    def status(self, *, with_results: bool) -> dict[str, Any]:
        """The job's progress (and, once done, its results) as JSON-ready data."""
        out: dict[str, Any] = {
            "id": self.id, "state": self.state, "total": len(self.items),
            "done": len(self.results) + len(self.errors),
            "failed": len(self.errors), "created": self.created, "finished": self.finished,
        }
        if with_results:
            out["results"] = self.results
            out["errors"] = self.errors
        return out


class JobStore:
    """The jobs of one service: submit, poll, fetch once, expire.

    Parameters
    ----------
    engine : Engine
    ttl : float
        Seconds a finished job waits to be fetched.
    max_jobs : int
        Jobs kept at once (finished ones included); past it a submission gets 503.
    """

    def __init__(self, engine: Engine, *, ttl: float, max_jobs: int) -> None:
        self.engine, self.ttl, self.max_jobs = engine, ttl, max_jobs
        self.jobs: dict[str, Job] = {}
        self._tasks: set[asyncio.Task] = set()

    def submit(self, items: list[Item]) -> Job:
        """Start a job over ``items``; returns at once.

        Raises
        ------
        ServiceError
            503 with ``Retry-After`` when :attr:`max_jobs` are kept.
        """
        self.expire()
        if len(self.jobs) >= self.max_jobs:
            raise ServiceError(503, "busy", f"{len(self.jobs)} jobs are kept (the limit); "
                               "fetch their results or retry later", {"Retry-After": "5"})
        job = Job(secrets.token_urlsafe(16), items)
        self.jobs[job.id] = job
        task = job.task = asyncio.create_task(self._run(job), name=f"job-{job.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    def get(self, job_id: str, *, keep: bool = False) -> dict[str, Any]:
        """A job's status; a finished job's results, given once (the job is then gone).

        Parameters
        ----------
        job_id : str
        keep : bool
            Keep a finished job and its results (for a HEAD request, which answers what a
            GET would without taking them).

        Raises
        ------
        ServiceError
            404 for a job that is unknown, expired or already fetched.
        """
        self.expire()
        job = self._job(job_id)
        if job.finished is None:
            return job.status(with_results=False)
        if not keep:
            del self.jobs[job_id]
        return job.status(with_results=True)

    def cancel(self, job_id: str) -> dict[str, Any]:
        """Cancel a queued or running job: no further song of it starts (a pass of the
        model already under way finishes, its answers dropped), its state becomes
        ``cancelled``, and it keeps the results of the songs analysed before, to be
        fetched once like a finished job's. Cancelling a cancelled job again answers the
        same.

        Raises
        ------
        ServiceError
            404 for a job that is unknown, expired or already fetched; 409 for a job that
            is done (its results wait for a GET).
        """
        self.expire()
        job = self._job(job_id)
        if job.state == "done":
            raise ServiceError(409, "job-done", f"job {job_id!r} is already done "
                               f"({len(job.results) + len(job.errors)} of {len(job.items)} "
                               "songs); GET it for its results, which also forgets it")
        if job.state != "cancelled":
            job.state, job.finished = "cancelled", time.time()
            if job.task is not None:
                job.task.cancel()
            for item in job.items:  # now: a task cancelled before it began never runs
                if item.delete:
                    item.path.unlink(missing_ok=True)
        return job.status(with_results=False)

    def _job(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise ServiceError(404, "job-unknown", f"no such job: {job_id!r} is unknown, "
                               "expired, already fetched (results are given once), or lost "
                               "with a restart of the service (jobs live in the process)")
        return job

    def expire(self, now: float | None = None) -> int:
        """Forget finished jobs older than :attr:`ttl`; how many were forgotten."""
        now = time.time() if now is None else now
        old = [j.id for j in self.jobs.values()
               if j.finished is not None and now - j.finished > self.ttl]
        for job_id in old:
            del self.jobs[job_id]
        return len(old)

    async def _run(self, job: Job) -> None:
        job.state = "running"
        step = self.engine.config.max_batch
        try:
            for start in range(0, len(job.items), step):
                chunk = job.items[start:start + step]
                await self.engine.admit_waiting(len(chunk))
                futures = [self.engine.submit(item) for item in chunk]
                for item, outcome in zip(chunk, await asyncio.gather(
                        *futures, return_exceptions=True), strict=True):
                    if isinstance(outcome, ServiceError):
                        job.errors.append({"file": item.name, "error": {
                            "code": outcome.code, "message": outcome.message}})
                    elif isinstance(outcome, BaseException):
                        log.error("job %s: %s", job.id, item.name, exc_info=outcome)
                        job.errors.append({"file": item.name, "error": {
                            "code": "internal", "message": "internal error (a bug in "
                            "genriflow); the server's log has the details"}})
                    else:
                        job.results.append(outcome)
        except ServiceError as exc:
            for item in job.items[len(job.results) + len(job.errors):]:
                job.errors.append({"file": item.name, "error": {"code": exc.code,
                                                                "message": exc.message}})
        finally:
            for item in job.items:  # uploads never outlive their job
                if item.delete:
                    item.path.unlink(missing_ok=True)
            if job.state != "cancelled":
                job.state, job.finished = "done", time.time()

    async def close(self) -> None:
        """Stop the jobs still running (their uploads are deleted); the server's log
        says, in one ``WARNING`` line, what the shutdown loses."""
        self.expire()
        running = [j for j in self.jobs.values() if j.finished is None]
        unfetched = len(self.jobs) - len(running)
        if self.jobs:
            done = sum(len(j.results) + len(j.errors) for j in running)
            total = sum(len(j.items) for j in running)
            log.warning("shutdown: %d job(s) stopped unfinished (%d of %d songs done) and "
                        "%d finished job(s) never fetched; their results are lost (jobs "
                        "live in the process)", len(running), done, total, unfetched)
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
