"""Prometheus metrics of one service: requests, latency, queue depth, batches, errors."""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The latency buckets, in seconds (a song takes from a tenth of a second to minutes).
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
           120.0, 300.0)


class Metrics:
    """The service's metrics, in a registry of their own (one per app).

    Parameters
    ----------
    queue_depth : callable
        Songs admitted and not finished, read at each scrape.
    jobs : callable
        Jobs kept, read at each scrape.
    """

    def __init__(self, queue_depth: Callable[[], float], jobs: Callable[[], float]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("genriflow_requests", "HTTP requests answered.",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("genriflow_request_seconds", "Time to answer a request.",
                                 ["route"], buckets=BUCKETS, registry=self.registry)
        self.errors = Counter("genriflow_errors", "Requests answered with an error, by code.",
                              ["code"], registry=self.registry)
        self.batches = Histogram("genriflow_batch_songs", "Songs per pass of the model.",
                                 buckets=(1, 2, 4, 8, 16, 32, 64), registry=self.registry)
        self.batch_seconds = Histogram("genriflow_batch_seconds", "Time of one pass.",
                                       buckets=BUCKETS, registry=self.registry)
        depth = Gauge("genriflow_queue_depth", "Songs admitted: running or waiting.",
                      registry=self.registry)
        depth.set_function(queue_depth)
        kept = Gauge("genriflow_jobs", "Batch jobs kept (running or awaiting fetch).",
                     registry=self.registry)
        kept.set_function(jobs)

    def batch(self, songs: int, seconds: float) -> None:
        """Record one pass of the model."""
        self.batches.observe(songs)
        self.batch_seconds.observe(seconds)

    def text(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)


class MetricsMiddleware:
    """ASGI middleware counting every HTTP request by route template and status, and
    timing it."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            name = getattr(route, "path", None) or (
                "/static" if scope["path"].startswith("/static/") else "unmatched")
            self.metrics.requests.labels(scope["method"], name, str(status)).inc()
            self.metrics.latency.labels(name).observe(time.perf_counter() - started)
