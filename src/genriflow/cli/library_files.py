"""``genriflow library plan | apply | undo | playlists``: into the files and the players.

A few lines each over :meth:`genriflow.library.Library.plan`, ``apply``, ``undo`` and
``playlists``; registered on the ``library`` group by :mod:`genriflow.cli.library`.
"""

from __future__ import annotations

import shlex
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from genriflow.cli.common import (
    Quiet,
    console,
    err_console,
    labelled,
    print_table,
    split_list,
    styled,
)
from genriflow.cli.library_options import Db, Model, SkipUnknown, index_path, open_library
from genriflow.library.configs import PlanConfig
from genriflow.progress import print_hanging

DryRun = Annotated[bool, typer.Option("--dry-run", "-n", help="Only print what would change, "
                                      "with counts, and the files the run would refuse "
                                      "(read-only, changed); write nothing.")]
KeepMtime = Annotated[bool, typer.Option("--keep-mtime", help="Keep each file's modification "
                                         "time.")]


def plan(
    out: Annotated[Path, typer.Option("--out", "-o", help="The plan file (CSV) to write: a new "
                                      "file, or an earlier plan it replaces.")],
    fields: Annotated[str, typer.Option(help="Comma-separated: genre, mood, voice.")
                      ] = "genre",
    policy: Annotated[str, typer.Option(
        help="keep-existing (never replace a value you set), merge (add to your values) "
             "or overwrite.")] = "keep-existing",
    min_confidence: Annotated[float, typer.Option(
        help="Fields whose analysis is less sure than this keep their value.")] = 0.0,
    skip_unknown: SkipUnknown = False, model: Model = None, db: Db = None,
    quiet: Quiet = False,
) -> None:
    """Write a reviewable plan: per song and field, the value now, the value to write, the
    confidence, the model and the file's content hash. Nothing is written to the songs.

    Review (or edit) the CSV, then `genriflow library apply PLAN`.
    """
    # checked before the index is opened (or created); the library checks it again
    config = PlanConfig(tuple(split_list(fields)), policy=policy,
                        min_confidence=min_confidence, model=model, skip_unknown=skip_unknown)
    with open_library(db) as library:
        from genriflow.library.plan import plan_output

        plan_output(out)  # before the songs' tags are read
        made = library.plan(**asdict(config), progress=not quiet)
    made.write(out)
    for path, why in made.left_out:  # on a terminal, wrapped between words
        print_hanging(err_console, styled(("left out:", "yellow"), " "), f"{path}: {why}")
    # on a terminal rich wraps it between words; elsewhere each line stays whole
    console.print(f"{made}\nwrote {out}; review it, then `genriflow library apply {out}`",
                  highlight=False, soft_wrap=not console.is_terminal)


def apply(
    plan_file: Annotated[Path, typer.Argument(metavar="PLAN", help="A plan made by "
                                              "`library plan` (edited or not).")],
    dry_run: DryRun = False, keep_mtime: KeepMtime = False,
    id3v23: Annotated[bool, typer.Option("--id3v2.3", help="Save mp3/wav tags as ID3v2.3 "
                                         "(several values joined with '; '); default: each "
                                         "file's own version, 2.4 for a new tag.")] = False,
    db: Db = None, quiet: Quiet = False,
) -> None:
    """Write exactly PLAN into the files: each via a temporary copy, fsync, tags read back,
    audio checked unchanged, then an atomic rename. Journalled: `library undo` restores.

    Files changed since the plan, read-only or otherwise unwritable are left untouched and
    listed; the exit status is 1 if any failed. Running a plan again writes what is left.
    A missing index (--db) is made to hold the journal, and named; a dry run makes none.
    """
    path = index_path(db)
    new = not path.exists()
    # a plan holds its files' content hashes: it needs no scan, only a journal for undo;
    # a dry run on a missing index reads an empty one in memory and leaves no file behind
    with open_library(Path(":memory:") if new and dry_run else db, create=True) as library:
        report = library.apply(plan_file, dry_run=dry_run, keep_mtime=keep_mtime,
                               id3_version=3 if id3v23 else None, progress=not quiet)
    if new and not dry_run and report.written:
        also = "" if db is None else f" --db {shlex.quote(str(path))}"
        err_console.print(labelled(
            "note", f"{path} is a new library index: it holds this run's journal, so "
                    f"`genriflow library undo{also}` takes it back (the index you made the "
                    "plan with knows nothing of it)", "cyan"), highlight=False, soft_wrap=True)
    _finish(report, dry_run)


def undo(
    run: Annotated[int | None, typer.Argument(
        metavar="RUN", help="The apply run (default: the latest not "
                            "undone; see --list).")] = None,
    list_runs: Annotated[bool, typer.Option("--list", help="List the apply and undo runs "
                                            "instead.")] = False,
    dry_run: DryRun = False, keep_mtime: KeepMtime = False, db: Db = None, quiet: Quiet = False,
) -> None:
    """Restore every tag an apply run changed, exactly as it was, with the same safety.

    Files changed since that run are refused (exit status 1), the rest restored.
    """
    with open_library(db) as library:
        if list_runs:
            _print_runs(library.tag_runs())
            return
        report = library.undo(run, dry_run=dry_run, keep_mtime=keep_mtime,
                              progress=not quiet)
    _finish(report, dry_run)


def playlists(
    by: Annotated[str, typer.Option(help="genre, mood, voice, or the NAME of a model learnt "
                                    "with `library learn` (its categories).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The playlists' folder.")],
    skip_unknown: SkipUnknown = False, model: Model = None, db: Db = None,
) -> None:
    """Write one .m3u8 per value (UTF-8, #EXTINF, paths relative to the folder).

    genriflow's own playlists are regenerated; one it did not make is never overwritten
    (exit status 1). They read back as labels: `library learn NAME --from-playlist ...`.
    """
    with open_library(db) as library:
        report = library.playlists(by, out, model=model, skip_unknown=skip_unknown)
    for path, n in report.written.items():
        console.print(f"  {n:>5}  {path}", highlight=False)
    for path in report.removed:
        console.print(f"  removed {path}", highlight=False)
    _end(report, report.refused, "refused")


def _finish(report, dry_run: bool) -> None:
    for path, field, old, new in report.changes if dry_run else []:
        after = f"'{new}'" if new else "removed"
        console.print(f"  {path}: {field} '{old}' -> {after}", highlight=False, markup=False)
    _end(report, report.errors, "failed")


def _end(report, problems: list[tuple[str, str]], label: str) -> None:
    """The files left as they were, one line each; the counts; exit status 1 if any."""
    for path, why in problems:
        err_console.print(labelled(label, f"{path}: {why}", "red"), highlight=False,
                          soft_wrap=True)
    console.print(str(report), highlight=False)
    if problems:
        raise typer.Exit(1)


def _print_runs(frame) -> None:
    from datetime import datetime

    import pandas as pd

    rows = []
    for r in frame.itertuples():
        when = datetime.fromtimestamp(r.started_at).strftime("%Y-%m-%d %H:%M:%S")
        undone = "" if pd.isna(r.undone_by) else str(int(r.undone_by))
        rows.append([str(r.id), r.kind, r.source, when, str(r.files), str(r.failed), undone])
    print_table(console, ["run", "kind", "source", "when", "files", "failed", "undone by"],
                rows, title="tag runs", right=["run", "files", "failed"], fold=["source"])


COMMANDS = {"plan": plan, "apply": apply, "undo": undo, "playlists": playlists}
