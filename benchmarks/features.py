"""genriflow's feature engine against a plain per-file librosa loop, side by side.

Computes the seeds' full feature set (the 57-column Kaggle table, genriflow-stack,
mel-image and cs229-mel) for the same demo clips both ways, in one run, and prints the speed
ratio, the store's second-run ratio and the largest numerical difference per feature.
The baseline is written the way the seeds wrote it: load each file with librosa, then call
one librosa function per feature on the waveform, each computing its own STFT. It pads
frames by reflection, the default of the librosa versions the seeds used (< 0.10).

Both sides get the same cores: the loop runs in a process pool of as many workers as
genriflow's engine uses (``--jobs``, all cores by default), one file per task, one BLAS
thread per worker and the allocator settings of genriflow's workers
(:func:`~genriflow.features.spectra.retain_freed_memory`). ``--single`` also times the loop
on one process. Each side is timed by the wall clock and by CPU time (user plus system, of
this process and of every worker, the engine's fork server's included), so that a run on
a machine shared with other work can still be read: there the CPU ratio is the fair one.
By design genriflow's tonnetz comes from the STFT chroma, the seeds' from a CQT chroma, so
that row group differs; every other difference is float rounding or edge frames.

    python benchmarks/features.py --n 200 --seconds 30
    python benchmarks/features.py --n 40 --seconds 30 --single   # also the 1-process loop
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import forkserver
from pathlib import Path
from typing import Any

import librosa
import numpy as np
from scipy.ndimage import zoom
from threadpoolctl import threadpool_limits

from genriflow.features.options import RunOptions
from genriflow.features.representations import (
    CS229MelParams,
    StackParams,
    stack_rows,
    window_starts,
)
from genriflow.features.sets import FeatureConfig
from genriflow.features.spectra import retain_freed_memory

SR = 22050
PAD = "reflect"
SETS = ("kaggle", "genriflow-stack", "mel-image", "cs229-mel")


def _mean_var(x: np.ndarray) -> list[float]:
    return [float(np.mean(x)), float(np.var(x))]


def seed_kaggle(y: np.ndarray) -> np.ndarray:
    """The Kaggle notebook's loop: one librosa call per feature, each with its own STFT."""
    values = []
    for x in (librosa.feature.chroma_stft(y=y, sr=SR, pad_mode=PAD),
              librosa.feature.rms(y=y, pad_mode=PAD),
              librosa.feature.spectral_centroid(y=y, sr=SR, pad_mode=PAD),
              librosa.feature.spectral_bandwidth(y=y, sr=SR, pad_mode=PAD),
              librosa.feature.spectral_rolloff(y=y, sr=SR, pad_mode=PAD),
              librosa.feature.zero_crossing_rate(y), *librosa.effects.hpss(y)):
        values += _mean_var(x)
    tempo, _ = librosa.beat.beat_track(y=y, sr=SR)
    values.append(float(np.atleast_1d(tempo)[0]))
    for row in librosa.feature.mfcc(y=y, sr=SR, n_mfcc=20, pad_mode=PAD):
        values += _mean_var(row)
    return np.array(values)


def seed_stack(y: np.ndarray) -> np.ndarray:
    """The Genriflow project's stack: chroma, tonnetz, mel (dB), MFCC over 30 s."""
    y = librosa.util.fix_length(y, size=30 * SR)
    return np.concatenate([
        librosa.feature.chroma_stft(y=y, sr=SR, pad_mode=PAD),
        librosa.feature.tonnetz(y=y, sr=SR),
        librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=SR, pad_mode=PAD)),
        librosa.feature.mfcc(y=y, sr=SR, n_mfcc=20, pad_mode=PAD),
    ])


def seed_mel_image(y: np.ndarray) -> np.ndarray:
    """The 2024 report: mel (fmax 8 kHz) in dB, scaled to [0, 1], resized to 128 x 128."""
    db = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=SR, n_mels=128, fmax=8000,
                                                            pad_mode=PAD))
    db = (db - db.min()) / max(db.max() - db.min(), 1e-12)
    return zoom(db, (128 / db.shape[0], 128 / db.shape[1]), order=1)


def seed_cs229_mel(y: np.ndarray) -> np.ndarray:
    """CS229: log-mel (64 bands, n_fft 512, 50 % overlap) of four 2 s windows."""
    params = CS229MelParams()
    n = int(params.window_seconds * SR)
    windows = [librosa.util.fix_length(y[s:s + n], size=n) for s in window_starts(y, params)]
    return np.stack([librosa.power_to_db(librosa.feature.melspectrogram(
        y=w, sr=SR, n_fft=512, hop_length=256, n_mels=64, pad_mode=PAD)) for w in windows])


def seed_file(path: Path) -> dict[str, np.ndarray]:
    """Every seed feature of one file, from its own ``librosa.load``."""
    y, _ = librosa.load(path, sr=SR)
    return {"kaggle": seed_kaggle(y), "genriflow-stack": seed_stack(y),
            "mel-image": seed_mel_image(y), "cs229-mel": seed_cs229_mel(y)}


def _like_genriflow_workers() -> None:
    """Pool initializer: one BLAS/OpenMP thread and the allocator settings of genriflow's
    workers."""
    global _LIMITS
    _LIMITS = threadpool_limits(limits=1)
    retain_freed_memory()


def _stop_fork_server() -> None:
    """Stop multiprocessing's fork server, if one runs: once it has exited and been waited
    for, the CPU time of the workers it started is this process's children's."""
    stop = getattr(forkserver._forkserver, "_stop", None)  # the server multiprocessing keeps
    if stop is not None:
        stop()


_LIMITS: Any = None


def seed_loop(paths: list[Path], n_jobs: int = 1) -> dict[str, list[np.ndarray]]:
    """The seeds' loop over ``paths``, on this process or a pool of ``n_jobs`` workers."""
    if n_jobs == 1:
        results = [seed_file(path) for path in paths]
    else:
        with ProcessPoolExecutor(max_workers=n_jobs, initializer=_like_genriflow_workers) as pool:
            results = list(pool.map(seed_file, paths, chunksize=1))
    return {name: [r[name] for r in results] for name in SETS}


def run_engine(paths: list[Path], configs: list[FeatureConfig],
               options: RunOptions) -> dict[str, Any]:
    """genriflow's engine on ``paths``; its fork server is stopped after, to count its CPU."""
    # Imported here, not at the top: the engine's workers re-import this script (as every
    # fork-server worker imports its parent's main module), and the store's Parquet
    # libraries are the engine's parent's business, not theirs.
    from genriflow.features.extract import extract_sets

    out = extract_sets(paths, configs, options=options)
    _stop_fork_server()
    return out


def _cpu_seconds() -> float:
    """User plus system CPU time of this process and of its finished child processes."""
    own, children = (resource.getrusage(who)
                     for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(run: Callable[[], Any]) -> tuple[Any, float, float]:
    """``run()``'s result, wall seconds and CPU seconds (workers included once joined)."""
    wall, cpu = time.perf_counter(), _cpu_seconds()
    result = run()
    return result, time.perf_counter() - wall, _cpu_seconds() - cpu


def largest_difference(ours: np.ndarray, seeds: np.ndarray) -> str:
    scale = np.maximum(np.abs(seeds), 1e-3 * np.abs(seeds).max())
    diff = np.abs(ours - seeds)
    return f"max abs {diff.max():.3g}, max rel {(diff / scale).max():.3g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="clips (default 200)")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--jobs", type=int, default=None,
                        help="processes on both sides (default: all cores)")
    parser.add_argument("--single", action="store_true",
                        help="also time the librosa loop on one process")
    args = parser.parse_args()
    n_jobs = args.jobs or os.cpu_count() or 1
    from genriflow.datasets.synthetic import make_demo_corpus  # not in workers (see run_engine)

    with tempfile.TemporaryDirectory() as tmp:
        per_genre = max(1, args.n // 10)
        # libsndfile containers only: librosa.load reads mp3 with libsndfile, which keeps the
        # encoder delay that genriflow's decoder removes, and the comparison is of features.
        paths = make_demo_corpus(Path(tmp) / "corpus", per_genre=per_genre, seconds=args.seconds,
                                 formats=("wav", "flac", "ogg"))
        configs = [FeatureConfig(set=name) for name in SETS]
        options = RunOptions(store=Path(tmp) / "store", n_jobs=n_jobs)
        ours, t_ours, c_ours = timed(lambda: run_engine(paths, configs, options))
        _, t_store, c_store = timed(lambda: run_engine(paths, configs, options))
        seeds, t_seeds, c_seeds = timed(lambda: seed_loop(paths, n_jobs))
        single = timed(lambda: seed_loop(paths)) if args.single else None
    n = len(paths)

    def line(label: str, wall: float, cpu: float) -> str:
        return f"{label:34s} {wall:8.1f} s wall {cpu:8.1f} s CPU  ({n / wall:.2f} files/s)"

    print(f"{n} demo clips of {args.seconds:g} s, sets: {', '.join(SETS)}")
    if single is not None:
        print(line("plain librosa loop (1 process):", *single[1:]))
    print(line(f"plain librosa loop ({n_jobs} processes):", t_seeds, c_seeds))
    print(line(f"genriflow engine ({n_jobs} processes):", t_ours, c_ours))
    print(f"{'genriflow, second run (store):':34s} {t_store:8.2f} s wall {c_store:8.2f} s CPU")
    if single is not None:
        print(f"speed-up over the 1-process loop:  {single[1] / t_ours:.1f}x wall")
    print(f"speed-up over the {n_jobs}-process loop:  {t_seeds / t_ours:.1f}x wall, "
          f"{c_seeds / c_ours:.1f}x CPU")
    print(f"store second run vs first:         {t_ours / t_store:.0f}x faster")
    print("largest differences, genriflow vs the loop:")
    for name in SETS:
        mine = np.stack([f.values[0] for f in ours[name].files])
        theirs = np.stack(seeds[name])
        if name == "genriflow-stack":
            for block, rows in stack_rows(StackParams()).items():
                print(f"  {name}:{block:8s} {largest_difference(mine[:, rows], theirs[:, rows])}")
        else:
            print(f"  {name:24s} {largest_difference(mine, theirs)}")


if __name__ == "__main__":
    main()
