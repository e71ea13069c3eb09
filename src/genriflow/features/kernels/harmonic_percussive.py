"""Harmonic-percussive separation, equal to ``librosa.decompose.hpss``: two median filters
and one fused pass for the soft masks and the phase."""

from __future__ import annotations

import librosa
import numpy as np

from genriflow.features.kernels.checks import check_magnitude
from genriflow.features.kernels.jit import jit
from genriflow.features.kernels.median_filter import median_filter

#: Soft-mask powers computed in the fused kernel; others go through ``librosa.util.softmask``,
#: whose ``x ** power`` numba cannot reproduce bit for bit.
_FUSED_POWERS = (1.0, 2.0, np.inf)


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
    mag = np.abs(S) if np.iscomplexobj(S) else check_magnitude(S)
    harm = median_filter(mag, win_harm, axis=1, parallel=parallel)
    perc = median_filter(mag, win_perc, axis=0, parallel=parallel)
    return _masked_parts(S, mag, harm, perc, power, (margin_harm, margin_perc))


def _pair(value: float | tuple[float, float]) -> tuple[float, float]:
    if isinstance(value, tuple | list):
        first, second = value
        return first, second
    return value, value


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


@jit
def _mask(x, ref, power, fill, tiny, one):
    scale = x if x > ref else ref
    ratio, ref_ratio = x / scale, ref / scale
    square = power == 2
    ratio = ratio * ratio if square else ratio
    ref_ratio = ref_ratio * ref_ratio if square else ref_ratio
    soft = fill if scale < tiny else ratio / (ratio + ref_ratio)
    hard = one if x > ref else one - one
    return hard if power == np.inf else soft


@jit
def _mask_pair(harm, perc, params, one):
    margin_harm, margin_perc, power, fill, tiny = params
    return (
        _mask(harm, perc * margin_harm, power, fill, tiny, one),
        _mask(perc, harm * margin_perc, power, fill, tiny, one),
    )


@jit
def _apply_masks_real(mag, harm, perc, params, out_h, out_p):
    one = mag.dtype.type(1)
    for i in range(mag.size):
        mask_h, mask_p = _mask_pair(harm[i], perc[i], params, one)
        out_h[i], out_p[i] = mag[i] * mask_h, mag[i] * mask_p


@jit
def _apply_masks_complex(S, mag, harm, perc, params, out_h, out_p):
    one, zero = mag.dtype.type(1), mag.dtype.type(0)
    for i in range(mag.size):
        m = mag[i]
        mask_h, mask_p = _mask_pair(harm[i], perc[i], params, one)
        divisor, offset = (one, one) if m == 0 else (m, zero)
        phase_re, phase_im = S[2 * i] / divisor + offset, S[2 * i + 1] / divisor
        out_h[2 * i], out_h[2 * i + 1] = _times_phase(m * mask_h, phase_re, phase_im, zero)
        out_p[2 * i], out_p[2 * i + 1] = _times_phase(m * mask_p, phase_re, phase_im, zero)


@jit
def _times_phase(value, phase_re, phase_im, zero):
    return value * phase_re - zero * phase_im, value * phase_im + zero * phase_re
