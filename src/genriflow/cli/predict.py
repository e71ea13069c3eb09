"""``genriflow predict``: genres (and tags) of songs of any length."""

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
    print_errors,
    run_options,
)
from genriflow.errors import ConfigError, one_of

NAME = "predict"
FORMATS = ("table", "csv", "json")


def command(
    paths: Annotated[list[Path], typer.Argument(help="MODEL (unless --model or --tags alone), "
                                                "then audio files and/or folders.")],
    model: Annotated[str | None, typer.Option(help="A model folder, or a built-in model: "
                                              "zero-shot (genres from the pretrained "
                                              "taggers, no training).")] = None,
    tags: Annotated[bool, typer.Option("--tags", help="Also print the top tags, vocal or "
                                       "instrumental, and moods (pretrained musicnn).")
                    ] = False,
    format: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
    top: Annotated[int, typer.Option(help="Genres (and tags) to show per song.")] = 3,
    max_windows: Annotated[int, typer.Option(help="Most clips analysed per long song.")] = 10,
    aggregation: Annotated[str, typer.Option(help="mean (of probabilities) or vote.")] = "mean",
    jobs: Jobs = None, store: StoreDir = None, no_store: NoStore = False,
    quiet: Quiet = False,
) -> None:
    """Give each song its most probable genres (and tags). Exit status 1 if any file failed.

    genriflow predict MODEL songs/ | predict --model zero-shot songs/ | predict --tags songs/
    """
    from genriflow.api import classify, tag
    from genriflow.inference.output import render_predictions, render_tags

    one_of("format", format, FORMATS)
    if model is None and not tags:
        model, paths = str(paths[0]), paths[1:]
    if not paths:
        raise ConfigError("paths", "names no audio files or folders")
    options = run_options(store, no_store, jobs, quiet)
    errors = []
    if model is not None:
        result = classify(paths, model=model, top=top, max_windows=max_windows,
                          aggregation=aggregation, options=options)
        render_predictions(result.predictions, format, top, console)
        errors = result.errors
    if tags:
        tagged = tag(paths, k=max(top, 5), max_windows=max_windows, options=options)
        render_tags(tagged.tags, format, console)
        errors = errors or tagged.errors
    print_errors(errors)
    if errors:
        raise typer.Exit(1)
