"""Typed audio errors: every failure names the file and a short reason."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from genriflow.errors import GenriflowError


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
        super().__init__(f"{self.path}: {reason}")

    def __reduce__(self):
        return (AudioError, (str(self.path), self.reason, self.kind.value))
