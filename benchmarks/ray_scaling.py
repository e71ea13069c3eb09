"""Songs per second of the Ray engine with 1 and 2 workers against the local engine.

The same songs, the same feature sets, four runs side by side: the local engine (worker
processes, ``--jobs`` 1 and 2) and the Ray engine on a fresh local Ray instance of 1 and
2 CPUs (one task at a time per CPU). No feature store, so every run computes every song;
each run's features are compared with the first's (the largest relative difference;
0 when identical). Ray's start-up (``ray.init``)
is timed apart from the job; the job's time includes starting the workers (the local
pool's processes, Ray's worker processes and their first imports), as a user meets it.

Songs: generated demo clips (``--n``, ``--seconds``), or real music (``--folder``): for
example Debian's game-music packages (``wesnoth-1.16-music`` and others, under
``/usr/share/games``), copied to a scratch folder first (``--copy-from``), never read in
place. Figures are wall-clock; the load average before and after is printed, since on a
machine other jobs share the songs per core-second are lower than the machine can give.

    python benchmarks/ray_scaling.py --n 40 --seconds 30
    python benchmarks/ray_scaling.py --copy-from /usr/share/games --n 24 --sets kaggle,musicnn
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from genriflow.datasets.discover import iter_audio_files
from genriflow.features.extract import extract_sets
from genriflow.features.options import RunOptions
from genriflow.features.sets import FeatureConfig


def songs(args: argparse.Namespace, scratch: Path) -> list[Path]:
    """The songs of the run: copied real tracks, a folder's, or generated clips."""
    if args.copy_from:
        found = sorted(p for p in iter_audio_files(Path(args.copy_from)))[: args.n]
        if not found:
            raise SystemExit(f"no audio under {args.copy_from} (apt-get install "
                             "wesnoth-1.16-music?)")
        target = scratch / "songs"
        target.mkdir()
        copies = []
        for i, path in enumerate(found):
            copy = target / f"{i:03d}-{path.name}"
            shutil.copyfile(path, copy)
            copies.append(copy)
        return copies
    if args.folder:
        return sorted(iter_audio_files(Path(args.folder)))[: args.n]
    from genriflow.datasets.synthetic import make_demo_corpus

    per_genre = -(-args.n // 10)
    return sorted(make_demo_corpus(scratch / "demo", per_genre=per_genre,
                                   seconds=args.seconds, seed=0))[: args.n]


def run(paths: list[Path], configs: list[FeatureConfig], options: RunOptions
        ) -> tuple[float, dict[str, np.ndarray], int]:
    """One job: its wall time, each set's matrix, the files that failed. The local engine
    with one worker computes in this process: on one thread, as a worker does."""
    import torch
    from threadpoolctl import threadpool_limits

    start = time.perf_counter()
    if options.engine == "local" and options.n_jobs == 1:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        with threadpool_limits(limits=1):
            result = extract_sets(paths, configs, options=options)
        torch.set_num_threads(threads)
    else:
        result = extract_sets(paths, configs, options=options)
    seconds = time.perf_counter() - start
    matrices = {name: np.stack([f.row() for f in extraction.files])
                for name, extraction in result.items()}
    return seconds, matrices, len(next(iter(result.values())).errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="songs")
    parser.add_argument("--seconds", type=float, default=30.0, help="generated clip length")
    parser.add_argument("--folder", help="use the audio files of this folder")
    parser.add_argument("--copy-from", help="copy the first N audio files of this folder "
                        "(e.g. /usr/share/games) to a scratch folder and use the copies")
    parser.add_argument("--sets", default="kaggle", help="comma-separated feature sets")
    parser.add_argument("--workers", default="1,2", help="worker counts to compare")
    args = parser.parse_args()

    import ray

    configs = [FeatureConfig(set=name) for name in args.sets.split(",")]
    counts = [int(w) for w in args.workers.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        paths = songs(args, Path(tmp))
        print(f"{len(paths)} songs, sets {args.sets}; load average before "
              f"{os.getloadavg()[0]:.2f}")
        rows, reference = [], None
        for engine in ("local", "ray"):
            for workers in counts:
                started = 0.0
                if engine == "ray":
                    t0 = time.perf_counter()
                    ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False,
                             logging_level="ERROR")
                    started = time.perf_counter() - t0
                options = RunOptions(n_jobs=workers, engine=engine)
                seconds, matrices, failed = run(paths, configs, options)
                if engine == "ray":
                    ray.shutdown()
                if reference is None:
                    reference = matrices
                same = max(float(np.max(np.abs(matrices[k] - reference[k])
                                        / np.maximum(np.abs(reference[k]), 1e-30)))
                           for k in reference)
                rows.append((engine, workers, started, seconds, len(paths) / seconds,
                             len(paths) / (seconds * workers), failed, same))
        print(f"load average after {os.getloadavg()[0]:.2f}")
    print()
    print("| engine | workers | start-up (s) | job (s) | songs/s | songs per core-second "
          "| failed | largest difference from the first run |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for engine, workers, started, seconds, rate, per_core, failed, same in rows:
        start = f"{started:.1f}" if engine == "ray" else "-"
        print(f"| {engine} | {workers} | {start} | {seconds:.1f} | {rate:.2f} | "
              f"{per_core:.2f} | {failed} | {same:.1g} |")


if __name__ == "__main__":
    main()
