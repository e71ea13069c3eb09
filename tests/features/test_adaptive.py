"""Adaptive sampling: a song that sounds the same throughout, or whose model's top genre is
clear, stops after the first excerpts; a varied one, or a near tie, goes on; the store
serves either without a decode."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import soundfile as sf

from genriflow.errors import ConfigError
from genriflow.features.compute import choose, plan_stages
from genriflow.features.embeddings import ANALYSIS_SIZE, NETWORK_SR, PATCH_SECONDS
from genriflow.features.extract import extract_sets, extract_waveform_sets
from genriflow.features.options import RunOptions
from genriflow.features.sampling import (
    DEFAULT_EXCERPTS,
    DEFAULT_SAMPLING,
    FIRST_EXCERPTS,
    MOST_EXCERPTS,
    GenreMargin,
    Sampling,
    Window,
    clear,
    stages,
)
from genriflow.features.sets import FeatureConfig

TAGS = FeatureConfig(set="musicnn-tags")
SECONDS = (MOST_EXCERPTS + 1) * PATCH_SECONDS + 1.0  # 25 patches: 24 of them are the excerpts


def _steady() -> np.ndarray:
    """The same chord throughout."""
    t = np.arange(int(SECONDS * NETWORK_SR)) / NETWORK_SR
    return (0.3 * sum(np.sin(2 * np.pi * f * t) for f in (220, 277, 330))).astype(np.float32)


def _varied() -> np.ndarray:
    """Each patch another kind of sound: noise, a pulsed bass, clicks, a sweep."""
    rng = np.random.default_rng(0)
    n = int(PATCH_SECONDS * NETWORK_SR)
    t = np.arange(n) / NETWORK_SR
    clicks = np.zeros(n)
    clicks[:: NETWORK_SR // 4] = 1.0
    kinds = [0.5 * rng.standard_normal(n),
             0.3 * np.sin(2 * np.pi * 110 * t) * (np.sin(2 * np.pi * 2 * t) > 0),
             np.convolve(clicks, np.exp(-np.arange(800) / 80), "same"),
             0.3 * np.sin(2 * np.pi * (300 + 2000 * t / 3) * t)]
    y = np.concatenate([kinds[i % 4] for i in range(MOST_EXCERPTS + 3)])
    return y[: int(SECONDS * NETWORK_SR)].astype(np.float32)


def test_the_stages_are_the_fixed_plans_excerpts_first_spread_out():
    grid = [Window(i * PATCH_SECONDS, PATCH_SECONDS) for i in range(DEFAULT_EXCERPTS)]
    planned = stages(grid, DEFAULT_SAMPLING)
    assert [len(s) for s in planned] == [FIRST_EXCERPTS] * (DEFAULT_EXCERPTS // FIRST_EXCERPTS)
    assert sorted(w for s in planned for w in s) == grid
    assert stages(grid, Sampling(excerpts=12)) == [grid]  # a fixed count: one stage
    with pytest.raises(ConfigError, match="`settle` must be at least 0"):
        Sampling(first=4, settle=-0.1)


def test_a_steady_song_stops_early_a_varied_one_goes_on_and_the_store_serves_both(tmp_path):
    paths = [tmp_path / "steady.wav", tmp_path / "varied.wav"]
    for path, y in zip(paths, (_steady(), _varied()), strict=True):
        sf.write(path, y, NETWORK_SR)
    options = RunOptions(store=tmp_path / "store", n_jobs=1)
    first = extract_sets(paths, [TAGS], options=options)[TAGS.set]
    steady, varied = (len(f.offsets) for f in first.files)
    assert steady == FIRST_EXCERPTS and varied > FIRST_EXCERPTS
    again = extract_sets(paths, [TAGS], options=options)[TAGS.set]
    assert first.computed == 2 and again.computed == 0  # the second: no file decoded
    for a, b in zip(first.files, again.files, strict=True):
        np.testing.assert_array_equal(a.offsets, b.offsets)
        np.testing.assert_array_equal(a.values, b.values)
    # the steady song's excerpts are among the fixed plan's, which computes only the rest
    fixed = extract_sets(paths[:1], [TAGS], options=options,
                         sampling=Sampling(excerpts=MOST_EXCERPTS))[TAGS.set]
    chosen = np.isin(fixed.files[0].offsets, first.files[0].offsets)
    assert len(chosen) == MOST_EXCERPTS and chosen.sum() == FIRST_EXCERPTS
    np.testing.assert_array_equal(fixed.files[0].values[chosen], first.files[0].values)


def test_stages_are_added_until_the_values_settle_or_none_are_left():
    musicnn = FeatureConfig(set="musicnn")
    planned = plan_stages(musicnn, SECONDS, DEFAULT_SAMPLING)
    rng = np.random.default_rng(0)
    same = rng.uniform(0, 1, ANALYSIS_SIZE).astype(np.float32)
    steady = {w: same + 0.001 * rng.standard_normal(ANALYSIS_SIZE) for s in planned for w in s}
    varied = {w: rng.uniform(0, 1, ANALYSIS_SIZE) for s in planned for w in s}
    assert [len(s) for s in planned] == [FIRST_EXCERPTS] * (MOST_EXCERPTS // FIRST_EXCERPTS)
    chosen, final = choose(musicnn, planned, DEFAULT_SAMPLING, steady.get)
    assert final and chosen == planned[0]
    chosen, final = choose(musicnn, planned, DEFAULT_SAMPLING, varied.get)
    assert final and sorted(chosen) == sorted(varied)
    chosen, final = choose(musicnn, planned, DEFAULT_SAMPLING, lambda _: None)
    assert not final and chosen == planned[0]  # the first stage's values decide what next
    kaggle = plan_stages(FeatureConfig(set="kaggle"), SECONDS, DEFAULT_SAMPLING)
    assert len(kaggle) == 1 and choose(FeatureConfig(set="kaggle"), kaggle, DEFAULT_SAMPLING,
                                       lambda _: None) == (kaggle[0], True)


def test_a_waveform_is_sampled_as_a_file_and_a_short_song_whole():
    steady = extract_waveform_sets(_steady(), NETWORK_SR, [TAGS])[TAGS.set]
    assert len(steady.offsets) == FIRST_EXCERPTS
    short = _steady()[: int(10 * PATCH_SECONDS * NETWORK_SR)]  # a 30 s clip: 10 patches
    assert len(plan_stages(FeatureConfig(set="musicnn"), len(short) / NETWORK_SR,
                           DEFAULT_SAMPLING)) == 1


def _lead_of_first_column(rows: np.ndarray) -> np.ndarray:
    """Two genres: the first column of each stored row (clipped to [0, 1]) and the rest."""
    first = np.clip(np.asarray(rows)[:, :1], 0.0, 1.0)
    return np.hstack([first, 1.0 - first])


def test_on_a_models_genres_a_clear_song_stops_early_a_near_tie_goes_on():
    musicnn = FeatureConfig(set="musicnn")
    planned = plan_stages(musicnn, SECONDS, DEFAULT_SAMPLING)
    on_genres = replace(DEFAULT_SAMPLING, on_genres=GenreMargin(
        "toy", musicnn.stored().digest(), _lead_of_first_column))

    def song(shares: list[float]) -> dict:
        """The first genre's share in each window, in time order, cycling."""
        rows = {}
        for i, window in enumerate(sorted(w for stage in planned for w in stage)):
            rows[window] = np.zeros(ANALYSIS_SIZE)
            rows[window][0] = shares[i % len(shares)]
        return rows

    clear_song = song([0.8, 0.75, 0.85, 0.7])  # the first genre, whatever the window
    tie = song([0.9, 0.1, 0.8, 0.2, 0.5])  # now one genre, now the other: no lead
    chosen, final = choose(musicnn, planned, on_genres, clear_song.get, duration=SECONDS)
    assert final and chosen == planned[0]
    chosen, final = choose(musicnn, planned, on_genres, tie.get, duration=SECONDS)
    assert final and sorted(chosen) == sorted(tie)
    # the same values settle by the tags' rule when the genres are another set's
    elsewhere = replace(on_genres, on_genres=GenreMargin("toy", "another-set",
                                                         _lead_of_first_column))
    assert choose(musicnn, planned, elsewhere, tie.get, duration=SECONDS) == \
        choose(musicnn, planned, DEFAULT_SAMPLING, tie.get, duration=SECONDS)
    with pytest.raises(ConfigError, match="`margin` must be at least 0"):
        Sampling(first=4, margin=-1.0)


def test_the_first_stage_must_clear_the_higher_first_margin():
    musicnn = FeatureConfig(set="musicnn")
    planned = plan_stages(musicnn, SECONDS, DEFAULT_SAMPLING)
    on_genres = replace(DEFAULT_SAMPLING, on_genres=GenreMargin(
        "toy", musicnn.stored().digest(), _lead_of_first_column))
    assert on_genres.margin_after(0) > on_genres.margin_after(1) == on_genres.margin
    rows = {}
    for window in (w for stage in planned for w in stage):
        rows[window] = np.zeros(ANALYSIS_SIZE)
        rows[window][0] = 0.8  # every later excerpt leans clearly to the first genre
    for window, share in zip(planned[0], [0.9, 0.4, 0.8, 0.5], strict=True):
        rows[window][0] = share  # the first four lead by between 1 and 1.5 errors
    first_four = _lead_of_first_column(np.stack([rows[w] for w in planned[0]]))
    assert clear(first_four, 25, on_genres.margin)
    assert not clear(first_four, 25, on_genres.margin_after(0))
    chosen, final = choose(musicnn, planned, on_genres, rows.get, duration=SECONDS)
    assert final and chosen == [*planned[0], *planned[1]]
    one_margin = replace(on_genres, first_margin=None)
    assert choose(musicnn, planned, one_margin, rows.get, duration=SECONDS) == (planned[0], True)
    with pytest.raises(ConfigError, match="`first_margin` must be at least 0"):
        Sampling(first=4, first_margin=-0.5)


def test_a_pipeline_samples_on_its_models_genres_and_shares_excerpts_through_the_store(
        tmp_path):
    from genriflow.inference.pipeline import Pipeline, on_genres
    from genriflow.models.zero_shot import ZeroShotGenreModel

    path = tmp_path / "steady.wav"
    sf.write(path, _steady(), NETWORK_SR)
    options = RunOptions(store=tmp_path / "store", n_jobs=1)
    pipe = Pipeline("zero-shot", options=options)
    assert pipe.sampling.on_genres is not None
    assert pipe.sampling.on_genres.model == "zero-shot"
    assert pipe.sampling == on_genres(DEFAULT_SAMPLING, ZeroShotGenreModel())
    answer = pipe(path)
    assert len(answer.prediction.offsets) == FIRST_EXCERPTS  # one chord: clear at once
    # the same sampling reads the same excerpts back: no file decoded again
    again = extract_sets([path], [TAGS], options=options, sampling=pipe.sampling)[TAGS.set]
    assert again.computed == 0
    np.testing.assert_allclose(again.files[0].offsets, answer.prediction.offsets)
