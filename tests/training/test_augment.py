"""Waveform augmentation levels and spectrogram batch transforms."""

import random
from functools import partial

import numpy as np
import pytest
import torch

from genriflow.training.augment import (
    AUGMENTATIONS,
    augment_waveform,
    center_crop,
    compose,
    random_crop,
    spec_augment,
    waveform_augmenter,
)

SR = 16000


@pytest.fixture(scope="module")
def tone() -> np.ndarray:
    t = np.arange(SR) / SR
    return (0.3 * np.sin(2 * np.pi * 440 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))
            ).astype(np.float32)


def test_levels():
    assert AUGMENTATIONS == ("none", "weak", "strong")
    assert waveform_augmenter("none", SR) is None
    assert len(waveform_augmenter("weak", SR).transforms) == 1
    names = [type(t).__name__ for t in waveform_augmenter("strong", SR).transforms]
    assert names == ["AddGaussianNoise", "TimeStretch", "Shift", "PitchShift"]
    with pytest.raises(ValueError, match="unknown augmentation"):
        waveform_augmenter("extreme", SR)


@pytest.mark.parametrize("level", ["weak", "strong"])
def test_augment_keeps_length_changes_signal_and_is_seeded(tone, level):
    before = random.getstate(), np.random.get_state()[1].copy()  # noqa: NPY002
    out = augment_waveform(tone, SR, level, seed=7)
    assert random.getstate() == before[0]  # the global state is restored
    np.testing.assert_array_equal(np.random.get_state()[1], before[1])  # noqa: NPY002
    assert out.dtype == np.float32 and out.shape == tone.shape
    assert not np.allclose(out, tone, atol=1e-4)
    np.testing.assert_array_equal(out, augment_waveform(tone, SR, level, seed=7))
    assert not np.array_equal(out, augment_waveform(tone, SR, level, seed=8))


def test_strong_changes_more_than_noise_over_seeds(tone):
    # Over a few seeds, time stretch / shift / pitch shift must move the signal well
    # beyond the noise level.
    errors = [np.abs(augment_waveform(tone, SR, "strong", s) - tone).max() for s in range(6)]
    assert max(errors) > 0.1


def test_none_is_a_copy(tone):
    out = augment_waveform(tone, SR, "none", seed=0)
    np.testing.assert_array_equal(out, tone)
    assert out is not tone


def test_crops_shapes_and_contents():
    x = torch.arange(2 * 3 * 10, dtype=torch.float32).reshape(2, 3, 10)
    centre = center_crop(x, 4)
    assert centre.shape == (2, 3, 4) and torch.equal(centre, x[:, :, 3:7])
    g = torch.Generator().manual_seed(0)
    crop = random_crop(x, 4, g)
    assert crop.shape == (2, 3, 4)
    for i in range(2):  # each example is a contiguous window of itself
        start = int(crop[i, 0, 0] - x[i, 0, 0])
        assert torch.equal(crop[i], x[i, :, start:start + 4])
    same = random_crop(x, 4, torch.Generator().manual_seed(0))
    assert torch.equal(crop, same)
    assert center_crop(x, 10).shape == random_crop(x, 10, g).shape == (2, 3, 10)
    padded = center_crop(x, 12)
    assert padded.shape == (2, 3, 12)
    assert torch.allclose(padded[:, :, -1], x.mean(dim=(1, 2))[:, None].expand(2, 3))
    with pytest.raises(ValueError, match="batch"):
        random_crop(x[0], 4, g)


def test_random_crop_offsets_vary():
    x = torch.arange(200, dtype=torch.float32).repeat(32, 1, 1)
    starts = random_crop(x, 10, torch.Generator().manual_seed(1))[:, 0, 0]
    assert len(set(starts.tolist())) > 5


def test_spec_augment_masks_and_is_seeded():
    x = torch.randn(4, 40, 100)
    out = spec_augment(x, torch.Generator().manual_seed(0), time_width=10, freq_width=6)
    assert out.shape == x.shape and not torch.equal(out, x)
    assert torch.equal(out, spec_augment(x, torch.Generator().manual_seed(0), time_width=10,
                                         freq_width=6))
    means = x.mean(dim=(1, 2))
    changed = out != x
    for i in range(4):
        assert torch.all(out[i][changed[i]] == means[i])
        # Masks are whole columns (frames) or whole rows (mel bins).
        full_cols = changed[i].all(dim=0).sum()
        full_rows = changed[i].all(dim=1).sum()
        assert full_cols <= 2 * 10 and full_rows <= 2 * 6
        assert changed[i].sum() == full_cols * 40 + full_rows * 100 - full_cols * full_rows
    assert changed.any(dim=1).any(dim=1).all()  # with these widths every example is hit
    assert torch.equal(spec_augment(x, torch.Generator(), 0, 10, 0, 6), x)


def test_compose_applies_in_order():
    x = torch.randn(3, 8, 50)
    transform = compose(partial(random_crop, frames=20), spec_augment)
    a = transform(x, torch.Generator().manual_seed(5))
    g = torch.Generator().manual_seed(5)
    b = spec_augment(random_crop(x, 20, g), generator=g)
    assert a.shape == (3, 8, 20) and torch.equal(a, b)
