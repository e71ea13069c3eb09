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


def window_offsets(total: float, window: float, max_windows: int | None = None) -> list[float]:
    """Start times (s) of windows that tile a song, evenly spread when capped.

    Parameters
    ----------
    total : float
        Song duration in seconds.
    window : float
        Window length in seconds.
    max_windows : int or None
        Upper bound on the number of windows; windows are then spread evenly
        over the song instead of tiling it back to back.

    Returns
    -------
    list of float
        Offsets in seconds; a song shorter than one window yields ``[0.0]``.
    """
    if total <= window:
        return [0.0]
    n_tiled = int(total // window)
    if max_windows is None or n_tiled <= max_windows:
        return [i * window for i in range(n_tiled)]
    return [float(x) for x in np.linspace(0.0, total - window, max_windows)]
