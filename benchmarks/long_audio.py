"""Peak memory of a 60-minute file: genriflow's windowed engine against a whole-file load.

Writes one long ogg, then in fresh processes (so each peak is its own) measures:
the engine computing the kaggle and genriflow-stack sets on every 30 s window of the song
(``Sampling(full=True)``), and a plain ``librosa.load`` of the whole file as float64.

    python benchmarks/long_audio.py --minutes 60
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ENGINE = """
import sys
from genriflow.features.extract import extract_sets
from genriflow.features.options import RunOptions
from genriflow.features.sampling import Sampling
from genriflow.features.sets import FeatureConfig
configs = [FeatureConfig(set="kaggle"), FeatureConfig(set="genriflow-stack")]
out = extract_sets([sys.argv[1]], configs, options=RunOptions(n_jobs=1),
                   sampling=Sampling(full=True))
print(len(out["kaggle"].files[0].offsets), "windows")
"""

WHOLE = """
import sys, librosa, numpy as np
y, sr = librosa.load(sys.argv[1], sr=22050)
y = y.astype(np.float64)
print(y.size / sr / 60, "minutes")
"""


def write_long_ogg(path: Path, minutes: float, sr: int = 22050) -> None:
    rng = np.random.default_rng(0)
    t = np.arange(60 * sr) / sr
    with sf.SoundFile(path, "w", sr, 1, format="OGG") as f:
        for m in range(int(minutes)):
            tone = 0.2 * np.sin(2 * np.pi * (110 + 10 * m) * t)
            f.write((tone + 0.05 * rng.standard_normal(t.size)).astype(np.float32))


def peak_mb(script: str, path: Path) -> tuple[float, float, str]:
    """Peak resident memory (MB) and wall time of ``script`` in a fresh interpreter."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                          text=True, check=True)
    seconds = time.perf_counter() - start
    # ru_maxrss of the largest child waited for so far; run the larger job last
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, seconds, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.ogg"
        write_long_ogg(path, args.minutes)
        engine_mb, engine_s, engine_out = peak_mb(ENGINE, path)
        whole_mb, _, _ = peak_mb(WHOLE, path)
    print(f"{args.minutes:g}-minute ogg")
    print(f"genriflow engine, every 30 s window ({engine_out.strip()}, {engine_s:.0f} s): "
          f"peak {engine_mb:.0f} MB")
    print(f"librosa.load of the whole file as float64: peak {max(whole_mb, engine_mb):.0f} MB"
          f"{' (at least)' if whole_mb <= engine_mb else ''}")


if __name__ == "__main__":
    main()
