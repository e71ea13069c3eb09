"""The replay of benchmarks/stopping_rule.py: the excerpts a rule analyses, the choice of
the cheapest rule that meets the target and the frontier (made-up songs, no audio); and
benchmarks/sampling_cost.py on two generated songs."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

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


def test_the_frontier_is_the_best_agreement_within_each_budget(script):
    leaning = _song(script, [0.9, 0.2, 0.85, 0.1, 0.95, 0.3])
    songs = [_song(script, [0.8, 0.75, 0.85]) for _ in range(9)] + [leaning]
    rows = script.frontier(songs, "gtzan")
    assert [budget for budget, _, _ in rows] == list(script.BUDGETS)
    for budget, label, (_, n, excerpts) in rows:
        assert n == 10 and excerpts <= budget
        assert label.startswith(("first ", "fixed "))
    agreements = [agree for _, _, (agree, _, _) in rows]
    assert agreements == sorted(agreements)  # a larger budget never does worse
    assert agreements[-1] == 10  # the leaning song agrees once enough excerpts are taken


def _write_songs(folder: Path, seconds: float, freqs: tuple[float, ...], *, noise: float,
                 seed: int) -> None:
    """``song0.flac``, ``song1.flac``, ...: a tone of each frequency in a little noise."""
    rng = np.random.default_rng(seed)
    sr = 16000
    t = np.arange(int(seconds * sr)) / sr
    for i, freq in enumerate(freqs):
        song = 0.3 * np.sin(2 * np.pi * freq * t) + noise * rng.standard_normal(len(t))
        sf.write(folder / f"song{i}.flac", song.astype(np.float32), sr)


def test_sampling_cost_times_both_rules_on_real_code(tmp_path, capsys):
    sys.path.insert(0, str(BENCHMARKS))
    try:
        cost = importlib.import_module("sampling_cost")
    finally:
        sys.path.remove(str(BENCHMARKS))
    _write_songs(tmp_path, 40.0, (220.0, 330.0), noise=0.01, seed=0)
    cost.main([str(tmp_path), "--rule", "6", "12", "0.5", "--repeat", "1"])
    out = capsys.readouterr().out
    assert "2 songs of" in out
    shipped, other = [line for line in out.splitlines() if "excerpts a song" in line]
    assert shipped.strip().startswith("shipped (4-24, margin 1.5 then 1)")
    assert other.strip().startswith("6-12, margin 0.5")
    # a 40 s song has 13 patches: the shipped rule (at most 24) analyses all of them, the
    # other 6 to 12
    shipped_excerpts = float(shipped.split()[-4])
    other_excerpts = float(other.split()[-4])
    assert shipped_excerpts == 13 and 6 <= other_excerpts <= 12


@pytest.mark.slow
@pytest.mark.subprocess
def test_onnx_paths_checks_every_path_on_a_folder(tmp_path):
    """Run as a user runs it, in its own process: it sets the processor's flush-denormal
    state, which must not leak into other tests."""
    _write_songs(tmp_path, 20.0, (196.0, 440.0), noise=0.02, seed=1)
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "onnx_paths.py"), str(tmp_path), "--runs", "1"],
        capture_output=True, text=True, timeout=600, cwd=BENCHMARKS.parent,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert "2 tracks copied" in out
    rows = {line[:20].strip(): line for line in out.splitlines()
            if line.startswith(("PyTorch fp32", "ONNX Runtime"))}
    assert set(rows) == {"PyTorch fp32", "ONNX Runtime fp32", "ONNX Runtime int8"}
    # the reference agrees with itself; the shipped ONNX models within float rounding
    assert "2/2" in rows["PyTorch fp32"] and "2/2" in rows["ONNX Runtime fp32"]
    assert "(fails a threshold)" not in rows["ONNX Runtime fp32"]
    diff = float(rows["ONNX Runtime fp32"].split()[-6])
    assert diff < 1e-3
    assert "paths holding both:" in out


def test_near_ties_count_the_top_two_and_the_close_leads(script):
    # whole-song means: clear 0.8 (lead 0.6); a near tie (0.505 against 0.495, lead 0.01)
    # whose even patches all lean the other way
    clear = _song(script, [0.8, 0.75, 0.85])
    near = _song(script, [0.3, 0.71])
    assert clear.lead("gtzan") == pytest.approx(0.6, abs=1e-9)
    assert near.lead("gtzan") == pytest.approx(0.01, abs=1e-9)
    even = [0, 2, 4, 6]
    assert clear.agrees("gtzan", even) and clear.in_top("gtzan", even, 1)
    assert not near.agrees("gtzan", even) and near.in_top("gtzan", even, 2)
    assert not near.in_top("gtzan", even, 1)
    text = script.near_ties([clear, near], "gtzan", lambda s: even)
    assert "top two 2/2" in text
    assert "of the 1 that differ, 1 lead by < 0.02 (of all songs: 1)" in text
