"""Classifying the index: analyse what is new or changed since a model last ran, in batches.

A song is due for analysis by a model when the index holds no analysis of its current
content by that model's identity (:func:`~genriflow.models.ref.model_ref`; with the
sampling when it is not the default, :meth:`~genriflow.models.ref.ModelRef.sampled`), and
no recorded failure of that content either. Songs go through the model in batches; each
batch's analyses are written in one transaction, so a killed run leaves whole analyses
only and the next run takes up the songs that were not committed.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from genriflow.audio import AudioError
from genriflow.features.options import RunOptions
from genriflow.library.configs import ClassifyConfig
from genriflow.library.db import transaction
from genriflow.models.registry import DEFAULT_LIBRARY_MODEL  # noqa: F401 (re-exported)
from genriflow.progress import counted, progress_bar
from genriflow.reprs import brief_repr

if TYPE_CHECKING:
    from genriflow.library.analyse import Analyser, SongAnalysis


@dataclass
class ClassifyReport:
    """What one :func:`classify` run did.

    Attributes
    ----------
    model : str
        The model's name: a built-in name, a learnt model's name as given, or the folder's
        path.
    identity : str
    due : int
        Songs due for analysis when the run started.
    analysed : int
        Songs analysed and committed by this run.
    failed : int
        Songs the model could not analyse (see ``errors``).
    up_to_date : int
        Songs whose analysis by this model was already current.
    stale : int
        Songs whose file changed since the last scan: left for the next scan.
    errors : list of AudioError
    sampling : str or None
        The sampling asked for (``"24 excerpts"``, ``"whole songs"``); ``None``: the
        default.
    """

    __repr__ = brief_repr  # short in a notebook, whatever the library's size

    model: str
    identity: str
    due: int = 0
    analysed: int = 0
    failed: int = 0
    up_to_date: int = 0
    stale: int = 0
    errors: list[AudioError] = field(default_factory=list)
    sampling: str | None = None

    def __str__(self) -> str:
        sampling = f" on {self.sampling}" if self.sampling else ""
        text = (f"analysed {self.analysed} of {counted(self.due, 'song')} due with {self.model}"
                f"{sampling} ({self.up_to_date} already up to date, {self.failed} failed)")
        if self.stale:
            text += f"; {self.stale} changed since the scan: scan again"
        return text


def _model_id(conn: sqlite3.Connection, analyser: Analyser, config: ClassifyConfig) -> int:
    min_confidence = analyser.model.config.get("min_confidence")  # a learnt model's
    with transaction(conn):
        conn.execute("INSERT INTO models (identity, name, labels, min_confidence, excerpts, "
                     "full) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (identity) DO UPDATE SET "
                     "name = excluded.name, min_confidence = excluded.min_confidence",
                     (analyser.identity, analyser.ref.name, json.dumps(analyser.labels),
                      min_confidence, config.excerpts, int(config.full)))
    return conn.execute("SELECT id FROM models WHERE identity = ?",
                        (analyser.identity,)).fetchone()[0]


def due_songs(conn: sqlite3.Connection, model_id: int, *,
              retry_failed: bool = False) -> list[sqlite3.Row]:
    """Present songs without a current analysis (or recorded failure) by ``model_id``."""
    failures = "" if retry_failed else (
        "AND NOT EXISTS (SELECT 1 FROM analysis_failures f WHERE f.song_id = s.id "
        "AND f.model_id = :model AND f.content = s.content)")
    return conn.execute(
        "SELECT s.id, s.path, s.size, s.mtime_ns, s.content FROM songs s "
        "WHERE s.status = 'ok' AND NOT EXISTS (SELECT 1 FROM analyses a WHERE a.song_id = "
        f"s.id AND a.model_id = :model AND a.content = s.content) {failures} "
        "ORDER BY s.path", {"model": model_id}).fetchall()


def classify(conn: sqlite3.Connection, config: ClassifyConfig, options: RunOptions, *,
             name: str | None = None) -> ClassifyReport:
    """Analyse every song due for ``config.model``; see the module docstring.

    Parameters
    ----------
    conn : sqlite3.Connection
    config : ClassifyConfig
    options : RunOptions
        Feature store and workers of the analysis; ``progress`` shows a bar (songs per
        second, time left).
    name : str or None
        The model's name as the user gave it, shown in the report and the bar (a learnt
        model's name rather than its folder's path); ``None``: the model's own name.

    Raises
    ------
    ModelError
        An unknown model.
    """
    from genriflow.library.analyse import Analyser  # torch and the networks: only here

    analyser = Analyser(config.model, options, device=config.device,
                        sampling=config.sampling)
    model_id = _model_id(conn, analyser, config)
    due = due_songs(conn, model_id, retry_failed=config.retry_failed)
    present = conn.execute("SELECT COUNT(*) FROM songs WHERE status = 'ok'").fetchone()[0]
    shown = analyser.ref.name if name is None else name
    report = ClassifyReport(shown, analyser.identity, due=len(due),
                            sampling=None if analyser.identity == analyser.ref.identity
                            else config.sampling.label)
    report.up_to_date = present - len(due_songs(conn, model_id, retry_failed=True))
    with progress_bar(options.progress, "songs") as bar:
        job = bar.add_task(f"classify [{shown}]", total=len(due))
        for start in range(0, len(due), config.batch_size):
            batch = due[start:start + config.batch_size]
            fresh = [row for row in batch if _unchanged(row)]
            report.stale += len(batch) - len(fresh)
            results = analyser([row["path"] for row in fresh],
                               on_song=lambda: bar.advance(job)) if fresh else []
            with transaction(conn):
                for row, result in zip(fresh, results, strict=True):
                    _write(conn, row, model_id, result, report)
                conn.execute("UPDATE models SET last_run = ? WHERE id = ?",
                             (time.time(), model_id))
            # the bar moved song by song; the batch's skipped songs (changed since the
            # scan) count as done too
            bar.update(job, completed=start + len(batch))
    if not due:  # nothing to analyse: still the latest run, whose analyses listings show
        with transaction(conn):
            conn.execute("UPDATE models SET last_run = ? WHERE id = ?", (time.time(), model_id))
    return report


def _unchanged(row: sqlite3.Row) -> bool:
    try:
        st = os.stat(row["path"])
    except OSError:
        return False
    return (st.st_size, st.st_mtime_ns) == (row["size"], row["mtime_ns"])


def _write(conn: sqlite3.Connection, row: sqlite3.Row, model_id: int,
           result: SongAnalysis | AudioError, report: ClassifyReport) -> None:
    now = time.time()
    if isinstance(result, AudioError):
        conn.execute("INSERT OR REPLACE INTO analysis_failures (song_id, model_id, content, "
                     "error_kind, error, failed_at) VALUES (?, ?, ?, ?, ?, ?)",
                     (row["id"], model_id, row["content"], result.kind.value, result.reason,
                      now))
        report.failed += 1
        report.errors.append(result)
        return
    conn.execute(
        "INSERT OR REPLACE INTO analyses (song_id, model_id, content, genre, probability, "
        "probabilities, tags, moods, voice, vocal_probability, embedding, analysed_at, "
        "unknown, unknown_score) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (row["id"], model_id, row["content"], result.genre,
         result.probabilities[result.genre], json.dumps(result.probabilities),
         json.dumps(result.tags), json.dumps(result.moods), result.voice,
         result.vocal_probability, result.embedding.astype("<f4").tobytes(), now,
         None if result.unknown is None else int(result.unknown), result.unknown_score))
    conn.execute("DELETE FROM analysis_failures WHERE song_id = ? AND model_id = ?",
                 (row["id"], model_id))
    report.analysed += 1


def embedding(blob: bytes) -> np.ndarray:
    """An analysis's embedding back from its bytes, shape (n_values,), float32.

    >>> embedding(np.arange(3, dtype="<f4").tobytes()).tolist()
    [0.0, 1.0, 2.0]
    """
    return np.frombuffer(blob, dtype="<f4").copy()
