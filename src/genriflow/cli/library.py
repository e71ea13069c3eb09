"""``genriflow library``: index a music collection, classify it, list and export it.

Each command is a few lines over :class:`genriflow.library.Library`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from genriflow.cli.common import (
    Jobs,
    NoStore,
    Quiet,
    StoreDir,
    console,
    err_console,
    print_errors,
    run_options,
)

NAME = "library"

app = typer.Typer(
    help="Index a music collection (SQLite, outside the music folders), classify what is "
         "new or changed, list and export it. Music files are only ever read.",
    no_args_is_help=True,
)

Db = Annotated[Path | None, typer.Option(
    "--db", help="The library index (default: $GENRIFLOW_LIBRARY_DB, else library.db in "
                 "the user's data folder, e.g. ~/.local/share/genriflow).")]
Model = Annotated[str | None, typer.Option(
    help="Whose analyses: a model name or folder as it classified the library (default: "
         "the latest run's).")]
Genre = Annotated[str | None, typer.Option(help="Only songs whose top genre is this one.")]
Mood = Annotated[str | None, typer.Option(
    help="Only songs whose strongest mood is this one (happy, sad, mellow, party, chill, "
         "beautiful, energetic, calm, dark).")]
Unsure = Annotated[bool, typer.Option(
    "--unsure", help="Only songs whose top genre's probability is below --threshold.")]
Threshold = Annotated[float, typer.Option(help="What --unsure means, in [0, 1].")]


def _library(db: Path | None):
    from genriflow.library import Library

    return Library(db)


@app.command("scan")
def scan(
    dirs: Annotated[list[Path], typer.Argument(help="Music folders (symbolic links "
                                               "followed).")],
    db: Db = None, quiet: Quiet = False,
) -> None:
    """Record every audio file: path, stat, content hash, length, container and its tags.

    Rescans read only new and changed files; moved files are recognised by content (their
    analyses kept), removed ones marked removed. Bad files are recorded with the reason.
    """
    with _library(db) as library:
        report = library.scan(dirs, progress=not quiet)
    console.print(str(report), highlight=False)
    for old, new in report.moves:
        console.print(f"  moved: {old} -> {new}", highlight=False)
    for path, warning in report.warnings:
        err_console.print(f"[yellow]warning:[/yellow] {path}: {warning}", highlight=False)
    print_errors(report.errors)


@app.command("classify")
def classify(
    model: Annotated[str, typer.Option(help="A built-in model (zero-shot, ...) or a model "
                                       "folder.")] = "zero-shot",
    batch_size: Annotated[int, typer.Option(help="Songs committed together (a killed run "
                                            "loses at most one batch).")] = 16,
    retry_failed: Annotated[bool, typer.Option("--retry-failed", help="Analyse again the "
                                               "songs that failed before.")] = False,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    db: Db = None, jobs: Jobs = None, store: StoreDir = None, no_store: NoStore = False,
    quiet: Quiet = False,
) -> None:
    """Analyse what is new or changed since MODEL last ran: genres, tags, moods, voice and
    the similarity embedding, stored per song with the model's identity."""
    with _library(db) as library:
        report = library.classify(model=model, batch_size=batch_size,
                                  retry_failed=retry_failed, device=device,
                                  options=run_options(store, no_store, jobs, quiet))
    console.print(str(report), highlight=False)
    print_errors(report.errors)


@app.command("ls")
def ls(
    genre: Genre = None, mood: Mood = None, unsure: Unsure = False, threshold: Threshold = 0.5,
    failed: Annotated[bool, typer.Option("--failed", help="Instead: the files that could "
                                         "not be read or analysed, with the reasons.")
                      ] = False,
    model: Model = None, db: Db = None,
) -> None:
    """List the songs: top genre and its probability, strongest mood, voice, path."""
    with _library(db) as library:
        frame = library.songs(genre=genre, mood=mood, unsure=unsure, threshold=threshold,
                              failed=failed, model=model)
    for r in frame.itertuples():
        if failed:
            line = f"{r.stage:<8}  {r.error_kind:<11}  {r.path}: {r.error}"
        elif not isinstance(r.genre, str):  # not analysed yet
            line = f"{'-':<10}  {'':>4}  {'':<10}  {'':<12}  {r.path}"
        else:
            line = f"{r.genre:<10}  {r.probability:>4.0%}  {r.mood:<10}  {r.voice:<12}  {r.path}"
        console.print(line, highlight=False, markup=False)
    err_console.print(f"{len(frame)} {'files' if failed else 'songs'}", highlight=False)


@app.command("export")
def export(
    format: Annotated[str | None, typer.Option("--format", "-f", help="csv, parquet or json "
                                               "(default: from --out, else csv).")] = None,
    out: Annotated[Path | None, typer.Option(help="The file (default: standard output; "
                                             "parquet needs one).")] = None,
    embeddings: Annotated[bool, typer.Option("--embeddings", help="Add each song's "
                                             "embedding.")] = False,
    genre: Genre = None, mood: Mood = None, unsure: Unsure = False, threshold: Threshold = 0.5,
    model: Model = None, db: Db = None,
) -> None:
    """Write the index (songs, their tags and analyses, one column per genre) as a table."""
    with _library(db) as library:
        written = library.export(out, format=format, embeddings=embeddings, genre=genre,
                                 mood=mood, unsure=unsure, threshold=threshold, model=model)
    if written is not None:
        err_console.print(f"wrote {written}", highlight=False)
