""":class:`genriflow.features.spectra.Spectra` gives librosa's values, computed once."""

from __future__ import annotations

import warnings

import librosa
import numpy as np
import pytest

from genriflow.features.spectra import Spectra, _mel_filters, retain_freed_memory

SR = 22050


def _clip(seconds: float = 5.0) -> np.ndarray:
    rng = np.random.default_rng(4)
    t = np.arange(int(seconds * SR)) / SR
    y = 0.4 * np.sin(2 * np.pi * 220.0 * 2 ** (0.3 / 12) * t) + 0.05 * rng.standard_normal(t.size)
    return y.astype(np.float32)


@pytest.mark.parametrize(("n_fft", "hop_length"), [(2048, 512), (512, 256)])
def test_chroma_and_mel_equal_librosa(n_fft: int, hop_length: int) -> None:
    spectra = Spectra(_clip(), SR)
    power = spectra.power(n_fft, hop_length)
    spec = {"sr": SR, "n_fft": n_fft, "hop_length": hop_length}
    np.testing.assert_array_equal(spectra.chroma(n_fft, hop_length),
                                  librosa.feature.chroma_stft(S=power, **spec))
    for n_mels, fmax in [(128, None), (128, 8000.0), (64, None)]:
        expected = librosa.feature.melspectrogram(S=power, **spec, n_mels=n_mels, fmax=fmax)
        mel = spectra.mel(n_fft, hop_length, n_mels, fmax)
        assert mel.dtype == expected.dtype
        np.testing.assert_array_equal(mel, expected)
        np.testing.assert_array_equal(spectra.mel_db(n_fft, hop_length, n_mels, fmax),
                                      librosa.power_to_db(expected))


def test_chroma_of_silence_assumes_a440_quietly() -> None:
    spectra = Spectra(np.zeros(SR, np.float32), SR)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        chroma = spectra.chroma()
    assert chroma.shape == (12, 1 + SR // 512) and not np.any(chroma)


def test_filter_banks_are_shared_and_read_only() -> None:
    first, second = Spectra(_clip(1.0), SR), Spectra(_clip(2.0), SR)
    first.mel(), second.mel()
    filters = _mel_filters(SR, 2048, 128, None)
    assert _mel_filters(SR, 2048, 128, None) is filters
    with pytest.raises(ValueError, match="read-only"):
        filters[0, 0] = 1.0


def test_retain_freed_memory_is_idempotent() -> None:
    assert retain_freed_memory() is retain_freed_memory()
