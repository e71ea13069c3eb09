"""Checking a library index: readable, whole, of a known schema; and how to recover if not.

:func:`check_index` opens the file without changing it (no migration, no journal mode
set) and runs SQLite's full ``integrity_check``, so a damaged index (a truncated copy, a
disk error, bytes overwritten) is found before a command trips over it halfway. A
damaged index cannot be repaired in place; :data:`RECOVERY` says what to do.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from genriflow.library.db import NOT_WRITABLE, SCHEMA_VERSION, cannot_write
from genriflow.progress import counted

#: What to do with a damaged index, given its path (``{db}``).
RECOVERY = (
    "move it aside (mv {db} {db}.damaged) and rebuild it: `genriflow library scan` your "
    "music folders, then `genriflow library classify` (features come back from the feature "
    "store; the journal of tag writes is lost, so earlier `library apply` runs can no "
    "longer be undone)",
    "or first salvage what is readable with SQLite's shell: sqlite3 {db}.damaged .recover "
    "| sqlite3 {db}, then `genriflow library check --db {db}`",
)

_SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass
class IndexCheck:
    """What :func:`check_index` found.

    Attributes
    ----------
    path : str
    problems : list of str
        One line each; empty: the index is whole.
    schema : int or None
        The schema version (``PRAGMA user_version``), when readable.
    counts : dict
        Songs present, analyses, tag runs, and journal entries left ``pending`` by a
        killed ``apply`` (settled by the next ``apply`` or ``undo``).
    recovery : list of str
        What to do, when damaged.
    """

    path: str
    problems: list[str] = field(default_factory=list)
    schema: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    recovery: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        if self.ok:
            counts = ", ".join(counted(n, _SINGULAR.get(what, what), what)
                               for what, n in self.counts.items())
            return f"{self.path}: ok (schema {self.schema}; {counts})"
        lines = [f"{self.path}: {problem}" for problem in self.problems]
        lines += [f"  to recover: {step}" for step in self.recovery]
        return "\n".join(lines)


def check_index(path: str | os.PathLike) -> IndexCheck:
    """Check the index file ``path`` without changing it; see the module docstring.

    >>> import tempfile, pathlib
    >>> from genriflow.library.db import connect
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "library.db"
    >>> connect(db).close()
    >>> print(check_index(db))  # doctest: +ELLIPSIS
    /...library.db: ok (schema ...; 0 songs, 0 analyses, 0 tag runs, 0 pending journal entries)
    >>> _ = db.write_bytes(db.read_bytes()[:100])
    >>> check_index(db).problems  # doctest: +ELLIPSIS
    ['damaged: the file is cut short (100 bytes of the ... its header declares)']
    >>> _ = db.write_bytes(db.read_bytes()[:40])
    >>> check_index(db).problems
    ['damaged: the file is cut short (40 bytes, not even its header)']
    """
    report = IndexCheck(str(path))
    db = Path(path)
    if not db.is_file():
        report.problems.append("no library index here (see --db, $GENRIFLOW_LIBRARY_DB)")
        return report
    problem = _header_problem(db)
    if problem is None:
        problem = _sqlite_problem(db, report)
    if problem is not None:
        report.problems.append(problem)
        if not problem.startswith((NOT_WRITABLE, "made by a newer")):  # nothing to rebuild
            report.recovery = [step.format(db=db) for step in RECOVERY]
    return report


def _header_problem(db: Path) -> str | None:
    with open(db, "rb") as f:
        header = f.read(100)
    if len(header) == 0:
        return "damaged: the file is empty"
    if not header.startswith(_SQLITE_MAGIC):
        return "damaged: not an SQLite file (its first bytes are not SQLite's)"
    if len(header) == 100:
        page_size = int.from_bytes(header[16:18], "big")
        page_size = 65536 if page_size == 1 else page_size
        pages = int.from_bytes(header[28:32], "big")
        size = db.stat().st_size
        wal = Path(f"{db}-wal")
        if size < page_size * max(pages, 1) and not (wal.exists() and wal.stat().st_size):
            return (f"damaged: the file is cut short ({size} bytes of the "
                    f"{page_size * max(pages, 1)} its header declares)")
        return None
    return f"damaged: the file is cut short ({len(header)} bytes, not even its header)"


def _sqlite_problem(db: Path, report: IndexCheck) -> str | None:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=rw", uri=True, timeout=30.0)
    except sqlite3.Error as exc:
        return f"{NOT_WRITABLE} ({exc})" if cannot_write(exc) else f"cannot be opened ({exc})"
    try:
        found = [row[0] for row in conn.execute("PRAGMA integrity_check(20)")]
        if found != ["ok"]:
            return f"damaged: {'; '.join(found[:3])}" + (" ..." if len(found) > 3 else "")
        report.schema = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if report.schema > SCHEMA_VERSION:
            return (f"made by a newer genriflow (schema {report.schema}, this one knows "
                    f"{SCHEMA_VERSION}); upgrade genriflow")
        if report.schema < 1:
            return "not a genriflow library index (an SQLite file without its tables)"
        report.counts = _counts(conn, report.schema)
    except sqlite3.DatabaseError as exc:
        return f"{NOT_WRITABLE} ({exc})" if cannot_write(exc) else f"damaged: {exc}"
    finally:
        conn.close()
    return None


#: The singular of each of :func:`_counts`' names, for a count of one.
_SINGULAR = {"songs": "song", "analyses": "analysis", "tag runs": "tag run",
             "pending journal entries": "pending journal entry"}


def _counts(conn: sqlite3.Connection, schema: int) -> dict[str, int]:
    def count(sql: str) -> int:
        return int(conn.execute(sql).fetchone()[0])

    counts = {"songs": count("SELECT COUNT(*) FROM songs WHERE status = 'ok'"),
              "analyses": count("SELECT COUNT(*) FROM analyses")}
    if schema >= 5:
        counts["tag runs"] = count("SELECT COUNT(*) FROM tag_runs")
        counts["pending journal entries"] = count(
            "SELECT COUNT(*) FROM tag_changes WHERE state = 'pending'")
    return counts

