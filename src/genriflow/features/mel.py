"""librosa's mel power spectrogram with NumPy alone: no librosa, SciPy or numba to import.

The musicnn front end (:func:`~genriflow.features.pretrained.preprocessing.musicnn_log_mel`)
asks every song for ``librosa.feature.melspectrogram(y=y, sr=16000, n_fft=512,
hop_length=256, n_mels=96)``. Importing the librosa code behind it (its spectral and
filter modules pull in ``scipy.signal`` and numba) costs about 1.4 CPU seconds, more than
the networks' analysis of a short song on the ONNX path; :func:`melspectrogram` computes
the same numbers after importing nothing but NumPy.

It is librosa's arithmetic step by step: the periodic Hann window in float64 (SciPy's
``get_window("hann", n_fft, fftbins=True)``), centred frames padded with zeros (librosa's
``pad_mode="constant"``), each frame times the window and a float64 real FFT rounded to
complex64, ``|X|**2`` in float32, and the Slaney mel filter bank built as
``librosa.filters.mel`` builds it (float32). The one difference is the FFT library:
NumPy's pocketfft where librosa calls SciPy's, the same algorithm, so the values agree to
float32 rounding (``tests/features/test_mel.py`` holds them to librosa's).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

#: Bytes of float64 frames transformed together (512 frames at n_fft 512), as librosa
#: transforms a song block by block.
_BLOCK_BYTES = 2 * 2**20


def hann_window(n: int) -> np.ndarray:
    """The periodic Hann window of ``n`` samples, float64, as SciPy computes it.

    >>> hann_window(4).tolist()
    [0.0, 0.5, 1.0, 0.5]
    """
    phase = np.linspace(-np.pi, np.pi, n + 1)[:-1]
    return 0.5 + 0.5 * np.cos(phase)


def hz_to_mel(frequencies: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (librosa's default, ``htk=False``): linear below 1 kHz, then
    logarithmic.

    >>> hz_to_mel(np.array([0.0, 1000.0, 6400.0])).round(6).tolist()
    [0.0, 15.0, 42.0]
    """
    frequencies = np.atleast_1d(np.asarray(frequencies, dtype=np.float64))
    f_sp = 200.0 / 3
    mels = frequencies / f_sp
    min_log_hz, min_log_mel, logstep = 1000.0, 1000.0 / f_sp, np.log(6.4) / 27.0
    high = frequencies >= min_log_hz
    mels[high] = min_log_mel + np.log(frequencies[high] / min_log_hz) / logstep
    return mels


def mel_to_hz(mels: np.ndarray) -> np.ndarray:
    """The inverse of :func:`hz_to_mel`.

    >>> mel_to_hz(np.array([0.0, 15.0, 42.0])).round(6).tolist()
    [0.0, 1000.0, 6400.0]
    """
    mels = np.atleast_1d(np.asarray(mels, dtype=np.float64))
    f_sp = 200.0 / 3
    freqs = f_sp * mels
    min_log_hz, min_log_mel, logstep = 1000.0, 1000.0 / f_sp, np.log(6.4) / 27.0
    high = mels >= min_log_mel
    freqs[high] = min_log_hz * np.exp(logstep * (mels[high] - min_log_mel))
    return freqs


@functools.lru_cache(maxsize=16)
def mel_filters(sr: int, n_fft: int, n_mels: int = 128) -> np.ndarray:
    """``librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels)`` (Slaney scale and area
    normalisation, 0 Hz to ``sr / 2``): float32, shape (n_mels, 1 + n_fft // 2),
    read-only (built once per process).

    >>> mel_filters(16000, 512, 96).shape
    (96, 257)
    """
    fft_freqs = np.fft.rfftfreq(n=n_fft, d=1.0 / sr)
    low, high = hz_to_mel(np.array([0.0, sr / 2.0]))
    edges = mel_to_hz(np.linspace(low, high, n_mels + 2))
    widths = np.diff(edges)
    ramps = np.subtract.outer(edges, fft_freqs)
    weights = np.zeros((n_mels, 1 + n_fft // 2), dtype=np.float32)
    for i in range(n_mels):
        rising, falling = -ramps[i] / widths[i], ramps[i + 2] / widths[i + 1]
        weights[i] = np.maximum(0, np.minimum(rising, falling))
    weights *= (2.0 / (edges[2 : n_mels + 2] - edges[:n_mels]))[:, np.newaxis]
    weights.flags.writeable = False
    return weights


def stft(y: np.ndarray, n_fft: int, hop_length: int, *, pad_mode: str = "constant",
         rfft: Callable[..., np.ndarray] = np.fft.rfft) -> np.ndarray:
    """Centred Hann STFT of a float32 waveform, librosa's frames and arithmetic: each frame
    times the float64 window, a float64 real FFT (``rfft``: NumPy's, or SciPy's as librosa
    calls), the result rounded to complex64; shape (1 + n_fft // 2, 1 + len(y) //
    hop_length), Fortran-ordered (each frame contiguous), as librosa's.

    ``pad_mode`` is the ``np.pad`` mode of the centring (librosa's default ``constant``).

    Raises
    ------
    ValueError
        For a waveform that is not one-dimensional.
    """
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ValueError(f"expected a mono waveform (samples,), got shape {y.shape}")
    window = hann_window(n_fft)
    padded = np.pad(y, n_fft // 2, mode=pad_mode)
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop_length]
    spectrum = np.empty((1 + n_fft // 2, len(frames)), dtype=np.complex64, order="F")
    block = max(1, _BLOCK_BYTES // (8 * n_fft))
    for start in range(0, len(frames), block):
        spectrum.T[start : start + block] = rfft(frames[start : start + block] * window,
                                                 axis=1)
    return spectrum


def power_spectrogram(y: np.ndarray, n_fft: int, hop_length: int) -> np.ndarray:
    """``np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop_length)) ** 2`` of a float32
    waveform (:func:`stft`): float32, shape (1 + n_fft // 2, 1 + len(y) // hop_length).

    Raises
    ------
    ValueError
        For a waveform that is not one-dimensional.
    """
    return np.abs(stft(y, n_fft, hop_length)) ** 2


def melspectrogram(
    y: np.ndarray, sr: int, n_fft: int, hop_length: int, n_mels: int = 128
) -> np.ndarray:
    """``librosa.feature.melspectrogram(y=y, sr=sr, n_fft=n_fft, hop_length=hop_length,
    n_mels=n_mels)`` of a float32 waveform: float32, shape (n_mels, 1 + len(y) //
    hop_length).

    >>> y = np.sin(2 * np.pi * 440 * np.arange(16000) / 16000).astype(np.float32)
    >>> mel = melspectrogram(y, 16000, 512, 256, 96)
    >>> mel.shape, mel.dtype, int(mel.mean(axis=1).argmax())  # 440 Hz: band 13 of 96
    ((96, 63), dtype('float32'), 13)
    """
    # A matrix product (BLAS): librosa's einsum gives the same floats here ten times slower.
    return mel_filters(sr, n_fft, n_mels) @ power_spectrogram(y, n_fft, hop_length)
