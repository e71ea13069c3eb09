"""The index file: where it lives, its schema versions and their migrations."""

from __future__ import annotations

import sqlite3

import pytest

from genriflow.library import SCHEMA_VERSION, Library, LibraryError, default_db_path
from genriflow.library.db import MIGRATIONS, connect, schema_version


def test_the_index_lives_in_the_user_data_folder_unless_told(tmp_path, monkeypatch):
    monkeypatch.delenv("GENRIFLOW_LIBRARY_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_db_path() == tmp_path / "data" / "genriflow" / "library.db"
    monkeypatch.setenv("GENRIFLOW_LIBRARY_DB", str(tmp_path / "mine.db"))
    assert default_db_path() == tmp_path / "mine.db"
    with Library() as library:
        assert library.path == tmp_path / "mine.db"
    assert (tmp_path / "mine.db").is_file()


def test_a_new_index_has_the_latest_schema_in_wal_mode(tmp_path):
    conn = connect(tmp_path / "library.db")
    assert schema_version(conn) == SCHEMA_VERSION == len(MIGRATIONS) == 8
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"songs", "models", "analyses", "analysis_failures"} <= tables


def test_a_version_1_index_is_migrated_with_its_songs_kept(tmp_path):
    db = tmp_path / "library.db"
    old = connect(db, upto=1)
    assert schema_version(old) == 1
    old.execute("INSERT INTO songs (path, size, mtime_ns, content, duration, status, "
                "scanned_at, title) VALUES ('/music/a.mp3', 10, 1, 'abc', 3.0, 'ok', 0, 'A')")
    old.close()
    with Library(db) as library:
        conn = library.connection
        assert schema_version(conn) == SCHEMA_VERSION
        row = conn.execute("SELECT path, title, declared_duration, warning FROM songs").fetchone()
        assert tuple(row) == ("/music/a.mp3", "A", None, None)
        assert conn.execute("SELECT COUNT(*) FROM analysis_failures").fetchone()[0] == 0


def test_a_version_6_model_keeps_its_analyses_on_the_default_sampling(tmp_path):
    from genriflow.features.sampling import DEFAULT_SAMPLING
    from genriflow.library import query

    db = tmp_path / "library.db"
    old = connect(db, upto=6)
    old.execute("INSERT INTO models (identity, name, labels, last_run) "
                "VALUES ('gtzan@genriflow-0.1.0', 'gtzan', '[]', 1.0)")
    old.commit()
    old.close()
    with Library(db) as library:
        row = library.connection.execute("SELECT excerpts, full FROM models").fetchone()
        assert tuple(row) == (None, 0)
        assert query.sampling(library.connection, "gtzan") == DEFAULT_SAMPLING


def test_an_index_from_a_newer_genriflow_or_not_an_index_is_refused(tmp_path):
    newer = tmp_path / "newer.db"
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(LibraryError, match="newer"):
        Library(newer)
    junk = tmp_path / "junk.db"
    junk.write_text("not a database, just text\n" * 100)
    with pytest.raises(LibraryError, match="not a genriflow library index"):
        Library(junk)


def test_a_version_7_index_gains_audio_hashes_left_empty_until_read(tmp_path):
    db = tmp_path / "library.db"
    old = connect(db, upto=7)
    old.execute("INSERT INTO songs (path, size, mtime_ns, content, status, scanned_at) "
                "VALUES ('/music/a.ogg', 10, 1, 'abc', 'ok', 0)")
    old.execute("INSERT INTO tag_runs (kind, source, started_at) VALUES ('apply', 'p', 0)")
    old.execute("INSERT INTO tag_changes VALUES (1, '/music/a.ogg', 'abc', 'def', '{}', "
                "'{}', 'done', 0)")
    old.close()
    with Library(db) as library:
        conn = library.connection
        assert conn.execute("SELECT audio FROM songs").fetchone()[0] is None
        assert conn.execute("SELECT audio FROM tag_changes").fetchone()[0] is None
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master "
                                              "WHERE type = 'index'")}
        assert "songs_by_audio" in indexes
