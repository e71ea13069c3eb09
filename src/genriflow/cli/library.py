"""``genriflow library``: index a music collection, classify it, list and export it, and
learn the user's own categories from the songs they already sorted.

Each command is a few lines over :class:`genriflow.library.Library`.
"""

from __future__ import annotations

import shlex
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.cells import cell_len

from genriflow.cli import library_check, library_files
from genriflow.cli.common import (
    Address,
    Device,
    Engine,
    Excerpts,
    Full,
    GenriflowGroup,
    Jobs,
    NoStore,
    Quiet,
    StoreDir,
    console,
    err_console,
    exit_if_failed,
    labelled,
    print_errors,
    print_table,
    run_options,
    sampling_options,
    styled,
)
from genriflow.cli.library_options import (
    Db,
    Genre,
    Model,
    Mood,
    Threshold,
    Unknown,
    Unsure,
    Voice,
    index_path,
    open_library,
)
from genriflow.library.configs import ClassifyConfig, LearnConfig, album_min_tracks, model_folder
from genriflow.library.selection import Selection, export_format
from genriflow.models.registry import DEFAULT_LIBRARY_MODEL
from genriflow.progress import counted, print_hanging
from genriflow.training.head_config import HeadConfig

NAME = "library"

app = typer.Typer(
    help="Index a music collection (SQLite, outside the music folders), classify what is "
         "new or changed, list and export it, learn your own categories; write genres and "
         "moods into the files' tags from a reviewed plan (undoable) and into playlists. "
         "Music files are only ever written by `library apply` and `library undo`.",
    cls=GenriflowGroup, no_args_is_help=True, rich_markup_mode=None,
)

@app.command("scan", short_help="Record every audio file under folders; nothing analysed")
def scan(
    dirs: Annotated[list[Path], typer.Argument(
        metavar="DIR", help="Music folders (symbolic links followed).")],
    db: Db = None, quiet: Quiet = False,
) -> None:
    """Record every audio file: path, stat, content hash, length, container and its tags.

    Rescans read only new and changed files; moved files are recognised by content (their
    analyses kept), removed ones marked removed. Bad files are recorded with the reason and
    listed; the exit status is 1 when this run found any.
    """
    with open_library(db, create=True) as library:
        report = library.scan(dirs, progress=not quiet)
    console.print(str(report), highlight=False)
    for old, new in report.moves:
        console.print(f"  moved: {old} -> {new}", highlight=False)
    for path, warning in report.warnings:
        err_console.print(labelled("warning", f"{path}: {warning}"), highlight=False)
    print_errors(report.errors)
    exit_if_failed(report.errors)  # every usable file was recorded


@app.command("classify", short_help="Analyse the songs that are new or changed since the last run")
def classify(
    model: Annotated[str | None, typer.Option(
        help="A built-in model (default: library-genres, GTZAN's ten genres and nine more; "
             "gtzan for GTZAN's ten alone; see `genriflow models`), a model folder, "
             "or a NAME given to `library learn`.")] = None,
    batch_size: Annotated[int, typer.Option(help="Songs committed together (a killed run "
                                            "loses at most one batch).")] = 16,
    retry_failed: Annotated[bool, typer.Option("--retry-failed", help="Analyse again the "
                                               "songs that failed before.")] = False,
    device: Device = "auto", excerpts: Excerpts = None, full: Full = False,
    db: Db = None, n_jobs: Jobs = None, store: StoreDir = None, no_store: NoStore = False,
    quiet: Quiet = False, engine: Engine = "local", address: Address = None,
) -> None:
    """Analyse what is new or changed since MODEL last ran: genres, tags, moods, voice and
    the similarity embedding, stored per song with the model's identity.

    With --excerpts or --full the analyses are stored under the model's identity with that
    sampling: every song is analysed again, and listings show the latest run's.
    """
    # checked before the index is opened (or created); the library checks them again
    config = ClassifyConfig(model=model_folder(model or DEFAULT_LIBRARY_MODEL, index_path(db)),
                            batch_size=batch_size, retry_failed=retry_failed, device=device,
                            **sampling_options(excerpts, full))
    options = run_options(store, no_store, n_jobs, quiet, engine, address, device)
    with open_library(db) as library:
        # the name as given: the library resolves a learnt model's name to its folder
        report = library.classify(**{**asdict(config), "model": model or DEFAULT_LIBRARY_MODEL},
                                  options=options)
    console.print(str(report), highlight=False)
    print_errors(report.errors)
    exit_if_failed(report.errors)


@app.command("ls", short_help="List the songs, by genre, mood, voice or own category")
def ls(
    genre: Genre = None, mood: Mood = None, voice: Voice = None, unsure: Unsure = False,
    unknown: Unknown = False, threshold: Threshold = None,
    failed: Annotated[bool, typer.Option("--failed", help="Instead: the files that could "
                                         "not be read or analysed, with the reasons.")
                      ] = False,
    model: Model = None, db: Db = None,
) -> None:
    """List the songs: top genre and its probability, strongest mood, voice, path; a song
    the model calls none of its genres is marked `?` after its best guess."""
    # checked before the index is opened (or created); the library checks them again
    selection = Selection(genre=genre, mood=mood, voice=voice, unsure=unsure,
                          threshold=threshold, failed=failed, model=model, unknown=unknown)
    with open_library(db) as library:
        frame = library.songs(**asdict(selection))
        # a learnt model files a song below its own threshold under none of its categories
        filing = not failed and library.own_min_confidence(model=model) is not None
    rows = list(frame.itertuples())
    if failed:
        cells = [(r.stage, r.error_kind) for r in rows]
        rests = [f"{r.path}: {r.error}" for r in rows]
    else:
        cells = [("-", "", "", "") if not isinstance(r.genre, str)  # not analysed yet
                 else (f"{r.genre}?" if r.unknown is True
                       else "unsure" if filing and r.unsure is True else r.genre,
                       f"{r.probability:.0%}", r.mood, r.voice) for r in rows]
        rests = [r.path for r in rows]
    aligned = (_aligned(cells, (8, 11)) if failed
               else _aligned(cells, (10, 4, 10, 12), right=(1,)))
    for columns, rest in zip(aligned, rests, strict=True):
        if console.is_terminal:  # the path (and reason) wrapped under its own start
            print_hanging(console, columns, rest)
        else:
            console.print(columns + rest, highlight=False, markup=False)
    noun = "file" if failed else "song"
    err_console.print(counted(len(frame), noun), highlight=False)
    if not failed:
        _next_step(rows, db, filtered=any((genre, mood, voice, unsure, unknown)))


def _next_step(rows: list, db: Path | None, *, filtered: bool) -> None:
    """On stderr, what to run when ``ls`` lists nothing yet (nothing scanned) or songs no
    model has classified (their ``-`` rows); standard output stays the songs alone.

    A filter that matches no song says nothing: the index may hold many songs."""
    also = "" if db is None else f" --db {shlex.quote(str(db))}"
    if not rows and filtered:
        return
    if not rows:
        hint = (f"the index holds no songs; `genriflow library scan FOLDER{also}` adds a "
                "folder's songs")
    elif not any(isinstance(r.genre, str) for r in rows):
        # only then: a song left `-` among classified ones may be one classify failed
        hint = f"no song is classified yet; `genriflow library classify{also}` analyses them"
    else:
        return
    err_console.print(labelled("hint", hint, "cyan"), highlight=False)


def _aligned(rows: list[tuple[object, ...]], widths: tuple[int, ...], *,
             right: tuple[int, ...] = ()) -> list[str]:
    """Each row's cells padded into columns at least ``widths`` wide and as wide as their
    widest cell (a learnt category's name may be of any length), each followed by two
    spaces; the columns ``right`` right-aligned."""
    rows = [tuple(map(str, row)) for row in rows]
    widths = tuple(max([w, *(cell_len(row[i]) for row in rows)])
                   for i, w in enumerate(widths))

    def padded(i: int, cell: str) -> str:
        space = " " * (widths[i] - cell_len(cell))
        return space + cell if i in right else cell + space

    return ["".join(padded(i, cell) + "  " for i, cell in enumerate(row)) for row in rows]


@app.command("export", short_help="Write the index as CSV, JSON or Parquet")
def export(
    format: Annotated[str | None, typer.Option("--format", "-f", help="csv, parquet or json "
                                               "(default: from --out, else csv).")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="The file (default: "
                                             "standard output; parquet needs one).")] = None,
    embeddings: Annotated[bool, typer.Option("--embeddings", help="Add each song's "
                                             "embedding.")] = False,
    genre: Genre = None, mood: Mood = None, voice: Voice = None, unsure: Unsure = False,
    unknown: Unknown = False, threshold: Threshold = None, model: Model = None, db: Db = None,
) -> None:
    """Write the index (songs, their tags and analyses, one column per genre) as a table."""
    # checked before the index is opened (or created); the library checks them again
    format = export_format(out, format)
    Selection(genre=genre, mood=mood, voice=voice, unsure=unsure, threshold=threshold,
              model=model, unknown=unknown)
    with open_library(db) as library:
        written = library.export(out, format=format, embeddings=embeddings, genre=genre,
                                 mood=mood, voice=voice, unsure=unsure, threshold=threshold,
                                 model=model, unknown=unknown)
    if written is not None:
        err_console.print(f"wrote {written}", highlight=False)


@app.command("albums", short_help="Each album's genre, from its tracks together")
def albums(
    model: Model = None,
    disagree: Annotated[bool, typer.Option("--disagree", help="Also list the tracks whose "
                                           "own genre is not their album's.")] = False,
    min_tracks: Annotated[int, typer.Option(help="Leave out albums with fewer analysed "
                                            "tracks.")] = 1,
    db: Db = None,
) -> None:
    """Each album's genre, from its tracks' combined probabilities, and the share of its
    tracks that agree with it.

    An album is the songs sharing an album tag and album artist (else artist); songs
    without an album tag are in none.
    """
    # checked before the index is opened (or created); the library checks it again
    album_min_tracks(min_tracks)
    with open_library(db) as library:
        report = library.albums(model=model, min_tracks=min_tracks)
    print_table(console, ["album", "artist", "tracks", "genre", "agreement"],
                [[a.album, _name(a.artist), str(a.tracks), f"{a.genre} {a.probability:.0%}",
                  f"{a.agreement:.0%} ({a.agreeing}/{a.tracks})"]
                 for a in report.albums.itertuples()],
                title=f"albums by {report.model}", right=["tracks"])
    if disagree:
        print_table(console, ["path", "genre", "album genre"],
                    [[t.path, f"{t.genre} {t.probability:.0%}",
                      f"{t.album_genre} ({t.album} - {_name(t.artist)})"]
                     for t in report.disagreeing.itertuples()],
                    title="tracks that disagree with their album")
    err_console.print(str(report), highlight=False)


def _name(value) -> str:
    return value if isinstance(value, str) else "-"


@app.command("learn", short_help="Learn your own categories from songs you already sorted")
def learn(
    name: Annotated[str, typer.Argument(
        metavar="NAME", help="The model's name; `library classify --model "
                             "NAME` applies it.")],
    more_playlists: Annotated[list[Path] | None, typer.Argument(
        metavar="PLAYLIST", help="More playlists, after --from-playlist.",
        show_default=False)] = None,
    from_folders: Annotated[Path | None, typer.Option(
        "--from-folders", help="A folder whose sub-folders are the categories (songs at "
        "any depth); it is scanned first.")] = None,
    from_tag: Annotated[str | None, typer.Option(
        "--from-tag", help="genre or mood: the tag the indexed files carry.")] = None,
    from_playlist: Annotated[list[Path] | None, typer.Option(
        "--from-playlist", help="m3u/m3u8 playlists, one per category (named after the "
        "file): --from-playlist A.m3u8 B.m3u8 ...")] = None,
    min_confidence: Annotated[float | None, typer.Option(
        help="Songs whose top category's probability is below it are `unsure` (default: "
        "chosen by cross-validation).", show_default=False)] = None,
    folds: Annotated[int, typer.Option(help="Grouped cross-validation folds (groups: "
                                       "album, artist, folder; else recording).")] = 5,
    min_songs: Annotated[int, typer.Option(help="Categories with fewer songs are dropped, "
                                           "with a warning.")] = 3,
    suggest: Annotated[int, typer.Option(help="Also list this many unlabelled songs whose "
                                         "labels would help most.")] = 0,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report the cross-validated "
                                          "figures, save nothing.")] = False,
    db: Db = None, n_jobs: Jobs = None, store: StoreDir = None, no_store: NoStore = False,
    quiet: Quiet = False,
) -> None:
    """Learn your own categories from songs you already sorted, into the model NAME.

    genriflow library learn NAME --from-folders DIR | --from-tag genre |
    --from-playlist A.m3u8 B.m3u8 ...

    A head on the songs' musicnn analysis: its input (one or both taggers' embeddings,
    their tags), regularisation and unsure threshold chosen by grouped cross-validation.
    First printed: what that gives songs it never saw (nested cross-validation): the
    share right with unsure songs counted wrong, the share unsure, the sure songs'
    accuracy, each with its 95 % interval, and precision and recall per category. The
    chosen head is then fitted on every labelled song and saved beside the index
    (models/NAME), a model folder that `library classify --model NAME` and `genriflow
    predict FOLDER` apply.
    """
    from genriflow.errors import ConfigError

    if more_playlists and not from_playlist:
        raise ConfigError("from_playlist", f"must come before the playlists "
                          f"({more_playlists[0]} ...)")
    playlists = (*from_playlist, *(more_playlists or [])) if from_playlist else None
    # checked before the index is opened (or created); the library checks them again
    LearnConfig(name, from_folders=from_folders, from_tag=from_tag, from_playlists=playlists,
                head=HeadConfig(folds=folds, min_songs=min_songs, min_confidence=min_confidence),
                suggest=suggest, save=not dry_run)
    options = run_options(store, no_store, n_jobs, quiet)
    with open_library(db, create=True) as library:
        report = library.learn(name, from_folders=from_folders, from_tag=from_tag,
                               from_playlists=playlists, min_confidence=min_confidence,
                               folds=folds, min_songs=min_songs, suggest=suggest,
                               save=not dry_run, options=options)
    _print_learnt(report, suggest=suggest, min_songs=min_songs)


def _print_learnt(report, *, suggest: int = 0, min_songs: int = 3) -> None:
    for entry, why in report.skipped:
        err_console.print(labelled("skipped", f"{entry}: {why}"), highlight=False)
    for category, n in report.dropped.items():
        err_console.print(labelled("warning", f"category {category!r} dropped: "
                                   f"{counted(n, 'usable song')}, fewer than --min-songs "
                                   f"{min_songs}"), highlight=False)
    print_errors(report.errors)
    if report.circular:
        err_console.print(labelled("warning", report.circular), highlight=False)
    if report.ungrouped:  # one note for them all: the same words for each read as noise
        its = "its" if len(report.ungrouped) == 1 else "their"
        err_console.print(labelled("note", (
            f"{', '.join(report.ungrouped)}: the folds take {its} songs one by one, nothing "
            "telling which belong to one recording; pieces cut from one recording would sit "
            "on both sides and make the figures below optimistic (give each recording's "
            "pieces its title tag, or a sub-folder of their own)"), "cyan"),
            highlight=False)
    e = report.evaluation
    print_table(console, ["category", "songs", "precision", "recall"],
                [[category, str(f.songs), f"{f.precision:.3f}", f"{f.recall:.3f}"]
                 for category, f in e.per_category.items()],
                title=f"{report.name}: {e.part}", right=["songs", "precision", "recall"])
    console.print(styled("right (unsure counted wrong) ", (f"{e.right_rate:.3f}", "bold"),
                         f" ({e.sure_correct}/{e.n}, {_interval(e.right_interval)})"),
                  highlight=False)
    sure = (f"{e.sure_accuracy:.3f} ({e.sure_correct}/{e.sure}, "
            f"{_interval(e.sure_interval)})" if e.sure else "none sure")
    console.print(f"unsure {e.unsure_rate:.3f} ({e.unsure}/{e.n}, "
                  f"{_interval(e.unsure_interval)}); sure songs right {sure}", highlight=False)
    console.print(f"cross-validated accuracy {e.accuracy:.3f} ({e.correct}/{e.n}, "
                  f"{_interval(e.interval)}; the top category, unsure songs included); "
                  f"macro recall {e.macro_recall:.3f} (the categories' mean)", highlight=False)
    if report.choice is not None:
        c = report.choice.config
        console.print(f"chosen on all {counted(e.n, 'song')}: input {c.input}, C {c.c:g}, "
                      f"min-confidence {c.min_confidence:g}", highlight=False)
    if report.folder is not None:
        console.print(f"saved {report.folder}; apply it with `genriflow library classify "
                      f"--model {report.name}`", highlight=False)
    else:
        console.print("not saved (--dry-run)")
    if report.suggestions:
        console.print("label these next (the model is least sure of them):")
    elif suggest:  # asked for, and none: say so rather than print nothing
        err_console.print(labelled(
            "note", "--suggest: no unlabelled song to suggest; every song the index holds "
                    "is labelled or a copy of a labelled one (`genriflow library scan` the "
                    "rest of your music first)", "cyan"), highlight=False)
    for s in report.suggestions:
        console.print(f"  {s.category:<12} {s.probability:>4.0%}  margin {s.margin:.2f}  "
                      f"{s.path}", highlight=False, markup=False)
    exit_if_failed(report.errors)


def _interval(interval: tuple[float, float]) -> str:
    return f"95 % interval {interval[0]:.3f}-{interval[1]:.3f}"


FILE_SUMMARIES = {
    "plan": "Write a reviewable plan of tag changes; nothing is written",
    "apply": "Write exactly a reviewed plan into the files, journalled",
    "undo": "Restore the tags an apply run changed",
    "playlists": "Write one .m3u8 playlist per genre, mood or category",
}
for command_name, command in library_files.COMMANDS.items():
    app.command(command_name, short_help=FILE_SUMMARIES[command_name])(command)
app.command("check", short_help="Check the index without changing it")(library_check.check)
