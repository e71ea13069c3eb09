"""Compiled kernels: an exact running median filter and harmonic-percussive separation.

:func:`median_filter` is a 1-D running median along one axis of a 2-D array, equal to
``scipy.ndimage.median_filter`` with a 1-D window along that axis and ``mode="reflect"``
(``d c b a | a b c d | d c b a``), but 15 to 20 times faster on a spectrogram. Each line
keeps its window in arrival order with the rank of every value (ties ranked by arrival);
one step replaces the oldest value and updates all ranks with branch-free comparisons over
the window padded with NaN slots to a multiple of 16, which the compiler vectorises. The
median is the value of rank ``size // 2``, so the output is one of the inputs and equals
scipy's value for value: bit for bit, except that where ``+0.0`` and ``-0.0`` tie the
sign of the zero may differ. NaN inputs give undefined results, as in scipy.

:func:`hpss` reproduces ``librosa.decompose.hpss`` bit for bit with these filters and one
fused pass for the magnitude/phase split, the soft masks and the products.

Both run on one thread by default, since feature extraction already runs one process per
core; ``parallel=True`` spreads the lines over numba's threads.
"""

from __future__ import annotations

import librosa
import numba
import numpy as np

__all__ = ["hpss", "median_filter"]

#: Soft-mask powers computed in the fused kernel; others go through ``librosa.util.softmask``,
#: whose ``x ** power`` numba cannot reproduce bit for bit.
_FUSED_POWERS = (1.0, 2.0, np.inf)
#: The running-median window is padded with NaN slots to a multiple of this many values.
_LANES = 16

_JIT_OPTIONS = {"cache": True, "nogil": True, "error_model": "numpy"}
_jit = numba.njit(**_JIT_OPTIONS)
_jit_parallel = numba.njit(parallel=True, **_JIT_OPTIONS)


def median_filter(
    x: np.ndarray, size: int, axis: int = -1, *, parallel: bool = False
) -> np.ndarray:
    """Running median of a 2-D array along one axis, with reflected edges.

    Parameters
    ----------
    x : np.ndarray, shape (n_rows, n_cols), float32 or float64
        Input values, NaN-free.
    size : int
        Window length in samples along ``axis``, at least 1. Windows are centred: the one
        for index ``i`` covers ``i - size // 2`` to ``i + (size - 1) // 2``; for even sizes
        the upper median (sorted index ``size // 2``) is returned, as in scipy.
    axis : int
        Axis to filter along, 0 or 1 (or -1, -2).
    parallel : bool
        Spread lines over numba's threads.

    Returns
    -------
    filtered : np.ndarray, shape (n_rows, n_cols)
        Same dtype and memory order as ``x``; equal to
        ``scipy.ndimage.median_filter(x, size=window, mode="reflect")`` where ``window``
        is ``size`` along ``axis`` and 1 along the other axis.

    Notes
    -----
    Windows longer than the line repeat the reflection (period ``2 * n`` for a line of
    ``n`` values). scipy 1.17 agrees while the window's half-width is a few line lengths;
    beyond that its N-D rank filter reads values from outside the array (e.g. a line of 2
    values with ``size >= 16``), and this function keeps to the definition.
    """
    x = _check_real_2d(x)
    if size < 1:
        raise ValueError(f"size must be at least 1, got {size}")
    if axis not in (0, 1, -1, -2):
        raise ValueError(f"axis must be 0 or 1 for a 2-D array, got {axis}")
    out = np.empty_like(x)
    lines, out_lines = (x, out) if axis in (1, -1) else (x.T, out.T)
    target = out_lines if out_lines.flags.c_contiguous else np.empty(out_lines.shape, x.dtype)
    if x.size:
        kernel = _median_lines_parallel if parallel else _median_lines
        kernel(np.ascontiguousarray(lines), int(size), target)
    if target is not out_lines:
        out_lines[...] = target
    return out


def hpss(
    S: np.ndarray,
    kernel_size: int | tuple[int, int] = 31,
    power: float = 2.0,
    margin: float | tuple[float, float] = 1.0,
    *,
    parallel: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Median-filtering harmonic-percussive separation, equal to ``librosa.decompose.hpss``.

    Parameters
    ----------
    S : np.ndarray, shape (n_freqs, n_frames)
        Complex STFT (complex64 or complex128) or a non-negative magnitude spectrogram
        (float32 or float64).
    kernel_size : int or (int, int)
        Median window lengths in frames (harmonic, along time) and bins (percussive, along
        frequency); one int sets both.
    power : float
        Soft-mask exponent, > 0; ``np.inf`` gives hard (binary) masks.
    margin : float or (float, float)
        Harmonic and percussive margins, each >= 1; one float sets both.
    parallel : bool
        Spread the median filters over numba's threads.

    Returns
    -------
    harmonic, percussive : np.ndarray, shape (n_freqs, n_frames)
        The masked parts, same dtype as ``S``: ``|S| * mask * phase`` for complex ``S``,
        ``S * mask`` for real ``S``.
    """
    S = np.asarray(S)
    if S.ndim != 2:
        raise ValueError(f"expected a 2-D spectrogram, got shape {S.shape}")
    win_harm, win_perc = _pair(kernel_size)
    margin_harm, margin_perc = _pair(margin)
    if margin_harm < 1 or margin_perc < 1:
        raise ValueError(f"margins must be >= 1, got {margin}")
    if not power > 0:
        raise ValueError(f"power must be > 0, got {power}")
    mag = np.abs(S) if np.iscomplexobj(S) else _check_magnitude(S)
    harm = median_filter(mag, win_harm, axis=1, parallel=parallel)
    perc = median_filter(mag, win_perc, axis=0, parallel=parallel)
    return _masked_parts(S, mag, harm, perc, power, (margin_harm, margin_perc))


def _pair(value: float | tuple[float, float]) -> tuple[float, float]:
    if isinstance(value, tuple | list):
        first, second = value
        return first, second
    return value, value


def _check_real_2d(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"expected a 2-D array, got shape {x.shape}")
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(f"expected float32 or float64 values, got {x.dtype}")
    return x


def _check_magnitude(S: np.ndarray) -> np.ndarray:
    S = _check_real_2d(S)
    if np.any(S < 0):
        raise ValueError("a real spectrogram must be non-negative")
    return S


def _masked_parts(
    S: np.ndarray,
    mag: np.ndarray,
    harm: np.ndarray,
    perc: np.ndarray,
    power: float,
    margins: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray]:
    """Soft masks of ``harm`` and ``perc`` against each other applied to ``S``, as in librosa.

    All arrays have shape (n_freqs, n_frames); ``mag`` is ``|S|`` (``S`` itself if real).
    """
    if power not in _FUSED_POWERS:
        return _masked_parts_librosa(S, mag, harm, perc, power, margins)
    real = mag.dtype.type
    fill = 0.5 if margins[0] == 1 and margins[1] == 1 else 0.0
    params = tuple(real(v) for v in (*margins, power, fill, np.finfo(real).tiny))
    transpose = S.flags.f_contiguous and not S.flags.c_contiguous
    S, mag, harm, perc = (
        np.ascontiguousarray(a.T if transpose else a) for a in (S, mag, harm, perc)
    )
    harmonic, percussive = np.empty_like(S), np.empty_like(S)
    if np.iscomplexobj(S):
        _apply_masks_complex(
            *(a.view(real).ravel() for a in (S, mag, harm, perc)),
            params,
            harmonic.view(real).ravel(),
            percussive.view(real).ravel(),
        )
    else:
        _apply_masks_real(
            *(a.ravel() for a in (mag, harm, perc)), params, harmonic.ravel(), percussive.ravel()
        )
    return (harmonic.T, percussive.T) if transpose else (harmonic, percussive)


def _masked_parts_librosa(
    S: np.ndarray,
    mag: np.ndarray,
    harm: np.ndarray,
    perc: np.ndarray,
    power: float,
    margins: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_masked_parts` through librosa's own mask code, for other soft-mask powers."""
    split_zeros = margins[0] == 1 and margins[1] == 1
    phase = librosa.magphase(S)[1] if np.iscomplexobj(S) else 1
    mask_harm = librosa.util.softmask(harm, perc * margins[0], power=power, split_zeros=split_zeros)
    mask_perc = librosa.util.softmask(perc, harm * margins[1], power=power, split_zeros=split_zeros)
    return (mag * mask_harm) * phase, (mag * mask_perc) * phase


@_jit
def _reflect(i, n):
    i %= 2 * n
    return i if i < n else 2 * n - 1 - i


@_jit
def _pad_reflect(line, size, padded):
    n = line.size
    before = size // 2
    padded[before : before + n] = line
    for j in range(before):
        padded[j] = line[_reflect(j - before, n)]
    for j in range(before + n, n + size - 1):
        padded[j] = line[_reflect(j - before, n)]


@_jit
def _init_window(window, size, values, ranks):
    values[:] = np.nan
    values[:size] = window
    ranks[:] = -1
    for a in range(size):
        rank = 0
        for b in range(size):
            rank += window[b] < window[a] or (window[b] == window[a] and b < a)
        ranks[a] = rank


@_jit
def _slide(values, ranks, slot, new, median_rank):
    old = values[slot]
    ranks[slot] = -values.size
    new_rank = np.int32(0)
    median_slot = 0
    for b in range(values.size):
        v = values[b]
        rank = ranks[b] + np.int32(v > new) - np.int32(v >= old)
        ranks[b] = rank
        new_rank += np.int32(v <= new)
        median_slot += b if rank == median_rank else 0
    new_rank -= np.int32(old <= new)
    values[slot] = new
    ranks[slot] = new_rank
    return median_slot + (slot if new_rank == median_rank else 0)


@_jit
def _median_line(line, size, out, padded, values, ranks):
    median_rank = size // 2
    _pad_reflect(line, size, padded)
    _init_window(padded[:size], size, values, ranks)
    out[0] = values[np.argmax(ranks == median_rank)]
    slot = 0
    for i in range(1, line.size):
        out[i] = values[_slide(values, ranks, slot, padded[i + size - 1], median_rank)]
        slot = slot + 1 if slot + 1 < size else 0


@_jit
def _line_buffers(n, size, dtype):
    width = (size + _LANES - 1) // _LANES * _LANES
    return np.empty(n + size - 1, dtype), np.empty(width, dtype), np.empty(width, np.int32)


@_jit
def _median_lines(lines, size, out):
    padded, values, ranks = _line_buffers(lines.shape[1], size, lines.dtype)
    for r in range(lines.shape[0]):
        _median_line(lines[r], size, out[r], padded, values, ranks)


@_jit_parallel
def _median_lines_parallel(lines, size, out):
    for r in numba.prange(lines.shape[0]):
        padded, values, ranks = _line_buffers(lines.shape[1], size, lines.dtype)
        _median_line(lines[r], size, out[r], padded, values, ranks)


@_jit
def _mask(x, ref, power, fill, tiny, one):
    scale = x if x > ref else ref
    ratio, ref_ratio = x / scale, ref / scale
    square = power == 2
    ratio = ratio * ratio if square else ratio
    ref_ratio = ref_ratio * ref_ratio if square else ref_ratio
    soft = fill if scale < tiny else ratio / (ratio + ref_ratio)
    hard = one if x > ref else one - one
    return hard if power == np.inf else soft


@_jit
def _mask_pair(harm, perc, params, one):
    margin_harm, margin_perc, power, fill, tiny = params
    return (
        _mask(harm, perc * margin_harm, power, fill, tiny, one),
        _mask(perc, harm * margin_perc, power, fill, tiny, one),
    )


@_jit
def _apply_masks_real(mag, harm, perc, params, out_h, out_p):
    one = mag.dtype.type(1)
    for i in range(mag.size):
        mask_h, mask_p = _mask_pair(harm[i], perc[i], params, one)
        out_h[i], out_p[i] = mag[i] * mask_h, mag[i] * mask_p


@_jit
def _apply_masks_complex(S, mag, harm, perc, params, out_h, out_p):
    one, zero = mag.dtype.type(1), mag.dtype.type(0)
    for i in range(mag.size):
        m = mag[i]
        mask_h, mask_p = _mask_pair(harm[i], perc[i], params, one)
        divisor, offset = (one, one) if m == 0 else (m, zero)
        phase_re, phase_im = S[2 * i] / divisor + offset, S[2 * i + 1] / divisor
        out_h[2 * i], out_h[2 * i + 1] = _times_phase(m * mask_h, phase_re, phase_im, zero)
        out_p[2 * i], out_p[2 * i + 1] = _times_phase(m * mask_p, phase_re, phase_im, zero)


@_jit
def _times_phase(value, phase_re, phase_im, zero):
    return value * phase_re - zero * phase_im, value * phase_im + zero * phase_re
