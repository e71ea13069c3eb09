"""Own categories from a few labels, on real songs: is what ``library learn`` prints what the
songs it was not given then get?

The songs are Debian's game music (``benchmarks/debian_library.py`` finds them: 105 tracks
of four soundtracks), the category is the soundtrack: Wesnoth (41 tracks), Warzone 2100
(30), Nexuiz (18), Singularity (16). In each draw, up to ``--per-category`` (25) tracks of
each soundtrack are "sorted by the user", at most half of a soundtrack so that every
category keeps tracks to check (Wesnoth 20, Warzone 15, Nexuiz 9, Singularity 8); the others
are the unlabelled rest. Exactly what ``library learn`` runs is run on the labelled tracks:
the nested grouped cross-validation that gives the printed figures
(:func:`~genriflow.evaluation.crossval.cross_validate_head`; groups by
:func:`~genriflow.library.learn.song_groups` from a scratch index of the tracks: here the
rest are of the labelled tracks' albums, so every track is its own group), then the choice
on all of them (:func:`~genriflow.training.head_select.choose`) and the fit. The rest are
classified as ``library classify`` does (mean of the windows' probabilities, ``unsure``
below the chosen threshold) and compared with what was printed: the share right with unsure
songs counted wrong, its 95 % interval, and the unsure share. Nothing of the rest is used to
fit or choose anything.

The tracks are analysed as ``genriflow predict`` does (12 excerpts, the ``musicnn``
analysis); ``--cache FILE.npz`` keeps those analyses between runs (an analysis of the
same tracks made by ``benchmarks/library_genres.py --cache`` serves too). Without it
everything is computed from the audio. The originals are only read (the Nexuiz tracks
are copied out of their zip into a scratch folder first).

    python benchmarks/own_categories.py [--draws 10] [--per-category 25] [--cache X.npz]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
sys.path.insert(0, str(REPO / "benchmarks"))

SHORT = {"wesnoth-1.16-music": "wesnoth", "warzone2100-music": "warzone2100",
         "nexuiz-music": "nexuiz", "singularity-music": "singularity"}


def analyses(scratch: Path, cache: Path | None) -> tuple[list[Path], list[str], list]:
    """The tracks, their soundtracks and each one's analysis (one row per window)."""
    from library_genres import track_files

    from default_head import analyse

    paths, packages = track_files(scratch)
    stored = None
    if cache is not None and cache.is_file():
        stored = dict(np.load(cache))
        if [Path(p).name for p in stored["paths"]] != [p.name for p in paths]:
            stored = None
    if stored is None:
        stored = analyse(paths, None)
        if cache is not None:
            np.savez_compressed(cache, **stored)
    bounds = np.cumsum([0, *stored["n_windows"]])
    rows = stored["musicnn"].astype(np.float64)
    return paths, packages, [rows[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def scratch_index(scratch: Path, paths: list[Path]):
    """A scratch index of the tracks (read-only scans), for their groups."""
    from genriflow.library import Library

    library = Library(scratch / "index" / "library.db")
    folders = sorted({str(p.parent) for p in paths})
    library.scan([f for f in folders if not any(f.startswith(o + "/") for o in folders)])
    return library


def draw(windows: list, labels: np.ndarray, paths: list[Path], conn, per_category: int,
         seed: int) -> dict:
    """One user's sorting: learn on it, classify the rest, compare."""
    from genriflow.evaluation.crossval import cross_validate_head
    from genriflow.library.learn import song_groups
    from genriflow.training.head import HeadConfig, fit_head, song_probabilities
    from genriflow.training.head_select import choose

    rng = np.random.default_rng(seed)
    sorted_ = np.zeros(len(labels), dtype=bool)
    for category in np.unique(labels):
        mine = np.flatnonzero(labels == category)
        sorted_[rng.permutation(mine)[:min(per_category, len(mine) // 2)]] = True
    train, rest = np.flatnonzero(sorted_), np.flatnonzero(~sorted_)
    groups, shared = song_groups(conn, [str(paths[i]) for i in train], list(labels[train]))
    groups = np.asarray(groups)
    config = HeadConfig()
    printed = cross_validate_head([windows[i] for i in train], labels[train], config, groups)
    choice = choose([windows[i] for i in train], labels[train], groups, config)
    head = fit_head([windows[i] for i in train], labels[train], choice.config)
    p = song_probabilities(head, [windows[i] for i in rest])
    sure = p.max(axis=1) >= choice.config.min_confidence
    right = sure & (head.classes_[p.argmax(axis=1)] == labels[rest])
    return {"labelled": len(train), "rest": len(rest), "printed": printed,
            "chosen": choice.config, "right": int(right.sum()), "unsure": int((~sure).sum()),
            "sure": int(sure.sum()), "groups": len(set(groups)), "shared": shared}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--draws", type=int, default=10, help="users' sortings (seeds 0..)")
    parser.add_argument("--per-category", type=int, default=25)
    parser.add_argument("--cache", type=Path, default=None,
                        help="an .npz keeping the tracks' analyses between runs")
    args = parser.parse_args(argv)
    from genriflow.intervals import wilson_interval

    with tempfile.TemporaryDirectory(prefix="genriflow-own-") as scratch:
        paths, packages, windows = analyses(Path(scratch), args.cache)
        labels = np.array([SHORT.get(p, p) for p in packages])
        library = scratch_index(Path(scratch), paths)
        counts = dict(zip(*np.unique(labels, return_counts=True), strict=True))
        print(f"{len(labels)} tracks: {', '.join(f'{k} {v}' for k, v in counts.items())}")
        print("\n| draw | labelled (groups) | chosen (input, C, min-confidence) | printed right "
              "(95 % interval) | rest right | inside | printed unsure | rest unsure |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        inside = 0
        totals = np.zeros(3)
        rows = [draw(windows, labels, paths, library._conn, args.per_category, seed)
                for seed in range(args.draws)]
        library.close()
    for seed, r in enumerate(rows):
        e, c = r["printed"], r["chosen"]
        low, high = e.right_interval
        measured = r["right"] / r["rest"]
        inside += low <= measured <= high
        totals += [r["right"], r["rest"], e.right_rate * r["rest"]]
        print(f"| {seed} | {r['labelled']} ({r['groups']}) | {c.input}, {c.c:g}, "
              f"{c.min_confidence:g} | "
              f"{e.right_rate:.3f} ({low:.3f}-{high:.3f}) | {measured:.3f} "
              f"({r['right']}/{r['rest']}) | {'yes' if low <= measured <= high else 'NO'} | "
              f"{e.unsure_rate:.3f} | {r['unsure'] / r['rest']:.3f} |")
    right, rest, expected = totals
    low, high = wilson_interval(int(right), int(rest))
    print(f"\nthe rest's rate inside the printed interval in {inside} of {args.draws} draws; "
          f"over all draws the rest got {right / rest:.3f} right ({int(right)}/{int(rest)}, "
          f"95 % interval {low:.3f}-{high:.3f}, draws not independent) where the printed "
          f"rates said {expected / rest:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
