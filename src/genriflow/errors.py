"""The root of genriflow's user-facing errors, and the one check of a parameter's value.

Every failure a user can cause and fix (a bad file, a bad dataset, a bad model folder, a
bad option) is a :class:`GenriflowError`; interfaces turn these, and only these, into one
line for the user. Any other exception is a bug.

>>> from genriflow.errors import ConfigError, one_of
>>> one_of("aggregation", "mean", ("mean", "vote"))
'mean'
>>> try:
...     one_of("aggregation", "median", ("mean", "vote"))
... except ConfigError as err:
...     print(err)
`aggregation` must be one of mean, vote; got 'median'
"""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Iterable, Mapping
from numbers import Integral, Real
from pathlib import Path
from typing import ClassVar, TypeVar

T = TypeVar("T")


class GenriflowError(Exception):
    """Something the user can fix: the message says what and where, in one line."""

    #: Whether the message names parameters in backticks as the Python API spells them
    #: (`` `multi_label` ``) and nothing else so: an interface may spell them its own way
    #: (the command line's ``--multi-label``).
    names_fields: ClassVar[bool] = False


class GenriflowWarning(UserWarning):
    """Something about the user's data or options worth knowing, that does not stop the
    run: the message says what and where, in one line, as an error's does."""


class ConfigError(GenriflowError, ValueError):
    """A parameter with a value it cannot take.

    Parameters
    ----------
    field : str
        The parameter's name as the Python API spells it (``model``, ``n_jobs``); the
        command line shows it as the option that sets it (``--model``, ``--jobs``).
    reason : str
        What is wrong, without the name; another parameter it names is in backticks
        (``"needs a model for `multi_label`"``).
    """

    names_fields = True

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"`{field}` {reason}")

    def __reduce__(self):
        return (type(self), (self.field, self.reason))


def one_of(field: str, value: T, choices: Iterable[T]) -> T:
    """``value`` if it is one of ``choices``, else :class:`ConfigError` listing them."""
    choices = tuple(choices)
    if value not in choices:
        listed = ", ".join(str(c) for c in choices)
        raise ConfigError(field, f"must be one of {listed}; got {value!r}")
    return value


def at_least(field: str, value: int | float | None, minimum: int | float,
             *, optional: bool = False, whole: bool = False) -> int | float | None:
    """``value`` if it is a number (a whole one with ``whole``) of at least ``minimum``
    (or ``None`` when ``optional``), else :class:`ConfigError`.

    A string or a bool is not a number here: ``k="3"`` is refused in one line, not by
    a ``TypeError`` from deep inside; nor is NaN or infinity (``--offset nan``), which
    would pass the comparison and fail as a crash where it becomes a sample count.

    >>> at_least("k", "3", 1, whole=True)
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `k` must be a whole number; got '3'
    """
    if value is None and optional:
        return None
    kind = Integral if whole else Real
    if value is not None and (isinstance(value, bool) or not isinstance(value, kind)):
        raise ConfigError(field, f"must be a {'whole ' if whole else ''}number; got {value!r}")
    if value is not None and not math.isfinite(value):  # nan passes any comparison
        raise ConfigError(field, f"must be a finite number; got {value!r}")
    if value is None or value < minimum:
        raise ConfigError(field, f"must be at least {minimum}; got {value!r}")
    return value


def fraction(field: str, value: float | None, *, optional: bool = False) -> float | None:
    """``value`` if it is a number in [0, 1] (or ``None`` when ``optional``), else
    :class:`ConfigError`: a probability threshold such as ``min_confidence``.

    >>> fraction("threshold", "0.5")
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `threshold` must be a number between 0 and 1; got '0.5'
    """
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ConfigError(field, f"must be a number between 0 and 1; got {value!r}")
    if not 0.0 <= value <= 1.0:
        raise ConfigError(field, f"must be between 0 and 1; got {value!r}")
    return value


def a_bool(field: str, value: bool) -> bool:
    """``value`` if it is ``True`` or ``False`` (NumPy's too), else :class:`ConfigError`.

    A switch given as a string or a number is refused in one line, not read as its
    truth: ``tags="no"`` is a true string, and ``dry_run=0`` would write.

    >>> a_bool("tags", "yes")
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `tags` must be True or False; got 'yes'
    """
    if isinstance(value, bool):
        return value
    if type(value).__module__ == "numpy" and type(value).__name__ in ("bool", "bool_"):
        return bool(value)  # a cell of a boolean array
    raise ConfigError(field, f"must be True or False; got {value!r}")


def names(field: str, value: str | Iterable[str]) -> list[str]:
    """``value`` as a list of names: one name (a ``str``) or an iterable of them, each
    once, else :class:`ConfigError`; a bare string is one name, never its letters.

    >>> names("scores", "energy"), names("scores", ("energy", "distance"))
    (['energy'], ['energy', 'distance'])
    >>> names("models", None)
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `models` must be a name or a list of names; got NoneType
    >>> names("models", ["svm", "knn", "svm"])
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `models` names 'svm' more than once
    """
    if isinstance(value, str):
        return [value]
    if isinstance(value, bytes | Mapping) or not isinstance(value, Iterable):
        raise ConfigError(field, f"must be a name or a list of names; got "
                          f"{type(value).__name__}")
    listed = list(value)
    for i, name in enumerate(listed):  # compare trained one twice into one folder
        if name in listed[:i]:
            raise ConfigError(field, f"names {name!r} more than once")
    return listed


def paths(field: str, value: str | os.PathLike | Iterable[str | os.PathLike]
          ) -> list[str | os.PathLike]:
    """``value`` as a list of paths: one path or an iterable of them, else
    :class:`ConfigError` naming the first that is not one.

    >>> paths("dirs", "music"), paths("dirs", (p for p in ["a", "b"]))
    (['music'], ['a', 'b'])
    >>> paths("dirs", [3])
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `dirs` must be a path or a list of paths (str or \
os.PathLike); got a list holding int
    """
    if isinstance(value, str | os.PathLike):
        return [value]
    if isinstance(value, bytes | Mapping) or not isinstance(value, Iterable):
        raise ConfigError(field, "must be a path or a list of paths (str or os.PathLike); "
                          f"got {type(value).__name__}")
    items = list(value)
    for item in items:
        if not isinstance(item, str | os.PathLike):
            raise ConfigError(field, "must be a path or a list of paths (str or "
                              f"os.PathLike); got a list holding {type(item).__name__}")
    return items


def a_path(field: str, value: str | os.PathLike | None, *,
           optional: bool = False) -> str | os.PathLike | None:
    """``value`` if it is a path (``str`` or ``os.PathLike``; ``None`` when ``optional``),
    else :class:`ConfigError` naming its type, before ``Path`` raises a ``TypeError``.

    >>> a_path("out", 3)
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `out` must be a path (str or os.PathLike); got int
    """
    if (value is None and optional) or isinstance(value, str | os.PathLike):
        return value
    raise ConfigError(field, f"must be a path (str or os.PathLike); got {type(value).__name__}")


def a_folder_to_write(field: str, value: str | os.PathLike) -> Path:
    """``value`` as a ``Path``, if files can be made in that folder (or, when it is not
    there yet, in the folder it would be made in); else :class:`ConfigError` naming it and
    the reason: a file in the way, a read-only place. For a command's output folder,
    checked before the work whose results would have nowhere to go; nothing is made.

    >>> a_folder_to_write("out", "/dev/null")
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `out` /dev/null is a file, not a folder
    """
    folder = Path(a_path(field, value))
    there = folder
    while not there.is_dir():
        if there.exists() or os.path.islink(there):
            kind = "a file" if there.exists() else "a broken link"
            if there == folder:
                raise ConfigError(field, f"{folder} is {kind}, not a folder")
            raise ConfigError(field, f"cannot make {folder}: {there} is {kind}")
        if there == there.parent:
            break
        there = there.parent
    probe = there / f".genriflow-probe-{uuid.uuid4().hex[:8]}.tmp"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        probe.unlink()
    except OSError as exc:
        where = "write into" if there == folder else f"make {folder} in"
        raise ConfigError(field, f"cannot {where} {there}: {exc.strerror or exc}") from None
    return folder


def a_file_to_write(field: str, value: str | os.PathLike) -> Path:
    """``value`` as a ``Path``, if a file can be written there: it is not a folder, and
    its folder can be written (or made; see :func:`a_folder_to_write`); else
    :class:`ConfigError` naming it and the reason. For a command's output file, checked
    before the work whose results would have nowhere to go; nothing is made.

    >>> a_file_to_write("failed", "/")
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `failed` / is a folder; give a file
    """
    out = Path(a_path(field, value))
    if out.is_dir():
        raise ConfigError(field, f"{out} is a folder; give a file")
    a_folder_to_write(field, out.parent)
    return out
