"""Spectrogram batch transforms."""

from functools import partial

import pytest
import torch

from genriflow.training.augment import center_crop, compose, random_crop, spec_augment


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
