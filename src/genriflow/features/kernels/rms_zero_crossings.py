"""Frame by frame RMS and zero-crossing rate, equal to ``librosa.feature.rms`` and
``librosa.feature.zero_crossing_rate``."""

from __future__ import annotations

import numpy as np

from genriflow.features.kernels.jit import jit
from genriflow.features.kernels.pairwise_sum import pairwise_sum


def rms(y: np.ndarray, frame_length: int = 2048, hop_length: int = 512) -> np.ndarray:
    """Root-mean-square of reflect-padded centred frames, equal to ``librosa.feature.rms``.

    The values of ``librosa.feature.rms(y=y, frame_length=frame_length,
    hop_length=hop_length, pad_mode="reflect")``: each frame's squares summed in numpy's
    pairwise order in float32, divided by ``frame_length``, square-rooted; the squares are
    computed once per sample instead of once per frame and sample.

    Parameters
    ----------
    y : np.ndarray, shape (n_samples,), float32
        Mono waveform, longer than ``frame_length // 2`` samples.
    frame_length, hop_length : int
        Frame and hop in samples.

    Returns
    -------
    rms : np.ndarray, shape (1, 1 + n_samples // hop_length), float32
    """
    y = np.asarray(y)
    if y.ndim != 1 or y.dtype != np.float32 or y.size <= frame_length // 2:
        raise ValueError(
            f"expected a float32 waveform of more than {frame_length // 2} "
            f"samples, got {y.dtype} {y.shape}"
        )
    n_frames = 1 + (y.size + 2 * (frame_length // 2) - frame_length) // hop_length
    out = np.empty((1, n_frames), np.float32)
    _rms(y, frame_length, hop_length, out[0])
    return out


@jit
def _rms(y, frame_length, hop_length, out):
    n, before = y.size, frame_length // 2
    squares = np.empty(n + 2 * before, np.float32)
    for j in range(squares.size):
        i = j - before  # np.pad(mode="reflect"): mirrored about the end samples
        i = -i if i < 0 else i
        i = 2 * (n - 1) - i if i >= n else i
        squares[j] = y[i] * y[i]
    stack, values = np.empty((64, 3), np.int64), np.empty(64, np.float32)
    length = np.float32(frame_length)
    for t in range(out.size):
        start = t * hop_length
        total = pairwise_sum(squares[start : start + frame_length], frame_length, stack, values)
        out[t] = np.sqrt(total / length)


def zero_crossing_rate(
    y: np.ndarray, frame_length: int = 2048, hop_length: int = 512, threshold: float = 1e-10
) -> np.ndarray:
    """Zero-crossing rate of centred frames, equal to ``librosa.feature.zero_crossing_rate``.

    As librosa computes it by default: the waveform is edge-padded by ``frame_length // 2``
    at both ends, values within ``threshold`` of zero count as positive zeros, and a
    frame's rate is the number of sign changes between its consecutive samples divided by
    ``frame_length``. Counted once per sample instead of once per frame and sample.

    Parameters
    ----------
    y : np.ndarray, shape (n_samples,)
        Mono waveform, at least one sample.
    frame_length, hop_length : int
        Frame and hop in samples.
    threshold : float
        Magnitudes up to this are zero.

    Returns
    -------
    zcr : np.ndarray, shape (1, 1 + n_samples // hop_length), float64
        Crossings per sample, in [0, 1).
    """
    y = np.asarray(y)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"expected a non-empty mono waveform, got shape {y.shape}")
    n_frames = 1 + (y.size + 2 * (frame_length // 2) - frame_length) // hop_length
    out = np.empty((1, n_frames))
    _zero_crossing_rate(y, frame_length, hop_length, float(threshold), out[0])
    return out


@jit
def _zero_crossing_rate(y, frame_length, hop_length, threshold, out):
    n, before = y.size, frame_length // 2
    padded = n + 2 * before
    # change[j] is 1 where padded sample j has another sign than sample j - 1 (j >= 1)
    change = np.zeros(padded + 1, np.int64)
    previous = False
    for j in range(padded):
        v = y[min(max(j - before, 0), n - 1)]
        negative = np.signbit(v) and not (-threshold <= v <= threshold)
        if j > 0:
            change[j] = negative != previous
        previous = negative
    # crossings[j] = changes at samples 1 .. j - 1: a frame starting at s counts s+1 .. s+L-1
    running = 0
    for j in range(padded + 1):
        step = change[j]
        change[j] = running
        running += step
    for t in range(out.size):
        start = t * hop_length
        out[t] = (change[start + frame_length] - change[start + 1]) / frame_length
