"""Reading the index: the songs with their analyses, filtered, and exported as a table."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from genriflow.errors import a_file_to_write, one_of
from genriflow.features.sampling import DEFAULT_SAMPLING, Sampling
from genriflow.inference.neighbours import Embeddings, stack_rows
from genriflow.inference.output import json_text
from genriflow.library.db import LibraryError
from genriflow.library.labels import UNSURE
from genriflow.library.selection import (  # noqa: F401 (re-exported: their home before)
    DEFAULT_THRESHOLD,
    EXPORT_FORMATS,
    MOODS,
    VOICES,
    Selection,
    export_format,
)
from genriflow.models.answers import ModelError, is_unsure, min_confidence_of
from genriflow.progress import shown

if TYPE_CHECKING:
    from genriflow.models.base import GenreClassifier

#: The columns of :func:`songs`, before one ``p_<genre>`` column per genre of the model.
SONG_COLUMNS = ("path", "genre", "probability", "mood", "mood_score", "voice",
                "vocal_probability", "tags", "title", "artist", "album", "album_artist",
                "file_genre", "file_mood", "container", "duration", "declared_duration",
                "warning", "size", "content", "model", "unknown", "unknown_score", "unsure",
                "min_confidence")
FAILED_COLUMNS = ("path", "stage", "error_kind", "error", "container", "size", "content")


def _model(conn: sqlite3.Connection, name: str | None) -> sqlite3.Row | dict | None:
    if name is None:
        return conn.execute("SELECT * FROM models WHERE last_run IS NOT NULL "
                            "ORDER BY last_run DESC LIMIT 1").fetchone()
    folder = _folder_model(conn, name)
    if folder is not None:
        return folder
    row = conn.execute("SELECT * FROM models WHERE name = ? ORDER BY last_run DESC "
                       "LIMIT 1", (name,)).fetchone()
    if row is None:
        raise LibraryError(f"model {name} has not classified this library; run "
                           f"`genriflow library classify --model {name}`")
    return row


def _folder_model(conn: sqlite3.Connection, name: str) -> dict | None:
    """The latest run of the model folder ``name`` as its files are now (its identity is
    a digest of them), named by the folder; ``None`` when ``name`` is no model folder.

    Found wherever the folder was when it ran (the index moved with its ``models``
    folder); a folder that ran only as other files (``library learn`` made it again
    since) is refused rather than its former self's analyses shown under its name.
    """
    from genriflow.models.ref import model_ref

    if not Path(name).is_dir():
        return None
    try:
        ref = model_ref(name)
    except ModelError:
        return None
    row = conn.execute("SELECT * FROM models WHERE identity = ? OR substr(identity, 1, ?) = ? "
                       "ORDER BY last_run DESC LIMIT 1",
                       (ref.identity, len(ref.identity) + 2, f"{ref.identity} (")).fetchone()
    if row is not None:
        return {**dict(row), "name": ref.name}
    if conn.execute("SELECT 1 FROM models WHERE name IN (?, ?)", (name, ref.name)).fetchone():
        raise LibraryError(f"model {name} has changed since it classified this library "
                           "(learnt again); run `genriflow library classify --model "
                           f"{name}` to analyse the songs with it as it is now")
    raise LibraryError(f"model {name} has not classified this library; run "
                       f"`genriflow library classify --model {name}`")


def own_min_confidence(conn: sqlite3.Connection, model: str | None) -> float | None:
    """``model``'s own min-confidence (a learnt model's; ``None``: the latest run's model):
    its songs below it are filed under none of its categories (tag plans, playlists,
    ``library ls``); ``None`` for a model without one (the built-ins)."""
    row = _model(conn, model)
    return None if row is None else row["min_confidence"]


def sampling(conn: sqlite3.Connection, model: str | None) -> Sampling:
    """The sampling of ``model``'s latest run (``None``: the latest run's model); the
    default, adaptive, before any run."""
    row = _model(conn, model)
    if row is None:
        return DEFAULT_SAMPLING
    return Sampling.of(row["excerpts"], full=bool(row["full"]))


def run_model(conn: sqlite3.Connection, model: str | None) -> GenreClassifier | None:
    """The model of ``model``'s latest run (``None``: the latest run's model), whose genres
    chose its adaptive excerpts; ``None`` before any run or when it cannot be loaded now
    (a learnt model's folder removed): the default model's genres then decide."""
    from genriflow.models.folder import load_model

    row = _model(conn, model)
    if row is None:
        return None
    try:
        return load_model(row["name"])
    except ModelError:
        return None


def songs(conn: sqlite3.Connection, selection: Selection | None = None) -> pd.DataFrame:
    """The present songs and their current analyses, as one table.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SONG_COLUMNS` and one ``p_<genre>`` per genre of the model, one row
        per song, sorted by path; ``genre`` and the analysis columns are missing for a song
        not analysed yet. ``genre`` is always the most probable genre (as in ``predict``'s
        records and the service's), ``unsure`` and ``unknown`` say how far to trust it:
        ``unsure`` is ``True`` for a song not unknown whose top genre is below
        ``min_confidence``, the threshold in force (``selection.threshold``, else the
        model's own, else 0.5: :func:`~genriflow.models.answers.min_confidence_of`);
        ``unknown`` is ``True`` for a song the model's reject rule calls none of its
        genres, ``False`` for one it accepts and missing for a model without a rule, with
        the rule's ``unknown_score``. With ``selection.failed``: :data:`FAILED_COLUMNS`.

    Raises
    ------
    LibraryError
        A filter on analyses when no model has classified the library, or an unknown model.
    ConfigError
        A genre the model does not know.
    """
    selection = selection or Selection()
    model = _model(conn, selection.model)
    if selection.failed:
        return _failed(conn, model)
    if model is None and (selection.genre or selection.mood or selection.voice
                          or selection.unsure or selection.unknown):
        raise LibraryError("no model has classified this library yet; run "
                           "`genriflow library classify`")
    labels = json.loads(model["labels"]) if model is not None else []
    floor = model["min_confidence"] if model is not None else None  # a learnt model's
    threshold = min_confidence_of({"min_confidence": floor}, selection.threshold)
    genre = None
    if selection.genre is not None:
        genre = one_of("genre", selection.genre.lower(),
                       [g.lower() for g in [*labels, *([UNSURE] if floor is not None else [])]])
    rows = conn.execute(
        "SELECT s.*, a.genre AS predicted, a.probability, a.probabilities, a.tags AS top_tags, "
        "a.moods, a.voice, a.vocal_probability, a.unknown AS rejected, a.unknown_score "
        "FROM songs s LEFT JOIN analyses a "
        "ON a.song_id = s.id AND a.model_id = ? AND a.content = s.content "
        "WHERE s.status = 'ok' ORDER BY s.path",
        (model["id"] if model is not None else -1,)).fetchall()
    records = []
    for r in rows:
        analysed = r["predicted"] is not None
        moods = json.loads(r["moods"]) if analysed else []
        probabilities = json.loads(r["probabilities"]) if analysed else {}
        unsure = is_unsure(r["probability"], threshold, r["rejected"]) if analysed else None
        record = {
            "path": r["path"], "genre": r["predicted"],
            "probability": r["probability"],
            "mood": moods[0][0] if moods else None,
            "mood_score": moods[0][1] if moods else None, "voice": r["voice"],
            "vocal_probability": r["vocal_probability"],
            "tags": "; ".join(t for t, _ in json.loads(r["top_tags"])[:5]) if analysed
            else None,
            "title": r["title"], "artist": r["artist"], "album": r["album"],
            "album_artist": r["album_artist"],
            "file_genre": r["genre"], "file_mood": r["mood"], "container": r["container"],
            "duration": r["duration"], "declared_duration": r["declared_duration"],
            "warning": r["warning"], "size": r["size"], "content": r["content"],
            "model": model["name"] if analysed else None,
            "unknown": None if r["rejected"] is None else bool(r["rejected"]),
            "unknown_score": r["unknown_score"],
            "unsure": unsure, "min_confidence": threshold if analysed else None,
            **{f"p_{g}": probabilities.get(g) for g in labels},
        }
        # a learnt model's `--genre unsure`: the songs it files under no category
        filed = UNSURE if unsure and floor is not None else record["genre"]
        if genre is not None and (filed or "").lower() != genre:
            continue
        if selection.mood is not None and record["mood"] != selection.mood:
            continue
        if selection.voice is not None and record["voice"] != selection.voice:
            continue
        if selection.unsure and not unsure:
            continue
        if selection.unknown and not record["unknown"]:
            continue
        records.append(record)
    return pd.DataFrame(records, columns=[*SONG_COLUMNS, *(f"p_{g}" for g in labels)])


def _failed(conn: sqlite3.Connection, model: sqlite3.Row | None) -> pd.DataFrame:
    rows = conn.execute("SELECT path, 'scan' AS stage, error_kind, error, container, size, "
                        "content FROM songs WHERE status = 'failed'").fetchall()
    if model is not None:
        rows += conn.execute(
            "SELECT s.path, 'classify' AS stage, f.error_kind, f.error, s.container, s.size, "
            "s.content FROM analysis_failures f JOIN songs s ON s.id = f.song_id "
            "WHERE f.model_id = ? AND f.content = s.content AND s.status = 'ok'",
            (model["id"],)).fetchall()
    frame = pd.DataFrame([dict(r) for r in rows], columns=list(FAILED_COLUMNS))
    return frame.sort_values("path", ignore_index=True)


def embeddings(conn: sqlite3.Connection, paths: list[str], model: str | None = None
               ) -> list[list[float] | None]:
    """The stored embedding of each song of ``paths`` (``None`` where not analysed)."""
    return [None if v is None else v.tolist() for v in _vectors(conn, paths, model)]


class LibraryEmbeddings:
    """The similarity embeddings a model stored when it classified the library's songs: the
    SQLite back end of :class:`~genriflow.inference.neighbours.NeighbourIndex`.

    Only present songs whose current content the model analysed are loaded, in path order.

    Parameters
    ----------
    conn : sqlite3.Connection
        The open index.
    model : str or None
        Whose embeddings, by name or model folder; ``None``: the latest run's model.
    """

    def __init__(self, conn: sqlite3.Connection, model: str | None = None) -> None:
        self.conn = conn
        self.model = model

    def load(self) -> Embeddings:
        """The stored embeddings (none when no model has classified the library).

        Raises
        ------
        LibraryError
            ``model`` has not classified the library.
        """
        frame = songs(self.conn, Selection(model=self.model))
        paths = [] if frame.empty else list(frame["path"])
        kept = [(path, vector) for path, vector in
                zip(paths, _vectors(self.conn, paths, self.model), strict=True)
                if vector is not None]
        return Embeddings([path for path, _ in kept], stack_rows([v for _, v in kept]))


def _vectors(conn: sqlite3.Connection, paths: list[str], model: str | None
             ) -> list[np.ndarray | None]:
    """The stored embedding of each song of ``paths``, float32 (``None`` where not
    analysed)."""
    row = _model(conn, model)
    if row is None:
        return [None] * len(paths)
    found = dict(conn.execute(
        "SELECT s.path, a.embedding FROM analyses a JOIN songs s ON s.id = a.song_id "
        "WHERE a.model_id = ? AND a.content = s.content", (row["id"],)).fetchall())
    return [np.frombuffer(found[p], dtype="<f4") if p in found else None for p in paths]


def write_table(frame: pd.DataFrame, out: str | os.PathLike | None, format: str) -> Path | None:
    """Write ``frame`` as csv, parquet or json (a list of records) to ``out``, atomically;
    ``out=None`` writes csv or json to standard output.

    Raises
    ------
    ConfigError
        An unknown format, parquet without ``out``, or an ``out`` that is a folder or
        lies below a file.
    """
    export_format(out, format)
    if out is None:
        text = _text(frame, format)
        # on a screen, a file's name must not control it (a pipe or file keeps every byte)
        sys.stdout.write(shown(text) if sys.stdout.isatty() else text)
        return None
    out = Path(out)
    with atomic_output(out) as tmp:
        if format == "parquet":
            frame.to_parquet(tmp, index=False)
        else:
            tmp.write_text(_text(frame, format), encoding="utf-8")
    return out


@contextmanager
def atomic_output(out: Path, *, field: str = "out") -> Iterator[Path]:
    """A temporary path beside ``out`` to write to; once written it is flushed to disk and
    renamed over ``out``, so a crash leaves the old file or the new one, never a part.
    An ``out`` that is a folder, or whose folder cannot be written, is a
    :class:`~genriflow.errors.ConfigError` of ``field`` before anything is written.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "list.m3u8"
    >>> with atomic_output(target) as tmp:
    ...     _ = tmp.write_text("#EXTM3U")
    >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
    ('#EXTM3U', ['list.m3u8'])

    A folder at ``out``, or a file where its folder should be, is a
    :class:`~genriflow.errors.ConfigError` naming it (``out``), nothing written.
    """
    a_file_to_write(field, out).parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def _text(frame: pd.DataFrame, format: str) -> str:
    if format == "csv":
        # true/false, as predict's CSV writes them (pandas: True/False)
        frame = frame.apply(lambda column: column.map(_csv_bool))
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False)
        return buffer.getvalue()
    # pandas writes the values (NaN as null, numpy numbers); json_text keeps paths and tags
    # as they are ("/", accents), where pandas escapes them ("\/", "\u00e9")
    return json_text(json.loads(frame.to_json(orient="records"))) + "\n"


def _csv_bool(value: object) -> object:
    return str(bool(value)).lower() if isinstance(value, bool | np.bool_) else value
