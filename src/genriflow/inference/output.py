"""Render predictions as a terminal table, CSV or JSON.

A table goes to a terminal only: when standard output is a pipe or a file, ``table`` is
written as plain tab-separated rows with full paths, so no path is ever cut short and each
row can be matched back to its song.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from genriflow.inference.predict import Prediction
from genriflow.inference.tags import SongTags


def predictions_to_records(predictions: Sequence[Prediction], top: int = 3) -> list[dict]:
    """JSON-ready records: file, genre, top genres, all probabilities and the timeline."""
    return [
        {
            "path": p.path,
            "genre": p.genre,
            "top": [{"genre": g, "probability": round(prob, 4)} for g, prob in p.top(top)],
            "genres": [{"genre": g, "probability": round(prob, 4)} for g, prob in p.genres],
            "probabilities": {g: round(float(x), 4) for g, x in zip(p.labels, p.probabilities,
                                                                   strict=True)},
            "timeline": [{"start": float(o), "genre": p.labels[int(w.argmax())],
                          "probability": round(float(w.max()), 4)}
                         for o, w in zip(p.offsets, p.window_probabilities, strict=True)],
            "unknown": p.unknown,
            "unknown_score": None if p.unknown_score is None else round(p.unknown_score, 4),
        }
        for p in predictions
    ]


def predictions_to_csv(predictions: Sequence[Prediction], top: int = 3) -> str:
    """CSV text: ``path,genre,genre_1,probability_1,...,genres,unknown,unknown_score``
    (``genres``: the song's genres joined with ``;``: a multi-label model's above their
    thresholds, else the top one; the last two empty for a model without a reject rule;
    ``genre`` stays the best guess)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = ["path", "genre"]
    for i in range(1, top + 1):
        header += [f"genre_{i}", f"probability_{i}"]
    writer.writerow([*header, "genres", "unknown", "unknown_score"])
    for p in predictions:
        row = [p.path, p.genre]
        for genre, prob in p.top(top):
            row += [genre, f"{prob:.4f}"]
        row += [";".join(g for g, _ in p.genres),
                "" if p.unknown is None else str(p.unknown).lower(),
                "" if p.unknown_score is None else f"{p.unknown_score:.4f}"]
        writer.writerow(row)
    return buffer.getvalue()


def _short(path: str) -> str:
    """The path relative to the working folder when it lies below it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def render_predictions(predictions: Sequence[Prediction], fmt: str, top: int,
                       console: Console) -> None:
    """Print predictions to ``console`` as ``table``, ``csv`` or ``json``."""
    if fmt == "json":
        console.print_json(json.dumps(predictions_to_records(predictions, top)))
    elif fmt == "csv":
        console.out(predictions_to_csv(predictions, top), end="", highlight=False)
    else:
        header = ["file", *[f"#{i}" for i in range(1, top + 1)]]
        rows = [[_short(p.path), *_cells(p, top)] for p in predictions]
        if any(p.thresholds is not None for p in predictions):
            header.append("genres (at or above their thresholds)")
            for row, p in zip(rows, predictions, strict=True):
                row.append(", ".join(g for g, _ in p.genres))
        _print_table(header, rows, "genre predictions", console)


def _cells(p: Prediction, top: int) -> list[str]:
    """A song's genre cells; a rejected song's first cell says ``unknown``."""
    cells = [f"{g} {prob:.0%}" for g, prob in p.top(top)]
    if p.unknown:
        cells[0] = f"unknown (best guess: {cells[0]})"
    return cells


def tags_to_records(song_tags: Sequence[SongTags]) -> list[dict]:
    """JSON-ready records: file, top tags, voice, moods."""
    return [{"path": t.path,
             "tags": [{"tag": name, "probability": round(p, 4)} for name, p in t.top],
             "voice": t.voice, "vocal_probability": round(t.vocal_probability, 4),
             "moods": [{"mood": m, "score": round(s, 4)} for m, s in t.moods]}
            for t in song_tags]


def render_tags(song_tags: Sequence[SongTags], fmt: str, console: Console) -> None:
    """Print tags to ``console`` as ``table``, ``csv`` (path, voice, top moods, top tags) or
    ``json``."""
    if fmt == "json":
        console.print_json(json.dumps(tags_to_records(song_tags)))
        return
    rows = [(_short(t.path), f"{t.voice} ({t.vocal_probability:.0%} vocal)",
             ", ".join(m for m, _ in t.moods[:3]),
             ", ".join(f"{name} {p:.0%}" for name, p in t.top[:3])) for t in song_tags]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["path", "voice", "moods", "tags"])
        writer.writerows(rows)
        console.out(buffer.getvalue(), end="", highlight=False)
        return
    _print_table(["file", "voice", "moods", "top tags"], rows, "tags (pretrained musicnn)",
                 console)


def _print_table(header: Sequence[str], rows: Sequence[Sequence[str]], title: str,
                 console: Console) -> None:
    """A rich table on a terminal; tab-separated rows, nothing cut, anywhere else."""
    if not console.is_terminal:
        lines = ["\t".join(header), *("\t".join(row) for row in rows)]
        console.file.write("\n".join(lines) + "\n")  # rich would expand the tabs
        return
    table = Table(*header, title=title)
    for row in rows:
        table.add_row(*row)
    console.print(table)
