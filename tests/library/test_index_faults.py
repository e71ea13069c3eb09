"""Faults around the library index, each with nothing lost and one clear line: two writers
at once, a full disk during `apply`, a damaged index file, a damaged feature-store part, a
scan killed halfway."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from genriflow.features.options import RunOptions
from genriflow.features.store import content_hash
from genriflow.library import Library, LibraryError, safewrite
from genriflow.library.lock import lock_path
from genriflow.library.plan import PlanRow, TagPlan


def _plan(songs: list[Path], out: Path, genre: str = "Jazz") -> Path:
    return TagPlan([PlanRow(str(p), "genre", "", genre, "0.870", "gtzan", content_hash(p))
                    for p in songs]).write(out)


def _integrity(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def _journal(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT path, state FROM tag_changes ORDER BY path").fetchall()


def _one_error_line(result: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# --- two writers at once -------------------------------------------------------------------

def test_a_second_writer_is_refused_at_once_while_the_first_holds_the_index(music, tmp_path):
    db = tmp_path / "library.db"
    with Library(db) as first, Library(db) as second:
        with first.writing("library classify"):
            with pytest.raises(LibraryError, match=rf"^{db} is in use by another genriflow "
                               rf"\(library classify, pid {os.getpid()}, since "):
                second.scan([music])
            assert second.songs().empty  # readers never wait
        assert second.scan([music]).new == 4  # released: the next one goes on
    with Library(db) as again, again.writing("library learn"):  # learn scans: taken once
        assert again.scan([music]).unchanged == 4


def test_two_classify_runs_on_one_index_the_second_refused_nothing_corrupted(
        tmp_path, feature_cache, write_song, cli):
    music, db = tmp_path / "music", tmp_path / "library.db"
    for i in range(6):
        write_song(music / f"song-{i}.flac", seed=90 + i)
    with Library(db) as library:
        assert library.scan([music]).new == 6
    args = ["library", "classify", "--db", db, "--batch-size", "2", "--store", feature_cache,
            "-j", "1", "-q"]
    first = subprocess.Popen([sys.executable, "-m", "genriflow", *map(str, args)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    holder = lock_path(db)
    deadline = time.monotonic() + 300
    while (first.poll() is None and time.monotonic() < deadline and not
           (holder.exists() and f"pid {first.pid}," in holder.read_text())):
        time.sleep(0.01)
    first.send_signal(signal.SIGSTOP)  # frozen while it holds the index
    try:
        assert first.poll() is None, "the first classify ended before the second started"
        second = cli(*args)
    finally:
        first.send_signal(signal.SIGCONT)
    out, err = first.communicate(timeout=600)
    assert second.returncode == 2
    assert _one_error_line(second) == (
        f"error: {db} is in use by another genriflow (library classify, pid {first.pid}, "
        f"since {holder.read_text().rsplit('since ', 1)[1]}); wait for it to finish, then "
        "run this again")
    assert first.returncode == 0, err
    assert "analysed 6 of 6 songs due" in out
    assert _integrity(db) == "ok"
    third = cli(*args)
    assert third.returncode == 0 and "analysed 0 of 0 songs due" in third.stdout
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM analyses").fetchone()[0] == 6


# --- a full disk during apply --------------------------------------------------------------

class _FullIndex:
    """The index's connection, whose disk fills at one statement (SQLite's own error), or,
    once ``full`` is set, at every write."""

    def __init__(self, conn: sqlite3.Connection, statement: str = "never") -> None:
        self._conn, self._statement, self.full = conn, statement, False

    def execute(self, sql: str, *args):
        if sql.startswith(self._statement) or (
                self.full and sql.startswith(("INSERT", "UPDATE", "DELETE"))):
            raise sqlite3.OperationalError("database or disk is full")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str):
        return getattr(self._conn, name)


def test_a_disk_filling_while_copying_leaves_every_song_as_it_was_and_lists_them(
        tmp_path, write_song, checksums, monkeypatch):
    music, db = tmp_path / "music", tmp_path / "library.db"
    songs = [write_song(music / f"{i}.flac", seed=i, genre="Rock") for i in range(3)]
    before = checksums(music)
    plan = _plan(songs, tmp_path / "plan.csv")
    with Library(db) as library:
        real = library._conn
        library._conn = index = _FullIndex(real)  # the index on the same disk

        def half_then_full(src, dst, **_):  # the copy fills the disk halfway
            index.full = True
            data = Path(src).read_bytes()
            Path(dst).write_bytes(data[:len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(safewrite.shutil, "copyfile", half_then_full)
        report = library.apply(plan)
        assert (report.written, report.failed) == (0, 3)
        assert report.errors == [(str(s), "could not be written (No space left on device); "
                                  "left untouched") for s in songs]
        assert str(report).endswith("failed 3; the index could not record the run's end "
                                    "(database or disk is full), its journal of each file "
                                    "is whole")
        assert checksums(music) == before  # the half copies gone too
        assert _journal(db) == [] and _integrity(db) == "ok"
        monkeypatch.undo()  # space freed
        library._conn = real
        assert library.apply(plan).written == 3
        assert library.undo().written == 3  # the unfinished run is not taken for one to undo
    assert checksums(music) == {p: (sha, checksums(music)[p][1])
                                for p, (sha, _) in before.items()}
    assert _journal(db) == sorted(2 * [(str(s), "done") for s in songs])


def test_a_full_index_disk_stops_apply_in_one_line_the_song_untouched(tmp_path, write_song,
                                                                       checksums):
    music, db = tmp_path / "music", tmp_path / "library.db"
    songs = [write_song(music / f"{i}.flac", seed=i, genre="Rock") for i in range(3)]
    before = checksums(music)
    plan = _plan(songs, tmp_path / "plan.csv")
    with Library(db) as library:
        real = library._conn
        library._conn = _FullIndex(real, "INSERT OR REPLACE INTO tag_changes")
        with pytest.raises(LibraryError) as refused:
            library.apply(plan)
        assert str(refused.value) == (
            f"{songs[0]}: left untouched, with the rest of the plan: the library index could "
            "not journal the write (database or disk is full); free some space, then run "
            "the command again")
        assert checksums(music) == before and _journal(db) == []
        assert _integrity(db) == "ok"
        library._conn = real
        assert library.apply(plan).written == 3


def test_a_full_index_disk_after_the_rename_is_settled_by_the_next_run(tmp_path, write_song):
    music, db = tmp_path / "music", tmp_path / "library.db"
    song = write_song(music / "a.flac", genre="Rock")
    plan = _plan([song], tmp_path / "plan.csv")
    with Library(db) as library:
        real = library._conn
        library._conn = _FullIndex(real, "UPDATE tag_changes SET state = 'done'")
        with pytest.raises(LibraryError, match=rf"^{song}: written, but the library index "
                           r"could not record it \(database or disk is full\)"):
            library.apply(plan)
        assert _journal(db) == [(str(song), "pending")]
        library._conn = real
        again = library.apply(plan)
        assert (again.written, again.unchanged, again.failed) == (0, 1, 0)
        assert _journal(db) == [(str(song), "done")]
        assert library.undo().written == 1


def test_the_cli_says_the_disk_is_full_in_one_line(tmp_path, music, cli):
    db = tmp_path / "library.db"
    with Library(db) as library:
        library.scan([music])
    with sqlite3.connect(db) as conn:  # an index that may not grow any more
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    code = ("import sys\nfrom genriflow.library import db, index\nreal = db.connect\n"
            "def full(path, **kw):\n    conn = real(path, **kw)\n"
            f"    conn.execute('PRAGMA max_page_count = {pages}')\n    return conn\n"
            "index.connect = full\nfrom genriflow.cli import app\n"
            "sys.argv[0] = 'genriflow'\napp()\n")
    many = tmp_path / "many"
    many.mkdir()
    for i in range(40):  # rows the full index cannot take
        shutil.copy(music / "rock" / "one.flac", many / f"{'a long name ' * 15}{i}.flac")
    result = subprocess.run([sys.executable, "-c", code, "library", "scan", str(many),
                             "-q", "--db", str(db)], capture_output=True, text=True)
    assert result.returncode == 2
    assert _one_error_line(result) == (
        f"error: {db}: the disk is full (database or disk is full); free some space and run "
        "this again: what was committed is kept")
    assert _integrity(db) == "ok"


# --- a damaged index file ------------------------------------------------------------------

@pytest.mark.parametrize("damage", ["truncated", "overwritten"])
def test_a_damaged_index_is_one_line_and_check_says_how_to_recover(damage, music, tmp_path,
                                                                   cli):
    db = tmp_path / "library.db"
    with Library(db) as library:
        library.scan([music])
    healthy = cli("library", "check", "--db", db)
    assert healthy.returncode == 0, healthy.stderr
    assert healthy.stdout.strip().startswith(f"{db}: ok (schema ")
    assert "4 songs, 0 analyses, 0 tag runs, 0 pending journal entries" in healthy.stdout
    data = db.read_bytes()
    if damage == "truncated":
        db.write_bytes(data[:len(data) // 3])
    else:  # every page but the first overwritten with noise
        db.write_bytes(data[:4096] + np.random.default_rng(0).bytes(len(data) - 4096))
    for command in (["library", "ls"], ["library", "scan", music]):
        result = cli(*command, "--db", db)
        assert result.returncode == 2, (command, result.stdout)
        line = _one_error_line(result)
        assert line.startswith(f"error: {db}: ") and "damaged" in line, line
        assert line.endswith(f"`genriflow library check --db {db}` says how to recover")
    checked = cli("library", "check", "--db", db)
    assert checked.returncode == 1 and "Traceback" not in checked.stderr
    lines = checked.stderr.strip().splitlines()
    assert lines[0].startswith(f"{db}: damaged: ")
    assert lines[1].startswith(f"  to recover: move it aside (mv {db} {db}.damaged) and "
                               "rebuild it: `genriflow library scan`")
    assert "sqlite3 " in lines[2] and ".recover" in lines[2]


def test_an_index_in_a_read_only_folder_is_not_called_damaged(music, tmp_path, cli):
    # it was "damaged", and check said to move it aside and rebuild it, losing the journal
    from permissions import without_dac_override

    db = tmp_path / "index" / "library.db"
    with Library(db) as library:
        library.scan([music])
    db.parent.chmod(0o555)
    try:
        with without_dac_override():
            ls = cli("library", "ls", "--db", db)
            checked = cli("library", "check", "--db", db)
    finally:
        db.parent.chmod(0o755)
    assert ls.returncode == 2
    line = _one_error_line(ls)
    assert line.startswith(f"error: {db}: cannot be opened for writing: this user may not "
                           "write to the index or its folder"), line
    assert "the index is not damaged" in line and "recover" not in line
    assert checked.returncode == 1
    assert checked.stderr.strip().splitlines() == [
        f"{db}: " + line.split(f"{db}: ", 1)[1]]  # the same reason, and no recovery steps
    assert _integrity(db) == "ok"


@pytest.mark.parametrize("given", ["folder", "below a file"])
def test_an_index_path_that_cannot_be_a_file_is_one_line(given, music, tmp_path, cli):
    # a folder given as --db was "internal error: OperationalError: unable to open ..."
    (tmp_path / "notes").write_text("mine")
    db = tmp_path if given == "folder" else tmp_path / "notes" / "library.db"
    result = cli("library", "scan", music, "--db", db)
    assert result.returncode == 2
    says = ("a folder, not a library index file" if given == "folder" else
            "its folder cannot be made (a file is in its way)")
    assert _one_error_line(result).startswith(f"error: {db}: {says}")


# --- a damaged feature-store part ----------------------------------------------------------

@pytest.mark.parametrize("part", ["npy", "parquet"])
def test_a_truncated_feature_store_entry_is_computed_again(part, music, tmp_path):
    store = tmp_path / "store"
    options = RunOptions(store=store, n_jobs=1)
    with Library(tmp_path / "first.db") as library:
        library.scan([music])
        first = library.songs() if library.classify(options=options).analysed == 4 else None
    files = sorted(store.rglob(f"part-*.{part}"))
    assert files and first is not None
    for damaged in files:
        damaged.write_bytes(damaged.read_bytes()[:damaged.stat().st_size // 2])
    with Library(tmp_path / "second.db") as library:  # the same songs, the store damaged
        library.scan([music])
        report = library.classify(options=options)
        assert (report.analysed, report.failed) == (4, 0)
        again = library.songs()
    assert list(again["genre"]) == list(first["genre"])
    assert np.allclose(again["probability"], first["probability"], rtol=1e-5)
    assert not [p for p in files if p.exists()]  # the damaged parts gone, new ones written


# --- a scan killed halfway -----------------------------------------------------------------

def _songs(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
            return conn.execute("SELECT COUNT(*) FROM songs").fetchone()[0]
    except sqlite3.Error:  # not made yet
        return 0


def test_a_scan_killed_halfway_then_run_again_completes_without_duplicates(tmp_path,
                                                                            write_song, cli):
    music, db = tmp_path / "music", tmp_path / "library.db"
    first = write_song(music / "000.flac", seconds=1.0)
    for i in range(1, 300):  # copies: new files, one content (so none is taken as moved)
        shutil.copy(first, music / f"{i:03d}.flac")
        (music / f"{i:03d}.flac").write_bytes(first.read_bytes() + i.to_bytes(4, "big"))
    command = [sys.executable, "-m", "genriflow", "library", "scan", str(music), "-q", "--db",
               str(db)]
    scan = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while scan.poll() is None and _songs(db) < 64 and time.monotonic() < deadline:
        time.sleep(0.005)
    scan.send_signal(signal.SIGKILL)
    scan.wait()
    kept = _songs(db)
    assert 64 <= kept < 300, f"{kept} songs: the scan was not killed halfway"
    assert _integrity(db) == "ok"
    again = cli("library", "scan", music, "-q", "--db", db)
    assert again.returncode == 0, again.stderr
    assert f"new {300 - kept}, changed 0, moved 0, removed 0, unchanged {kept}, failed" in \
        again.stdout
    with sqlite3.connect(db) as conn:
        paths = [p for (p,) in conn.execute("SELECT path FROM songs")]
    assert len(paths) == len(set(paths)) == 300
    assert sorted(paths) == sorted(str(p) for p in music.iterdir())


def test_a_closed_library_or_another_thread_is_not_called_a_damaged_index(tmp_path):
    """Both used to say "the library index is damaged ...; `genriflow library check`",
    sending the user to recover an index that is fine."""
    import threading

    library = Library(tmp_path / "library.db")
    caught: list[Exception] = []

    def use() -> None:
        try:
            library.songs()
        except LibraryError as err:
            caught.append(err)

    worker = threading.Thread(target=use)
    worker.start()
    worker.join()
    assert len(caught) == 1 and "open one Library per thread" in str(caught[0])
    assert "damaged" not in str(caught[0]).replace("not damaged", "")
    library.close()
    with pytest.raises(LibraryError, match="this Library was closed; open it again"):
        library.songs()
    assert _integrity(tmp_path / "library.db") == "ok"
