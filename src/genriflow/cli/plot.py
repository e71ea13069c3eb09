"""``genriflow plot``: pictures of a song or of a dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from genriflow.cli.common import Jobs, NoStore, Quiet, StoreDir, console, run_options

NAME = "plot"


def command(
    target: Annotated[Path, typer.Argument(
        metavar="TARGET", help="A song (seven pictures of it), a folder of "
                               "labelled audio or a feature table .csv/.parquet "
                               "(dataset pictures).")],
    out: Annotated[Path | None, typer.Option(help="Folder for the PNGs and report.html: new, "
                                             "empty or an earlier plot's (default: "
                                             "plots/<name>).")] = None,
    offset: Annotated[float, typer.Option(help="Song: start of the window, seconds.")] = 0.0,
    duration: Annotated[float, typer.Option(help="Song: length of the window, seconds.")
                        ] = 30.0,
    n_jobs: Jobs = None, store: StoreDir = None, no_store: NoStore = False,
    quiet: Quiet = False,
) -> None:
    """Pictures: waveform, spectrograms, chroma, tonnetz, MFCC and ZCR of a song; box plots,
    PCA and correlations of a dataset."""
    from genriflow.api import plot

    out = out or Path("plots") / target.stem
    paths = plot(target, out=out, offset=offset, duration=duration,
                 options=run_options(store, no_store, n_jobs, quiet))
    for path in paths:
        console.print(f"wrote {path}")
    console.print(f"report: {out / 'report.html'}")
