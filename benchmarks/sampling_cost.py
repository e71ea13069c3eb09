"""What a stopping rule costs: genre and tags of a folder, the shipped rule beside another.

Runs ``Pipeline(MODEL, tags=True)`` (genre, tags, and the ``musicnn`` analysis the
similarity embedding reads) over every song of the folder on a fresh feature store, once
with the shipped adaptive sampling and once with the rule given, alternating ``--repeat``
times so that a change in the machine's load falls on both. Prints seconds a song and the
mean of the excerpts each rule analysed, side by side, against the 0.35 s target.

    python benchmarks/sampling_cost.py /tmp/deb60 --rule 6 24 0.5
    python benchmarks/sampling_cost.py /tmp/deb60 --rule 4 24 1 --first-margin 1
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

TARGET_SECONDS_PER_SONG = 0.35
MODEL = "gtzan"


def timed(songs: list[str], sampling, model: str) -> tuple[float, float]:
    """Seconds a song and mean excerpts a song, on a fresh store."""
    import numpy as np

    from genriflow.features.options import default_options
    from genriflow.inference.pipeline import Pipeline

    with tempfile.TemporaryDirectory() as store:
        pipe = Pipeline(model, tags=True, sampling=sampling,
                        options=default_options(store, progress=False))
        start = time.perf_counter()
        analysis = pipe(songs)
        took = time.perf_counter() - start
    excerpts = [len(p.window_probabilities) for p in analysis.predictions]
    return took / len(songs), float(np.mean(excerpts))


def rule_label(sampling) -> str:
    """``4-24, margin 1.5 then 1``: a rule as the table names it."""
    return f"{sampling.first}-{sampling.excerpts}, margin {sampling.margins}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path, help="the songs")
    parser.add_argument("--rule", nargs=3, metavar=("FIRST", "MOST", "MARGIN"), required=True,
                        help="the rule beside the shipped one: first excerpts, at most, margin")
    parser.add_argument("--first-margin", type=float, default=None,
                        help="the other rule's margin after its first stage (default: MARGIN)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each, alternating")
    parser.add_argument("--model", default=MODEL, help="the model whose genres decide")
    args = parser.parse_args(argv)
    print("$ python " + shlex.join(["benchmarks/sampling_cost.py", *(argv or sys.argv[1:])]))

    from genriflow.audio import AUDIO_EXTENSIONS
    from genriflow.features.sampling import DEFAULT_SAMPLING, Sampling

    songs = sorted(str(p) for p in args.folder.rglob("*") if p.suffix.lower() in AUDIO_EXTENSIONS)
    if not songs:
        sys.exit(f"{args.folder}: no songs")
    first, most, margin = int(args.rule[0]), int(args.rule[1]), float(args.rule[2])
    other = Sampling(first=first, excerpts=most, margin=margin, first_margin=args.first_margin)
    rules = {f"shipped ({rule_label(DEFAULT_SAMPLING)})": DEFAULT_SAMPLING,
             rule_label(other): other}
    results: dict[str, list[tuple[float, float]]] = {label: [] for label in rules}
    for _ in range(args.repeat):
        for label, sampling in rules.items():
            results[label].append(timed(songs, sampling, args.model))
    print(f"\n{len(songs)} songs of {args.folder}, {args.model}'s genres with tags, a fresh store"
          f" each run; target {TARGET_SECONDS_PER_SONG} s a song")
    for label, runs in results.items():
        seconds = ", ".join(f"{s:.3f}" for s, _ in runs)
        print(f"  {label:<28} {seconds} s a song   {runs[0][1]:.1f} excerpts a song")


if __name__ == "__main__":
    main()
