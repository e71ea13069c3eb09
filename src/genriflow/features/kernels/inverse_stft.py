"""The inverse STFT (Hann, centred, full length), equal to ``librosa.istft``."""

from __future__ import annotations

import functools

import librosa
import numpy as np
import scipy.fft
import scipy.signal

from genriflow.features.kernels.jit import jit


def istft(S: np.ndarray, hop_length: int = 512, n_fft: int = 2048) -> np.ndarray:
    """Inverse STFT (Hann, centred, full length), equal to ``librosa.istft(S, ...)``.

    The same float32 samples as ``librosa.istft(S, hop_length=hop_length, n_fft=n_fft,
    dtype=np.float32)`` with its defaults (Hann window, ``center=True``, no ``length``):
    the same inverse FFTs, the window applied in float64 and the frames overlap-added in
    order into float32 samples, then divided by the window's sum of squares, but without
    librosa's float64 temporaries of the whole spectrogram.

    Parameters
    ----------
    S : np.ndarray, shape (1 + n_fft // 2, n_frames), complex64
        STFT; ``n_frames`` at least ``ceil(n_fft / 2 / hop_length)``.
    hop_length, n_fft : int

    Returns
    -------
    y : np.ndarray, shape (hop_length * (n_frames - 1),), float32
    """
    S = np.asarray(S)
    if S.ndim != 2 or S.dtype != np.complex64 or S.shape[0] != 1 + n_fft // 2:
        raise ValueError(
            f"expected a complex64 STFT of {1 + n_fft // 2} bins, got {S.dtype} {S.shape}"
        )
    start_frame = -(-(n_fft // 2) // hop_length)
    if S.shape[1] < start_frame:
        raise ValueError(f"istft needs at least {start_frame} frames, got {S.shape[1]}")
    # One frame per row, so that the overlap-add reads each frame contiguously.
    frames = scipy.fft.irfft(S.T, n=n_fft, axis=1)
    window, window_sum = _istft_windows(n_fft, hop_length, S.shape[1])
    y = np.zeros(hop_length * (S.shape[1] - 1), np.float32)
    _overlap_add(frames, window, hop_length, start_frame, window_sum, y)
    return y


@functools.lru_cache(maxsize=8)
def _istft_windows(n_fft: int, hop_length: int, n_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """librosa's synthesis window (float64) and window sum of squares after centring."""
    window = librosa.util.pad_center(
        scipy.signal.get_window("hann", n_fft, fftbins=True), size=n_fft
    )
    total = librosa.filters.window_sumsquare(
        window="hann", n_frames=n_frames, n_fft=n_fft, hop_length=hop_length, dtype=np.float32
    )
    total = librosa.util.fix_length(total[n_fft // 2 :], size=hop_length * (n_frames - 1))
    for array in (window, total):
        array.flags.writeable = False
    return window, total


@jit
def _add_windowed(target, window, frame):
    """``target += window * frame``, each sum in float64 rounded to ``target``'s float32."""
    for i in range(target.size):
        target[i] = target[i] + window[i] * frame[i]


@jit
def _overlap_add(frames, window, hop_length, start_frame, window_sum, y):
    n_frames, n_fft = frames.shape
    half = n_fft // 2
    # librosa's head: the first start_frame frames go to a buffer of their own
    head = np.zeros(n_fft + hop_length * (start_frame - 1), np.float32)
    for f in range(start_frame):
        sample = f * hop_length
        for i in range(min(n_fft, head.size - sample)):
            head[sample + i] = head[sample + i] + window[i] * frames[f, i]
    n_head = min(y.size, head.size - half)
    y[:n_head] = head[half : half + n_head]
    offset = start_frame * hop_length - half
    for f in range(start_frame, n_frames):
        sample = (f - start_frame) * hop_length + offset
        count = max(0, min(n_fft, y.size - sample))
        _add_windowed(y[sample : sample + count], window[:count], frames[f, :count])
    tiny = np.finfo(np.float32).tiny
    for j in range(y.size):
        if window_sum[j] > tiny:
            y[j] = y[j] / window_sum[j]
