"""One writing command at a time per library index.

SQLite keeps every transaction whole, but two commands writing one index at once would
still step on each other: two ``library classify`` runs analyse the same songs twice, an
``apply`` during a ``scan`` changes songs under it. So the commands that write the index
(``scan``, ``classify``, ``learn``, ``apply``, ``undo``) take an advisory lock on a file
beside it, ``<index>.lock``, and a second one is refused at once, with one line naming
the command that holds it. Readers (``ls``, ``export``, ``albums``, ``plan``) never wait.

The lock is the operating system's (``flock``; ``msvcrt.locking`` on Windows), held by
the open file: a killed command (even by SIGKILL) releases it, so there is never a stale
lock to remove by hand. The file itself stays (removing it would race with the next
command); it holds the last holder's command and process id, for the message.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from genriflow.library.db import LibraryError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None
    import msvcrt


def lock_path(db: str | os.PathLike) -> Path:
    """The lock file of the index ``db``: ``<db>.lock`` beside it."""
    return Path(f"{db}.lock")


def _try_lock(fd: int) -> bool:
    """Take the lock: False when another process holds it. A file system without locks
    (some network shares) is not a reason to refuse: SQLite still keeps every
    transaction whole, so the command goes on unlocked."""
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:  # pragma: no cover - Windows
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except BlockingIOError:
        return False
    except OSError as exc:
        if fcntl is None or exc.errno in (errno.EACCES, errno.EAGAIN):
            return False
    return True


def _unlock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
    else:  # pragma: no cover - Windows
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


@contextmanager
def writer_lock(db: str | os.PathLike, command: str) -> Iterator[None]:
    """Hold the index's writer lock for the block, or refuse at once.

    Parameters
    ----------
    db : path
        The index file (``":memory:"``: nothing to lock).
    command : str
        What holds it, for another command's message (``"library classify"``).

    Raises
    ------
    LibraryError
        Another command holds the lock: ``"<db> is in use by another genriflow (library
        classify, pid 123); wait for it to finish, then run this again"``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "library.db"
    >>> with writer_lock(db, "library scan"):
    ...     with writer_lock(db, "library classify"):
    ...         pass
    Traceback (most recent call last):
    ...
    genriflow.library.db.LibraryError: ... is in use by another genriflow (library scan, pid ...
    """
    if str(db) == ":memory:":
        yield
        return
    path = lock_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _try_lock(fd):
            raise LibraryError(f"{db} is in use by another genriflow ({_holder(path)}); "
                               "wait for it to finish, then run this again")
        try:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, f"{command}, pid {os.getpid()}, since {time.strftime('%H:%M:%S')}"
                     .encode())
            yield
        finally:
            with contextlib.suppress(OSError):
                _unlock(fd)
    finally:
        os.close(fd)


def _holder(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip() or "starting"
    except OSError:
        return "unknown"
