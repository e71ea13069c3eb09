"""Choosing adaptive sampling's stopping rule on some songs, and testing it on others.

Every song is analysed whole once (every 3 s patch, for each model: ``gtzan``, the default,
and ``library-genres``, the library's), into ``--full-store`` (reused when it exists). Each
rule is then replayed from those windows through genriflow's own plan and decision
(:func:`~genriflow.features.compute.plan_stages` and
:func:`~genriflow.features.compute.choose`: the genre margin, or the tags' stability):
which excerpts it would analyse, and whether the mean of their genres has the whole
song's top genre. No audio is decoded again, so a grid of rules costs seconds.

Printed, side by side:
  - the choice, made on the ``--choose`` folders alone: the cheapest rule (fewest excerpts
    a song for ``gtzan``) on the grid whose top genre agrees with the whole song on at least
    95 % of the choosing songs for both models;
  - on the ``--test`` folders, never used to choose: that rule, the shipped default
    (:data:`~genriflow.features.sampling.DEFAULT_SAMPLING` with its model's genres), the
    tags' rule it replaced and fixed counts: agreement with the whole song (95 % Wilson
    interval) and mean excerpts, per model; and for the shipped default, how often its
    answer is among the whole song's top two genres, and how many of the songs where it
    differs are near ties (the whole song's top genre leads by less than ``NEAR_TIE``);
  - the same choice made by leaving out one folder (one game's music, the nearest thing to
    an artist here) at a time, over all folders: what the procedure gives on a source it
    never saw;
  - with ``--frontier``, the best agreement any rule of a wider grid (or a fixed count)
    reaches on all the songs at each budget of mean excerpts. Chosen on the songs it is
    scored on, it is an optimistic bound, never a figure to ship: where even it falls
    short of the target, no rule of the grid reaches it at that cost.

    python benchmarks/stopping_rule.py --choose /tmp/deb-rest /tmp/nexuiz --test /tmp/deb60 \\
        --full-store /tmp/fullstore
    python benchmarks/stopping_rule.py --choose /tmp/deb-rest /tmp/nexuiz --test /tmp/deb60 \\
        /tmp/second --full-store /tmp/fullstore --frontier
"""

from __future__ import annotations

import argparse
import itertools
import shlex
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import numpy as np

from genriflow.features.sampling import Sampling, Window

MODELS = ("gtzan", "library-genres")
TARGET = 0.95
#: A whole song whose top genre leads the second by less than this is a near tie.
NEAR_TIE = 0.02


class Rule(NamedTuple):
    """An adaptive sampling's stopping rule: excerpts first, at most, the margin after the
    first stage and after each later one (:class:`~genriflow.features.sampling.Sampling`)."""

    first: int
    most: int
    first_margin: float
    margin: float

    def sampling(self) -> Sampling:
        return Sampling(excerpts=self.most, first=self.first, margin=self.margin,
                        first_margin=self.first_margin)

    def __str__(self) -> str:
        return f"first {self.first}, at most {self.most}, margin {self.sampling().margins}"


#: The rules the choice is made among: a first stage (whose standard error rests on only
#: ``first`` excerpts) held to a higher margin than the later ones. Every count is even:
#: the networks run patches in pairs (``backend.run``'s CPU batch of 2, a short one
#: padded), so a stage of 3 excerpts costs what 4 do and an odd count would understate a
#: rule's cost.
GRID = [Rule(first, most, first_margin, margin)
        for first, most, first_margin, margin in itertools.product(
            (4, 6), (16, 24, 32), (1.5, 2.0, 3.0, 4.0), (0.5, 1.0, 1.5))
        if first_margin > margin]
#: ``--frontier``'s wider grid (one margin throughout), and its budgets of mean excerpts.
FRONTIER_GRID = [Rule(first, most, margin, margin)
                 for first, most, margin in itertools.product(
                     (2, 4, 6, 8), (8, 10, 12, 14, 16, 20, 24, 32),
                     (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0))
                 if first < most]
FRONTIER_FIXED = (4, 6, 8, 10, 12, 16, 20, 24, 32)
BUDGETS = (6.0, 7.0, 8.0, 9.0, 10.0, 12.0, 16.0, 24.0)
#: Where a song's folder names its game (the leave-one-source-out groups).
SOURCES = ("wesnoth", "warzone2100", "singularity", "nexuiz")


class Song:
    """One song's whole analysis: per model, each patch's genres; the patches' tags."""

    def __init__(self, path: str, genres: dict[str, np.ndarray], tags: np.ndarray,
                 source: str) -> None:
        self.path, self.genres, self.tags, self.source = path, genres, tags, source

    def agrees(self, model: str, chosen: Sequence[int]) -> bool:
        return self.in_top(model, chosen, 1)

    def in_top(self, model: str, chosen: Sequence[int], k: int) -> bool:
        """Whether the top genre of the ``chosen`` patches is among the whole song's top
        ``k``."""
        P = self.genres[model]
        whole = np.argsort(-P.mean(axis=0), kind="stable")[:k]
        return int(P[list(chosen)].mean(axis=0).argmax()) in whole

    def lead(self, model: str) -> float:
        """How far the whole song's top genre leads its second (probability scale)."""
        second, top = np.sort(self.genres[model].mean(axis=0))[-2:]
        return float(top - second)


def source_of(path: str) -> str:
    return next((s for s in SOURCES if s in path), Path(path).parent.name)


def load(folders: Sequence[Path], store: Path) -> list[Song]:
    """Every song of ``folders`` analysed whole (from ``store`` where it holds them)."""
    import genriflow
    from genriflow.audio import AUDIO_EXTENSIONS
    from genriflow.features.extract import extract
    from genriflow.features.options import RunOptions
    from genriflow.inference.tags import TAG_FEATURES

    paths = sorted(str(p) for folder in folders for p in folder.rglob("*")
                   if p.suffix.lower() in AUDIO_EXTENSIONS)
    options = RunOptions(store=store, progress=True)
    by_model = {m: {p.path: p.window_probabilities
                    for p in genriflow.classify(paths, model=m, full=True, options=options)}
                for m in MODELS}
    tags = {f.path: f.values for f in
            extract(paths, TAG_FEATURES, options=options, sampling=Sampling(full=True)).files}
    return [Song(p, {m: by_model[m][p] for m in MODELS}, tags[p], source_of(p))
            for p in paths if all(p in by_model[m] for m in MODELS) and p in tags]


def replay(song: Song, sampling: Sampling, model: str | None = None) -> list[int]:
    """The patches ``sampling`` analyses of ``song``: genriflow's own plan
    (:func:`~genriflow.features.compute.plan_stages`) and decision
    (:func:`~genriflow.features.compute.choose`), on ``model``'s genres of each patch where
    a model is named, else on the tags' stability."""
    from genriflow.features.compute import choose as choose_windows
    from genriflow.features.compute import plan_stages
    from genriflow.features.embeddings import ANALYSIS_LAYOUT, ANALYSIS_SIZE, PATCH_SECONDS
    from genriflow.features.sampling import GenreMargin
    from genriflow.features.sets import FeatureConfig

    config = FeatureConfig(set="musicnn").stored()
    duration = (len(song.tags) + 0.5) * PATCH_SECONDS  # whole patches, no rounding down

    def index(window: Window) -> int:
        return round(window.offset / PATCH_SECONDS)

    if model is not None:  # a window's value is its index, its genres the model's
        genres = song.genres[model]
        sampling = replace(sampling, on_genres=GenreMargin(
            model, config.digest(), lambda rows: genres[rows[:, 0].astype(int)]))

        def value(window: Window) -> np.ndarray:
            return np.array([index(window)])
    else:  # a window's value is an analysis row holding its tags where the tags are

        def value(window: Window) -> np.ndarray:
            row = np.zeros(ANALYSIS_SIZE)
            row[ANALYSIS_LAYOUT[("tags", "")]] = song.tags[index(window)]
            return row

    planned = plan_stages(config, duration, sampling)
    chosen, _ = choose_windows(config, planned, sampling, value, duration=duration)
    return [index(w) for w in chosen]


def by_margin(model: str, rule: Rule | tuple) -> Callable[[Song], list[int]]:
    """The patches of each song that ``rule`` analyses: a :class:`Rule`, or (first, at
    most, margin) with that margin throughout."""
    if not isinstance(rule, Rule):
        first, most, margin = rule
        rule = Rule(first, most, margin, margin)
    sampling = rule.sampling()
    return lambda song: replay(song, sampling, model)


def score(songs: Sequence[Song], model: str, chosen_of: Callable[[Song], list[int]]
          ) -> tuple[int, int, float]:
    """Songs agreeing with the whole song, songs, mean excerpts."""
    chosen = [chosen_of(s) for s in songs]
    agree = sum(s.agrees(model, c) for s, c in zip(songs, chosen, strict=True))
    return agree, len(songs), float(np.mean([len(c) for c in chosen])) if chosen else 0.0


def choose(songs: Sequence[Song]) -> Rule | None:
    """The cheapest rule of :data:`GRID` meeting the target for both models on ``songs``."""
    best = None
    for rule in GRID:
        results = {m: score(songs, m, by_margin(m, rule)) for m in MODELS}
        if all(a >= TARGET * n for a, n, _ in results.values()):
            key = (results[MODELS[0]][2], -rule.margin)
            if best is None or key < best[0]:
                best = (key, rule)
    return None if best is None else best[1]


def frontier(songs: Sequence[Song], model: str) -> list[tuple[float, str, tuple]]:
    """Per budget of mean excerpts, the rule of :data:`FRONTIER_GRID` or fixed count of
    :data:`FRONTIER_FIXED` agreeing with the whole song on most of ``songs`` (the cheaper
    on a tie): (budget, rule, score)."""
    results = [(str(rule), score(songs, model, by_margin(model, rule)))
               for rule in FRONTIER_GRID]
    results += [(f"fixed {count}", score(songs, model,
                                         lambda s, c=count: replay(s, Sampling(excerpts=c))))
                for count in FRONTIER_FIXED]
    out = []
    for budget in BUDGETS:
        within = [(label, result) for label, result in results if result[2] <= budget]
        if within:
            label, result = max(within, key=lambda r: (r[1][0], -r[1][2]))
            out.append((budget, label, result))
    return out


def near_ties(songs: Sequence[Song], model: str, chosen_of: Callable[[Song], list[int]]
               ) -> str:
    """How often ``chosen_of``'s answers are among the whole song's top two genres, and
    how many of those that differ from the whole song's are near ties (its top genre leads
    the second by less than :data:`NEAR_TIE`)."""
    from genriflow.intervals import wilson_interval

    chosen = [chosen_of(s) for s in songs]
    top_two = sum(s.in_top(model, c, 2) for s, c in zip(songs, chosen, strict=True))
    differ = [s for s, c in zip(songs, chosen, strict=True) if not s.agrees(model, c)]
    low, high = wilson_interval(top_two, len(songs))
    near = sum(s.lead(model) < NEAR_TIE for s in songs)
    return (f"  shipped default: in the whole song's top two {top_two}/{len(songs)} "
            f"({low:.1%}-{high:.1%}); of the {len(differ)} that differ, "
            f"{sum(s.lead(model) < NEAR_TIE for s in differ)} lead by < {NEAR_TIE:g} "
            f"(of all songs: {near})")


def line(label: str, result: tuple[int, int, float]) -> str:
    from genriflow.intervals import wilson_interval

    agree, n, excerpts = result
    low, high = wilson_interval(agree, n)
    return (f"  {label:<44}{agree:>3}/{n:<3} {agree / max(n, 1):6.1%} ({low:.1%}-{high:.1%})"
            f"{excerpts:>8.1f}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--choose", type=Path, nargs="+", required=True,
                        help="folders the rule is chosen on")
    parser.add_argument("--test", type=Path, nargs="+", required=True,
                        help="folders it is tested on (never used to choose)")
    parser.add_argument("--full-store", type=Path, required=True,
                        help="feature store of the whole-song analyses (reused if there)")
    parser.add_argument("--frontier", action="store_true",
                        help="also the best any rule of a wider grid does on all the songs "
                        "at each budget of excerpts (an optimistic bound)")
    args = parser.parse_args(argv)
    print("$ python " + shlex.join(["benchmarks/stopping_rule.py", *(argv or sys.argv[1:])]))

    from genriflow.features.sampling import DEFAULT_SAMPLING, SETTLE

    choosing, testing = load(args.choose, args.full_store), load(args.test, args.full_store)
    if not choosing or not testing:
        sys.exit("no songs to choose on or to test on")
    chosen = choose(choosing)
    print(f"\n{len(choosing)} songs to choose on, {len(testing)} to test on; target "
          f"{TARGET:.0%} of top genres as the whole song's")
    print(f"chosen on {', '.join(map(str, args.choose))}: "
          + ("no rule of the grid meets the target" if chosen is None else str(chosen)))
    shipped = Rule(DEFAULT_SAMPLING.first, DEFAULT_SAMPLING.excerpts,
                   DEFAULT_SAMPLING.margin_after(0), DEFAULT_SAMPLING.margin)
    print(f"shipped default: {shipped}")
    print(f"\non {', '.join(map(str, args.test))}:{'':<8}agree with the whole song"
          f"{'':<9}excerpts")
    for model in MODELS:
        print(f" {model}")
        rules: dict[str, Callable[[Song], list[int]]] = {
            "shipped default (genre margin)": by_margin(model, shipped),
            f"tags' rule it replaced (settle {SETTLE:g})":
                lambda s: replay(s, Sampling(excerpts=DEFAULT_SAMPLING.excerpts,
                                             first=DEFAULT_SAMPLING.first, settle=SETTLE)),
        }
        if chosen is not None and chosen != shipped:
            rules["chosen here"] = by_margin(model, chosen)
        for count in (4, 8, 12, 24):
            rules[f"fixed {count}"] = lambda s, c=count: replay(s, Sampling(excerpts=c))
        for label, rule in rules.items():
            print(line(label, score(testing, model, rule)))
        print(near_ties(testing, model, by_margin(model, shipped)))

    everything = [*choosing, *testing]
    sources = sorted({s.source for s in everything})
    print(f"\nleave one source out ({', '.join(sources)}): chosen on the others, tested on it")
    totals = {m: [0, 0, []] for m in MODELS}
    for source in sources:
        rule = choose([s for s in everything if s.source != source])
        held = [s for s in everything if s.source == source]
        if rule is None:
            print(f"  {source}: no rule meets the target on the others")
            continue
        cells = []
        for m in MODELS:
            agree, n, excerpts = score(held, m, by_margin(m, rule))
            totals[m][0] += agree
            totals[m][1] += n
            totals[m][2] += [excerpts] * n
            cells.append(f"{m} {agree}/{n}")
        print(f"  {source:<12} {rule}: " + ", ".join(cells))
    for m, (agree, n, excerpts) in totals.items():
        print(line(f"{m}, every source held out once", (agree, n, float(np.mean(excerpts)))))
    if args.frontier:
        print(f"\nfrontier: the best of {len(FRONTIER_GRID)} rules and {len(FRONTIER_FIXED)} "
              f"fixed counts on all {len(everything)} songs at each budget of mean excerpts "
              "(chosen on the songs it is scored on: an optimistic bound)")
        for m in MODELS:
            print(f" {m}")
            for budget, label, result in frontier(everything, m):
                print(line(f"<= {budget:g}: {label}", result))


if __name__ == "__main__":
    main()
