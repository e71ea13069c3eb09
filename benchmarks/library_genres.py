"""The library vocabulary on real music no model was fitted on: Debian's game soundtracks.

Each track of ``wesnoth-1.16-music`` (orchestral), ``singularity-music`` (ambient and
electronic), ``warzone2100-music`` (electronic and rock) and ``nexuiz-music`` (electronic,
rock, metal) is analysed as ``genriflow predict`` does (12 excerpts), and classified by
``library-genres`` and, for comparison, by the default ``gtzan``. Printed: per soundtrack,
how many tracks get each genre (and ``unknown``), and the share in the genres its style
names. Nothing here was used to fit or choose either model. The originals are only read
(the Nexuiz tracks are copied out of their zip into a scratch folder first).

    python benchmarks/library_genres.py [--cache debian.npz]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
sys.path.insert(0, str(REPO / "benchmarks"))

#: Each soundtrack's style, as genres of the vocabulary.
STYLES = {"wesnoth-1.16-music": ("soundtrack", "classical"),
          "singularity-music": ("ambient", "electronic"),
          "warzone2100-music": ("electronic", "rock"),
          "nexuiz-music": ("electronic", "rock", "metal")}


def track_files(scratch: Path) -> tuple[list[Path], list[str]]:
    """The tracks' files (archive members copied into ``scratch``) and their packages."""
    from debian_library import find_tracks

    tracks, missing = find_tracks()
    if missing:
        print(f"not installed: {', '.join(missing)}")
    paths = []
    for track in tracks:
        if track.member is None:
            paths.append(track.source)
            continue
        copy = scratch / track.package / (track.name + Path(track.member).suffix)
        copy.parent.mkdir(parents=True, exist_ok=True)
        if not copy.exists():
            with track.open() as source:
                copy.write_bytes(source.read())
        paths.append(copy)
    return paths, [t.package for t in tracks]


def classify(model, analysis: dict) -> list[str]:
    """Each track's genre by ``model`` (``unknown`` when it says so), as predict does."""
    from genriflow.features.extract import FileFeatures

    song = np.repeat(np.arange(len(analysis["n_windows"])), analysis["n_windows"])
    out = []
    for i in range(len(analysis["n_windows"])):
        rows = analysis["musicnn"][song == i].astype(np.float64)
        song_features = {model.feature_config.set: FileFeatures(str(i), rows, np.zeros(len(rows)))}
        p = model.song_probabilities(song_features)
        out.append("unknown" if p.unknown else model.labels[int(np.argmax(p.probabilities))])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=None,
                        help="an .npz keeping the tracks' analyses between runs")
    args = parser.parse_args(argv)
    from default_head import analyse
    from genriflow.models.folder import load_model

    with tempfile.TemporaryDirectory(prefix="genriflow-debian-") as scratch:
        paths, packages = track_files(Path(scratch))
        if args.cache is not None and args.cache.is_file():
            stored = dict(np.load(args.cache))
            names = [Path(p).name for p in stored["paths"]]
            if names != [p.name for p in paths]:
                stored = analyse(paths, None)
                np.savez_compressed(args.cache, **stored)
            analysis = stored
        else:
            analysis = analyse(paths, args.cache)
    packages = np.array(packages)
    for name in ("library-genres", "gtzan"):
        genres = np.array(classify(load_model(name), analysis))
        print(f"\n{name} on {len(genres)} Debian game-music tracks (never used to fit or "
              "choose it):\n")
        print("| soundtrack (style) | tracks | in its style's genres | genres given |")
        print("| --- | --- | --- | --- |")
        for package, style in STYLES.items():
            mine = genres[packages == package]
            if not len(mine):
                continue
            hits = int(np.isin(mine, style).sum())
            counts = ", ".join(f"{g} {n}" for g, n in Counter(mine).most_common())
            print(f"| {package} ({'/'.join(style)}) | {len(mine)} | {hits} "
                  f"({hits / len(mine):.0%}) | {counts} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
