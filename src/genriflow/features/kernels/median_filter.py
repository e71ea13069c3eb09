"""A running median along one axis of a 2-D array, equal to ``scipy.ndimage.median_filter``
with a 1-D window and reflected edges (see :mod:`genriflow.features.kernels`)."""

from __future__ import annotations

import numba
import numpy as np

from genriflow.features.kernels.checks import check_real_2d
from genriflow.features.kernels.jit import jit, jit_parallel

#: Lines filtered together, one per SIMD lane (4 AVX2 vectors of float32).
_LANES = 32


def median_filter(
    x: np.ndarray, size: int, axis: int = -1, *, parallel: bool = False
) -> np.ndarray:
    """Running median of a 2-D array along one axis, with reflected edges.

    Parameters
    ----------
    x : np.ndarray, shape (n_rows, n_cols), float32 or float64
        Input values, NaN-free.
    size : int
        Window length in samples along ``axis``, at least 1. Windows are centred: the one
        for index ``i`` covers ``i - size // 2`` to ``i + (size - 1) // 2``; for even sizes
        the upper median (sorted index ``size // 2``) is returned, as in scipy.
    axis : int
        Axis to filter along, 0 or 1 (or -1, -2).
    parallel : bool
        Spread lines over numba's threads.

    Returns
    -------
    filtered : np.ndarray, shape (n_rows, n_cols)
        Same dtype and memory order as ``x``; equal to
        ``scipy.ndimage.median_filter(x, size=window, mode="reflect")`` where ``window``
        is ``size`` along ``axis`` and 1 along the other axis.

    Notes
    -----
    Windows longer than the line repeat the reflection (period ``2 * n`` for a line of
    ``n`` values). scipy 1.17 agrees while the window's half-width is a few line lengths;
    beyond that its N-D rank filter reads values from outside the array (e.g. a line of 2
    values with ``size >= 16``), and this function keeps to the definition.
    """
    x = check_real_2d(x)
    if size < 1:
        raise ValueError(f"size must be at least 1, got {size}")
    if axis not in (0, 1, -1, -2):
        raise ValueError(f"axis must be 0 or 1 for a 2-D array, got {axis}")
    out = np.empty_like(x)
    lines, out_lines = (x, out) if axis in (1, -1) else (x.T, out.T)
    if x.size:
        kernel = _median_lines_parallel if parallel else _median_lines
        kernel(lines, int(size), out_lines)
    return out


@jit
def _reflect(i, n):
    i %= 2 * n
    return i if i < n else 2 * n - 1 - i


@jit
def _gather_block(lines, first, size, padded):
    """Reflect-pad lines ``first`` .. ``first + _LANES - 1`` into ``padded``, lane-interleaved.

    ``padded[j * _LANES + lane]`` is sample ``j - size // 2`` (reflected) of line
    ``first + lane``; lanes past the last line repeat lane 0.
    """
    n_lines, n = lines.shape
    count = min(_LANES, n_lines - first)
    before = size // 2
    for j in range(n + size - 1):
        src = _reflect(j - before, n)
        row = j * _LANES
        for lane in range(count):
            padded[row + lane] = lines[first + lane, src]
        for lane in range(count, _LANES):
            padded[row + lane] = padded[row]


@jit
def _init_ranks(values, size, ranks, median):
    """Ranks (ties by arrival) of the first window of every lane, and its median."""
    median_rank = size // 2
    for a in range(size):
        for lane in range(_LANES):
            va = values[a * _LANES + lane]
            rank = 0
            for b in range(size):
                vb = values[b * _LANES + lane]
                rank += (vb < va) + ((vb == va) and (b < a))
            ranks[a * _LANES + lane] = rank
            if rank == median_rank:
                median[lane] = va


@jit
def _slide_block(values, ranks, padded, size, n, out, new, old, new_rank, median):
    """Running medians of one block of lanes: ``out[i * _LANES + lane]`` for ``i < n``.

    All arrays are 1-D and lane-interleaved (``values``/``ranks``: ``size`` slots;
    ``padded``: ``n + size - 1`` samples), so that every loop over lanes is unit-stride
    and free of reductions: the compiler vectorises it across lanes.
    """
    median_rank = np.int32(size // 2)
    removed = np.int32(-(1 << 30))
    for lane in range(_LANES):
        out[lane] = median[lane]
    slot = 0
    for i in range(1, n):
        incoming, slot_row = (i + size - 1) * _LANES, slot * _LANES
        for lane in range(_LANES):
            old[lane] = values[slot_row + lane]
            new[lane] = padded[incoming + lane]
            new_rank[lane] = 0
            ranks[slot_row + lane] = removed  # the leaving value never has the median rank
        for b in range(size):
            row = b * _LANES
            for lane in range(_LANES):
                v, incoming_value = values[row + lane], new[lane]
                rank = np.int32(
                    ranks[row + lane] + np.int32(v > incoming_value) - np.int32(v >= old[lane])
                )
                ranks[row + lane] = rank
                new_rank[lane] = np.int32(new_rank[lane] + np.int32(v <= incoming_value))
                median[lane] = v if rank == median_rank else median[lane]
        out_row = i * _LANES
        for lane in range(_LANES):
            rank = np.int32(new_rank[lane] - np.int32(old[lane] <= new[lane]))
            values[slot_row + lane] = new[lane]
            ranks[slot_row + lane] = rank
            value = new[lane] if rank == median_rank else median[lane]
            median[lane] = value
            out[out_row + lane] = value
        slot = slot + 1 if slot + 1 < size else 0


@jit
def _median_block(lines, first, size, out, buffers):
    """Running medians of lines ``first`` .. ``first + _LANES - 1`` of ``lines`` into ``out``."""
    padded, block_out, values, ranks, new, old, median, new_rank = buffers
    n_lines, n = lines.shape
    _gather_block(lines, first, size, padded)
    values[:] = padded[: size * _LANES]
    _init_ranks(values, size, ranks, median)
    _slide_block(values, ranks, padded, size, n, block_out, new, old, new_rank, median)
    for lane in range(min(_LANES, n_lines - first)):
        for i in range(n):
            out[first + lane, i] = block_out[i * _LANES + lane]


@jit
def _block_buffers(n, size, dtype):
    padded = np.empty((n + size - 1) * _LANES, dtype)
    block_out = np.empty(n * _LANES, dtype)
    values = np.empty(size * _LANES, dtype)
    ranks = np.empty(size * _LANES, np.int32)
    lanes = (np.empty(_LANES, dtype), np.empty(_LANES, dtype), np.empty(_LANES, dtype))
    return (padded, block_out, values, ranks, *lanes, np.empty(_LANES, np.int32))


@jit
def _median_lines(lines, size, out):
    buffers = _block_buffers(lines.shape[1], size, lines.dtype)
    for first in range(0, lines.shape[0], _LANES):
        _median_block(lines, first, size, out, buffers)


@jit_parallel
def _median_lines_parallel(lines, size, out):
    n_blocks = (lines.shape[0] + _LANES - 1) // _LANES
    for block in numba.prange(n_blocks):
        buffers = _block_buffers(lines.shape[1], size, lines.dtype)
        _median_block(lines, block * _LANES, size, out, buffers)
