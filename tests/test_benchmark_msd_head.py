"""The pure parts of benchmarks/msd_head.py on made-up analyses (no audio): the msd-only
prior and inputs read the MSD network alone, and a head fitted on them ignores the MTT
network's columns."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest
from tests.close import assert_close

from genriflow.features.embeddings import ANALYSIS_LAYOUT, ANALYSIS_SIZE, tag_names
from genriflow.models.zero_shot import GENRE_TAGS
from genriflow.training.tag_head import HeadRecipe, Songs

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
WINDOWS_PER_SONG = 3


@pytest.fixture(scope="module")
def script():
    saved = list(sys.path)
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield importlib.import_module("msd_head")
    finally:
        sys.path[:] = saved


def _mtt_columns() -> np.ndarray:
    """The analysis columns computed by the MTT network: its parts and its tags."""
    names = tag_names()
    tags = ANALYSIS_LAYOUT[("tags", "")]
    mtt_tags = [tags.start + i for i, n in enumerate(names) if n.startswith("mtt:")]
    parts = [np.arange(s.start, s.stop) for (net, _), s in ANALYSIS_LAYOUT.items()
             if net == "mtt-musicnn"]
    return np.concatenate([np.array(mtt_tags), *parts])


def test_the_msd_prior_drops_every_mtt_tag_and_leaves_classical_and_reggae_empty(script):
    assert set(script.MSD_GENRE_TAGS) == set(GENRE_TAGS)
    for genre, tags in script.MSD_GENRE_TAGS.items():
        assert all(t.startswith("msd:") for t in tags)
        assert tags == tuple(t for t in GENRE_TAGS[genre] if t.startswith("msd:"))
    empty = sorted(g for g, tags in script.MSD_GENRE_TAGS.items() if not tags)
    assert empty == ["classical", "reggae"]


def test_the_msd_inputs_read_msd_columns_only(script):
    names = tag_names()
    tags = ANALYSIS_LAYOUT[("tags", "")]
    msd_columns = {tags.start + i for i, n in enumerate(names) if n.startswith("msd:")}
    for (net, _), part in ANALYSIS_LAYOUT.items():
        if net == "msd-musicnn":
            msd_columns |= set(range(part.start, part.stop))
    assert set(range(script.MSD_TAGS.start, script.MSD_TAGS.stop)) == {
        tags.start + i for i, n in enumerate(names) if n.startswith("msd:")}
    for name in script.MSD_INPUTS:
        parts, prior = script.INPUTS[name]
        read = {c for part in parts for c in range(part.start, part.stop)}
        assert read <= msd_columns, name
        assert prior is script.MSD_GENRE_TAGS
    # The shipped inputs do read the MTT network (else the study would compare nothing).
    shipped_parts, _ = script.INPUTS["embeddings+tags"]
    shipped = {c for part in shipped_parts for c in range(part.start, part.stop)}
    assert shipped & set(_mtt_columns().tolist())


def test_a_fitted_msd_head_ignores_the_mtt_network(script):
    rng = np.random.default_rng(0)
    labels = np.repeat(np.array(script.LABELS), 2)
    n_windows = np.full(len(labels), WINDOWS_PER_SONG)
    windows = rng.uniform(0.0, 1.0, (int(n_windows.sum()), ANALYSIS_SIZE))
    songs = Songs(windows, n_windows, labels, np.array([f"s{i}" for i in range(len(labels))]))
    recipe = HeadRecipe("tags", C=3e-4, intercept_C=0.1)
    rows = rng.uniform(0.0, 1.0, (8, ANALYSIS_SIZE))
    changed = rows.copy()
    changed[:, _mtt_columns()] = rng.uniform(0.0, 1.0, (8, len(_mtt_columns())))

    msd = script.fit("msd-embeddings+msd-tags", recipe, songs)
    assert_close(msd.predict_proba(changed), msd.predict_proba(rows), abs=1e-12)
    shipped = script.fit("embeddings+tags", recipe, songs)
    assert np.abs(shipped.predict_proba(changed) - shipped.predict_proba(rows)).max() > 1e-6


def test_the_msd_zero_shot_never_gives_classical_what_mtt_tags_say(script):
    index = {n: i for i, n in enumerate(tag_names())}
    rows = np.zeros((4, ANALYSIS_SIZE))
    rows[:, [index[t] for t in GENRE_TAGS["classical"]]] = 0.9
    rows[:, index["msd:rock"]] = 0.5
    both = script.zero_shot(rows, GENRE_TAGS)
    msd_only = script.zero_shot(rows, script.MSD_GENRE_TAGS)
    classical, rock = script.LABELS.index("classical"), script.LABELS.index("rock")
    assert_close(both.sum(axis=1), np.ones(4), abs=1e-9)
    assert_close(msd_only.sum(axis=1), np.ones(4), abs=1e-9)
    assert (both.argmax(axis=1) == classical).all()
    assert (msd_only.argmax(axis=1) == rock).all()
    assert msd_only[:, classical].max() < 1e-6


def test_rates_carry_their_wilson_interval_and_mcnemar_is_two_sided(script):
    assert script.interval(163, 194) == "163/194 0.840 (0.782-0.885)"
    assert script.rate(6, 12) == "0.50 (0.25-0.75)"
    assert script.mcnemar(0, 0) == pytest.approx(1.0)
    assert script.mcnemar(0, 10) == pytest.approx(2 * 0.5**10)
    assert script.mcnemar(11, 7) == pytest.approx(script.mcnemar(7, 11))


def test_a_missing_far_out_file_is_written_from_far_out_analysis(script, tmp_path, monkeypatch):
    calls = []

    def analysis(cache):
        calls.append(cache)
        return {"paths": np.array(["x/speech/speech.00000.wav"]), "n_windows": np.array([2]),
                "musicnn": np.zeros((2, ANALYSIS_SIZE), dtype=np.float32)}

    monkeypatch.setattr(script, "far_out_analysis", analysis)
    path = tmp_path / "sub" / "far.npz"
    assert script.far_out_file(path) == path
    assert list(np.load(path)["paths"]) == ["x/speech/speech.00000.wav"]
    assert script.far_out_file(path) == path
    assert calls == [None]  # the second call found the file
