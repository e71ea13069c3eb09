"""The plan of windows: excerpts spread over a song, or all of it; stretches to decode."""

import numpy as np
import pytest

from genriflow.errors import ConfigError
from genriflow.features.embeddings import NETWORK_SR, PATCH_SECONDS
from genriflow.features.sampling import (
    DEFAULT_EXCERPTS,
    Sampling,
    Window,
    decode_ranges,
    plan_windows,
    spread,
)
from genriflow.features.sets import FeatureConfig

PATCH = PATCH_SECONDS


def patches(duration, sampling):
    return plan_windows(duration, clip_seconds=None, patch_seconds=PATCH, sampling=sampling)


def clips(duration, sampling):
    return plan_windows(duration, clip_seconds=30.0, patch_seconds=None, sampling=sampling)


def test_patch_length_is_the_networks_input():
    from genriflow.features.pretrained.musicnn import HOP_LENGTH, N_FRAMES, SR

    assert NETWORK_SR == SR and PATCH_SECONDS == N_FRAMES * HOP_LENGTH / SR


def test_a_long_song_gets_excerpts_spread_evenly_on_the_patch_grid():
    windows = patches(300.0, Sampling())
    assert len(windows) == DEFAULT_EXCERPTS
    starts = np.array([w.offset for w in windows])
    assert all(w.seconds == PATCH for w in windows)
    np.testing.assert_allclose(starts / PATCH, np.round(starts / PATCH))  # on the grid
    gaps = np.diff(starts)
    assert gaps.min() > 0 and gaps.max() - gaps.min() <= PATCH + 1e-9  # evenly spread
    assert starts[0] > 0 and starts[-1] + PATCH < 300.0  # away from the very edges


def test_full_analyses_every_patch_and_a_sample_is_a_subset_of_it():
    full = patches(300.0, Sampling(full=True))
    assert len(full) == int(300.0 // PATCH) == 100
    for excerpts in (1, 5, 12, 99):
        assert set(patches(300.0, Sampling(excerpts=excerpts))) <= set(full)
    assert patches(30.0, Sampling()) == patches(30.0, Sampling(full=True))  # 10 <= 12


def test_short_songs_and_clip_sets():
    assert patches(2.0, Sampling()) == [Window(0.0, None)]  # shorter than a patch: padded
    assert patches(4.0, Sampling()) == [Window(0.0, PATCH)]
    assert clips(40.0, Sampling()) == [Window(0.0, None)]  # at most 1.5 clips: whole
    assert clips(300.0, Sampling()) == [Window(135.0, 30.0)]  # the central clip (training)
    assert [w.offset for w in clips(100.0, Sampling(full=True))] == [0.0, 30.0, 60.0]
    assert clips(300.0, Sampling(excerpts=3)) == clips(300.0, Sampling())


def test_spread_takes_the_middle_of_equal_parts():
    assert spread(10, 2) == [2, 7]
    assert spread(3, 12) == [0, 1, 2] and spread(5, None) == [0, 1, 2, 3, 4]
    picked = spread(1000, 12)
    assert len(set(picked)) == 12 and picked == sorted(picked)


def test_sampling_is_checked_once():
    with pytest.raises(ConfigError, match="`excerpts` must be at least 1"):
        Sampling(excerpts=0)
    assert str(Sampling(excerpts=3)) == "3 excerpts" and str(Sampling(full=True)) == "full"


def test_stretches_merge_neighbours_within_limits():
    grid = [Window(i * 3.0, 3.0) for i in range(40)]  # 120 s back to back
    groups = decode_ranges(grid, 120.0, max_seconds=60.0)
    assert [r for r, _ in groups] == [Window(0.0, 60.0), Window(60.0, 60.0)]
    assert sum(len(ws) for _, ws in groups) == 40
    apart = decode_ranges([Window(0.0, 3.0), Window(30.0, 3.0), Window(31.0, 30.0)], 90.0)
    assert [(r, len(ws)) for r, ws in apart] == [(Window(0.0, 3.0), 1), (Window(30.0, 31.0), 2)]
    whole = decode_ranges([Window(0.0, None), Window(3.0, 3.0), Window(30.0, 3.0)], 40.0)
    assert [(r, len(ws)) for r, ws in whole] == [(Window(0.0, None), 3)]


def test_network_sets_work_at_their_rate_on_patches():
    for name in ("musicnn", "musicnn-tags", "msd-musicnn", "msd-vgg"):
        config = FeatureConfig(set=name, sr=22050, clip_seconds=30.0)
        assert config.sr == NETWORK_SR and config.clip_seconds is None
    tags = FeatureConfig(set="musicnn-tags")
    embedding = FeatureConfig(set="msd-musicnn", options={"layer": "mean_pool"})
    assert tags.stored() == embedding.stored() == FeatureConfig(set="musicnn")
    assert FeatureConfig(set="kaggle").stored() == FeatureConfig(set="kaggle")
