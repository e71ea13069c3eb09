"""A tag plan: what ``library apply`` would write, one reviewable row per file and field.

A plan is made from the index's analyses and each file's tags as they are now, and saved
as CSV (:data:`PLAN_COLUMNS`): the user reads it, edits it if they like, and ``apply``
writes exactly it. Several values of one field are joined with ``"; "``.

Policies (what happens to a value already in the file):

``keep-existing`` (the default)
    A value the user set is kept; only an empty field, or one holding genriflow's own
    earlier value (its ``GENRIFLOW_*`` fields tell), gets the new value.
``merge``
    The new value is added to the user's values (genriflow's own earlier one replaced).
``overwrite``
    The new value replaces whatever is there.

Below ``min_confidence`` a field keeps its value (the row says so in its ``note``).
"""

from __future__ import annotations

import csv
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from genriflow.errors import a_folder_to_write
from genriflow.library.configs import (  # noqa: F401 (re-exported: their home before)
    FIELDS,
    POLICIES,
    PlanConfig,
)
from genriflow.library.db import LibraryError
from genriflow.library.query import Selection, atomic_output, own_min_confidence, songs
from genriflow.library.tagformats import TagFile, TagFormatError
from genriflow.progress import counted, progress_bar
from genriflow.reprs import brief_repr

PLAN_COLUMNS = ("path", "field", "old", "new", "confidence", "model", "content", "note")
#: How several values of a field are written in a plan.
SEPARATOR = "; "
#: The GTZAN genres as players show them; other labels are written as they are.
GENRE_NAMES = {"blues": "Blues", "classical": "Classical", "country": "Country",
               "disco": "Disco", "hiphop": "Hip-Hop", "jazz": "Jazz", "metal": "Metal",
               "pop": "Pop", "reggae": "Reggae", "rock": "Rock",
               # library-genres' other genres
               "electronic": "Electronic", "ambient": "Ambient", "folk": "Folk",
               "soul-rnb": "Soul & R&B", "punk": "Punk", "funk": "Funk", "world": "World",
               "soundtrack": "Soundtrack", "experimental": "Experimental"}


def split_values(text: str | None) -> list[str]:
    """``"Rock; Jazz"`` -> ``["Rock", "Jazz"]``; empty -> ``[]``.

    >>> split_values("Rock; Jazz"), split_values("")
    (['Rock', 'Jazz'], [])
    """
    return [v.strip() for v in (text or "").split(SEPARATOR.strip()) if v.strip()]


def join_values(values: Sequence[str]) -> str:
    return SEPARATOR.join(values)


@dataclass(frozen=True)
class PlanRow:
    """One file and field: its value now, the value to write, and why."""

    path: str
    field: str
    old: str
    new: str
    confidence: str = ""
    model: str = ""
    content: str = ""
    note: str = ""

    @property
    def changes(self) -> bool:
        return split_values(self.old) != split_values(self.new)


@dataclass
class TagPlan:
    """A plan's rows, and the songs it left out (path, why)."""

    __repr__ = brief_repr  # short in a notebook, whatever the library's size

    rows: list[PlanRow]
    left_out: list[tuple[str, str]] = field(default_factory=list)

    def write(self, path: str | os.PathLike) -> Path:
        """Save as CSV (atomically), over nothing but an earlier plan.

        Raises
        ------
        LibraryError, ConfigError
            As :func:`plan_output`; ``path`` is left as it is.
        """
        out = plan_output(path)
        with atomic_output(out) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(PLAN_COLUMNS)
            for row in self.rows:
                writer.writerow([getattr(row, c) for c in PLAN_COLUMNS])
        return out

    def __str__(self) -> str:
        changing = [r for r in self.rows if r.changes]
        files = len({r.path for r in changing})
        per_field = ", ".join(f"{f} {sum(r.field == f for r in changing)}"
                              for f in dict.fromkeys(r.field for r in self.rows))
        kept = len(self.rows) - len(changing)
        return (f"{counted(len(changing), 'change')} in {counted(files, 'file')} "
                f"({per_field or 'none'}); {counted(kept, 'field')} kept; "
                f"{counted(len(self.left_out), 'song')} left out")


def plan_output(path: str | os.PathLike) -> Path:
    """``path`` as a ``Path``, if a plan may be written there: checked before the plan is
    made (its files' tags read), so that a mistyped ``--out`` costs no reading.

    Raises
    ------
    LibraryError
        ``path`` is a folder, or a file that is not a plan (a song, any other file).
    ConfigError
        Of ``out``: its folder cannot be made or written.
    """
    out = Path(path)
    if out.is_dir():
        raise LibraryError(f"{out}: is a folder; give the plan a file name (plan.csv)")
    if out.exists() and not _is_plan(out):
        raise LibraryError(f"{out}: exists and is not a tag plan; left as it is, "
                           "write the plan to another file")
    a_folder_to_write("out", out.parent)
    return out


def make_plan(conn: sqlite3.Connection, config: PlanConfig, *,
              progress: bool = False) -> TagPlan:
    """The plan for every analysed song of the index (see the module's policies).

    Songs whose file changed since the last scan, or whose tags cannot be read, are left
    out with the reason. ``progress``: a bar over the files whose tags are read. Raises
    :class:`~genriflow.library.db.LibraryError` when no model has classified the library.
    """
    frame = songs(conn, Selection(model=config.model))
    own_floor = own_min_confidence(conn, config.model) is not None
    if frame["model"].isna().all():
        raise LibraryError("no song has been classified yet; run `genriflow library classify`")
    stats = {r["path"]: (r["size"], r["mtime_ns"]) for r in
             conn.execute("SELECT path, size, mtime_ns FROM songs WHERE status = 'ok'")}
    plan = TagPlan([])
    with progress_bar(progress, "files") as bar:
        for song in bar.track(list(frame.itertuples()), description="reading tags"):
            _plan_song(plan, song, stats, config, own_floor=own_floor)
    return plan


def _plan_song(plan: TagPlan, song, stats: dict, config: PlanConfig, *,
               own_floor: bool) -> None:
    """One song's rows into ``plan``, or the song into its ``left_out`` with why."""
    if not isinstance(song.genre, str):
        plan.left_out.append((song.path, "not analysed by this model yet"))
        return
    try:
        st = os.stat(song.path)
    except OSError:
        plan.left_out.append((song.path, "no longer exists; run `library scan`"))
        return
    if (st.st_size, st.st_mtime_ns) != stats.get(song.path):
        plan.left_out.append((song.path, "changed since the last scan; run `library "
                                         "scan` and `library classify`"))
        return
    try:
        tags = TagFile(song.path)
    except TagFormatError as exc:
        plan.left_out.append((song.path, str(exc)))
        return
    for name in config.fields:
        plan.rows.append(_row(song, name, tags, config,
                              unsure=own_floor and song.unsure is True))


def _analysed(song, name: str, *, unsure: bool) -> tuple[str | None, float]:
    if name == "genre":
        return (None if unsure else GENRE_NAMES.get(song.genre, song.genre),
                float(song.probability))
    if name == "mood":
        return song.mood, float(song.mood_score) if song.mood is not None else 0.0
    vocal = float(song.vocal_probability)
    return song.voice, max(vocal, 1.0 - vocal)


def _row(song, name: str, tags: TagFile, config: PlanConfig, *, unsure: bool) -> PlanRow:
    """``unsure``: below a learnt model's own min-confidence, filed under no category."""
    value, confidence = _analysed(song, name, unsure=unsure)
    current = tags.get("genriflow_voice" if name == "voice" else name)
    own = tags.get(f"genriflow_{name}")
    row = dict(path=song.path, field=name, old=join_values(current),
               confidence=f"{confidence:.3f}", model=str(song.model), content=song.content)
    if value is None:
        return PlanRow(**row, new=row["old"], note="unsure: below the model's own threshold")
    if name == "genre" and config.skip_unknown and song.unknown is True:
        return PlanRow(**row, new=row["old"], note="kept: none of the model's genres (its "
                       "reject rule)")
    if confidence < config.min_confidence:
        return PlanRow(**row, new=row["old"],
                       note=f"kept: confidence below {config.min_confidence:g}")
    users = [v for v in current if v not in own]
    if config.policy == "overwrite" or name == "voice":
        new = [value]
    elif config.policy == "merge":
        new = users + ([value] if value not in users else [])
    elif users:
        return PlanRow(**row, new=row["old"], note="kept: your value (policy keep-existing)")
    else:
        new = [value]
    return PlanRow(**row, new=join_values(new))


def _is_plan(path: Path) -> bool:
    """Whether ``path`` holds a plan (its header names a plan's columns), which a new plan
    may replace; a song, or any other file, it must not."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            header = next(csv.reader([f.readline(4096)]), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    return {"path", "field", "new", "content"} <= set(header)


def read_plan(path: str | os.PathLike) -> list[PlanRow]:
    """The rows of a plan file (as :meth:`TagPlan.write` makes it, edited or not).

    Raises
    ------
    LibraryError
        A missing file, missing columns, or a row with an unknown field or no path
        (naming the line).
    """
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            missing = [c for c in ("path", "field", "new", "content")
                       if c not in (reader.fieldnames or [])]
            if missing:
                raise LibraryError(f"{path}: not a tag plan: no column {', '.join(missing)}")
            rows = []
            for line, record in enumerate(reader, start=2):
                if not (record.get("path") or "").strip():
                    raise LibraryError(f"{path}, line {line}: no path")
                if record.get("field") not in FIELDS:
                    raise LibraryError(f"{path}, line {line}: field must be one of "
                                       f"{', '.join(FIELDS)}; got {record.get('field')!r}")
                rows.append(PlanRow(**{c: (record.get(c) or "") for c in PLAN_COLUMNS}))
    except FileNotFoundError:
        raise LibraryError(f"{path}: no such plan; make one with `genriflow library plan`"
                           ) from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise LibraryError(f"{path}: not a CSV tag plan ({exc})") from None
    return rows
