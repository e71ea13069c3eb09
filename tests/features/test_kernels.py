"""Exactness of :mod:`genriflow.features.kernels` against scipy and librosa."""

from __future__ import annotations

import librosa
import numpy as np
import pytest
from scipy import ndimage

from genriflow.features import kernels
from genriflow.features.kernels import hpss, median_filter

SHAPES = [(1, 1), (1, 40), (40, 1), (5, 7), (7, 5), (31, 31), (30, 64), (64, 30), (70, 9)]
SIZES = [1, 2, 3, 4, 5, 30, 31, 32]


def _values(shape: tuple[int, int], dtype: type, seed: int = 0) -> np.ndarray:
    """Gaussian values, half of them rounded to halves so that windows hold ties."""
    x = np.random.default_rng(seed).standard_normal(shape)
    x.flat[::2] = np.round(x.flat[::2] * 2) / 2 + 0.0
    return x.astype(dtype)


def _scipy_median(x: np.ndarray, size: int, axis: int) -> np.ndarray:
    window = (1, size) if axis == 1 else (size, 1)
    return ndimage.median_filter(x, size=window, mode="reflect")


def _reflect_median(x: np.ndarray, size: int, axis: int) -> np.ndarray:
    """Direct definition: reflect-pad each line (period ``2 n``), sort every window."""
    lines = np.moveaxis(x, axis, -1)
    n, before = lines.shape[-1], size // 2
    index = np.arange(-before, n + size - 1 - before) % (2 * n)
    padded = lines[..., np.where(index < n, index, 2 * n - 1 - index)]
    windows = np.lib.stride_tricks.sliding_window_view(padded, size, axis=-1)
    return np.moveaxis(np.sort(windows, axis=-1)[..., before], -1, axis)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_median_filter_equals_scipy(shape: tuple[int, int], axis: int, dtype: type) -> None:
    x = _values(shape, dtype)
    for size in SIZES:
        for array in (x, np.asfortranarray(x)):
            filtered = median_filter(array, size, axis=axis)
            assert filtered.dtype == dtype
            np.testing.assert_array_equal(filtered, _scipy_median(x, size, axis))


def test_median_filter_bit_identical_on_non_negative_values() -> None:
    x = np.abs(_values((40, 70), np.float32))
    for axis in (0, 1):
        expected = _scipy_median(x, 31, axis).view(np.uint32)
        np.testing.assert_array_equal(median_filter(x, 31, axis=axis).view(np.uint32), expected)


@pytest.mark.parametrize("shape", [(1, 3), (2, 9), (4, 3), (3, 2)], ids=str)
def test_median_filter_windows_many_times_longer_than_lines(shape: tuple[int, int]) -> None:
    x = _values(shape, np.float32)
    for size in (17, 31, 64):
        for axis in (0, 1):
            np.testing.assert_array_equal(
                median_filter(x, size, axis=axis), _reflect_median(x, size, axis)
            )


def test_median_filter_parallel_and_negative_axis() -> None:
    x = _values((50, 60), np.float32)
    expected = _scipy_median(x, 31, 1)
    np.testing.assert_array_equal(median_filter(x, 31, axis=-1, parallel=True), expected)
    np.testing.assert_array_equal(median_filter(x, 31, axis=-2), _scipy_median(x, 31, 0))


def test_median_filter_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="2-D"):
        median_filter(np.zeros(5, np.float32), 3)
    with pytest.raises(ValueError, match="size"):
        median_filter(np.zeros((2, 5), np.float32), 0)
    with pytest.raises(ValueError, match="axis"):
        median_filter(np.zeros((2, 5), np.float32), 3, axis=2)
    with pytest.raises(TypeError, match="float32 or float64"):
        median_filter(np.zeros((2, 5), np.int64), 3)


def _stft(shape: tuple[int, int] = (129, 90), dtype: type = np.complex64) -> np.ndarray:
    """Random complex spectrogram in librosa's Fortran order, with zero and signed-zero bins."""
    rng = np.random.default_rng(1)
    S = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    S[0, :7] = 0
    S[3, 3] = complex(-0.0, 1.0)
    S[5, :] *= 1e-20
    return np.asfortranarray(S)


def _assert_bit_identical(ours: tuple[np.ndarray, ...], theirs: tuple[np.ndarray, ...]) -> None:
    for mine, expected in zip(ours, theirs, strict=True):
        assert mine.dtype == expected.dtype
        assert mine.flags.f_contiguous == expected.flags.f_contiguous
        np.testing.assert_array_equal(
            np.ascontiguousarray(mine).view(np.uint8), np.ascontiguousarray(expected).view(np.uint8)
        )


@pytest.mark.parametrize(
    ("kernel_size", "power", "margin"),
    [(31, 2.0, 1.0), ((17, 9), 2.0, (1.0, 2.0)), (31, 1.0, 3.0), (31, np.inf, 1.0), (5, 1.5, 1.0)],
)
def test_hpss_equals_librosa(kernel_size, power: float, margin) -> None:
    S = _stft()
    expected = librosa.decompose.hpss(S, kernel_size=kernel_size, power=power, margin=margin)
    _assert_bit_identical(hpss(S, kernel_size, power, margin), expected)


@pytest.mark.parametrize("layout", [np.ascontiguousarray, np.asfortranarray])
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_hpss_equals_librosa_across_layouts_and_dtypes(layout, dtype: type) -> None:
    S = layout(_stft(dtype=dtype))
    _assert_bit_identical(hpss(S), librosa.decompose.hpss(S, kernel_size=31))


def test_hpss_of_magnitude_equals_librosa() -> None:
    S = np.abs(_stft())
    _assert_bit_identical(hpss(S, parallel=True), librosa.decompose.hpss(S, kernel_size=31))


def test_hpss_rejects_bad_parameters() -> None:
    S = _stft((9, 8))
    with pytest.raises(ValueError, match="margins"):
        hpss(S, margin=0.5)
    with pytest.raises(ValueError, match="power"):
        hpss(S, power=0.0)
    with pytest.raises(ValueError, match="non-negative"):
        hpss(-np.abs(S))


# --- the kernels that replace librosa's per-frame features ------------------------------


SR = 22050


def _signal(seconds: float = 4.0, seed: int = 2) -> np.ndarray:
    """Detuned tones, clicks, noise, a stretch of exact zeros and one of tiny values."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    y = 0.3 * np.sin(2 * np.pi * 447.0 * t) + 0.2 * np.sin(2 * np.pi * 662.0 * t)
    y += (np.arange(t.size) % (SR // 3) < 50) * rng.standard_normal(t.size)
    y += 0.01 * rng.standard_normal(t.size)
    y[SR : SR + 3000] = 0.0
    y[2 * SR : 2 * SR + 2000] = 1e-12 * rng.standard_normal(2000)
    y[2 * SR + 2000 : 2 * SR + 2010] = -0.0
    return y.astype(np.float32)


def _magnitude(y: np.ndarray, n_fft: int = 2048, hop_length: int = 512) -> np.ndarray:
    return np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop_length, pad_mode="reflect"))


def _assert_same(ours: np.ndarray, theirs: np.ndarray) -> None:
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("n_fft", [2048, 512])
def test_spectral_shape_equals_librosa(n_fft: int) -> None:
    S = _magnitude(_signal(), n_fft, n_fft // 4)
    S[:, 3] = 0.0  # a silent frame: librosa leaves it un-normalised
    freq = librosa.fft_frequencies(sr=SR, n_fft=n_fft)
    layouts = [(layout, dtype) for layout in (np.asfortranarray, np.ascontiguousarray)
               for dtype in (np.float32, np.float64)]
    for layout, dtype in layouts:
        M = layout(S.astype(dtype))
        centroid = librosa.feature.spectral_centroid(S=M, sr=SR, n_fft=n_fft)
        expected = (
            centroid,
            librosa.feature.spectral_bandwidth(S=M, sr=SR, n_fft=n_fft, centroid=centroid),
            librosa.feature.spectral_rolloff(S=M, sr=SR, n_fft=n_fft, roll_percent=0.85),
        )
        for ours, theirs in zip(kernels.spectral_shape(M, freq), expected, strict=True):
            _assert_same(ours, theirs)


def test_spectral_shape_rejects_bad_input() -> None:
    S = np.ones((5, 3), np.float32)
    with pytest.raises(ValueError, match="freq"):
        kernels.spectral_shape(S, np.arange(4.0))
    with pytest.raises(ValueError, match="roll_percent"):
        kernels.spectral_shape(S, np.arange(5.0), roll_percent=1.0)


@pytest.mark.parametrize(("frame_length", "hop_length"), [(2048, 512), (512, 128), (7, 3)])
def test_zero_crossing_rate_and_rms_equal_librosa(frame_length: int, hop_length: int) -> None:
    y = _signal()
    _assert_same(kernels.zero_crossing_rate(y, frame_length, hop_length),
                 librosa.feature.zero_crossing_rate(y, frame_length=frame_length,
                                                    hop_length=hop_length))
    _assert_same(kernels.rms(y, frame_length, hop_length),
                 librosa.feature.rms(y=y, frame_length=frame_length, hop_length=hop_length,
                                     pad_mode="reflect"))


def test_zero_crossing_rate_of_a_short_waveform() -> None:
    y = np.array([0.5, -0.5, 1e-11, -0.25, 0.0], np.float32)
    _assert_same(kernels.zero_crossing_rate(y, 4, 2),
                 librosa.feature.zero_crossing_rate(y, frame_length=4, hop_length=2))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_estimate_tuning_equals_librosa(seed: int) -> None:
    y = _signal(seed=seed)
    y = librosa.effects.pitch_shift(y, sr=SR, n_steps=0.1 * (seed - 1), res_type="soxr_hq")
    power = _magnitude(y.astype(np.float32)) ** 2
    for S in (power, power.astype(np.float64), np.ascontiguousarray(power)):
        expected = librosa.estimate_tuning(S=S, sr=SR, n_fft=2048, bins_per_octave=12)
        assert kernels.estimate_tuning(S, SR, 2048) == expected


def test_estimate_tuning_of_silence_is_a440_with_librosa_warning() -> None:
    with pytest.warns(UserWarning, match="Trying to estimate tuning"):
        assert kernels.estimate_tuning(np.zeros((1025, 20), np.float32), SR, 2048) == 0.0


@pytest.mark.parametrize(("n_fft", "hop_length"), [(2048, 512), (512, 256), (512, 128)])
def test_istft_equals_librosa(n_fft: int, hop_length: int) -> None:
    D = librosa.stft(_signal(), n_fft=n_fft, hop_length=hop_length, pad_mode="reflect")
    harmonic, _ = hpss(D)
    for S in (D, harmonic, np.ascontiguousarray(harmonic)):
        _assert_same(kernels.istft(S, hop_length, n_fft),
                     librosa.istft(S, hop_length=hop_length, n_fft=n_fft, dtype=np.float32))


def test_istft_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="complex64"):
        kernels.istft(np.zeros((1025, 10), np.complex128))
    with pytest.raises(ValueError, match="at least"):
        kernels.istft(np.zeros((1025, 1), np.complex64))


def test_tempo_equals_librosa() -> None:
    rng = np.random.default_rng(3)
    for bpm in (72.0, 97.0, 128.0, 151.0):
        clicks = librosa.clicks(times=np.arange(0, 20, 60 / bpm), sr=SR, length=20 * SR)
        y = (clicks + 0.05 * rng.standard_normal(clicks.size)).astype(np.float32)
        onset = librosa.onset.onset_strength(y=y, sr=SR, aggregate=np.median)
        expected = librosa.feature.tempo(onset_envelope=onset, sr=SR)[0]
        assert kernels.tempo(onset, SR) == expected
    noise = rng.random(900).astype(np.float32)
    assert kernels.tempo(noise, SR, 512) == librosa.feature.tempo(onset_envelope=noise, sr=SR)[0]
    with pytest.raises(ValueError, match="onset envelope"):
        kernels.tempo(np.zeros((2, 3)), SR)
