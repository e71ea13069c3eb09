"""``genriflow evaluate``: score a saved model on its own split or on new data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from genriflow.cli.common import (
    Jobs,
    NoStore,
    Quiet,
    StoreDir,
    print_errors,
    print_result,
    run_options,
    stamp,
)

NAME = "evaluate"


def command(
    model_dir: Annotated[Path, typer.Argument(help="A model folder written by train.")],
    data_dir: Annotated[Path | None, typer.Argument(help="Labelled audio.")] = None,
    features: Annotated[Path | None, typer.Option(help="A Kaggle-style feature table.")] = None,
    part: Annotated[str, typer.Option(help="test/valid/train (the model's own split) or all "
                                      "(data the model never saw).")] = "test",
    out: Annotated[Path | None, typer.Option(help="Run folder (default: runs/evaluate-<time>)."
                                             )] = None,
    jobs: Jobs = None, store: StoreDir = None, no_store: NoStore = False,
    quiet: Quiet = False,
) -> None:
    """Score a saved model: accuracy, per-genre figures and confusion matrix, with the split."""
    from genriflow.api import evaluate

    run = evaluate(model_dir, data_dir, table=features, part=part,
                   out=out or Path("runs") / f"evaluate-{stamp()}",
                   options=run_options(store, no_store, jobs, quiet))
    print_result(run.metrics, run.folder)
    print_errors(run.errors)
