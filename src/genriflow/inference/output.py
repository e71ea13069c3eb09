"""Render the answer of ``predict`` as a terminal table, CSV or JSON: one row per song.

A song's genres come first, then (when tags were asked for) its voice, moods and tags, in
the same row of the same table, whatever the format, so that any CSV or JSON reader loads
the answer in one go. JSON is each song's ``path`` and its one record
(:func:`~genriflow.inference.record.song_record`, what the service answers too: every
label's probability, the whole timeline); CSV and the table are flat views of it, the
``--top`` genres, moods and tags rounded for reading. A table goes to a terminal only:
when standard output is a pipe or a file, ``table`` is written as plain tab-separated
rows with full paths (:func:`genriflow.progress.print_table`), so no path is ever cut
short and each row can be matched back to its song. Paths and names are printed as they
are (never read as markup).

On a terminal no genre with its percentage, tag or word is broken across lines: each
cell wraps between its items only (a :class:`~genriflow.progress.Cell`). When the table
does not fit the terminal so (``--tags`` on 80 columns), each song is printed as a record:
its name, then ``genres``, ``unsure``, ``voice``, ``moods`` and ``tags`` lines.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Sequence

from rich.console import Console

from genriflow.inference.predict import Prediction
from genriflow.inference.record import song_record
from genriflow.inference.tags import SongTags
from genriflow.progress import Cell, print_records, print_table, shown, table_widths

#: The ``table`` column of a multi-label model's genres.
THRESHOLD_HEADER = "genres (at or above their thresholds)"


def songs_to_records(predictions: Sequence[Prediction], song_tags: Sequence[SongTags] = ()
                     ) -> list[dict]:
    """One JSON-ready record per song: its ``path``, then its answer
    (:func:`~genriflow.inference.record.song_record`: the genre keys, then the tag keys
    when it was tagged), matched by path; songs in the predictions' order, then any tagged
    only."""
    tags = {t.path: t for t in song_tags}
    paths = [*(p.path for p in predictions), *(t.path for t in song_tags)]
    predicted = {p.path: p for p in predictions}
    return [{"path": path, **song_record(predicted.get(path), tags.get(path))}
            for path in dict.fromkeys(paths)]


def predictions_to_csv(predictions: Sequence[Prediction], top: int = 3) -> str:
    """CSV text: ``path,genre,genre_1,probability_1,...,genres,unknown,unknown_score,unsure``
    (``genres``: the song's genres joined with ``;``: a multi-label model's above their
    thresholds, else the top one; the last two empty for a model without a reject rule;
    ``genre`` stays the best guess)."""
    return songs_to_csv(predictions, (), top)


def songs_to_csv(predictions: Sequence[Prediction], song_tags: Sequence[SongTags] = (),
                 top: int = 3, *, genres: bool | None = None, tags: bool | None = None
                 ) -> str:
    """CSV text, one row per song: the genre columns of :func:`predictions_to_csv`, then,
    for tagged songs, ``voice,vocal_probability``, ``mood_1,mood_score_1,...`` and
    ``tag_1,tag_probability_1,...`` (``top`` of each, best first).

    ``genres`` and ``tags`` say whether those columns were asked for, so that the header
    is the same when no song could be used; ``None``: whether any song has them."""
    genre_header = ["genre"] + [f"{c}_{i}" for i in range(1, top + 1)
                                for c in ("genre", "probability")]
    genre_header += ["genres", "unknown", "unknown_score", "unsure"]
    tag_header = ["voice", "vocal_probability"]
    tag_header += [f"{c}_{i}" for i in range(1, top + 1) for c in ("mood", "mood_score")]
    tag_header += [f"{c}_{i}" for i in range(1, top + 1) for c in ("tag", "tag_probability")]
    rows: dict[str, dict[str, str]] = {}
    for p in predictions:
        row = rows.setdefault(p.path, {"path": p.path})
        row["genre"] = p.genre
        for i, (genre, prob) in enumerate(p.top(top), start=1):
            row[f"genre_{i}"], row[f"probability_{i}"] = genre, f"{prob:.4f}"
        row["genres"] = ";".join(g for g, _ in p.genres)
        row["unknown"] = "" if p.unknown is None else str(p.unknown).lower()
        row["unknown_score"] = "" if p.unknown_score is None else f"{p.unknown_score:.4f}"
        row["unsure"] = str(p.unsure).lower()
    for t in song_tags:
        row = rows.setdefault(t.path, {"path": t.path})
        row["voice"], row["vocal_probability"] = t.voice, f"{t.vocal_probability:.4f}"
        for i, (mood, score) in enumerate(t.moods[:top], start=1):
            row[f"mood_{i}"], row[f"mood_score_{i}"] = mood, f"{score:.4f}"
        for i, (tag, prob) in enumerate(t.top[:top], start=1):
            row[f"tag_{i}"], row[f"tag_probability_{i}"] = tag, f"{prob:.4f}"
    header = ["path", *(genre_header if _asked(genres, predictions) else []),
              *(tag_header if _asked(tags, song_tags) else [])]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, header, restval="")
    writer.writeheader()
    writer.writerows(rows.values())
    return buffer.getvalue()


def json_text(data: object) -> str:
    """``data`` as indented JSON, UTF-8 text as it is; a file name that is not UTF-8 keeps
    its odd bytes as ``\\udcXX`` escapes (:func:`json.loads` then :func:`os.fsencode`
    give the name back).

    >>> import os
    >>> print(json_text({"path": os.fsdecode(b"Caf\\xe9 \\xc3\\xa9.flac")}))
    {
      "path": "Caf\\udce9 é.flac"
    }
    """
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}",
                               json.dumps(data, indent=2, ensure_ascii=False))


_LONE_SURROGATE = re.compile("[\\ud800-\\udfff]")


def write_json(data: object, console: Console) -> None:
    """``data`` as JSON on ``console``: coloured on a screen, plain :func:`json_text`
    anywhere else. FORCE_COLOR (set by many CI systems) makes rich call a pipe a terminal,
    and a coloured JSON file is no JSON: the file itself must be a terminal."""
    if console.is_terminal and console.file.isatty():
        console.print_json(json.dumps(data))
    else:
        console.file.write(json_text(data) + "\n")
        console.file.flush()


def _asked(asked: bool | None, rows: Sequence) -> bool:
    return bool(rows) if asked is None else asked


def render_songs(predictions: Sequence[Prediction], song_tags: Sequence[SongTags],
                 fmt: str, top: int, console: Console, *, genres: bool | None = None,
                 tags: bool | None = None) -> None:
    """Print each song's genres and tags as one row of one ``table``, ``csv`` or ``json``.

    Parameters
    ----------
    predictions : sequence of Prediction
        The songs' genres (may be empty: tags alone).
    song_tags : sequence of SongTags
        The songs' tags (may be empty: genres alone); matched to the predictions by path.
    fmt : {'table', 'csv', 'json'}
    top : int
        Genres, moods and tags per song in the table and the CSV (JSON has every
        genre's probability and mood).
    console : rich.console.Console
    genres, tags : bool or None
        Whether genres and tags were asked for: their columns then head the CSV even
        when no song could be used. ``None``: whether any song has them.
    """
    if fmt == "json":
        write_json(songs_to_records(predictions, song_tags), console)
    elif fmt == "csv":
        text = songs_to_csv(predictions, song_tags, top, genres=genres, tags=tags)
        # on a screen, a file's name must not control it (the file itself keeps every byte)
        console.file.write(shown(text) if console.file.isatty() else text)
        console.file.flush()
    elif predictions:  # a table of no song would be a lone header (csv and json keep theirs)
        header, rows = _table(predictions, song_tags, top)
        if console.is_terminal and table_widths(console, header, rows) is None:
            print_records(console, _records(header, rows))
        else:
            print_table(console, header, rows)


def render_predictions(predictions: Sequence[Prediction], fmt: str, top: int,
                       console: Console) -> None:
    """Print predictions alone (:func:`render_songs` without tags)."""
    render_songs(predictions, (), fmt, top, console)


def _table(predictions: Sequence[Prediction], song_tags: Sequence[SongTags], top: int
           ) -> tuple[list[str], list[list[str]]]:
    """The header and one row per song of the ``table`` format."""
    thresholds = any(p.thresholds is not None for p in predictions)
    # --top above the model's genres: as many columns as there are genres, none empty
    top = min(top, max((len(p.labels) for p in predictions), default=top))
    genre_header = [f"#{i}" for i in range(1, top + 1)]
    if thresholds:
        genre_header.append(THRESHOLD_HEADER)
    genre_header.append("unsure")
    tag_header = ["voice", "moods", "top tags"]
    cells: dict[str, list[str]] = {}
    for p in predictions:
        row = _cells(p, top)
        if thresholds:
            row.append(Cell(g for g, _ in p.genres))
        row.append(Cell(["yes", f"(< {p.min_confidence:g})"], sep=" ") if p.unsure else "")
        cells[p.path] = row
    tagged = {t.path: [Cell([t.voice, f"({t.vocal_probability:.0%} vocal)"], sep=" "),
                       Cell(m for m, _ in t.moods[:top]),
                       Cell(f"{name} {p:.0%}" for name, p in t.top[:top])]
              for t in song_tags}
    blank_genres = [""] * len(genre_header)
    paths = [*cells, *(path for path in tagged if path not in cells)]
    rows = [[_short(path),
             *(cells.get(path, blank_genres) if predictions else []),
             *(tagged.get(path, ["", "", ""]) if song_tags else [])] for path in paths]
    header = ["file", *(genre_header if predictions else []),
              *(tag_header if song_tags else [])]
    return header, rows


def _records(header: list[str], rows: list[list[str]]) -> list[tuple[str, list]]:
    """The table's rows as records, for a terminal too narrow for the table: a song's
    name, then its genres (``#1`` to ``#top`` as one list), then each other column
    (``unsure``, ``voice``, ``moods``, ``tags``...) under its own label."""
    ranked = [j for j, name in enumerate(header) if name.startswith("#")]
    labels = {THRESHOLD_HEADER: "thresholds met", "top tags": "tags"}
    records = []
    for row in rows:
        fields = []
        if ranked:
            fields.append(("genres", Cell(row[j] for j in ranked if row[j])))
        fields += [(labels.get(name, name), cell) for j, (name, cell)
                   in enumerate(zip(header, row, strict=True)) if j and j not in ranked]
        records.append((row[0], fields))
    return records


def _cells(p: Prediction, top: int) -> list[str]:
    """A song's genre cells; a rejected song's first cell says ``unknown``."""
    cells: list[str] = [Cell([f"{g} {prob:.0%}"]) for g, prob in p.top(top)]
    if p.unknown:
        cells[0] = Cell(["unknown", "(best guess:", f"{cells[0]})"], sep=" ")
    return cells + [""] * (top - len(cells))


def _short(path: str) -> str:
    """The path relative to the working folder when it lies below it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative
