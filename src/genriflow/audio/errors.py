"""Typed audio errors: every failure names the file and a short reason.

One of three ``errors`` modules, each the errors of its own package
(:mod:`genriflow.errors` is the root they all derive from, :mod:`genriflow.service.errors`
the service's HTTP error shape).
"""

from __future__ import annotations

import errno
from enum import StrEnum
from pathlib import Path

from genriflow.audio.formats import shown_name
from genriflow.errors import GenriflowError, GenriflowWarning


class AudioErrorKind(StrEnum):
    """Why a file could not be used."""

    MISSING = "missing"
    EMPTY = "empty"
    UNSUPPORTED = "unsupported"
    CORRUPT = "corrupt"
    TOO_SHORT = "too-short"
    #: The system will not let it be read (permission denied, an I/O error): nothing is
    #: known of its audio, which may well be fine.
    UNREADABLE = "unreadable"


class AudioError(GenriflowError):
    """A file that cannot be decoded into usable audio.

    Parameters
    ----------
    path : str or Path
        The file.
    reason : str
        One human-readable line, without the path.
    kind : AudioErrorKind or str
        The category (or its value), for filtering and for ``errors.csv``.
    """

    def __init__(self, path: str | Path, reason: str, kind: AudioErrorKind | str) -> None:
        self.path = Path(path)
        self.reason = reason
        self.kind = AudioErrorKind(kind)
        super().__init__(f"{shown_name(str(self.path))}: {reason}")

    def __reduce__(self):
        return (AudioError, (str(self.path), self.reason, self.kind.value))


def os_error(path: str | Path, exc: OSError) -> AudioError:
    """The :class:`AudioError` of an ``OSError`` met opening or reading ``path``.

    A file gone since it was listed is ``missing``; one the system will not let this
    user read, or cannot read (a failing disk), is ``unreadable``, never ``corrupt``:
    its audio was never seen. The reason is the system's own words, without its errno
    and the path (the message names the file once).

    >>> error = os_error("song.mp3", PermissionError(13, "Permission denied", "song.mp3"))
    >>> error.kind.value, str(error)
    ('unreadable', 'song.mp3: cannot be read: permission denied')
    >>> os_error("song.mp3", FileNotFoundError(2, "No such file or directory")).kind.value
    'missing'
    """
    if isinstance(exc, FileNotFoundError):
        return AudioError(path, "file not found", AudioErrorKind.MISSING)
    if isinstance(exc, IsADirectoryError):
        return AudioError(path, "is a folder, not an audio file", AudioErrorKind.UNSUPPORTED)
    if exc.errno in (errno.EACCES, errno.EPERM):
        why = "permission denied"
    else:
        why = (exc.strerror or str(exc) or type(exc).__name__)
        why = why[:1].lower() + why[1:]
    return AudioError(path, f"cannot be read: {why}", AudioErrorKind.UNREADABLE)


class AudioWarning(GenriflowWarning):
    """A file that is used, though not all of it can be: a cut or partly downloaded song.

    Issued with :func:`warnings.warn` by :func:`~genriflow.audio.load` when the audio that
    decodes ends well before the length the header declares; the part that decodes is
    analysed.

    Parameters
    ----------
    path : str or Path
    reason : str
        One line, without the path.
    """

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{shown_name(str(self.path))}: {reason}")

    def __reduce__(self):
        return (AudioWarning, (str(self.path), self.reason))
