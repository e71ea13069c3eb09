"""The options the ``genriflow library`` commands share, and opening the index."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

Db = Annotated[Path | None, typer.Option(
    "--db", help="The library index (default: $GENRIFLOW_LIBRARY_DB, else library.db in "
                 "the user's data folder, e.g. ~/.local/share/genriflow).")]
Model = Annotated[str | None, typer.Option(
    help="Whose analyses: a model name or folder as it classified the library, or a name "
         "given to `library learn` (default: the latest run's).")]
Genre = Annotated[str | None, typer.Option(help="Only songs whose top genre is this one.")]
Mood = Annotated[str | None, typer.Option(
    help="Only songs whose strongest mood is this one (happy, sad, mellow, party, chill, "
         "beautiful, energetic, calm, dark).")]
Voice = Annotated[str | None, typer.Option(
    help="Only songs the taggers call vocal or instrumental.")]
Unsure = Annotated[bool, typer.Option(
    "--unsure", help="Only songs whose top genre's probability is below --threshold.")]
Unknown = Annotated[bool, typer.Option(
    "--unknown", help="Only songs the model calls none of its genres (its reject rule: "
                      "noise, speech, music unlike all it learnt).")]
SkipUnknown = Annotated[bool, typer.Option(
    "--skip-unknown", help="Songs the model calls none of its genres (its reject rule: "
                           "noise, speech, music unlike all it learnt) get no genre.")]
Threshold = Annotated[float | None, typer.Option(
    help="What --unsure means, in [0, 1] (default: a learnt model's --min-confidence, "
         "else 0.5).")]


def index_path(db: Path | None) -> Path:
    """The index file at ``--db`` (default: the user's), neither opened nor created."""
    from genriflow.library.db import default_db_path

    return db if db is not None else default_db_path()


def open_library(db: Path | None, *, create: bool = False):
    """The :class:`~genriflow.library.Library` at ``--db`` (default: the user's), opened
    only once the command's options are checked. Only ``scan``, ``learn`` and ``apply``,
    which record songs or the journal of their writes, make a missing index (``create``);
    any other command refuses it, so that a mistyped ``--db`` leaves no stray index."""
    from genriflow.library.db import LibraryError

    path = index_path(db)
    if not create and not path.exists():
        raise LibraryError(f"{path}: no library index here; make one with `genriflow library "
                           "scan FOLDER` (see --db, $GENRIFLOW_LIBRARY_DB)")
    from genriflow.library import Library

    return Library(db)
