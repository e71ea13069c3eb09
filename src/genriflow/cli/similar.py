"""``genriflow similar``: songs like this one, from an incremental embedding index."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from genriflow.cli.common import (
    Device,
    Excerpts,
    Full,
    Jobs,
    NoStore,
    Quiet,
    StoreDir,
    console,
    exit_if_failed,
    print_errors,
    run_options,
    sampling_options,
    styled,
)
from genriflow.errors import ConfigError
from genriflow.progress import counted, one_line

NAME = "similar"


def command(
    paths: Annotated[list[Path], typer.Argument(
        metavar="PATH", help="[SONG] LIBRARY_DIR: the songs of the "
                             "library most like SONG; the library alone "
                             "indexes it (and scores it if labelled).")],
    k: Annotated[int, typer.Option("-k", help="How many songs.")] = 5,
    excerpts: Excerpts = None, full: Full = False,
    n_jobs: Jobs = None, store: StoreDir = None, no_store: NoStore = False,
    quiet: Quiet = False, device: Device = "auto",
) -> None:
    """Songs like this one, by pretrained embedding (cosine), from an incremental index.

    The index lives in the feature store and follows the library: only new or changed
    files are embedded, and songs `predict --tags` has analysed (same --excerpts or
    --full) are not analysed again. In a folder-per-genre library, precision@k (the share
    of each song's k nearest songs with its genre) is printed too.
    """
    if len(paths) not in (1, 2):
        raise ConfigError("paths", "must be [SONG] LIBRARY_DIR")
    if no_store:
        raise ConfigError("no_store", "cannot be used: similar keeps its index in the "
                          "feature store")
    sampling = sampling_options(excerpts, full)
    from genriflow.api import similar

    found = similar(paths[0] if len(paths) == 2 else None, paths[-1], k=k,
                    options=run_options(store, no_store, n_jobs, quiet, device=device),
                    **sampling)
    update = found.update
    console.print(f"index: {counted(len(found.index), 'song')} ({len(update.added)} added, "
                  f"{len(update.changed)} changed, {len(update.removed)} removed, "
                  f"{update.computed} embedded now)")
    for rank, (path, similarity) in enumerate(found.neighbours, start=1):
        console.print(f"{rank:>3}  {similarity:.3f}  {one_line(path)}", highlight=False)
    if found.precision is not None:
        low, high = found.precision_interval
        console.print(styled(f"precision@{k} over the library (same-genre neighbours, "
                             f"{counted(len(found.index), 'song')}): ",
                             (f"{found.precision:.3f}", "bold"),
                             f" (95 % bootstrap {low:.3f}-{high:.3f})"))
    print_errors(update.errors)
    exit_if_failed(update.errors)
