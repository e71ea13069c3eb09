"""The replay of benchmarks/stopping_rule.py: the excerpts a rule analyses, and the choice
of the cheapest rule that meets the target (made-up songs, no audio)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
N_PATCHES = 60


@pytest.fixture(scope="module")
def script():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield importlib.import_module("stopping_rule")
    finally:
        sys.path.remove(str(BENCHMARKS))


def _song(script, shares: list[float]):
    """A song of 60 patches whose first genre's share cycles through ``shares`` (both
    models alike), and steady tags."""
    first = np.array([shares[i % len(shares)] for i in range(N_PATCHES)])
    genres = np.stack([first, 1.0 - first], axis=1)
    tags = np.full((N_PATCHES, 100), 0.3)
    return script.Song("x.ogg", {m: genres for m in script.MODELS}, tags, "wesnoth")


def test_a_clear_song_stops_at_the_first_stage_a_tie_goes_on(script):
    clear = _song(script, [0.8, 0.75, 0.85])
    tie = _song(script, [0.9, 0.1])
    for model in script.MODELS:
        assert len(script.by_margin(model, (4, 12, 1.0))(clear)) == 4
        assert len(script.by_margin(model, (4, 12, 1.0))(tie)) == 12
    assert script.replay(tie, script.Sampling(excerpts=8)) == [3, 11, 18, 26, 33, 41, 48, 56]
    assert script.source_of("/tmp/deb60/warzone2100/track1.opus") == "warzone2100"


def test_the_choice_is_the_cheapest_rule_that_meets_the_target(script):
    # a tie whose whole-song mean still leans to the first genre: 4 excerpts can get it
    # wrong, all 12 get it right; the clear songs agree at once
    leaning = _song(script, [0.9, 0.2, 0.85, 0.1, 0.95, 0.3])
    songs = [_song(script, [0.8, 0.75, 0.85]) for _ in range(19)] + [leaning]
    chosen = script.choose(songs)
    assert chosen is not None
    agree, n, excerpts = script.score(songs, "gtzan", script.by_margin("gtzan", chosen))
    assert agree >= 0.95 * n
    cheaper = [r for r in script.GRID
               if script.score(songs, "gtzan", script.by_margin("gtzan", r))[2] < excerpts]
    assert all(script.score(songs, "gtzan", script.by_margin("gtzan", r))[0] < 0.95 * n
               for r in cheaper)
