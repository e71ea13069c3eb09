"""How long ``genriflow`` takes to refuse options that are valid alone and invalid together.

Issue 24: "argument errors import no numpy, torch or librosa". Each command below is one
such combination (``train --model auto --multi-label``, a network on a k-fold split, ...);
it must fail at once, in one line. Prints, per command, the median wall-clock and CPU
(user + system) seconds of ``--repeat`` fresh processes, beside the same command on another
genriflow (``--baseline-src``, the ``src`` folder of an older checkout: ``git archive
COMMIT src | tar -x -C /tmp/base``), the two taking turns so that a shared machine's load
weighs on both alike; and the error line each gave. CPU seconds are inflated far less by
other jobs than wall-clock ones: the load average is printed at the start and the end.

    python benchmarks/combination_errors.py DATA_DIR --baseline-src /tmp/base/src

``DATA_DIR`` is any folder of labelled audio (it is never read: each command is refused
before it); a feature table is named but never read either.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from startup import run_timed

#: The combinations: options, and whether the command names the data folder.
CASES: list[tuple[tuple[str, ...], bool]] = [
    (("train", "--model", "auto", "--multi-label"), True),
    (("train", "--model", "auto", "--calibration", "isotonic"), True),
    (("train", "--model", "shortchunk-cnn", "--embeddings", "msd-musicnn"), True),
    (("train", "--model", "shortchunk-cnn", "--features", "features.csv"), False),
    (
        ("train", "--model", "svm", "--embeddings", "msd-musicnn", "--features", "features.csv"),
        False,
    ),
    (("train", "--model", "svm@kaggle", "--embeddings", "msd-musicnn"), True),
    (("train", "--model", "svm", "--split", "kfold", "--calibration", "sigmoid"), True),
    (("train", "--model", "svm", "--split", "kfold", "--multi-label"), True),
    (("train", "--model", "shortchunk-cnn", "--split", "kfold"), True),
    (("train", "--model", "svm", "--features", "features.csv"), True),
    (("train", "--model", "svm"), False),
    (("compare", "--models", "svm,shortchunk-cnn", "--split", "kfold"), True),
    # a single bad value, refused light before this work too: the reference
    (("train", "--model", "svm", "--split", "nosuch"), True),
]


def timed(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall-clock and CPU seconds of one run of ``argv``, which must fail with status 2,
    and the last line it wrote on stderr."""
    seconds, cpu, done = run_timed(argv, env, status=2)
    return seconds, cpu, (done.stderr.strip().splitlines() or [""])[-1]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", type=Path, help="a folder of labelled audio (never read)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (median)")
    parser.add_argument(
        "--baseline-src",
        type=Path,
        default=None,
        help="an older genriflow's src folder, timed the same way",
    )
    args = parser.parse_args(argv)
    sources = [None, *([args.baseline_src] if args.baseline_src else [])]
    print(
        f"median of {args.repeat} runs each; load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores at the start; wall / CPU seconds"
    )
    header = f"{'command':<78}{'now':>13}"
    print(header + (f"{'baseline':>13}" if args.baseline_src else ""))
    with tempfile.TemporaryDirectory() as out:
        for options, with_data in CASES:
            command = [*options, "--out", f"{out}/model", *([str(args.data)] if with_data else [])]
            runs: list[list[tuple[float, float, str]]] = [[] for _ in sources]
            for _ in range(args.repeat):
                for src, times in zip(sources, runs, strict=True):
                    env = dict(os.environ)
                    if src is not None:
                        env["PYTHONPATH"] = str(src)
                    times.append(timed([sys.executable, "-m", "genriflow", *command], env))
            cells = [
                f"{statistics.median(r[0] for r in t):>6.2f}/"
                f"{statistics.median(r[1] for r in t):<5.2f}"
                for t in runs
            ]
            print(f"{' '.join(options):<78}{'  '.join(cells)}")
            for src, times in zip(sources, runs, strict=True):
                print(f"    {'baseline' if src else 'now'}: {times[-1][2][:110]}")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
