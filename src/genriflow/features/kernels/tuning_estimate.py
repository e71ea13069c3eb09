"""The tuning estimate from ``piptrack``'s peaks, equal to ``librosa.estimate_tuning``."""

from __future__ import annotations

import librosa
import numpy as np

from genriflow.features.kernels.checks import check_magnitude
from genriflow.features.kernels.jit import jit


def estimate_tuning(
    S: np.ndarray,
    sr: float,
    n_fft: int,
    *,
    resolution: float = 0.01,
    bins_per_octave: int = 12,
    fmin: float = 150.0,
    fmax: float = 4000.0,
    threshold: float = 0.1,
) -> float:
    """Tuning deviation in fractions of a bin, equal to ``librosa.estimate_tuning(S=S, ...)``.

    The peaks of ``librosa.piptrack`` (local maxima above ``threshold`` times the frame's
    maximum, between ``fmin`` and ``fmax``, refined by parabolic interpolation) are found
    in one pass over ``S`` with librosa's arithmetic and dtypes, and only the peaks are
    kept; the median threshold and the histogram of ``librosa.pitch_tuning`` are then those
    of librosa itself, on the same values.

    Parameters
    ----------
    S : np.ndarray, shape (1 + n_fft // 2, n_frames), float32 or float64
        Non-negative spectrogram (``chroma_stft`` passes the power spectrogram).
    sr : float
        Sample rate in Hz.
    n_fft : int
        FFT size of ``S``.
    resolution, bins_per_octave, fmin, fmax, threshold
        As for librosa.

    Returns
    -------
    tuning : float
        In [-0.5, 0.5), a multiple of ``resolution``; 0 (with librosa's warning) when no
        peak is found.
    """
    S = check_magnitude(S)
    freqs = librosa.fft_frequencies(sr=sr, n_fft=n_fft)
    if freqs.shape != (S.shape[0],):
        raise ValueError(f"S has {S.shape[0]} bins, n_fft={n_fft} gives {freqs.size}")
    in_band = (max(fmin, 0.0) <= freqs) & (freqs < min(fmax, float(sr) / 2))
    pitches = np.empty(S.size, S.dtype)
    mags = np.empty(S.size, S.dtype)
    count = _pitch_peaks(S, in_band, S.dtype.type(threshold), float(sr), int(n_fft), pitches, mags)
    pitch, mag = pitches[:count], mags[:count]
    voiced = pitch > 0
    level = np.median(mag[voiced]) if voiced.any() else 0.0
    return librosa.pitch_tuning(
        pitch[(mag >= level) & voiced], resolution=resolution, bins_per_octave=bins_per_octave
    )


@jit
def _pitch_peaks(S, in_band, threshold, sr, n_fft, pitches, mags):
    n_freqs, n_frames = S.shape
    half, two = S.dtype.type(0.5), S.dtype.type(2.0)
    count = 0
    for t in range(n_frames):
        peak = S[0, t]
        for k in range(1, n_freqs):
            peak = max(peak, S[k, t])
        ref = threshold * peak
        for k in range(1, n_freqs - 1):
            x0 = S[k, t]
            if not (in_band[k] and x0 > ref):
                continue
            # librosa.util.localmax of S * (S > ref) along frequency
            below, above = S[k - 1, t], S[k + 1, t]
            below = below if below > ref else below - below
            above = above if above > ref else above - above
            if not (x0 > below and x0 >= above):
                continue
            x1, x_1 = S[k + 1, t], S[k - 1, t]
            # librosa's parabolic-interpolation stencil: numba promotes its arithmetic to
            # float64, the shift is stored in S's dtype
            a = np.float64(x1 + x_1) - 2.0 * np.float64(x0)
            b = np.float64(x1 - x_1) / 2.0
            shift = S.dtype.type(0.0 if abs(b) >= abs(a) else -b / a)
            gradient = (x1 - x_1) / two
            pitches[count] = (k + np.float64(shift)) * sr / n_fft
            mags[count] = x0 + half * gradient * shift
            count += 1
    return count
