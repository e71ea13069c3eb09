"""Input checks the kernels share: 2-D real arrays, non-negative magnitudes."""

from __future__ import annotations

import numpy as np


def check_real_2d(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"expected a 2-D array, got shape {x.shape}")
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(f"expected float32 or float64 values, got {x.dtype}")
    return x


def check_magnitude(S: np.ndarray) -> np.ndarray:
    S = check_real_2d(S)
    if np.any(S < 0):
        raise ValueError("a real spectrogram must be non-negative")
    return S
