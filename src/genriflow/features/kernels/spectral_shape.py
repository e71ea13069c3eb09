"""Spectral centroid, bandwidth and rolloff in one pass, equal to librosa's three features."""

from __future__ import annotations

import numpy as np

from genriflow.features.kernels.checks import check_real_2d
from genriflow.features.kernels.jit import jit
from genriflow.features.kernels.pairwise_sum import pairwise_sum


def spectral_shape(
    S: np.ndarray, freq: np.ndarray, roll_percent: float = 0.85
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spectral centroid, bandwidth and rolloff of a magnitude spectrogram in one pass.

    Equal, value for value, to ``librosa.feature.spectral_centroid(S=S, freq=freq)``,
    ``spectral_bandwidth(S=S, centroid=centroid, freq=freq)`` (``p=2``, ``norm=True``) and
    ``spectral_rolloff(S=S, freq=freq, roll_percent=roll_percent)``: each frame is
    normalised as ``librosa.util.normalize(S, norm=1)`` does (a float64 sum, the quotient
    rounded to the dtype of ``S``), sums follow numpy's order (pairwise over a contiguous
    frame, as in librosa's Fortran-ordered spectrograms; bin after bin for the norm and
    centroid of a C-ordered ``S``), and the rolloff's cumulative sum runs in the dtype of
    ``S``.

    Parameters
    ----------
    S : np.ndarray, shape (n_freqs, n_frames), float32 or float64
        Non-negative magnitudes, C- or Fortran-ordered (other layouts are summed as
        C-ordered ones, so they may differ from librosa by float64 rounding).
    freq : np.ndarray, shape (n_freqs,)
        Bin centre frequencies in Hz (``librosa.fft_frequencies``).
    roll_percent : float
        Energy fraction of the rolloff, in (0, 1).

    Returns
    -------
    centroid, bandwidth, rolloff : np.ndarray, shape (1, n_frames), float64
        In Hz.
    """
    S = check_real_2d(S)
    freq = np.ascontiguousarray(freq, dtype=np.float64)
    if freq.shape != (S.shape[0],):
        raise ValueError(f"freq has shape {freq.shape}, expected ({S.shape[0]},)")
    if not 0.0 < roll_percent < 1.0:
        raise ValueError(f"roll_percent must lie in (0, 1), got {roll_percent}")
    out = np.empty((3, 1, S.shape[1]))
    tiny = float(np.finfo(S.dtype).tiny)
    # numpy sums a frame pairwise when the frame is contiguous, bin after bin otherwise
    pairwise = S.flags.f_contiguous or S.shape[0] == 1
    _spectral_shape(
        S, freq, S.dtype.type(roll_percent), tiny, pairwise, out[0, 0], out[1, 0], out[2, 0]
    )
    return out[0], out[1], out[2]


@jit
def _frame_sum(a, n, pairwise, stack, values):
    if pairwise:
        return pairwise_sum(a, n, stack, values)
    total = a[0]
    for i in range(1, n):
        total += a[i]
    return total


@jit
def _spectral_shape(S, freq, roll_percent, tiny, pairwise, centroid, bandwidth, rolloff):
    n_freqs, n_frames = S.shape
    column = np.empty(n_freqs, np.float64)
    terms = np.empty(n_freqs, np.float64)
    normed = np.empty(n_freqs, S.dtype)
    stack, values = np.empty((64, 3), np.int64), np.empty(64, np.float64)
    for t in range(n_frames):
        for k in range(n_freqs):
            column[k] = abs(S[k, t])
        length = _frame_sum(column, n_freqs, pairwise, stack, values)
        if length < tiny:
            length = 1.0
        for k in range(n_freqs):
            normed[k] = S[k, t] / length
            terms[k] = freq[k] * np.float64(normed[k])
        c = _frame_sum(terms, n_freqs, pairwise, stack, values)
        centroid[t] = c
        for k in range(n_freqs):
            deviation = abs(c - freq[k])
            terms[k] = np.float64(normed[k]) * (deviation * deviation)
        # librosa's deviations are Fortran-ordered, and so is their product with S: pairwise
        bandwidth[t] = np.sqrt(pairwise_sum(terms, n_freqs, stack, values))
        total = S[0, t] - S[0, t]
        for k in range(n_freqs):
            total += S[k, t]
        threshold = roll_percent * total
        running = S[0, t] - S[0, t]
        rolloff[t] = np.nan
        for k in range(n_freqs):
            running += S[k, t]
            if not running < threshold:
                rolloff[t] = freq[k]
                break
