"""Waveform augmentation levels."""

import random

import numpy as np
import pytest

from genriflow.audio.augment import AUGMENTATIONS, augment_waveform, waveform_augmenter

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
    with pytest.raises(ValueError, match="`augment` must be one of none, weak, strong"):
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
