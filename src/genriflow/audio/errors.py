"""Typed audio errors: every failure names the file and a short reason.

One of three ``errors`` modules, each the errors of its own package
(:mod:`genriflow.errors` is the root they all derive from, :mod:`genriflow.service.errors`
the service's HTTP error shape).
"""

from __future__ import annotations

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


class AudioError(GenriflowError):
    """A file that cannot be decoded into usable audio.

    Parameters
    ----------
    path : str or Path
        The file.
    reason : str
        One human-readable line, without the path.
    kind : AudioErrorKind
        The category, for filtering and for ``errors.csv``.
    """

    def __init__(self, path: str | Path, reason: str, kind: AudioErrorKind) -> None:
        self.path = Path(path)
        self.reason = reason
        self.kind = AudioErrorKind(kind)
        super().__init__(f"{shown_name(str(self.path))}: {reason}")

    def __reduce__(self):
        return (AudioError, (str(self.path), self.reason, self.kind.value))


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
