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

beside the issue's target of 1 GiB. Linux only. The songs default to the Debian
game-music tracks (copied into a scratch folder with the index and the feature store;
the originals are only read).

    python benchmarks/memory.py --limit 20
    python benchmarks/memory.py ~/Music --jobs 2
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


def watched(argv: Sequence[str], interval: float) -> tuple[TreeWatch, float]:
    """Run ``argv`` (which must succeed) under a :class:`TreeWatch`; its wall seconds."""
    start = time.perf_counter()
    child = subprocess.Popen(argv)
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
    args = parser.parse_args(argv)

    genriflow = shutil.which("genriflow") or sys.exit("no genriflow command on PATH")
    songs = spread(sorted(p for p in args.folder.rglob("*") if p.suffix.lower() in AUDIO)
                   if args.folder else debian_tracks(), args.limit)
    print("$ python " + shlex.join(sys.argv))
    with tempfile.TemporaryDirectory() as scratch:
        music = Path(scratch) / "music"  # copies: the originals are never opened to write
        music.mkdir()
        for i, song in enumerate(songs):
            shutil.copyfile(song, music / f"{i:03d}-{song.name}")
        db, store = Path(scratch) / "library.db", Path(scratch) / "store"
        subprocess.run([genriflow, "library", "scan", str(music), "--db", str(db), "-q"],
                       check=True, stdout=subprocess.DEVNULL)
        classify = [genriflow, "library", "classify", "--db", str(db), "--store", str(store),
                    "-q", *(["--jobs", str(args.jobs)] if args.jobs else []),
                    *(["--model", args.model] if args.model else [])]
        print("$ " + shlex.join(classify).replace(scratch, "SCRATCH"))
        watch, seconds = watched(classify, args.interval)

    print(f"\n{len(songs)} songs, {seconds:.1f} s, at most {watch.processes} processes; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end")
    print(f"{'peak, all processes':<36}{'measured':>12}{'target':>12}")
    print(f"{'  sum of PSS (shared pages split)':<36}{gib(watch.pss):>12}{gib(TARGET_KIB):>12}"
          f"  {'meets' if watch.pss <= TARGET_KIB else 'MISSES'}")
    print(f"{'  sum of RSS (shared pages counted':<36}{gib(watch.rss):>12}{gib(TARGET_KIB):>12}"
          f"  {'meets' if watch.rss <= TARGET_KIB else 'MISSES'}")
    print(f"{'   once per process)':<36}")
    print("each process's high-water mark (VmHWM): "
          + ", ".join(f"{kib / 1024:.0f} MiB" for kib in sorted(watch.hwm.values(),
                                                                  reverse=True)))


if __name__ == "__main__":
    main()
