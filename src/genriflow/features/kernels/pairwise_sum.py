"""Sums in numpy's pairwise order, compiled, so that a kernel's sums round as numpy's."""

from __future__ import annotations

from genriflow.features.kernels.jit import jit


@jit
def _pairwise_block(a, start, n):
    res = a[start] - a[start]
    if n < 8:
        for i in range(n):
            res += a[start + i]
        return res
    r0, r1, r2, r3 = a[start], a[start + 1], a[start + 2], a[start + 3]
    r4, r5, r6, r7 = a[start + 4], a[start + 5], a[start + 6], a[start + 7]
    i = 8
    whole = n - n % 8
    while i < whole:
        j = start + i
        r0, r1, r2, r3 = r0 + a[j], r1 + a[j + 1], r2 + a[j + 2], r3 + a[j + 3]
        r4, r5, r6, r7 = r4 + a[j + 4], r5 + a[j + 5], r6 + a[j + 6], r7 + a[j + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[start + i]
        i += 1
    return res


@jit
def pairwise_sum(a, n, stack, values):
    """``np.sum(a[:n])`` in numpy's order: halves (cut at multiples of 8) down to blocks of at
    most 128 summed in 8 lanes. Iterative (numba's cache cannot hold recursive functions):
    ``stack`` (int64, shape (64, 3)) and ``values`` (a's dtype, 64) are work space."""
    if n <= 128:
        return _pairwise_block(a, 0, n)
    top, count = 0, 0
    stack[0, 0], stack[0, 1], stack[0, 2] = 0, n, 0
    while top >= 0:
        start, size, stage = stack[top, 0], stack[top, 1], stack[top, 2]
        if size <= 128:
            values[count] = _pairwise_block(a, start, size)
            count += 1
            top -= 1
            continue
        half = size // 2
        half -= half % 8
        if stage == 2:
            values[count - 2] = values[count - 2] + values[count - 1]
            count -= 1
            top -= 1
            continue
        stack[top, 2] = stage + 1
        top += 1
        if stage == 0:
            stack[top, 0], stack[top, 1], stack[top, 2] = start, half, 0
        else:
            stack[top, 0], stack[top, 1], stack[top, 2] = start + half, size - half, 0
    return values[0]
