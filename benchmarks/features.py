"""genriflow's feature engine against a plain per-file librosa loop, side by side.

Computes the seeds' full feature set (the 57-column Kaggle table, genriflow-stack,
mel-image and cs229-mel) for the same demo clips both ways, in one run, and prints the speed
ratio, the store's second-run ratio and the largest numerical difference per feature.
The baseline is written the way the seeds wrote it: load each file with librosa, then call
one librosa function per feature on the waveform, each computing its own STFT. It pads
frames by reflection, the default of the librosa versions the seeds used (< 0.10).
By design genriflow's tonnetz comes from the STFT chroma, the seeds' from a CQT chroma, so
that row group differs; every other difference is float rounding or edge frames.

    python benchmarks/features.py --n 200 --seconds 30
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import librosa
import numpy as np
from scipy.ndimage import zoom

from genriflow.datasets.synthetic import make_demo_corpus
from genriflow.features.extract import extract_sets
from genriflow.features.options import RunOptions
from genriflow.features.representations import (
    CS229MelParams,
    StackParams,
    stack_rows,
    window_starts,
)
from genriflow.features.sets import FeatureConfig

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


def seed_loop(paths: list[Path]) -> dict[str, list[np.ndarray]]:
    out: dict[str, list[np.ndarray]] = {name: [] for name in SETS}
    for path in paths:
        y, _ = librosa.load(path, sr=SR)
        out["kaggle"].append(seed_kaggle(y))
        out["genriflow-stack"].append(seed_stack(y))
        out["mel-image"].append(seed_mel_image(y))
        out["cs229-mel"].append(seed_cs229_mel(y))
    return out


def largest_difference(ours: np.ndarray, seeds: np.ndarray) -> str:
    scale = np.maximum(np.abs(seeds), 1e-3 * np.abs(seeds).max())
    diff = np.abs(ours - seeds)
    return f"max abs {diff.max():.3g}, max rel {(diff / scale).max():.3g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="clips (default 200)")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--jobs", type=int, default=None, help="genriflow workers (all cores)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        per_genre = max(1, args.n // 10)
        # libsndfile containers only: librosa.load reads mp3 with libsndfile, which keeps the
        # encoder delay that genriflow's decoder removes, and the comparison is of features.
        paths = make_demo_corpus(Path(tmp) / "corpus", per_genre=per_genre, seconds=args.seconds,
                                 formats=("wav", "flac", "ogg"))
        configs = [FeatureConfig(set=name) for name in SETS]
        start = time.perf_counter()
        options = RunOptions(store=Path(tmp) / "store", n_jobs=args.jobs)
        ours = extract_sets(paths, configs, options=options)
        t_ours = time.perf_counter() - start
        start = time.perf_counter()
        extract_sets(paths, configs, options=options)
        t_store = time.perf_counter() - start
        start = time.perf_counter()
        seeds = seed_loop(paths)
        t_seeds = time.perf_counter() - start
    n = len(paths)
    print(f"{n} demo clips of {args.seconds:g} s, sets: {', '.join(SETS)}")
    print(f"plain librosa loop (1 process): {t_seeds:8.1f} s  ({n / t_seeds:.2f} files/s)")
    print(f"genriflow engine (all cores):   {t_ours:8.1f} s  ({n / t_ours:.2f} files/s)")
    print(f"genriflow, second run (store):  {t_store:8.2f} s")
    print(f"speed-up over the librosa loop: {t_seeds / t_ours:.1f}x")
    print(f"store second run vs first:      {t_ours / t_store:.0f}x faster")
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
