"""Writing a tag plan into the files, journalled, and undoing a run.

Each file of a plan is written by :func:`~genriflow.library.safewrite.rewrite_tags`
(temporary copy, fsync, checks, rename). Just before the rename the journal
(``tag_changes``) records the file's content hash before and after and the exact tag
entries the write replaces, as ``pending``; after it, ``done``. So whatever stops a run
(an error, Ctrl-C, SIGKILL), the journal tells for each file what it was and what it
became: running the plan again writes only what is left, and :func:`undo` puts back the
old entries exactly (with the same safety, refusing files changed since; a file whose
tags another program edited since, its audio and the fields the run wrote as they were,
gets those fields back, the other program's edits kept).

When the index itself cannot be written (a full disk), the run stops with one line: the
file at hand is left untouched if its journal entry could not be written (the rename
never happens without it), or, written, is settled as ``done`` by the next run.

After a write the index follows the file (its new size, time and content hash; the
analyses of its unchanged audio kept), so ``library scan`` and ``classify`` do not
analyse it again.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from genriflow.errors import ConfigError, a_bool, at_least
from genriflow.features.store import content_hash
from genriflow.library.db import LibraryError, transaction
from genriflow.library.filetags import read_tags
from genriflow.library.plan import PlanRow, join_values, split_values
from genriflow.library.safewrite import (
    WriteRefused,
    audio_fingerprint,
    check_writable,
    remove_stale_copies,
    rewrite_tags,
    unreadable,
)
from genriflow.library.tagformats import TagFile, TagFormatError
from genriflow.progress import progress_bar
from genriflow.reprs import brief_repr


@dataclass(frozen=True)
class WriteOptions:
    """How files are written, checked once.

    Attributes
    ----------
    dry_run : bool
        Only tell what would change.
    keep_mtime : bool
        Keep each file's modification time.
    id3_version : {3, 4} or None
        Save ID3 tags in this version; ``None``: each file's own (2.4 without one).
    """

    dry_run: bool = False
    keep_mtime: bool = False
    id3_version: int | None = None

    def __post_init__(self) -> None:
        a_bool("dry_run", self.dry_run)
        a_bool("keep_mtime", self.keep_mtime)
        if self.id3_version not in (None, 3, 4):
            raise ConfigError("id3_version", f"must be 3 or 4; got {self.id3_version!r}")


@dataclass
class WriteReport:
    """What a run did: files written, already as asked, with nothing to change, failed."""

    __repr__ = brief_repr  # short in a notebook, whatever the library's size

    kind: str
    run: int | None = None
    dry_run: bool = False
    written: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    #: (path, field, old, new) of every change written (or, dry, to be written): ``old``
    #: the field's value before, ``new`` the value it gets (an undo's: the value put
    #: back), several joined with ``"; "``; an empty ``new`` removes the field.
    changes: list[tuple[str, str, str, str]] = field(default_factory=list)
    #: Why the index could not record the run's end (its counts), if it could not.
    unrecorded: str | None = None

    def __str__(self) -> str:
        verb = "would write" if self.dry_run else "written"
        run = f"run {self.run}: " if self.run is not None else ""
        text = (f"{run}{verb} {self.written}, unchanged {self.unchanged}, "
                f"skipped {self.skipped}, failed {self.failed}")
        if self.unrecorded:
            text += (f"; the index could not record the run's end ({self.unrecorded}), "
                     "its journal of each file is whole")
        return text

    def _fail(self, path: str, why: str) -> None:
        self.failed += 1
        self.errors.append((path, why))


def _start(conn: sqlite3.Connection, kind: str, source: str, undoes: int | None) -> int:
    with transaction(conn):
        return conn.execute("INSERT INTO tag_runs (kind, source, undoes, started_at) "
                            "VALUES (?, ?, ?, ?)",
                            (kind, source, undoes, time.time())).lastrowid


def _finish(conn: sqlite3.Connection, report: WriteReport) -> bool:
    """Record the run's end and counts; False (and said in the report) if the index could
    not take it (a full disk): the run then reads as a killed one, its journal whole."""
    try:
        with transaction(conn):
            conn.execute("UPDATE tag_runs SET finished_at = ?, written = ?, failed = ? "
                         "WHERE id = ?", (time.time(), report.written, report.failed,
                                          report.run))
    except sqlite3.Error as exc:
        report.unrecorded = str(exc)
        return False
    return True


def settle(conn: sqlite3.Connection) -> None:
    """Resolve the journal's ``pending`` entries a killed run left: a file that became its
    new version is ``done``; one still old was never replaced (the entry goes)."""
    pending = conn.execute("SELECT run_id, path, old_content, new_content FROM tag_changes "
                           "WHERE state = 'pending'").fetchall()
    for run_id, path, old, new in pending:
        try:
            now = content_hash(path)
        except OSError:
            continue
        with transaction(conn):
            if now == new:
                conn.execute("UPDATE tag_changes SET state = 'done' WHERE run_id = ? AND "
                             "path = ?", (run_id, path))
            elif now == old:
                conn.execute("DELETE FROM tag_changes WHERE run_id = ? AND path = ?",
                             (run_id, path))


def _journal(conn: sqlite3.Connection, run: int, path: str, old_tags: dict,
             values: dict[str, list[str]]):
    def record(old_content: str, new_content: str) -> None:
        try:
            with transaction(conn):
                conn.execute("INSERT OR REPLACE INTO tag_changes (run_id, path, old_content, "
                             "new_content, old_tags, new_values, state, changed_at) "
                             "VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)",
                             (run, path, old_content, new_content, json.dumps(old_tags),
                              json.dumps(values), time.time()))
        except sqlite3.Error as exc:  # the rename must not happen unjournalled
            raise LibraryError(f"{path}: left untouched, with the rest of the plan: the "
                               f"library index could not journal the write ({exc}); "
                               f"{_advice(exc)}") from None

    return record


def _advice(exc: sqlite3.Error) -> str:
    """What to do when the index could not be written."""
    if "full" in str(exc):
        return "free some space, then run the command again"
    return "`genriflow library check` says what is wrong; then run the command again"


def _done(conn: sqlite3.Connection, run: int, path: str, old_content: str,
          new_content: str, audio: str | None = None) -> None:
    """Mark the change done and let the index follow the file (same audio, new bytes)."""
    st = os.stat(path)
    tags = read_tags(path)
    with transaction(conn):
        conn.execute("UPDATE tag_changes SET state = 'done', audio = ? WHERE run_id = ? AND "
                     "path = ?", (audio or None, run, path))
        ids = [r[0] for r in conn.execute(
            "SELECT id FROM songs WHERE content = ? AND (path = ? OR path = ?)",
            (old_content, path, str(Path(path).absolute())))]
        for song in ids:
            # a song scanned before the index kept audio hashes gets its own here
            conn.execute("UPDATE songs SET size = ?, mtime_ns = ?, content = ?, genre = ?, "
                         "mood = ?, audio = COALESCE(audio, ?) WHERE id = ?",
                         (st.st_size, st.st_mtime_ns, new_content, tags.genre, tags.mood,
                          audio or None, song))
            for table in ("analyses", "analysis_failures"):
                conn.execute(f"UPDATE {table} SET content = ? WHERE song_id = ? AND "
                             "content = ?", (new_content, song, old_content))


def _by_file(rows: Sequence[PlanRow]) -> dict[str, list[PlanRow]]:
    files: dict[str, list[PlanRow]] = {}
    for row in rows:
        files.setdefault(row.path, []).append(row)
    return files


def _values(rows: Sequence[PlanRow]) -> dict[str, list[str]]:
    """Every field the rows write, with genriflow's own fields beside the user's."""
    values: dict[str, list[str]] = {}
    for row in rows:
        new = split_values(row.new)
        if row.field == "genre":
            values.update(genre=new, genriflow_genre=new,
                          genriflow_confidence=[row.confidence] if new and row.confidence
                          else [],
                          genriflow_model=[row.model] if new and row.model else [])
        elif row.field == "mood":
            values.update(mood=new, genriflow_mood=new)
        else:
            values["genriflow_voice"] = new
    return values


def apply_plan(conn: sqlite3.Connection, rows: Sequence[PlanRow], *, source: str,
               options: WriteOptions = WriteOptions(), progress: bool = False) -> WriteReport:
    """Write ``rows`` (a plan, see :func:`~genriflow.library.plan.read_plan`) into the files.

    A file is *skipped* when none of its rows changes anything, *unchanged* when it already
    holds the new values (also a file changed since the plan that holds them: one a killed
    run of this plan wrote, or a run journalled in another index), *failed* when it
    is refused (read-only, vanished, changed since the plan was made, not writable as
    asked): such a file is left as it was and listed with the reason.
    """
    report = WriteReport("apply", dry_run=options.dry_run)
    files = _by_file(rows)
    if not options.dry_run:
        settle(conn)
        remove_stale_copies(files)
        report.run = _start(conn, "apply", source, None)
    with progress_bar(progress, "files") as bar:
        doing = "dry run (nothing written)" if options.dry_run else "writing tags"
        for path, file_rows in bar.track(list(files.items()), description=doing):
            _apply_file(conn, path, file_rows, options, report)
    if report.run is not None:
        _finish(conn, report)
    return report


def _apply_file(conn: sqlite3.Connection, path: str, rows: list[PlanRow],
                options: WriteOptions, report: WriteReport) -> None:
    changing = [r for r in rows if r.changes]
    if not changing:
        report.skipped += 1
        return
    planned = rows[0].content
    try:
        now = content_hash(path)
    except OSError as exc:
        report._fail(path, _unread(exc))
        return
    if planned and now != planned:
        earlier = conn.execute("SELECT run_id FROM tag_changes WHERE path = ? AND "
                               "old_content = ? AND new_content = ? AND state = 'done'",
                               (path, planned, now)).fetchone()
        if earlier is not None or _holds(path, _values(changing), options):
            # this plan's own write, by an earlier (killed) run, or one journalled in
            # another index: the file holds what the plan would write
            report.unchanged += 1
        else:
            report._fail(path, "changed since the plan was made; plan again")
        return
    values = _values(changing)
    try:
        current = TagFile(path, id3_version=options.id3_version)
    except TagFormatError as exc:
        report._fail(path, str(exc))
        return
    if all(current.get(f) == v for f, v in values.items()):
        report.unchanged += 1
        return
    if options.dry_run:
        if _refused(path, report):
            return
        report.written += 1
        report.changes += [(path, r.field, r.old, r.new) for r in changing]
        return
    old_tags = current.snapshot(values)

    def change(tags: TagFile) -> dict[str, list[str]]:
        for name, new in values.items():
            tags.set(name, new)
        return values

    _write(conn, report, path, change, planned or now, old_tags, values, options)
    report.changes += [(path, r.field, r.old, r.new) for r in changing]


def _holds(path: str, values: dict[str, list[str]], options: WriteOptions) -> bool:
    """Whether the file's tags already hold every planned value."""
    try:
        current = TagFile(path, id3_version=options.id3_version)
    except (TagFormatError, OSError):
        return False
    return all(current.get(f) == v for f, v in values.items())


def _refused(path: str, report: WriteReport) -> bool:
    """Whether the real run would refuse ``path`` before writing (read-only, in a
    read-only folder, hard-linked): a dry run lists it as failed, as that run will."""
    try:
        check_writable(Path(path))
    except WriteRefused as exc:
        report._fail(path, str(exc))
        return True
    return False


def _write(conn, report: WriteReport, path: str, change, expect: str, old_tags: dict,
           values: dict, options: WriteOptions) -> bool:
    try:
        done = rewrite_tags(path, change, expect_content=expect,
                            keep_mtime=options.keep_mtime, id3_version=options.id3_version,
                            before_replace=_journal(conn, report.run, path, old_tags, values))
    except WriteRefused as exc:
        report._fail(path, str(exc))
        return False
    try:
        _done(conn, report.run, path, done.old_content, done.new_content, done.audio)
    except sqlite3.Error as exc:  # journalled as pending: the next run settles it
        raise LibraryError(f"{path}: written, but the library index could not record it "
                           f"({exc}); {_advice(exc)}") from None
    report.written += 1
    return True


def runs(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """Every apply and undo run, newest first, with its counts."""
    return conn.execute(
        "SELECT r.*, (SELECT COUNT(*) FROM tag_changes c WHERE c.run_id = r.id AND "
        "c.state = 'done') AS files FROM tag_runs r ORDER BY r.id DESC").fetchall()


def undo(conn: sqlite3.Connection, run: int | None = None, *,
         options: WriteOptions = WriteOptions(), progress: bool = False) -> WriteReport:
    """Put back the tag entries an apply run replaced, exactly, in every file it wrote.

    A file changed since the run is refused (listed, left as it is); one already back to
    its old content counts as unchanged. When every file is restored the run is marked
    undone; else ``undo`` may be run again for the rest.

    Raises
    ------
    LibraryError
        No such apply run, one already undone, or no run to undo.
    """
    at_least("run", run, 1, optional=True, whole=True)  # undo("1") said no such run
    settle(conn)
    if run is None:
        found = conn.execute(  # a killed run counts: its journal says what it wrote
            "SELECT id FROM tag_runs r WHERE kind = 'apply' AND undone_by IS NULL AND EXISTS "
            "(SELECT 1 FROM tag_changes c WHERE c.run_id = r.id AND c.state = 'done') "
            "ORDER BY id DESC LIMIT 1").fetchone()
        if found is None:
            raise LibraryError("no apply run to undo (see `genriflow library undo --list`)")
        run = int(found[0])
    target = conn.execute("SELECT * FROM tag_runs WHERE id = ?", (run,)).fetchone()
    if target is None or target["kind"] != "apply":
        raise LibraryError(f"run {run} is not an apply run (see `genriflow library undo "
                           "--list`)")
    if target["undone_by"] is not None:
        raise LibraryError(f"run {run} was undone already, by run {target['undone_by']}")
    changes = conn.execute("SELECT * FROM tag_changes WHERE run_id = ? AND state = 'done' "
                           "ORDER BY path", (run,)).fetchall()
    report = WriteReport("undo", dry_run=options.dry_run)
    if not options.dry_run:
        remove_stale_copies(c["path"] for c in changes)
        report.run = _start(conn, "undo", f"run {run}", run)
    with progress_bar(progress, "files") as bar:
        doing = "dry run (nothing restored)" if options.dry_run else "restoring tags"
        for change in bar.track(changes, description=doing):
            _undo_file(conn, change, run, options, report)
    if report.run is not None and _finish(conn, report) and report.failed == 0:
        with transaction(conn):
            conn.execute("UPDATE tag_runs SET undone_by = ? WHERE id = ?", (report.run, run))
    return report


def _where_now(conn: sqlite3.Connection, change: sqlite3.Row) -> str | None:
    """Where the file a journal entry wrote is now: its path, else the path a scan found
    its written content at since (the library moved, the file renamed), or its audio (also
    retagged since; not a file this run wrote itself), else ``None``."""
    if os.path.lexists(change["path"]):
        return change["path"]
    for (path,) in conn.execute("SELECT path FROM songs WHERE content = ? AND status = 'ok' "
                                "ORDER BY path", (change["new_content"],)):
        if os.path.isfile(path):
            return path
    if not change["audio"]:
        return None
    name = Path(change["path"]).name
    found = [path for (path,) in conn.execute(
        "SELECT path FROM songs WHERE audio = ? AND status = 'ok' AND path NOT IN (SELECT "
        "path FROM tag_changes WHERE run_id = ?) ORDER BY path",
        (change["audio"], change["run_id"])) if os.path.isfile(path)]
    return next((p for p in found if Path(p).name == name), found[0] if found else None)


def _unread(exc: OSError) -> str:
    """:func:`~genriflow.library.safewrite.unreadable`'s reason, said of a song left as it
    is."""
    reason = unreadable(exc)
    return reason if isinstance(exc, FileNotFoundError) else f"{reason}; left untouched"


def _undo_file(conn, change: sqlite3.Row, run: int, options: WriteOptions,
               report: WriteReport) -> None:
    path = _where_now(conn, change)
    if path is None:
        report._fail(change["path"], "no longer exists, nor does the index know it under "
                     "another name (if you moved it, `genriflow library scan` its new "
                     "folder, then undo again)")
        return
    try:
        now = content_hash(path)
    except OSError as exc:
        report._fail(path, _unread(exc))
        return
    if now == change["old_content"]:
        report.unchanged += 1
        return
    old = json.loads(change["old_tags"])
    fields = list(json.loads(change["new_values"]))
    try:
        current = TagFile(path, id3_version=options.id3_version)
    except TagFormatError as exc:
        report._fail(path, str(exc))
        return
    if now != change["new_content"]:
        why = _changed_since(path, change, current, run)
        if why is not None:
            report._fail(path, why)
            return
        # the other program's edits stay, and its choices: the padding, Ogg page layout
        # and ID3 version of then no longer apply (not byte for byte, then)
        old = {k: v for k, v in old.items()
               if k not in ("padding", "ogg_pages", "id3_version", "encodings")}
    if options.dry_run:  # refused as the real run refuses: after the tags are opened
        if not _refused(path, report):
            _foresee_undo(current, old, fields, report)
        return

    def restore(tags: TagFile) -> dict[str, list[str]]:
        tags.restore(old)
        return {f: tags.get(f) for f in fields}

    _write(conn, report, path, restore, now, current.snapshot(fields), {}, options)


def _changed_since(path: str, change: sqlite3.Row, current: TagFile, run: int) -> str | None:
    """Why a file changed since the run cannot be undone, or ``None`` when only tags the run
    did not write changed (another program's edit): its audio is the one the run left, and
    every field the run wrote still reads as written."""
    try:
        same_audio = bool(change["audio"]) and audio_fingerprint(path) == change["audio"]
    except WriteRefused:
        same_audio = False
    if not same_audio:
        return f"changed since run {run}; left as it is"
    for name, values in json.loads(change["new_values"]).items():
        if current.get(name) != [v for v in values if v]:
            now = join_values(current.get(name)) or "none"
            return (f"its {name} was changed since run {run} (now {now!r}), by another "
                    "program or by hand; left as it is")
    return None


def _foresee_undo(current: TagFile, old: dict, fields: list[str], report: WriteReport) -> None:
    """What undoing one file would change, for a dry run: per field its value now and the
    value put back (``""``: the field removed), from the journal's entries restored in
    memory only (nothing is saved)."""
    now = {f: join_values(current.get(f)) for f in fields}
    try:
        current.restore(old)
    except TagFormatError as exc:
        report._fail(current.path, str(exc))
        return
    report.written += 1
    report.changes += [(current.path, f, now[f], back) for f in fields
                       if (back := join_values(current.get(f))) != now[f]]
