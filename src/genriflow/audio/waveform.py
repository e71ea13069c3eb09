"""Waveforms already in memory, brought to what a decoded file gives: mono float32 at a rate.

Files and arrays meet in :func:`to_mono_resampled`: :func:`~genriflow.audio.load` runs its
decoded samples through it, and so does :func:`cut` with an array's, so a waveform in
memory and the same samples in a file give the same audio downstream.
"""

from __future__ import annotations

import numbers
from pathlib import Path

import numpy as np

from genriflow.audio.errors import AudioError, AudioErrorKind
from genriflow.errors import ConfigError

#: The name an in-memory waveform goes by in results and errors.
ARRAY_PATH = "<array>"

#: The largest sample taken as sound, full scale being 1.0: float data may go over, or be
#: scaled as integer PCM (to 32768, or 2**23 for 24 bits), but a peak past 2**31 is no
#: audio scale at all. It is broken data, and the features' squares would overflow.
MAX_PEAK = 2.0**31


def not_sound(y: np.ndarray) -> str | None:
    """Why samples ``y`` are no sound (NaN or infinite values, a peak past
    :data:`MAX_PEAK`), or ``None``.

    >>> not_sound(np.array([0.5, -1e30], dtype=np.float32))
    'samples reach 1e+30, far past any audio scale (full scale is 1)'
    """
    if not np.all(np.isfinite(y)):
        return "contains NaN or infinite values"
    peak = float(np.max(np.abs(y)))
    if peak > MAX_PEAK:
        return f"samples reach {peak:.3g}, far past any audio scale (full scale is 1)"
    return None


def to_mono_resampled(y: np.ndarray, sr: int, target_sr: int | None, *,
                      channel_axis: int | None = None) -> np.ndarray:
    """Average the channels and resample: the one downmix and resampling of genriflow.

    Parameters
    ----------
    y : np.ndarray, shape (n,), (channels, n) or (n, channels)
        Samples at ``sr``. Without ``channel_axis`` the longer axis of a 2-D array is time,
        so both librosa's ``(channels, n)`` and soundfile's ``(n, channels)`` work.
    sr : int
        Rate of ``y`` in Hz.
    target_sr : int or None
        Rate wanted (soxr, high quality); ``None`` keeps ``sr``.
    channel_axis : int or None
        The axis of the channels of a 2-D ``y``, when known.

    Returns
    -------
    np.ndarray, shape (n_samples,), float32
    """
    y = np.asarray(y, dtype=np.float32)
    if y.ndim == 2:
        axis = channel_axis if channel_axis is not None else int(y.shape[0] > y.shape[1])
        if y.shape[axis] == 1:
            y = np.ascontiguousarray(y.take(0, axis=axis))
        elif y.shape[axis] < 8:
            y = _channel_mean(y, axis)
        else:
            y = y.mean(axis=axis, dtype=np.float32)
    elif y.ndim != 1:
        raise ValueError(f"expected a 1-D or 2-D waveform, got shape {y.shape}")
    if target_sr is not None and target_sr != sr:
        import soxr  # here: cutting and checking waveforms needs no resampler

        y = soxr.resample(y, sr, target_sr, quality="HQ").astype(np.float32, copy=False)
    return y


def _channel_mean(y: np.ndarray, axis: int) -> np.ndarray:
    """``y.mean(axis=axis)`` of float32 ``y`` with few channels, the same floats (NumPy sums
    fewer than eight values in order, then divides) without a slow strided reduction."""
    channels = y.shape[axis]
    total = y.take(0, axis=axis).astype(np.float32, copy=True)
    for channel in range(1, channels):
        total += y.take(channel, axis=axis)
    total /= np.float32(channels)
    return total


#: The rates in Hz a waveform is taken at. Outside them the rate is almost surely a mistake
#: (``sr=1``: four seconds of samples read as 24 hours of audio), not a recording.
WAVEFORM_RATES = (4000, 768000)


def waveform_rate(sr: object) -> int:
    """``sr`` if it is a waveform's rate: a whole number of Hz within
    :data:`WAVEFORM_RATES`; the one check of every waveform's ``sr``.

    >>> waveform_rate(22050)
    22050
    >>> waveform_rate(1)
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `sr` must be the waveform's sample rate, 4000 to 768000 Hz; got 1
    """
    if not isinstance(sr, numbers.Integral) or isinstance(sr, bool):
        raise ConfigError("sr", f"must be a whole number of Hz; got {sr!r}")
    low, high = WAVEFORM_RATES
    if not low <= sr <= high:
        raise ConfigError("sr", f"must be the waveform's sample rate, {low} to {high} Hz; "
                          f"got {sr}")
    return int(sr)


def mono_waveform(y: np.ndarray, sr: int) -> np.ndarray:
    """Check an in-memory waveform and downmix it, at its own rate.

    Parameters
    ----------
    y : array, shape (n,), (channels, n) or (n, channels)
        Float samples (nominally in [-1, 1]) or signed integer PCM (scaled as decoders
        scale it); the longer axis of a 2-D array is time.
    sr : int
        Its rate in Hz.

    Returns
    -------
    np.ndarray, shape (n,), float32

    Raises
    ------
    ConfigError
        If ``sr`` is not a whole number of Hz within :data:`WAVEFORM_RATES`.
    AudioError
        Not numbers, not 1-D or 2-D, no samples, NaN or infinite values, or a peak past
        :data:`MAX_PEAK`.
    """
    sr = waveform_rate(sr)
    y = np.asarray(y)
    if np.issubdtype(y.dtype, np.signedinteger):
        y = y.astype(np.float32) / (float(np.iinfo(y.dtype).max) + 1.0)
    elif not np.issubdtype(y.dtype, np.floating):
        raise AudioError(ARRAY_PATH, f"not audio samples: dtype {y.dtype}",
                         AudioErrorKind.UNSUPPORTED)
    if y.ndim not in (1, 2):
        raise AudioError(ARRAY_PATH, f"expected shape (n,), (channels, n) or (n, channels), "
                         f"got {y.shape}", AudioErrorKind.UNSUPPORTED)
    if y.size == 0:
        raise AudioError(ARRAY_PATH, "no audio samples", AudioErrorKind.EMPTY)
    if (why := not_sound(y)) is not None:
        raise AudioError(ARRAY_PATH, f"audio {why}" if why.startswith("contains") else why,
                         AudioErrorKind.CORRUPT)
    return to_mono_resampled(y, sr, None)


def cut(y: np.ndarray, sr: int, target_sr: int | None, *, offset: float = 0.0,
        duration: float | None = None, min_duration: float = 0.0) -> np.ndarray:
    """A window of a mono waveform at ``target_sr``: what :func:`~genriflow.audio.load`
    gives for the same window of a file holding ``y``.

    Parameters
    ----------
    y : np.ndarray, shape (n,), float32
        From :func:`mono_waveform`.
    sr, target_sr : int, int or None
        Its rate, and the rate wanted (``None``: ``sr``).
    offset, duration, min_duration : float, float or None, float
        As for :func:`~genriflow.audio.load`.

    Raises
    ------
    AudioError
        If fewer than ``min_duration`` seconds are left.
    """
    start = int(round(offset * sr))
    stop = None if duration is None else start + int(round(duration * sr))
    out = to_mono_resampled(y[start:stop], sr, target_sr)
    require_duration(ARRAY_PATH, out, target_sr or sr, min_duration)
    return out


def require_duration(path: str | Path, y: np.ndarray, sr: int, min_duration: float) -> None:
    """Raise ``AudioError(kind=TOO_SHORT)`` if ``y`` lasts less than ``min_duration`` s."""
    if y.size / sr < min_duration:
        raise AudioError(
            path,
            f"too short: {y.size / sr:.2f} s of audio, at least {min_duration:.2f} s needed",
            AudioErrorKind.TOO_SHORT,
        )
