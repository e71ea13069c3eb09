"""Exactness of :mod:`genriflow.features.kernels` against scipy and librosa."""

from __future__ import annotations

import librosa
import numpy as np
import pytest
from scipy import ndimage

from genriflow.features.kernels import hpss, median_filter

SHAPES = [(1, 1), (1, 40), (40, 1), (5, 7), (7, 5), (31, 31), (30, 64), (64, 30)]
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
