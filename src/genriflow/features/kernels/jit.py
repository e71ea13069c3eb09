"""numba's settings for every kernel: cached on disk, no GIL, numpy's error model."""

from __future__ import annotations

import numba

_JIT_OPTIONS = {"cache": True, "nogil": True, "error_model": "numpy"}
jit = numba.njit(**_JIT_OPTIONS)
jit_parallel = numba.njit(parallel=True, **_JIT_OPTIONS)
