"""Peak memory of ``genriflow library classify`` across all its processes, against 1 GiB.

Runs what a user types, ``genriflow library scan DIR`` then ``genriflow library classify``,
on a fresh index and a fresh feature store, as a child process, and samples that process
and every descendant (the feature workers) every ``--interval`` seconds from ``/proc``:

  - the largest sum of resident sets (``VmRSS``) at one sample: counts every shared page
    (the interpreter, numpy's and torch's libraries, read from the same files) once per
    process, so it overstates the memory taken;
  - the largest sum of proportional sets (``Pss`` of ``/proc/PID/smaps_rollup``) at one
    sample: each shared page divided among the processes that map it, what the machine
    actually gives the job;
  - each process's own high-water mark (``VmHWM``), and the most processes at once;

beside the issue's target of 1 GiB, for each back end of the musicnn networks named by
``--backends`` (default ``torch,onnx``: PyTorch, then ONNX Runtime, side by side; each
on a fresh store, chosen through ``GENRIFLOW_NETWORK_BACKEND``). Linux only. The songs
default to the Debian game-music tracks (copied into a scratch folder with the index and
the feature store; the originals are only read).

    python benchmarks/memory.py --limit 20
    python benchmarks/memory.py ~/Music --jobs 2
    python benchmarks/memory.py --backends onnx
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from adaptive import debian_tracks, spread

from library import _proc_kib, process_tree

#: File suffixes taken as songs in a given folder.
AUDIO = (".mp3", ".m4a", ".flac", ".ogg", ".opus", ".wav", ".au")
#: Issue 24's target: the whole job's resident memory, all processes together.
TARGET_KIB = 1024 * 1024


def pss_kib(pid: int) -> int:
    """A live process's proportional set size in KiB (``/proc/PID/smaps_rollup``)."""
    with contextlib.suppress(OSError, ValueError, IndexError), \
            open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


class TreeWatch:
    """Largest sums of RSS and PSS over ``root`` and its descendants, sampled."""

    def __init__(self, root: int, interval: float) -> None:
        self.root, self.interval = root, interval
        self.rss = self.pss = self.processes = 0
        self.hwm: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            tree = process_tree(self.root)
            self.rss = max(self.rss, sum(_proc_kib(pid, "VmRSS") for pid in tree))
            self.pss = max(self.pss, sum(pss_kib(pid) for pid in tree))
            self.processes = max(self.processes, len(tree))
            for pid in tree:
                self.hwm[pid] = max(self.hwm.get(pid, 0), _proc_kib(pid, "VmHWM"))
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def watched(argv: Sequence[str], interval: float,
            env: dict[str, str] | None = None) -> tuple[TreeWatch, float]:
    """Run ``argv`` (which must succeed) under a :class:`TreeWatch`; its wall seconds."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, env=env)
    watch = TreeWatch(child.pid, interval)
    status = child.wait()
    watch.stop()
    if status != 0:
        sys.exit(f"{shlex.join(argv)} failed ({status})")
    return watch, time.perf_counter() - start


def gib(kib: int) -> str:
    return f"{kib / 1024 / 1024:.2f} GiB"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", type=Path,
                        help="songs (default: the Debian game-music tracks)")
    parser.add_argument("--limit", type=int, default=20, help="N songs spread over them")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes")
    parser.add_argument("--model", default=None, help="the model (default: gtzan)")
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between samples")
    parser.add_argument("--backends", default="torch,onnx",
                        help="the networks' back ends to measure, in turn (comma-separated: "
                             "torch, onnx)")
    args = parser.parse_args(argv)
    backends = args.backends.split(",")

    genriflow = shutil.which("genriflow") or sys.exit("no genriflow command on PATH")
    songs = spread(sorted(p for p in args.folder.rglob("*") if p.suffix.lower() in AUDIO)
                   if args.folder else debian_tracks(), args.limit)
    print("$ python " + shlex.join(sys.argv))
    with tempfile.TemporaryDirectory() as scratch:
        music = Path(scratch) / "music"  # copies: the originals are never opened to write
        music.mkdir()
        for i, song in enumerate(songs):
            shutil.copyfile(song, music / f"{i:03d}-{song.name}")
        runs = {}
        for backend in backends:
            db, store = Path(scratch) / f"{backend}.db", Path(scratch) / f"store-{backend}"
            subprocess.run([genriflow, "library", "scan", str(music), "--db", str(db), "-q"],
                           check=True, stdout=subprocess.DEVNULL)
            classify = [genriflow, "library", "classify", "--db", str(db), "--store",
                        str(store), "-q", *(["--jobs", str(args.jobs)] if args.jobs else []),
                        *(["--model", args.model] if args.model else [])]
            print(f"$ GENRIFLOW_NETWORK_BACKEND={backend} "
                  + shlex.join(classify).replace(scratch, "SCRATCH"), flush=True)
            env = {**os.environ, "GENRIFLOW_NETWORK_BACKEND": backend}
            runs[backend] = watched(classify, args.interval, env)

    print(f"\n{len(songs)} songs; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores at the end; target {gib(TARGET_KIB)} across processes")
    print(f"{'networks on':<14}{'seconds':>9}{'processes':>11}{'peak PSS sum':>14}"
          f"{'peak RSS sum':>14}  each process's high-water mark (VmHWM)")
    for backend, (watch, seconds) in runs.items():
        marks = ", ".join(f"{kib / 1024:.0f}" for kib in sorted(watch.hwm.values(),
                                                                reverse=True))
        print(f"{backend:<14}{seconds:>9.1f}{watch.processes:>11}"
              f"{gib(watch.pss):>10} {'ok' if watch.pss <= TARGET_KIB else 'MISS':<4}"
              f"{gib(watch.rss):>10} {'ok' if watch.rss <= TARGET_KIB else 'MISS':<4}"
              f"  {marks} MiB")
    print("PSS splits each shared page among the processes mapping it (what the job costs "
          "the machine); RSS counts it once per process")


if __name__ == "__main__":
    main()
