"""The service under load: throughput and latency below the queue limit, and past it only
503s (with Retry-After), no 500, no request lost.

Starts ``genriflow serve`` on 127.0.0.1 (a real process, a free port), with generated
short songs (a few seconds each, ten genres). Phase 1 sends a fixed number of requests
from a fixed number of concurrent clients, fewer than the queue holds: it prints the
throughput, the latency percentiles and the errors (must be 0). Phase 2 sends from more
clients than the queue holds: every request must be answered, 200 or 503, nothing else.
Both phases stop by themselves. Exit status 1 if either promise is broken.

    python benchmarks/service_load.py                          # 500 requests, 16 clients
    python benchmarks/service_load.py --requests 200 --clients 8 --model gtzan
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import soundfile as sf

from genriflow.datasets.synthetic import RECIPES, synthesize_clip

GENRES = sorted(RECIPES)

SR = 22050


def write_songs(folder: Path, n: int, seconds: float) -> list[bytes]:
    """``n`` generated songs (wav), their bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        y = synthesize_clip(GENRES[i % len(GENRES)], seconds, SR, np.random.default_rng(i))
        path = folder / f"{i:02d}.wav"
        sf.write(path, 0.5 * y / max(1e-9, float(np.abs(y).max())), SR)
        out.append(path.read_bytes())
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(args: argparse.Namespace, port: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "genriflow", "serve", "--model", args.model,
               "--port", str(port), "--workers", str(args.workers),
               "--queue-limit", str(args.queue_limit), "--max-batch", str(args.max_batch),
               "--excerpts", str(args.excerpts)]
    print("service:", " ".join(command[2:]), flush=True)
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={**os.environ, "COLUMNS": "400"})


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 300) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise SystemExit(f"the service exited:\n{process.stdout.read()}")
        try:
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("the service did not become ready")


async def load(url: str, songs: list[bytes], n: int, clients: int
               ) -> tuple[list[tuple[int, float]], float]:
    """``n`` requests from ``clients`` concurrent clients, each sending one after the
    other; every request's status (0: no answer) and latency, and the wall time."""
    results: list[tuple[int, float]] = []
    counter = iter(range(n))

    async def client(http: httpx.AsyncClient) -> None:
        for i in counter:
            started = time.perf_counter()
            try:
                response = await http.post("/v1/classify", content=songs[i % len(songs)],
                                           headers={"content-type": "audio/wav"})
                status = response.status_code
                if status == 503:
                    assert response.headers.get("retry-after"), "503 without Retry-After"
            except httpx.HTTPError:
                status = 0
            results.append((status, time.perf_counter() - started))

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(clients)))
        return results, time.perf_counter() - started


def summary(name: str, results: list[tuple[int, float]], wall: float) -> dict:
    statuses: dict[str, int] = {}
    for status, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    ok = np.array([t for s, t in results if s == 200])
    busy = np.array([t for s, t in results if s == 503])
    out = {"requests": len(results), "statuses": statuses, "wall_s": round(wall, 2),
           "throughput_per_s": round(len(ok) / wall, 2),
           "errors": sum(n for s, n in statuses.items() if s != "200")}
    if len(ok):
        out |= {f"p{q}_s": round(float(np.percentile(ok, q)), 3) for q in (50, 95, 99)}
    if len(busy):
        out |= {f"p{q}_503_s": round(float(np.percentile(busy, q)), 3) for q in (50, 99)}
    print(f"{name}: {json.dumps(out)}", flush=True)
    return out


def batching(url: str) -> str:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    count = float(re.search(r"^genriflow_batch_songs_count (\S+)", text, re.M).group(1))
    songs = float(re.search(r"^genriflow_batch_songs_sum (\S+)", text, re.M).group(1))
    return f"{songs:.0f} songs in {count:.0f} passes ({songs / max(count, 1):.2f} a pass)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="gtzan-table")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--overload-requests", type=int, default=300)
    parser.add_argument("--overload-clients", type=int, default=96)
    parser.add_argument("--queue-limit", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-batch", type=int, default=8)
    parser.add_argument("--excerpts", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=5.0, help="Length of each song.")
    parser.add_argument("--songs", type=int, default=20, help="Distinct songs sent.")
    args = parser.parse_args(argv)
    if args.clients > args.queue_limit or args.overload_clients <= args.queue_limit:
        parser.error("phase 1 needs --clients <= --queue-limit, phase 2 more")

    songs = write_songs(Path(tempfile.mkdtemp(prefix="genriflow-load-")), args.songs,
                        args.seconds)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start(args, port)
    try:
        print(f"ready after {wait_ready(url, process):.1f} s; {len(songs)} songs of "
              f"{args.seconds:g} s, {os.cpu_count()} cores", flush=True)
        below = summary(f"below the queue limit ({args.requests} requests, {args.clients} "
                        "clients)", *asyncio.run(load(url, songs, args.requests,
                                                      args.clients)))
        print(f"batching: {batching(url)}", flush=True)
        past = summary(f"past the queue limit ({args.overload_requests} requests, "
                       f"{args.overload_clients} clients, queue {args.queue_limit})",
                       *asyncio.run(load(url, songs, args.overload_requests,
                                         args.overload_clients)))
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
    broken = []
    if below["errors"]:
        broken.append(f"{below['errors']} errors below the queue limit")
    if set(past["statuses"]) - {"200", "503"} or past["requests"] != args.overload_requests:
        broken.append(f"past the queue limit: {past['statuses']}")
    for line in broken:
        print(f"FAILED: {line}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
