"""The NumPy mel spectrogram is librosa's, value for value (to float32 rounding)."""

import subprocess
import sys

import librosa
import numpy as np
import pytest

from genriflow.features.mel import hann_window, mel_filters, melspectrogram


def _clip(seconds=7.3, sr=16000, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    tones = sum(np.sin(2 * np.pi * f * t) * rng.uniform(0.05, 0.3) for f in (110, 440, 3100))
    return (
        tones * (1 + 0.5 * np.sin(2 * np.pi * 3 * t)) + 0.01 * rng.standard_normal(len(t))
    ).astype(np.float32)


def test_the_window_and_filters_are_librosas():
    np.testing.assert_allclose(
        hann_window(512), librosa.filters.get_window("hann", 512, fftbins=True), rtol=0, atol=1e-15
    )
    for sr, n_fft, n_mels in ((16000, 512, 96), (22050, 2048, 128)):
        np.testing.assert_allclose(
            mel_filters(sr, n_fft, n_mels),
            librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels),
            rtol=1e-6,
            atol=1e-12,
        )


@pytest.mark.parametrize("n_samples", [16000 * 3, 16000 * 7 + 123, 700])
def test_the_mel_spectrogram_is_librosas(n_samples):
    y = _clip(seconds=n_samples / 16000)
    ours = melspectrogram(y, 16000, 512, 256, 96)
    theirs = librosa.feature.melspectrogram(y=y, sr=16000, n_fft=512, hop_length=256, n_mels=96)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-9)
    # musicnn rounds the bands to float16 next: the rounding agrees too
    np.testing.assert_allclose(
        ours.astype(np.float16).astype(np.float32),
        theirs.astype(np.float16).astype(np.float32),
        rtol=1e-3,
        atol=1e-9,
    )


def test_the_bands_are_the_filters_times_the_power_spectrum():
    from genriflow.features.mel import power_spectrogram

    y = _clip(seconds=3.0)
    power = power_spectrogram(y, 512, 256)
    expected = np.einsum("ft,mf->mt", power.astype(np.float64),
                         mel_filters(16000, 512, 96).astype(np.float64))
    np.testing.assert_allclose(melspectrogram(y, 16000, 512, 256, 96), expected,
                               rtol=1e-5, atol=1e-9)


def test_it_imports_neither_librosa_nor_scipy():
    code = (
        "import sys, numpy as np; from genriflow.features.mel import melspectrogram; "
        "melspectrogram(np.zeros(16000, np.float32), 16000, 512, 256, 96); "
        "print(sorted(m for m in ('librosa', 'scipy', 'numba') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]"
