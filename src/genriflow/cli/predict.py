"""``genriflow predict``: genres (and tags) of songs of any length."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from genriflow.audio.errors import AudioError
from genriflow.audio.formats import shown_name
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
from genriflow.progress import counted

NAME = "predict"
FORMATS = ("table", "csv", "json")
FailedList = Annotated[str | None, typer.Option(
    "--failed", metavar="FILE", show_default=False,
    help="After the run, write the paths of the songs that could not be used to FILE, "
         "one a line (with --null each ended by a NUL byte, so any name survives), as "
         "--files-from reads them: --files-from FILE runs just those again. FILE is "
         "always written, empty when nothing failed, and replaced whole; the reasons "
         "stay on stderr.")]


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
    failed: FailedList = None,
) -> None:
    """Give each song its most probable genres (and tags). Exit status 1 if any file failed.

    genriflow predict songs/ | predict MODEL songs/ | predict --model zero-shot songs/ |
    predict --tags songs/

    More songs than a command line holds, one table: find ~/Music -name '*.mp3' -print0 |
    genriflow predict --files-from - --null -f csv > genres.csv

    Run the failed songs again: genriflow predict --files-from songs.txt --failed
    failed.txt ...; genriflow predict --files-from failed.txt --failed failed.txt ...

    One row per song in every format (table, csv, json): its genres, then with --tags its
    voice, moods and tags.

    Genres and tags come from one pass over each song (one decode per excerpt, one run of
    each network), kept in the feature store for next time and for `genriflow similar`.
    """
    # argument errors before numpy and the models: the API's own checks, called early
    one_of("format", format, FORMATS)
    sampling = sampling_options(excerpts, full)
    failed_file = failed_list(failed)
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
    write_failed(result.errors, failed_file, null=null)
    exit_if_failed(result.errors)


def failed_list(value: str | None) -> Path | None:
    """``--failed``'s file, checked before any work: not standard output (the results'),
    not a folder nor a song, in a folder that can be written."""
    if value is None:
        return None
    if value == "-":
        raise ConfigError("failed", "cannot be - (standard output holds the results); "
                          "give a file")
    from genriflow.datasets.discover import a_list_to_write

    return a_list_to_write("failed", value)


def write_failed(errors: list[AudioError], out: Path | None, *, null: bool) -> None:
    """Write ``--failed``'s list of the files that could not be used (see
    :func:`genriflow.write_file_list`); a name one a line cannot hold is left out of it,
    and said so on stderr."""
    if out is None:
        return
    from genriflow.datasets.discover import write_file_list

    left_out = write_file_list([err.path for err in errors], out=out, null=null)
    if left_out:
        err_console.print(labelled(
            "warning", f"{counted(len(left_out), 'failed file')} left out of "
            f"{shown_name(str(out))}, which lists one name a line: "
            f"{shown_name(str(left_out[0]))}; with --null any name is listed", "yellow"),
            highlight=False, soft_wrap=True)


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
