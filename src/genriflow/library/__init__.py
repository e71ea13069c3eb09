"""The library workflow: a music collection's index, an application over inference.

One SQLite file outside the music folders (:mod:`~genriflow.library.db`) records every
audio file with its stat, content hash, length and own tags (:mod:`~genriflow.library.scan`,
incremental), and each song's analysis by each model: genre probabilities, tags, moods,
voice and the similarity embedding (:mod:`~genriflow.library.classify`, in batches that a
killed run resumes). :mod:`~genriflow.library.query` reads it back. The user's own
categories, from the folders, tags or playlists they already sorted songs into
(:mod:`~genriflow.library.labels`), are learnt into a model folder beside the index
(:mod:`~genriflow.library.learn`). Albums get the genre of their tracks' combined
probabilities (:mod:`~genriflow.library.albums`). Music files are only ever read.

>>> from genriflow.library import Library
>>> Library.scan.__doc__.split(".")[0]
'Record every audio file below ``dirs``: new, changed, moved and removed ones'
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

#: Public name -> the module that defines it, imported on first use: the light ones
#: (:mod:`~genriflow.library.selection`, :mod:`~genriflow.library.configs`,
#: :mod:`~genriflow.library.db`) check a command's options without NumPy or pandas.
_EXPORTS = {
    "SCHEMA_VERSION": "genriflow.library.db",
    "AlbumReport": "genriflow.library.albums",
    "ClassifyConfig": "genriflow.library.configs",
    "ClassifyReport": "genriflow.library.classify",
    "LabelSet": "genriflow.library.labels",
    "LearnConfig": "genriflow.library.configs",
    "Library": "genriflow.library.index",
    "LibraryError": "genriflow.library.db",
    "PLAYLIST_SUFFIXES": "genriflow.library.labels",
    "PlanConfig": "genriflow.library.configs",
    "ScanReport": "genriflow.library.scan",
    "Selection": "genriflow.library.selection",
    "check_name": "genriflow.library.configs",
    "default_db_path": "genriflow.library.db",
    "read_playlist": "genriflow.library.labels",
}

__all__ = [
    "SCHEMA_VERSION",
    "AlbumReport",
    "ClassifyConfig",
    "ClassifyReport",
    "LabelSet",
    "LearnConfig",
    "Library",
    "LibraryError",
    "PLAYLIST_SUFFIXES",
    "PlanConfig",
    "ScanReport",
    "Selection",
    "check_name",
    "default_db_path",
    "read_playlist",
]

if TYPE_CHECKING:
    from genriflow.library.albums import AlbumReport
    from genriflow.library.classify import ClassifyReport
    from genriflow.library.configs import ClassifyConfig, LearnConfig, PlanConfig, check_name
    from genriflow.library.db import SCHEMA_VERSION, LibraryError, default_db_path
    from genriflow.library.index import Library
    from genriflow.library.labels import PLAYLIST_SUFFIXES, LabelSet, read_playlist
    from genriflow.library.scan import ScanReport
    from genriflow.library.selection import Selection


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'genriflow.library' has no attribute {name!r}")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
