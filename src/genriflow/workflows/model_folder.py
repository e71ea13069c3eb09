"""A model folder replaced whole or not at all.

``genriflow train --out DIR`` over an existing model wrote the new files into ``DIR`` one
by one: interrupted (Ctrl-C, SIGKILL, a full disk) it left the new ``config.json`` and
``labels.json`` beside the old or half-written weights, a folder that failed to load or,
worse, loaded with the wrong genres. :func:`replacing` writes the new folder as a hidden
sibling (``.DIR.partial-PID``), flushes it to disk, then swaps it in by rename, so ``DIR``
holds either the old model or the new one, complete.

The swap is one atomic exchange where the system has it (Linux ``renameat2`` with
``RENAME_EXCHANGE``); elsewhere two renames, the old folder first set aside as
``.DIR.old-PID``. A run killed between them leaves no ``DIR``; the next :func:`replacing`
of it puts the old model back before anything else, and removes what killed runs left.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from genriflow.errors import ConfigError, a_folder_to_write
from genriflow.locations import fsync_folder

_PARTIAL, _OLD = "partial", "old"


def check_replaceable(out: str | os.PathLike, *, field: str = "out") -> Path:
    """``out`` as a path, if a model folder may be written there: a new path, an empty
    folder or an earlier model folder (one with ``config.json``), which is replaced.

    Raises
    ------
    ConfigError
        ``field``: a file, a folder holding other things (never replaced), or a place the
        new folder cannot be written beside (read-only, under a file).
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(field, f"{out} is a file; give a folder for the model")
    if out.is_dir() and not (out / "config.json").is_file() and any(out.iterdir()):
        raise ConfigError(field, f"{out} holds files but no genriflow model (no config.json); "
                          "a model folder is replaced whole, so give a new or empty folder")
    try:  # the new folder is written beside it, then renamed
        a_folder_to_write(field, out.absolute().parent)
    except ConfigError as err:
        raise ConfigError(field, f"cannot write {out}: {err.reason}") from None
    return out


@contextlib.contextmanager
def replacing(out: str | os.PathLike, *, field: str = "out") -> Iterator[Path]:
    """A fresh folder to write the model into; on a normal exit it becomes ``out``.

    Parameters
    ----------
    out : path
        The model folder (see :func:`check_replaceable`).
    field : str
        The option named in an error.

    Yields
    ------
    Path
        The hidden sibling to write into. An exception (Ctrl-C included) removes it and
        leaves ``out`` as it was.
    """
    out = check_replaceable(out, field=field).absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    _recover(out)
    work = _sibling(out, _PARTIAL, os.getpid())
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        yield work
        _fsync_tree(work)
        _swap(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _sibling(out: Path, what: str, pid: int) -> Path:
    return out.with_name(f".{out.name}.{what}-{pid}")


def _swap(work: Path, out: Path) -> None:
    if not out.exists() or (out.is_dir() and not any(out.iterdir())):
        os.replace(work, out)  # a directory replaces an empty one in one rename
    elif _exchange(work, out):
        shutil.rmtree(work)  # now the old model
    else:
        old = _sibling(out, _OLD, os.getpid())
        os.rename(out, old)
        os.rename(work, out)
        shutil.rmtree(old)
    fsync_folder(out.parent)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); ``False``
    where the system or file system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError, TypeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _recover(out: Path) -> None:
    """Undo what killed runs left beside ``out``: a set-aside old model goes back when
    ``out`` is gone, half-written folders go."""
    for path in sorted(out.parent.glob(f".{glob.escape(out.name)}.*-*")):
        what, _, pid = path.name[len(out.name) + 2:].rpartition("-")
        if what not in (_PARTIAL, _OLD) or not pid.isdigit() or _alive(int(pid)):
            continue
        if what == _OLD and not out.exists():
            os.rename(path, out)
        else:
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process writes one folder at a time: anything left is stale
    if os.name == "nt":  # os.kill(pid, 0) would send Ctrl-C there: leave it alone
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _fsync_tree(folder: Path) -> None:
    """Every file under ``folder``, then the folders, on disk before the swap."""
    for root, _, files in os.walk(folder):
        for name in files:
            with open(Path(root) / name, "rb") as f:
                os.fsync(f.fileno())
        fsync_folder(Path(root))
