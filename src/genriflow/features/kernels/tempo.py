"""The global tempo of an onset envelope, librosa's BPM, with direct autocorrelations."""

from __future__ import annotations

import librosa
import numpy as np
import scipy.signal

from genriflow.features.kernels.jit import jit


def tempo(
    onset_envelope: np.ndarray,
    sr: float,
    hop_length: int = 512,
    *,
    start_bpm: float = 120.0,
    std_bpm: float = 1.0,
    ac_size: float = 8.0,
    max_tempo: float = 320.0,
) -> float:
    """Global tempo of an onset envelope, as ``librosa.feature.tempo(onset_envelope=...)``.

    librosa's estimate at its defaults: the mean over frames of the max-normalised
    autocorrelation of each Hann-windowed ``ac_size``-second window of the envelope
    (``librosa.feature.tempogram``, centred, ``linear_ramp`` padding), weighted by a
    log-normal prior around ``start_bpm`` and cut above ``max_tempo``; the best lag's BPM.
    The autocorrelations are summed directly in float64 instead of through FFTs, which
    changes the tempogram by float64 rounding only (1e-15 of its largest value), far below
    any difference between lags: the BPM is librosa's.

    Parameters
    ----------
    onset_envelope : np.ndarray, shape (n_frames,)
        Onset strength per frame (``librosa.onset.onset_strength``).
    sr : float
        Sample rate in Hz of the audio.
    hop_length : int
        Hop of the envelope's frames in samples.
    start_bpm, std_bpm, ac_size, max_tempo
        As for librosa.

    Returns
    -------
    bpm : float
        Beats per minute.
    """
    onset = np.asarray(onset_envelope)
    if onset.ndim != 1 or onset.size == 0:
        raise ValueError(f"expected a non-empty 1-D onset envelope, got shape {onset.shape}")
    win_length = int(librosa.time_to_frames(ac_size, sr=sr, hop_length=hop_length))
    padded = np.pad(
        onset, (win_length // 2, win_length // 2), mode="linear_ramp", end_values=[0, 0]
    )
    window = scipy.signal.get_window("hann", win_length, fftbins=True)
    tempogram = np.zeros(win_length)
    _mean_autocorrelation(padded, onset.size, window, tempogram)
    bpms = librosa.tempo_frequencies(win_length, hop_length=hop_length, sr=sr)
    logprior = -0.5 * ((np.log2(bpms) - np.log2(start_bpm)) / std_bpm) ** 2
    logprior[: int(np.argmax(bpms < max_tempo))] = -np.inf
    return float(bpms[np.argmax(np.log1p(1e6 * tempogram) + logprior)])


@jit
def _mean_autocorrelation(padded, n_frames, window, out):
    """Mean over frames of each windowed frame's autocorrelation divided by its largest
    magnitude (frames of ``window.size`` samples at hop 1 of ``padded``), into ``out``."""
    width = window.size
    frame = np.empty(width)
    correlation = np.empty(width)
    tiny = np.finfo(np.float64).tiny
    for t in range(n_frames):
        for i in range(width):
            frame[i] = padded[t + i] * window[i]
        correlation[:] = 0.0
        for i in range(width):  # one multiply-add per lag, vectorised over the lags
            value = frame[i]
            for lag in range(width - i):
                correlation[lag] += value * frame[i + lag]
        largest = 0.0
        for lag in range(width):
            largest = max(largest, abs(correlation[lag]))
        scale = largest if largest >= tiny else 1.0
        for lag in range(width):
            out[lag] += correlation[lag] / scale
    for lag in range(width):
        out[lag] /= n_frames
