"""The :class:`Library`: a music collection's index, scanned, classified, listed, exported."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from genriflow.errors import one_of
from genriflow.features.options import RunOptions
from genriflow.library import classify as classify_step
from genriflow.library import query, scan
from genriflow.library.classify import DEFAULT_MODEL, ClassifyConfig, ClassifyReport
from genriflow.library.db import LibraryError, connect, default_db_path
from genriflow.library.query import Selection
from genriflow.library.scan import ScanReport


def _default_options() -> RunOptions:
    from genriflow.locations import default_store_dir

    return RunOptions(store=default_store_dir())


class Library:
    """A music collection's index: one SQLite file, never inside the music folders.

    Parameters
    ----------
    db : path or None
        The index file; ``None``: :func:`~genriflow.library.db.default_db_path`
        (``$GENRIFLOW_LIBRARY_DB``, else the user's data folder).

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np, soundfile as sf
    >>> home = pathlib.Path(tempfile.mkdtemp())
    >>> music = home / "music"; music.mkdir()
    >>> t = np.arange(3 * 22050) / 22050
    >>> sf.write(music / "a.flac", 0.3 * np.sin(2 * np.pi * 440 * t), 22050)
    >>> (music / "notes.mp3").write_text("not a song") and None
    >>> library = Library(home / "library.db")
    >>> print(library.scan([music]))
    new 1, changed 0, moved 0, removed 0, unchanged 0, failed 1
    >>> print(library.scan([music]))          # nothing is read again
    new 0, changed 0, moved 0, removed 0, unchanged 2, failed 0
    >>> list(library.songs(failed=True)["error_kind"])
    ['unsupported']
    >>> report = library.classify(options=RunOptions(store=home / "store"))
    >>> report.analysed, bool(library.songs()["genre"].notna().all())
    (1, True)
    >>> library.classify(options=RunOptions(store=home / "store")).analysed
    0
    >>> library.close()
    """

    def __init__(self, db: str | os.PathLike | None = None) -> None:
        self.path = Path(db) if db is not None else default_db_path()
        self._conn = connect(self.path)

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the index file."""
        self._conn.close()

    @property
    def connection(self):
        """The open :class:`sqlite3.Connection` (autocommit; rows as :class:`sqlite3.Row`)."""
        return self._conn

    def scan(self, dirs: Sequence[str | os.PathLike] | str | os.PathLike, *,
             progress: bool = False) -> ScanReport:
        """Record every audio file below ``dirs``: new, changed, moved and removed ones.

        Unchanged files (same size and modification time) are not read. See
        :mod:`genriflow.library.scan`. Raises
        :class:`~genriflow.library.db.LibraryError` for a folder that does not exist.
        """
        folders = [dirs] if isinstance(dirs, str | os.PathLike) else list(dirs)
        return scan.scan(self._conn, folders, progress=progress, db_path=self.path)

    def classify(self, *, model: str | os.PathLike = DEFAULT_MODEL, batch_size: int = 16,
                 retry_failed: bool = False, device: str = "auto",
                 options: RunOptions | None = None) -> ClassifyReport:
        """Analyse the songs that are new or changed since ``model`` last ran.

        Genre probabilities, tags, moods, voice and the similarity embedding of each song
        are stored with the model's identity, ``batch_size`` songs per transaction, so a
        killed run resumes. See :mod:`genriflow.library.classify`.

        Parameters
        ----------
        model : str or path
            A built-in model name or a model folder.
        batch_size : int
        retry_failed : bool
            Analyse again the songs that failed before.
        device : str
        options : RunOptions or None
            Feature store, workers and progress bar; ``None``: the command line's store
            (``$GENRIFLOW_STORE`` or ``~/.cache/genriflow``), every core, no bar.
        """
        config = ClassifyConfig(model=model, batch_size=batch_size,
                                retry_failed=retry_failed, device=device)
        return classify_step.classify(self._conn, config,
                                      options if options is not None else _default_options())

    def songs(self, *, genre: str | None = None, mood: str | None = None,
              unsure: bool = False, threshold: float = 0.5, failed: bool = False,
              model: str | None = None) -> pd.DataFrame:
        """The present songs with their current analyses, filtered; see
        :class:`~genriflow.library.query.Selection` and :func:`~genriflow.library.query.songs`.
        """
        return query.songs(self._conn, Selection(genre=genre, mood=mood, unsure=unsure,
                                                 threshold=threshold, failed=failed,
                                                 model=model))

    def export(self, path: str | os.PathLike | None, *, format: str | None = None,
               embeddings: bool = False, genre: str | None = None, mood: str | None = None,
               unsure: bool = False, threshold: float = 0.5,
               model: str | None = None) -> Path | None:
        """Write :meth:`songs` (filtered alike) as csv, parquet or json.

        Parameters
        ----------
        path : path or None
            The file (written atomically; never one of the library's songs); ``None``
            writes csv or json to standard output.
        format : {'csv', 'parquet', 'json'} or None
            ``None``: from ``path``'s ending, else csv.
        embeddings : bool
            Add each song's embedding (a list of floats) as a column ``embedding``.
        """
        if format is None:
            suffix = Path(path).suffix.lower().lstrip(".") if path is not None else ""
            format = suffix if suffix in query.EXPORT_FORMATS else "csv"
        one_of("format", format, query.EXPORT_FORMATS)
        frame = self.songs(genre=genre, mood=mood, unsure=unsure, threshold=threshold,
                           model=model)
        if embeddings:
            frame["embedding"] = query.embeddings(self._conn, list(frame["path"]), model)
        if path is not None and self._is_song(Path(path)):
            raise LibraryError(f"{path} is one of the library's songs; export elsewhere")
        return query.write_table(frame, path, format)

    def _is_song(self, path: Path) -> bool:
        real = os.path.realpath(path)
        return any(os.path.realpath(p) == real for (p,) in
                   self._conn.execute("SELECT path FROM songs WHERE path = ? OR path = ?",
                                      (str(path.absolute()), real)))
