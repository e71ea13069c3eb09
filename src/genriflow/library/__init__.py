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

from genriflow.library.albums import AlbumReport
from genriflow.library.classify import ClassifyConfig, ClassifyReport
from genriflow.library.db import SCHEMA_VERSION, LibraryError, default_db_path
from genriflow.library.index import Library
from genriflow.library.labels import LabelSet
from genriflow.library.query import Selection
from genriflow.library.scan import ScanReport

__all__ = [
    "SCHEMA_VERSION",
    "AlbumReport",
    "ClassifyConfig",
    "ClassifyReport",
    "LabelSet",
    "Library",
    "LibraryError",
    "ScanReport",
    "Selection",
    "default_db_path",
]
