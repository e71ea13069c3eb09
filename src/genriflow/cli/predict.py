"""``genriflow predict``: genres (and tags) of songs of any length."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from genriflow.cli.common import (
    Address,
    Device,
    Engine,
    Excerpts,
    FilesFrom,
    Full,
    Jobs,
    NoStore,
    NullNames,
    Quiet,
    StoreDir,
    console,
    err_console,
    exit_if_failed,
    labelled,
    listed_songs,
    print_errors,
    run_options,
    sampling_options,
)
from genriflow.cli.models import model_and_audio
from genriflow.errors import ConfigError, one_of
from genriflow.inference.answer_options import check_options

NAME = "predict"
FORMATS = ("table", "csv", "json")


def command(
    paths: Annotated[list[Path] | None, typer.Argument(
        metavar="PATH", readable=False,  # an unreadable song is its own error; the rest go on
        show_default=False,
        help="[MODEL] then audio files and/or folders. MODEL (a model folder or a built-in "
             "name, see `genriflow models`) may be left out: the built-in gtzan model is "
             "then used. The songs may be listed in a file instead (--files-from).")] = None,
    model: Annotated[str | None, typer.Option(help="A model folder, or a built-in model "
                                              "(`genriflow models` lists them all): gtzan "
                                              "(the default: a head on the musicnn taggers, "
                                              "GTZAN's ten genres), library-genres (those "
                                              "and nine more: electronic, ambient, folk, "
                                              "...), gtzan-table (the GTZAN feature table's "
                                              "model) or zero-shot (genres from the "
                                              "pretrained taggers, no training); every path "
                                              "is then audio.")] = None,
    tags: Annotated[bool, typer.Option("--tags", help="Also give the top tags, vocal or "
                                       "instrumental, and moods (pretrained musicnn): more "
                                       "columns in the same row as the song's genres.")
                    ] = False,
    format: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
    k: Annotated[int, typer.Option("--top", help="Genres (and tags) to show per song in "
                                   "the table and CSV; JSON has every genre's "
                                   "probability.")] = 3,
    excerpts: Excerpts = None, full: Full = False,
    aggregation: Annotated[str, typer.Option(help="mean (of probabilities) or vote.")] = "mean",
    min_confidence: Annotated[float | None, typer.Option(
        help="A song whose top genre is below it is `unsure` (the unsure column; never "
        "when `unknown`); default: the model's own (a learnt model's), else 0.5.",
        show_default=False)] = None,
    n_jobs: Jobs = None, store: StoreDir = None, no_store: NoStore = False,
    quiet: Quiet = False, engine: Engine = "local", address: Address = None,
    device: Device = "auto", files_from: FilesFrom = None, null: NullNames = False,
) -> None:
    """Give each song its most probable genres (and tags). Exit status 1 if any file failed.

    genriflow predict songs/ | predict MODEL songs/ | predict --model zero-shot songs/ |
    predict --tags songs/

    More songs than a command line holds, one table: find ~/Music -name '*.mp3' -print0 |
    genriflow predict --files-from - --null -f csv > genres.csv

    One row per song in every format (table, csv, json): its genres, then with --tags its
    voice, moods and tags.

    Genres and tags come from one pass over each song (one decode per excerpt, one run of
    each network), kept in the feature store for next time and for `genriflow similar`.
    """
    # argument errors before numpy and the models: the API's own checks, called early
    one_of("format", format, FORMATS)
    sampling = sampling_options(excerpts, full)
    listed = listed_songs(files_from, null=null, given=paths)
    model, paths = model_and_audio(paths or [], model)  # a MODEL is on the command line only
    paths = [*paths, *listed]
    if not paths:
        raise ConfigError("paths", "names no audio files or folders")
    answer = {"k": k, "k_tags": max(k, 5), "aggregation": aggregation,
              "min_confidence": min_confidence}
    check_options(model, tags=tags, **answer)
    options = run_options(store, no_store, n_jobs, quiet, engine, address, device)
    from genriflow.api import analyse
    from genriflow.inference.output import render_songs

    result = analyse(paths, model=model, tags=tags, options=options, **answer, **sampling)
    render_songs(result.predictions, result.tags, format, k, console, genres=True, tags=tags)
    note_unknown_songs(result.predictions, model)
    print_errors(result.errors)
    exit_if_failed(result.errors)


#: Built-in models that know only GTZAN's ten genres.
GTZAN_VOCABULARY = ("gtzan", "gtzan-fusion", "gtzan-table", "zero-shot")


def note_unknown_songs(predictions, model: str) -> None:
    """When a GTZAN model calls a quarter or more of the songs unknown (electronic, ambient
    and folk music are unlike GTZAN's), say which built-in names those genres."""
    unknown = sum(bool(p.unknown) for p in predictions)  # None: the model cannot say
    if model not in GTZAN_VOCABULARY or unknown < 2 or 4 * unknown < len(predictions):
        return
    err_console.print(labelled(
        "note", f"{unknown} of {len(predictions)} songs are unknown to {model}, which knows "
                "only GTZAN's ten genres; --model library-genres also names electronic, "
                "ambient, folk, soul-rnb, punk, funk, world, soundtrack and experimental",
        "cyan"), highlight=False)
