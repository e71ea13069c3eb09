"""The pretrained musicnn networks: embedding speed, zero-shot accuracy on real GTZAN clips.

Prints, in one run:
  - embedding a 3-minute song with msd-musicnn (decoding, 16 kHz resampling, log-mel and
    all 60 patches of 3 s), against the 2 s budget, next to the 57 GTZAN table features of
    the same song (its central 30 s, what the classical models read) as a yardstick;
  - the same forward pass in one batch of 60 patches against genriflow's batches of 2;
  - the zero-shot model's accuracy on the 47 real GTZAN clips in ../shared/data/gtzan-sample
    (printed, not asserted: 8 genres are present there; reggae has no tag, see
    genriflow.models.zero_shot).

    python benchmarks/pretrained.py
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from genriflow.audio import load
from genriflow.datasets.discover import discover
from genriflow.datasets.synthetic import synthesize_clip
from genriflow.features.extract import extract
from genriflow.features.options import RunOptions
from genriflow.features.pretrained.musicnn import (
    SR,
    load_pretrained,
)
from genriflow.features.pretrained.musicnn import (
    extract as musicnn_extract,
)
from genriflow.features.sets import FeatureConfig
from genriflow.inference.pipeline import Pipeline
from genriflow.models.folder import load_model

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "gtzan-sample"


def best_of(runs: int, work) -> float:
    """Fastest of ``runs`` timings (seconds): the least disturbed by other processes."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def embedding_seconds(song: Path, runs: int) -> tuple[float, float]:
    model = load_pretrained("msd-musicnn")

    def embed() -> None:
        y = load(song, sr=SR)
        musicnn_extract(y, model)

    def table() -> None:
        extract([song], FeatureConfig(), options=RunOptions(n_jobs=1))

    embed()  # warm-up: weights from the cache, first allocations
    return best_of(runs, embed), best_of(runs, table)


def batch_seconds(runs: int) -> tuple[float, float]:
    model = load_pretrained("msd-musicnn")
    y = np.random.default_rng(0).standard_normal(180 * SR).astype(np.float32) * 0.1
    one_batch = best_of(runs, lambda: musicnn_extract(y, model, batch_size=60))
    small = best_of(runs, lambda: musicnn_extract(y, model))
    return one_batch, small


def zero_shot_accuracy() -> tuple[float, int, dict[str, str]] | None:
    if not SAMPLE.is_dir():
        return None
    frame = discover(SAMPLE)
    predictions = Pipeline(load_model("zero-shot"))(frame["path"].tolist()).predictions
    truth = dict(zip(frame["path"], frame["label"], strict=True))
    right = [p.genre == truth[p.path] for p in predictions]
    return float(np.mean(right)), len(right), {p.path: p.genre for p in predictions}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timings per figure (best kept)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as tmp:
        song = Path(tmp) / "song.flac"
        rng = np.random.default_rng(0)
        sf.write(song, np.concatenate([synthesize_clip("rock", 60.0, 22050, rng)
                                       for _ in range(3)]), 22050)
        embed_s, table_s = embedding_seconds(song, args.runs)
    one_batch, small = batch_seconds(args.runs)
    print("msd-musicnn embedding of a 3-minute song (flac), decoding included, 2 threads:")
    print(f"  {embed_s:.2f} s  ({embed_s / 2:.2f} of the 2 s budget)")
    print(f"  GTZAN table features of its central 30 s: {table_s:.2f} s  (embedding / table = "
          f"{embed_s / table_s:.2f})")
    print(f"forward pass of 60 patches: one batch {one_batch:.2f} s, batches of 2 "
          f"{small:.2f} s  (ratio {one_batch / small:.2f})")
    result = zero_shot_accuracy()
    if result is None:
        print(f"zero-shot: {SAMPLE} not found, skipped")
        return
    accuracy, n, _ = result
    print(f"zero-shot genres on the {n} real GTZAN clips of gtzan-sample (no training, all "
          f"clips, no split): accuracy {accuracy:.3f}")


if __name__ == "__main__":
    main()
