"""Which files are audio, and which decoder reads each first: names only, no decoder.

Kept apart from :mod:`genriflow.audio.decode` so that scanning a folder, or telling a
model's name from a song's on the command line, imports neither decoder.
"""

from __future__ import annotations

import os
import re

#: File name endings genriflow treats as audio when it scans folders.
AUDIO_EXTENSIONS = frozenset(
    {
        ".wav",
        ".flac",
        ".ogg",
        ".oga",
        ".opus",
        ".mp3",
        ".au",
        ".snd",
        ".aif",
        ".aiff",
        ".m4a",
        ".aac",
        ".mp4",
        ".wma",
        ".webm",
        ".mka",
    }
)

#: Containers decoded by PyAV (FFmpeg) first; soundfile (libsndfile) reads the others
#: (see :mod:`genriflow.audio.decode`).
PYAV_FIRST = frozenset({".mp3", ".m4a", ".aac", ".mp4", ".wma", ".webm", ".mka"})


def is_text_name(path: str) -> bool:
    """Whether a file name is UTF-8 text. A name of other bytes (a Latin-1 name copied
    from an old disc) comes from :func:`os.fsdecode` with lone surrogates: genriflow opens
    such a file and keeps its feature-store entries, but the text of an index, a table or
    a pandas frame cannot hold it.

    >>> import os
    >>> is_text_name("Café.ogg"), is_text_name(os.fsdecode(b"Caf\\xe9.ogg"))
    (True, False)
    """
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown_name(path: str) -> str:
    """A file name as a person can read it, on one line: bytes that are not UTF-8 as
    ``\\xe9``, a tab or line break as ``\\t``, ``\\n``, ``\\r``, any other control
    character as ``\\x1b`` (a message naming a file stays one line, and a name cannot
    forge a line of a log or colour a terminal).

    >>> import os
    >>> shown_name(os.fsdecode(b"Caf\\xe9.ogg")), shown_name("a\\nb.ogg")
    ('Caf\\\\xe9.ogg', 'a\\\\nb.ogg')
    >>> shown_name("\\x1b[31mred.ogg")
    '\\\\x1b[31mred.ogg'
    """
    name = os.fsencode(path).decode("utf-8", "backslashreplace")
    return _CONTROL.sub(lambda c: _ESCAPES.get(c[0], f"\\x{ord(c[0]):02x}"), name)


#: Control characters (C0, DEL, C1), and the usual escapes of some of them.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
