"""The library index: one SQLite file outside the music folder, with a versioned schema.

The file's ``PRAGMA user_version`` is the number of :data:`MIGRATIONS` applied to it;
opening an index applies the missing ones in order, each in its own transaction, so an
index made by an older genriflow is brought up to date (and one made by a newer genriflow
is refused rather than misread). The journal is in WAL mode: a reader (``library ls``) never
waits for a writer (``library classify``), and a killed writer leaves only whole
transactions.

Tables (schema version 8)::

    songs              one row per audio file ever found, by path
        id, path (absolute, unique), size, mtime_ns, content (BLAKE2b of the bytes),
        audio (BLAKE2b of the audio packets alone: the same after a tag edit),
        duration (seconds that decode), declared_duration (what a cut file's header says),
        container, sample_rate, channels, title, artist, album, album_artist, genre, mood
        (the file's own tags), status ('ok' | 'failed' | 'removed'), error_kind, error,
        warning, scanned_at
    models             every model that classified the library: identity, name, labels (JSON),
                       min_confidence (a learnt model's: songs below it are "unsure")
    analyses           one complete analysis per (song, model), of the content it analysed:
        genre, probability, probabilities (JSON), tags, moods (JSON), voice,
        vocal_probability, embedding (float32 bytes), analysed_at, unknown (1 when the
        model's reject rule calls the song none of its genres; NULL: no rule), unknown_score
    analysis_failures  songs a model could not analyse, with the reason (per content)
    tag_runs           each `library apply` and `library undo`: kind, source (the plan),
                       the run it undoes or that undid it, times and counts
    tag_changes        per run and file: content hash before and after, the exact tag
                       entries before (JSON), the values written, 'pending' until renamed,
                       the audio hash of the file written

>>> conn = connect(":memory:")
>>> conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
True
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from genriflow.errors import GenriflowError

#: The schema, one step per version: step ``i`` takes an index from version ``i`` to ``i+1``.
MIGRATIONS: tuple[str, ...] = (
    # 1: songs with their stat, content hash and tags; models; complete analyses.
    """
    CREATE TABLE songs (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        content TEXT,
        duration REAL,
        container TEXT,
        sample_rate INTEGER,
        channels INTEGER,
        title TEXT, artist TEXT, album TEXT, genre TEXT, mood TEXT,
        status TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'removed')),
        error_kind TEXT,
        error TEXT,
        scanned_at REAL NOT NULL
    );
    CREATE INDEX songs_by_content ON songs (content);
    CREATE TABLE models (
        id INTEGER PRIMARY KEY,
        identity TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        labels TEXT NOT NULL,
        last_run REAL
    );
    CREATE TABLE analyses (
        song_id INTEGER NOT NULL REFERENCES songs (id) ON DELETE CASCADE,
        model_id INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
        content TEXT NOT NULL,
        genre TEXT NOT NULL,
        probability REAL NOT NULL,
        probabilities TEXT NOT NULL,
        tags TEXT NOT NULL,
        moods TEXT NOT NULL,
        voice TEXT NOT NULL,
        vocal_probability REAL NOT NULL,
        embedding BLOB NOT NULL,
        analysed_at REAL NOT NULL,
        PRIMARY KEY (song_id, model_id)
    )
    """,
    # 2: cut files (the length that decodes is `duration`; what the header declared and
    # the warning are kept), and analyses that failed, so they are not retried until the
    # file changes.
    """
    ALTER TABLE songs ADD COLUMN declared_duration REAL;
    ALTER TABLE songs ADD COLUMN warning TEXT;
    CREATE TABLE analysis_failures (
        song_id INTEGER NOT NULL REFERENCES songs (id) ON DELETE CASCADE,
        model_id INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
        content TEXT NOT NULL,
        error_kind TEXT NOT NULL,
        error TEXT NOT NULL,
        failed_at REAL NOT NULL,
        PRIMARY KEY (song_id, model_id)
    )
    """,
    # 3: a learnt model's confidence threshold: its songs below it are "unsure".
    """
    ALTER TABLE models ADD COLUMN min_confidence REAL
    """,
    # 4: the album artist tag, which tells apart albums of one name (`library albums`).
    # Songs scanned before have none until their file changes (albums then fall back to
    # the track artist).
    """
    ALTER TABLE songs ADD COLUMN album_artist TEXT
    """,
    # 5: the journal of tag writes (`library apply`, `library undo`): per run and file the
    # content before and after and the exact tag entries before, so a run can be undone.
    """
    CREATE TABLE tag_runs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('apply', 'undo')),
        source TEXT NOT NULL,
        undoes INTEGER REFERENCES tag_runs (id),
        undone_by INTEGER REFERENCES tag_runs (id),
        started_at REAL NOT NULL,
        finished_at REAL,
        written INTEGER NOT NULL DEFAULT 0,
        failed INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE tag_changes (
        run_id INTEGER NOT NULL REFERENCES tag_runs (id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        old_content TEXT NOT NULL,
        new_content TEXT NOT NULL,
        old_tags TEXT NOT NULL,
        new_values TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
        changed_at REAL NOT NULL,
        PRIMARY KEY (run_id, path)
    );
    CREATE INDEX tag_changes_by_path ON tag_changes (path)
    """,
    # 6: the reject option: whether the model called the song none of its genres (1/0;
    # NULL for a model without a reject rule and for analyses made before), and its score.
    """
    ALTER TABLE analyses ADD COLUMN unknown INTEGER;
    ALTER TABLE analyses ADD COLUMN unknown_score REAL
    """,
    # 7: the sampling a model's analyses were made on (`classify --excerpts N`, `--full`):
    # the fixed count (NULL: the default, adaptive) and whether whole songs (1/0).
    """
    ALTER TABLE models ADD COLUMN excerpts INTEGER;
    ALTER TABLE models ADD COLUMN full INTEGER NOT NULL DEFAULT 0
    """,
    # 8: the hash of a song's audio packets alone, which a tag edit by another program
    # leaves as it is: such a song keeps its analyses, and is found again when moved too.
    # Songs scanned before have none until their file is read again. The journal keeps
    # the audio a write left, so undo finds and restores a file retagged since.
    """
    ALTER TABLE songs ADD COLUMN audio TEXT;
    CREATE INDEX songs_by_audio ON songs (audio);
    ALTER TABLE tag_changes ADD COLUMN audio TEXT
    """,
)

#: The version this genriflow writes.
SCHEMA_VERSION = len(MIGRATIONS)


class LibraryError(GenriflowError):
    """A library index that cannot be used as asked (unreadable, newer, misplaced), or a
    request it cannot answer; the message says what to do."""

    names_fields = True  # ``db``, ``from_tag``: the command line says ``--db``, ``--from-tag``


def index_error(path: str | os.PathLike, exc: sqlite3.Error) -> LibraryError:
    """One line for an SQLite error met while using the index ``path``: a full disk, a busy
    index, or a damaged one (with the command that says how to recover).

    >>> error = sqlite3.OperationalError("database or disk is full")
    >>> print(index_error("lib.db", error))  # doctest: +NORMALIZE_WHITESPACE
    lib.db: the disk is full (database or disk is full); free some space and run this
    again: what was committed is kept
    """
    text = str(exc)
    name = getattr(exc, "sqlite_errorname", "")
    if isinstance(exc, sqlite3.ProgrammingError) and "closed database" in text:
        return LibraryError(f"{path}: this Library was closed; open it again "
                            "(genriflow.Library) to use it")
    if isinstance(exc, sqlite3.ProgrammingError) and "same thread" in text:
        return LibraryError(f"{path}: a Library is used in the thread that opened it; "
                            "open one Library per thread (the index is not damaged)")
    if cannot_write(exc):
        return LibraryError(f"{path}: {NOT_WRITABLE} ({text})")
    if name == "SQLITE_FULL" or "disk is full" in text:
        return LibraryError(f"{path}: the disk is full ({text}); free some space and run "
                            "this again: what was committed is kept")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        return LibraryError(f"{path}: the index is busy ({text}); wait for the other "
                            "program using it, then run this again")
    return LibraryError(f"{path}: the library index is damaged ({text}); `genriflow library "
                        f"check --db {path}` says how to recover")


#: Why an index cannot be used in a place this user may not write (not damage).
NOT_WRITABLE = ("cannot be opened for writing: this user may not write to the index or its "
                "folder, and SQLite must, even to read it; the index is not damaged")


def cannot_write(exc: sqlite3.Error) -> bool:
    """Whether ``exc`` says the index (or its folder, where SQLite keeps its ``-wal`` and
    ``-shm`` files) cannot be opened or written by this user: a read-only place, not a
    damaged index.

    >>> cannot_write(sqlite3.OperationalError("attempt to write a readonly database"))
    True
    """
    name = getattr(exc, "sqlite_errorname", "")
    return (name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM"))
            or "readonly database" in str(exc) or "unable to open database" in str(exc))


def default_db_path() -> Path:
    """``$GENRIFLOW_LIBRARY_DB``, else ``library.db`` in the user's data folder for genriflow
    (``~/.local/share/genriflow`` on Linux): never inside a music folder. A leading ``~``
    in the variable is the home folder, as :func:`~genriflow.locations.default_store_dir`
    reads its own."""
    if os.environ.get("GENRIFLOW_LIBRARY_DB"):
        return Path(os.environ["GENRIFLOW_LIBRARY_DB"]).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("genriflow", appauthor=False)) / "library.db"


def connect(path: str | os.PathLike, *, upto: int | None = None) -> sqlite3.Connection:
    """Open (creating if needed) an index and bring its schema up to date.

    Parameters
    ----------
    path : path or ``":memory:"``
        The SQLite file; its folder is created.
    upto : int or None
        Apply migrations only up to this version (tests of the migrations); ``None``: all.

    Returns
    -------
    sqlite3.Connection
        In autocommit mode (write through :func:`transaction`), rows as
        :class:`sqlite3.Row`, foreign keys on.

    Raises
    ------
    LibraryError
        Not an SQLite file, or made by a newer genriflow.
    """
    if str(path) != ":memory:":
        if Path(path).is_dir():
            raise LibraryError(f"{path}: a folder, not a library index file; give a file "
                               f"(`db`), such as {Path(path) / 'library.db'}")
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            why = ("a file is in its way" if isinstance(exc, FileExistsError | NotADirectoryError)
                   else exc.strerror or exc)
            raise LibraryError(f"{path}: its folder cannot be made ({why})") from None
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=30.0)
    except sqlite3.Error as exc:
        raise index_error(path, exc) from None
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")  # WAL: consistent after any kill
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn, upto=upto)
    except sqlite3.DatabaseError as exc:
        conn.close()
        if cannot_write(exc):
            raise index_error(path, exc) from None
        raise LibraryError(f"{path}: not a genriflow library index, or a damaged one ({exc}); "
                           f"`genriflow library check --db {path}` says how to recover"
                           ) from None
    except LibraryError:
        conn.close()
        raise
    return conn


def schema_version(conn: sqlite3.Connection) -> int:
    """The number of migrations applied to the index."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, *, upto: int | None = None) -> int:
    """Apply the missing :data:`MIGRATIONS` in order, each with its version bump in one
    transaction; returns the version reached."""
    target = SCHEMA_VERSION if upto is None else upto
    version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise LibraryError(f"the library index has schema version {version}, newer than this "
                           f"genriflow's ({SCHEMA_VERSION}); upgrade genriflow to use it")
    for step in range(version, target):
        with transaction(conn):
            if schema_version(conn) > step:  # another process migrated it meanwhile
                continue
            for statement in MIGRATIONS[step].split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {step + 1}")
    return schema_version(conn)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: committed whole at the end of the block, or rolled back.

    SQLite rolls back by itself on some errors (a full disk: ``SQLITE_FULL``); the error
    is then raised as it is, not masked by a second one from ``ROLLBACK``.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
