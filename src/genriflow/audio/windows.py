"""Fixed-length clips and window positions over long audio."""

from __future__ import annotations

import numpy as np


def fix_length(y: np.ndarray, size: int) -> np.ndarray:
    """Trim or zero-pad a waveform to exactly ``size`` samples.

    GTZAN clips run from 29.9 to 30.6 s; models that expect a fixed clip use this.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
    size : int
        Target length in samples.

    Returns
    -------
    np.ndarray, shape (size,)
    """
    if y.size >= size:
        return y[:size]
    return np.pad(y, (0, size - y.size))


def window_offsets(total: float, window: float) -> list[float]:
    """Start times (s) of windows that tile a song back to back.

    Parameters
    ----------
    total : float
        Song duration in seconds.
    window : float
        Window length in seconds.

    Returns
    -------
    list of float
        Offsets in seconds of the whole windows; a song shorter than one window yields
        ``[0.0]``.
    """
    if total <= window:
        return [0.0]
    return [i * window for i in range(int(total // window))]
