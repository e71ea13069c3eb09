"""shortchunk-cnn on CPU: one training epoch over a GTZAN-sized corpus, and one song's prediction.

Prints, side by side in one run:
  - one epoch of shortchunk-cnn over N demo clips of 30 s (GTZAN has 1000), against the
    60 s budget, next to one epoch of the seeds' cs229-ffnn on the same clips;
  - predicting a 3-minute song (decoding included, no feature store) with shortchunk-cnn,
    against the 1 s budget, next to the classical model on the GTZAN table features.

    python benchmarks/deep.py --n 1000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from genriflow.datasets.splits import SplitConfig
from genriflow.datasets.synthetic import make_demo_corpus, synthesize_clip
from genriflow.features.dataset import from_audio
from genriflow.features.options import RunOptions
from genriflow.inference.pipeline import Pipeline
from genriflow.models.folder import load_model
from genriflow.training.deep import DeepTrainConfig, train_network
from genriflow.training.loop import LoopConfig
from genriflow.workflows.train_any import train_any


def epoch_seconds(corpus: Path, store: Path, network: str) -> float:
    config = DeepTrainConfig(network=network, split=SplitConfig(method="stratified"),
                             loop=LoopConfig(epochs=1, device="cpu"))
    dataset = from_audio(corpus, config.feature_config(), options=RunOptions(store=store))
    start = time.perf_counter()
    train_network(dataset, config)
    return time.perf_counter() - start


def predict_seconds(model_dir: Path, song: Path) -> float:
    pipeline = Pipeline(load_model(model_dir, device="cpu"), options=RunOptions(n_jobs=1))
    pipeline([song])  # warm-up
    start = time.perf_counter()
    pipeline([song])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="demo clips of 30 s")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        corpus, store = tmp / "corpus", tmp / "store"
        make_demo_corpus(corpus, per_genre=max(3, args.n // 10), seconds=30.0,
                         formats=("flac",))
        n = sum(1 for _ in corpus.rglob("*.flac"))
        shortchunk = epoch_seconds(corpus, store, "shortchunk-cnn")
        ffnn = epoch_seconds(corpus, store, "cs229-ffnn")
        song = tmp / "song.wav"
        rng = np.random.default_rng(0)
        sf.write(song, np.concatenate([synthesize_clip("rock", 60.0, 22050, rng)
                                       for _ in range(3)]), 22050)
        for model in ("shortchunk-cnn", "logreg"):
            train_any(model, tmp / model, corpus, split=SplitConfig(method="stratified"),
                      epochs=1, device="cpu", options=RunOptions(store=store))
        deep_s = predict_seconds(tmp / "shortchunk-cnn", song)
        classical_s = predict_seconds(tmp / "logreg", song)
    print(f"one epoch over {n} clips of 30 s (training part of a 70/10/20 split + evaluation):")
    print(f"  shortchunk-cnn: {shortchunk:6.1f} s  ({shortchunk / 60:.2f} of the 60 s budget)")
    print(f"  cs229-ffnn:     {ffnn:6.1f} s  (shortchunk / ffnn = {shortchunk / ffnn:.2f})")
    print("predicting a 3-minute song, decoding included:")
    print(f"  shortchunk-cnn: {deep_s:6.2f} s  ({deep_s:.2f} of the 1 s budget)")
    print(f"  logreg on the GTZAN table: {classical_s:6.2f} s  (deep / classical = "
          f"{deep_s / classical_s:.2f})")


if __name__ == "__main__":
    main()
