"""How a result prints in a notebook: short, whatever the size of the library or batch.

A report's dataclass ``repr`` printed every row of its lists (a tag plan of 10,000 songs,
every failed file of a scan); :func:`brief_repr` shows each field with its lists cut to
their first few items and the count left, and tables by their size.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

#: Items of a list (results, errors, rows) a ``repr`` shows before saying how many more.
SHOWN = 3


def first(items: Any) -> str:
    """``[a, b, c, ... N more]``: the first :data:`SHOWN` of ``items`` and the count left.

    >>> first(list(range(10))), first(["a"])
    ('[0, 1, 2, ... 7 more]', "['a']")
    """
    items = list(items)
    shown = [repr(item) for item in items[:SHOWN]]
    if len(items) > SHOWN:
        shown.append(f"... {len(items) - SHOWN} more")
    return f"[{', '.join(shown)}]"


def brief(value: Any) -> str:
    """One field's value as :func:`brief_repr` shows it."""
    if isinstance(value, list | tuple) and len(value) > SHOWN:
        return first(value)
    if isinstance(value, dict) and len(value) > SHOWN:
        head = ", ".join(f"{k!r}: {v!r}" for k, v in list(value.items())[:SHOWN])
        return f"{{{head}, ... {len(value) - SHOWN} more}}"
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple) and shape and type(value).__module__.split(".")[0] in (
            "numpy", "pandas"):
        return f"<{type(value).__name__} of shape {shape}>"
    return repr(value)


def brief_repr(self: Any) -> str:
    """A dataclass's fields, each :func:`brief`: use as ``__repr__ = brief_repr``.

    >>> from dataclasses import dataclass, field
    >>> @dataclass
    ... class Report:
    ...     written: int
    ...     errors: list = field(default_factory=list)
    ...     __repr__ = brief_repr
    >>> Report(2, [("a.mp3", "read-only")] * 1000)
    Report(written=2, errors=[('a.mp3', 'read-only'), ('a.mp3', 'read-only'), \
('a.mp3', 'read-only'), ... 997 more])
    """
    shown = ", ".join(f"{f.name}={brief(getattr(self, f.name))}" for f in fields(self)
                      if f.repr)
    return f"{type(self).__name__}({shown})"
