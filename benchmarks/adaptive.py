"""Adaptive sampling against a fixed count of excerpts: excerpts used, agreement, time.

On a folder of songs (default: the Debian game-music tracks under ``/usr/share/games``,
read in place, never written), prints in one run, side by side:
  - the sampling compared, as the data it is (``Sampling(...)``: what keys the similarity
    index, what ``str(sampling)`` says in progress bars);
  - the mean, median and range of excerpts the adaptive sampling analysed per song (the
    zero-shot half of the default model's timeline), against the fixed count;
  - the share of songs whose top genre agrees between adaptive and fixed analysis, for the
    default model (``gtzan``: the GTZAN table's head averaged with zero-shot) and for
    ``zero-shot`` alone (the tags' genres, which the sampling moves most), against the
    target of 95 %, and the mean overlap of their top-5 tags;
  - seconds per song of each, each on its own fresh feature store (``--store`` reuses
    one: then the second pass is served from what the first stored, and the times say
    nothing).

``--against full`` compares with whole-song analysis (every 3 s patch) instead of the
fixed 12 excerpts: slower, by the songs' length.

Timings are wall-clock on this machine, as loaded as it is: run it on an idle one.

    python benchmarks/adaptive.py --limit 40
    python benchmarks/adaptive.py ~/Music --against full --jobs 2
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

#: The issue's target for the top genre's agreement.
TARGET_AGREEMENT = 0.95
#: Where Debian's game-music packages keep their tracks.
DEBIAN_MUSIC = ("/usr/share/games/wesnoth", "/usr/share/games/warzone2100",
                "/usr/share/games/singularity")


def debian_tracks() -> list[Path]:
    """The Debian game-music tracks (Ogg Vorbis and Opus) installed here, sorted."""
    found: list[Path] = []
    for root in DEBIAN_MUSIC:
        found += [p for p in Path(root).rglob("*") if p.suffix in (".ogg", ".opus")]
    return sorted(found)


def spread(items: Sequence, n: int | None) -> list:
    """``n`` items evenly spread over ``items`` (all of them when ``n`` is None or larger)."""
    if n is None or n >= len(items):
        return list(items)
    return [items[(i * len(items)) // n] for i in range(n)]


def share(first: dict, second: dict) -> tuple[int, int]:
    """Songs (keys of both) whose values are equal, and songs compared."""
    common = set(first) & set(second)
    return sum(first[p] == second[p] for p in common), len(common)


def run(paths: Sequence[Path], sampling: dict, store: Path, jobs: int | None,
        quiet: bool) -> dict:
    """Genres (default model, then zero-shot from the same store) and tags of ``paths``."""
    import genriflow
    from genriflow.features.options import RunOptions

    options = RunOptions(store=store, n_jobs=jobs, progress=not quiet)
    start = time.perf_counter()
    both = genriflow.analyse(list(paths), tags=True, k_tags=5, options=options, **sampling)
    seconds = time.perf_counter() - start
    zero = genriflow.classify(list(paths), model="zero-shot", options=options, **sampling)
    from joblib.externals.loky import get_reusable_executor

    # the next pass starts its workers afresh, as this one did, for comparable times
    get_reusable_executor().shutdown(wait=True, kill_workers=True)
    return {
        "seconds": seconds,
        "genre": {p.path: p.genre for p in both.predictions},
        "excerpts": {p.path: len(p.offsets) for p in both.predictions},
        "zero-shot": {p.path: p.genre for p in zero.predictions},
        "tags": {t.path: [name for name, _ in t.top] for t in both.tags},
        "errors": len(both.errors),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", type=Path,
                        help="songs (default: the Debian game-music tracks)")
    parser.add_argument("--limit", type=int, default=None, help="N songs spread over them")
    parser.add_argument("--against", choices=("fixed", "full"), default="fixed",
                        help="fixed: the default count of excerpts; full: every patch")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes")
    parser.add_argument("--store", type=Path, default=None,
                        help="one feature store for both passes (default: fresh ones)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)

    from genriflow.audio import AUDIO_EXTENSIONS
    from genriflow.features.sampling import DEFAULT_EXCERPTS, DEFAULT_SAMPLING, Sampling

    if args.folder is not None:
        songs = sorted(p for p in args.folder.rglob("*") if p.suffix.lower() in AUDIO_EXTENSIONS)
    else:
        songs = debian_tracks()
    songs = spread(songs, args.limit)
    if not songs:
        sys.exit("no songs found")
    reference = ({"full": True} if args.against == "full"
                 else {"excerpts": DEFAULT_EXCERPTS})
    print("$ python " + shlex.join(sys.argv))
    print(f"{len(songs)} songs; adaptive {DEFAULT_SAMPLING!r}")
    print(f"against {Sampling.of(reference.get('excerpts'), full=reference.get('full', False))!r}")
    with tempfile.TemporaryDirectory() as scratch:
        stores = ((args.store, args.store) if args.store is not None
                  else (Path(scratch) / "adaptive", Path(scratch) / "reference"))
        adaptive = run(songs, {}, stores[0], args.jobs, args.quiet)
        fixed = run(songs, reference, stores[1], args.jobs, args.quiet)

    counts = list(adaptive["excerpts"].values())
    fixed_counts = list(fixed["excerpts"].values())
    width = 34
    print(f"\n{'':<{width}}{'adaptive':>14}{args.against:>14}")
    print(f"{'excerpts per song (mean)':<{width}}{statistics.mean(counts):>14.2f}"
          f"{statistics.mean(fixed_counts):>14.2f}")
    print(f"{'  median, min-max':<{width}}{statistics.median(counts):>8.0f}"
          f"{min(counts):>3}-{max(counts):<2}{statistics.median(fixed_counts):>8.0f}"
          f"{min(fixed_counts):>3}-{max(fixed_counts):<2}")
    n = len(songs)
    print(f"{'seconds per song':<{width}}{adaptive['seconds'] / n:>14.2f}"
          f"{fixed['seconds'] / n:>14.2f}" + ("   (one store: not a timing)"
                                              if args.store is not None else ""))
    print(f"{'files that failed':<{width}}{adaptive['errors']:>14}{fixed['errors']:>14}")
    print(f"\nagreement with {args.against} (target {TARGET_AGREEMENT:.0%} of top genres):")
    for name in ("genre", "zero-shot"):
        same, compared = share(adaptive[name], fixed[name])
        label = "gtzan (default) top genre" if name == "genre" else "zero-shot top genre"
        verdict = "meets" if same >= TARGET_AGREEMENT * compared else "MISSES"
        print(f"  {label:<{width - 2}}{same}/{compared} = {same / max(compared, 1):.1%} "
              f"({verdict} the target)")
    common = set(adaptive["tags"]) & set(fixed["tags"])
    tag_overlap = statistics.mean(len(set(adaptive["tags"][p]) & set(fixed["tags"][p])) / 5
                                  for p in common)
    print(f"  {'top-5 tags in common (mean)':<{width - 2}}{tag_overlap:.1%}")


if __name__ == "__main__":
    main()
