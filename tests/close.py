"""Compare computed results with tolerances: floats differ in their last bits from one
machine's BLAS to another's, so no test compares a computed float exactly."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def assert_close(actual: Any, expected: Any, *, rel: float = 1e-6, abs: float = 1e-9,
                 where: str = "") -> None:
    """Assert that two nested structures (dicts, lists, numbers, strings, arrays) are equal,
    floats within ``rel``/``abs``; ``where`` names the first key that differs.

    >>> assert_close({"ece": 0.08048347573754361, "n": [3]}, {"ece": 0.08048347573986475, "n": [3]})
    >>> assert_close({"ece": 0.1}, {"ece": 0.2})
    Traceback (most recent call last):
    AssertionError: ece: 0.1 != 0.2 (rel 1e-06, abs 1e-09)
    """
    if isinstance(expected, Mapping):
        assert isinstance(actual, Mapping), f"{where or 'value'}: {actual!r} is not a mapping"
        assert set(actual) == set(expected), (
            f"{where or 'value'}: keys {sorted(map(str, actual))} != {sorted(map(str, expected))}")
        for key in expected:
            assert_close(actual[key], expected[key], rel=rel, abs=abs,
                         where=f"{where}.{key}" if where else str(key))
    elif isinstance(expected, np.ndarray) or isinstance(actual, np.ndarray):
        np.testing.assert_allclose(actual, expected, rtol=rel, atol=abs, err_msg=where)
    elif isinstance(expected, Sequence) and not isinstance(expected, str | bytes):
        assert isinstance(actual, Sequence) and not isinstance(actual, str | bytes), (
            f"{where or 'value'}: {actual!r} is not a sequence")
        assert len(actual) == len(expected), (
            f"{where or 'value'}: {len(actual)} items != {len(expected)}")
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_close(a, e, rel=rel, abs=abs, where=f"{where}[{i}]")
    elif isinstance(expected, float) or isinstance(actual, float):
        ok = (isinstance(actual, int | float) and not isinstance(actual, bool)
              and (math.isclose(actual, expected, rel_tol=rel, abs_tol=abs)
                   or (math.isnan(actual) and math.isnan(expected))))
        assert ok, f"{where or 'value'}: {actual!r} != {expected!r} (rel {rel:g}, abs {abs:g})"
    else:
        assert actual == expected, f"{where or 'value'}: {actual!r} != {expected!r}"
