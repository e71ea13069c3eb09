"""``genriflow demo``: the whole job on the built-in demo corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from genriflow.cli.common import Jobs, Quiet, console, styled
from genriflow.demo import MIN_PER_GENRE

NAME = "demo"


def command(
    out: Annotated[Path, typer.Option(help="Folder for the corpus, model and reports.")] = Path(
        "demo-output"),
    per_genre: Annotated[int, typer.Option(help=f"Clips per genre (at least {MIN_PER_GENRE}: "
                                           "the split needs one of each genre in its "
                                           "validation and test parts).")] = 30,
    seconds: Annotated[float, typer.Option(help="Seconds per clip.")] = 10.0,
    n_jobs: Jobs = None, quiet: Quiet = False,
) -> None:
    """The whole job on the built-in demo corpus: data, features, training, report, predictions."""
    from genriflow.demo import run_demo
    from genriflow.features.options import RunOptions

    summary = run_demo(out, per_genre=per_genre, seconds=seconds,
                       options=RunOptions(n_jobs=n_jobs, progress=not quiet), console=console)
    low, high = summary.interval
    console.print(styled((f"test accuracy: {summary.accuracy:.3f}", "bold"),
                         f" ({summary.correct}/{summary.n}, 95 % Wilson interval {low:.3f}-"
                         f"{high:.3f}) on {summary.part}"))
    console.print(f"report: {summary.report}")
