"""Scanning music folders into the index: incremental, by stat and content hash.

A scan walks the folders (symbolic links to folders followed, loops cut, see
:func:`~genriflow.datasets.discover.iter_audio_files`) and sorts every audio file into one
of the outcomes of :class:`ScanReport`:

- **unchanged**: known, with the same size and modification time: not read at all;
- **new**: not known: hashed, its header and tags read;
- **changed**: known, its stat changed and its content hash too: re-read, and so due for
  analysis again (analyses are of a content hash); a file whose stat changed but whose
  bytes did not (``touch``) is re-hashed and counted as **touched**, its analyses kept;
  one whose bytes changed but not its audio packets (another program edited its tags or
  cover art) is counted as **retagged**: its new tags are read, its analyses kept;
- **moved**: new here, with the content (or, retagged on the way, the audio) of a known
  song that is gone from its path: the song's row takes the new path, its analyses kept;
- **removed**: known under the scanned folders and gone: marked ``removed`` (its row and
  analyses stay, so a song that comes back is recognised);
- **failed**: new or changed and not usable audio: recorded with the reason; a folder
  that cannot be listed is failed too (not recorded), and its known songs are left as
  they were, not removed.

Files are only ever read. Rows are committed every :data:`COMMIT_EVERY` files read, so a
killed scan keeps what it read; removals are written last, once the walk is complete.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from genriflow.audio import AudioError, AudioErrorKind, info
from genriflow.audio.errors import os_error
from genriflow.audio.formats import is_text_name
from genriflow.datasets.discover import find_audio_files
from genriflow.library.db import LibraryError, transaction
from genriflow.library.filetags import read_tags
from genriflow.library.safewrite import WriteRefused, audio_fingerprint
from genriflow.progress import progress_bar
from genriflow.reprs import brief_repr

#: Files read between two commits of a scan.
COMMIT_EVERY = 64

#: The columns a scan writes for each file it reads.
FILE_COLUMNS = ("size", "mtime_ns", "content", "audio", "duration", "declared_duration",
                "container", "sample_rate", "channels", "title", "artist", "album",
                "album_artist", "genre", "mood", "status", "error_kind", "error", "warning",
                "scanned_at")


@dataclass
class ScanReport:
    """What one scan found, by outcome (see the module docstring).

    Attributes
    ----------
    new, changed, retagged, touched, moved, removed, unchanged, failed : int
    moves : list of (str, str)
        Old and new path of every moved song.
    errors : list of AudioError
        The files of ``failed``, with their reasons.
    warnings : list of (str, str)
        Path and warning of the files used in part (cut or partly downloaded).

    Examples
    --------
    >>> print(ScanReport(new=2, unchanged=3))
    new 2, changed 0, moved 0, removed 0, unchanged 3, failed 0
    """

    __repr__ = brief_repr  # short in a notebook, whatever the library's size

    new: int = 0
    changed: int = 0
    retagged: int = 0
    touched: int = 0
    moved: int = 0
    removed: int = 0
    unchanged: int = 0
    failed: int = 0
    moves: list[tuple[str, str]] = field(default_factory=list)
    errors: list[AudioError] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        unchanged = f"unchanged {self.unchanged + self.touched}"
        if self.touched:
            unchanged += f" ({self.touched} re-hashed: same content)"
        changed = f"changed {self.changed + self.retagged}"
        if self.retagged:
            changed += f" ({self.retagged} in their tags only: analyses kept)"
        return (f"new {self.new}, {changed}, moved {self.moved}, removed "
                f"{self.removed}, {unchanged}, failed {self.failed}")


def read_file(path: str | os.PathLike) -> dict:
    """The :data:`FILE_COLUMNS` of one file: stat, content and audio hashes, header, tags,
    status.

    Never raises for a bad file: it comes back with ``status='failed'`` and the reason.
    """
    from genriflow.features.store import content_hash  # the feature store's keys

    path = Path(path)
    row = dict.fromkeys(FILE_COLUMNS)
    row["scanned_at"] = time.time()
    try:
        st = path.stat()
        row.update(size=st.st_size, mtime_ns=st.st_mtime_ns, content=content_hash(path))
    except OSError as exc:  # gone since it was listed, or not ours to read
        error = os_error(path, exc)
        row.update(size=row["size"] or 0, mtime_ns=row["mtime_ns"] or 0, status="failed",
                   error_kind=error.kind.value, error=error.reason)
        return row
    tags = read_tags(path)
    row.update(container=tags.container, title=tags.title, artist=tags.artist,
               album=tags.album, album_artist=tags.album_artist, genre=tags.genre,
               mood=tags.mood)
    try:
        meta = info(path)
    except AudioError as exc:
        row.update(status="failed", error_kind=exc.kind.value, error=exc.reason)
        return row
    if meta.duration <= 0:
        row.update(status="failed", error_kind=AudioErrorKind.EMPTY.value,
                   error="no audio samples (header only)")
        return row
    row.update(status="ok", duration=meta.duration, declared_duration=meta.declared,
               sample_rate=meta.sr, channels=meta.channels, audio=_audio_hash(path))
    if meta.declared is not None:
        row["warning"] = meta.truncation
    return row


def _audio_hash(path: Path) -> str | None:
    """The hash of the file's audio packets (:func:`~genriflow.library.safewrite.
    audio_fingerprint`), or ``None`` where FFmpeg cannot read them (the song is then
    followed by its content hash alone)."""
    try:
        return audio_fingerprint(path)
    except (WriteRefused, OSError, ValueError):  # never a reason to stop a scan
        return None


def _roots(dirs: Sequence[str | os.PathLike], db_path: Path | None) -> list[Path]:
    if not dirs:
        raise LibraryError("name at least one music folder to scan")
    roots = []
    for folder in dirs:
        root = Path(os.path.abspath(folder))
        if root.exists() and not root.is_dir():  # a song given instead of its folder
            raise LibraryError(f"{folder}: not a folder; scan the folder that holds it")
        if not root.is_dir():
            raise LibraryError(f"{folder}: no such folder (nothing was marked removed)")
        if db_path is not None and _under(os.path.realpath(db_path),
                                          [os.path.realpath(root)]):
            raise LibraryError(f"the library index {db_path} lies inside the music folder "
                               f"{root}; keep it outside (`db`)")
        roots.append(root)
    return roots


def _under(path: str, roots: Sequence[str | Path]) -> bool:
    return any(path == str(r) or path.startswith(str(r).rstrip(os.sep) + os.sep)
               for r in roots)


def scan(conn: sqlite3.Connection, dirs: Sequence[str | os.PathLike], *,
         progress: bool = False, db_path: Path | None = None) -> ScanReport:
    """Bring the index in line with the audio files below ``dirs``; see the module docstring.

    Parameters
    ----------
    conn : sqlite3.Connection
        From :func:`~genriflow.library.db.connect`.
    dirs : sequence of path
        Music folders. Songs indexed elsewhere are left as they are (but one of them gone
        from its path can be found again here, as moved).
    progress : bool
        Show a progress bar over the files read.
    db_path : Path or None
        The index file, refused inside a music folder.

    Raises
    ------
    LibraryError
        A folder that does not exist (so a missing drive never marks its songs removed), or
        the index inside a music folder.
    """
    roots = _roots(dirs, db_path)
    found, unlisted = _distinct_files(roots)
    unnamed = [path for path in found if not is_text_name(path)]
    found = [path for path in found if is_text_name(path)]
    known = {r["path"]: r for r in conn.execute(
        "SELECT id, path, size, mtime_ns, content, audio, status FROM songs")}
    report = ScanReport()
    to_read = []
    for path in found:
        row = known.get(path)
        try:
            st = os.stat(path)
        except OSError:
            st = None
        if (row is not None and row["status"] != "removed" and st is not None
                and (row["size"], row["mtime_ns"]) == (st.st_size, st.st_mtime_ns)):
            report.unchanged += 1
        else:
            to_read.append(path)
    here = set(found)
    # Songs in a folder that could not be listed are not known to be gone: left as they are
    blocked = [str(error.path) for error in unlisted]
    gone = {r["id"]: r for r in known.values() if r["path"] not in here and (
        _under(r["path"], roots) or r["status"] == "removed" or not os.path.exists(r["path"]))
        and not _under(r["path"], blocked)}
    by_content: dict[str, list[sqlite3.Row]] = {}
    by_audio: dict[str, list[sqlite3.Row]] = {}
    for r in sorted(gone.values(), key=lambda r: (r["status"] == "removed", r["id"])):
        by_content.setdefault(r["content"], []).append(r)
        if r["audio"]:
            by_audio.setdefault(r["audio"], []).append(r)
    with progress_bar(progress, "files") as bar:
        job = bar.add_task("scan", total=len(to_read))
        for start in range(0, len(to_read), COMMIT_EVERY):
            with transaction(conn):
                for path in to_read[start:start + COMMIT_EVERY]:
                    _record(conn, path, read_file(path), known.get(path),
                            (by_content, by_audio), gone, report)
                    bar.advance(job)
    _mark_removed(conn, [r for r in gone.values() if r["status"] != "removed"
                         and _under(r["path"], roots)], report)
    report.failed += len(unnamed) + len(unlisted)
    report.errors += [AudioError(path, UNNAMED, AudioErrorKind.UNSUPPORTED) for path in unnamed]
    report.errors += unlisted
    return report


#: Why a file whose name is not UTF-8 is left out of the index, whose paths are text.
UNNAMED = ("its name is not UTF-8 text, which the index keeps paths as; rename it "
           "(e.g. `convmv -f latin1 -t utf-8 -r --notest FOLDER`) and scan again")


def _distinct_files(roots: Sequence[Path]) -> tuple[list[str], list[AudioError]]:
    """Absolute paths of the audio files below ``roots``, one per real file (the first name
    found: a song linked into two folders, or two roots sharing folders, counts once), and
    the folders that could not be listed."""
    seen: set[str] = set()
    found = []
    unlisted: list[AudioError] = []
    for root in roots:
        paths, cannot = find_audio_files(root)
        unlisted += cannot
        for path in paths:
            real = os.path.realpath(path)
            if real not in seen:
                seen.add(real)
                found.append(os.path.abspath(path))
    return found, unlisted


def _record(conn: sqlite3.Connection, path: str, row: dict, old: sqlite3.Row | None,
            gone_by: tuple[dict[str, list[sqlite3.Row]], dict[str, list[sqlite3.Row]]],
            gone: dict[int, sqlite3.Row], report: ScanReport) -> None:
    """Write one file's row and count its outcome; ``gone_by``: the songs gone from their
    paths, by content hash and by audio hash."""
    if row["status"] == "failed":
        report.failed += 1
        report.errors.append(AudioError(path, row["error"], row["error_kind"]))
    elif row["warning"]:
        report.warnings.append((path, row["warning"]))
    if old is not None:
        _update(conn, old["id"], row)
        retagged = _keep_analyses(conn, old, row)
        if row["status"] == "ok":
            if old["status"] == "removed":
                report.new += 1
            elif old["content"] == row["content"]:
                report.touched += 1
            elif retagged:
                report.retagged += 1
            else:
                report.changed += 1
        return
    source = _gone_source(path, row, gone_by)
    if source is not None:
        gone.pop(source["id"], None)
        _update(conn, source["id"], row, path=path)
        _keep_analyses(conn, source, row)
        if row["status"] == "ok":
            report.moved += 1
            report.moves.append((source["path"], path))
        return
    names = ("path", *FILE_COLUMNS)
    conn.execute(f"INSERT INTO songs ({', '.join(names)}) VALUES "
                 f"({', '.join('?' * len(names))})", (path, *(row[c] for c in FILE_COLUMNS)))
    if row["status"] == "ok":
        report.new += 1


def _gone_source(path: str, row: dict, gone_by: tuple[dict[str, list[sqlite3.Row]], ...]
                 ) -> sqlite3.Row | None:
    """The gone song a new file is (same content, else same audio; of several copies, the
    one of the same file name, else in the same folder), taken out of ``gone_by``;
    ``None``: a new song."""
    for key, table in zip(("content", "audio"), gone_by, strict=True):
        candidates = table.get(row[key]) if row[key] else None
        if candidates:
            new = Path(path)
            source = max(candidates, key=lambda r: (Path(r["path"]).name == new.name,
                                                    Path(r["path"]).parent == new.parent))
            for other_key, other in zip(("content", "audio"), gone_by, strict=True):
                if source[other_key] in other:
                    other[source[other_key]] = [r for r in other[source[other_key]]
                                                if r["id"] != source["id"]]
            return source
    return None


def _keep_analyses(conn: sqlite3.Connection, old: sqlite3.Row, row: dict) -> bool:
    """Whether the file's bytes changed but not its audio (another program edited its
    tags); if so its analyses, which are of the audio, now name its new content."""
    if not (row["status"] == "ok" and old["audio"] and old["audio"] == row["audio"]
            and old["content"] != row["content"]):
        return False
    for table in ("analyses", "analysis_failures"):
        conn.execute(f"UPDATE {table} SET content = ? WHERE song_id = ? AND content = ?",
                     (row["content"], old["id"], old["content"]))
    return True


def _update(conn: sqlite3.Connection, song_id: int, row: dict, path: str | None = None) -> None:
    names = [*FILE_COLUMNS, *(["path"] if path is not None else [])]
    values = [*(row[c] for c in FILE_COLUMNS), *([path] if path is not None else [])]
    conn.execute(f"UPDATE songs SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?",
                 (*values, song_id))


def _mark_removed(conn: sqlite3.Connection, rows: list[sqlite3.Row],
                  report: ScanReport) -> None:
    with transaction(conn):
        conn.executemany("UPDATE songs SET status = 'removed', scanned_at = ? WHERE id = ?",
                         [(time.time(), r["id"]) for r in rows])
    report.removed += len(rows)
