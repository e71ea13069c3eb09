"""``genriflow compare``: several models on one dataset and split, in one table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from genriflow.cli.common import (
    SPLIT_HELP,
    Device,
    Jobs,
    NoStore,
    Quiet,
    StoreDir,
    console,
    print_table,
    run_options,
    split_list,
    stamp,
)

NAME = "compare"


def command(
    # Named as the API names them (data, table), so that an error the API finds in either
    # is spelt as given here (DATA_DIR, --features), as train's.
    data: Annotated[Path | None, typer.Argument(metavar="DATA_DIR", help="Folder of "
                                                "labelled audio or a manifest CSV.")] = None,
    table: Annotated[Path | None, typer.Option("--features", help="Compare on a "
                                               "Kaggle-style feature table instead of "
                                               "audio (classical models), as train "
                                               "takes it.")] = None,
    models: Annotated[str | None, typer.Option(help="Comma-separated models: classical "
                                               "names, auto, networks (name or "
                                               "name@feature-set). Default: knn,svm,logreg,"
                                               "shortchunk-cnn; on a table knn,svm,logreg."
                                               )] = None,
    split: Annotated[str, typer.Option(help=SPLIT_HELP)] = "auto",
    out: Annotated[Path | None, typer.Option(help="Run folder: new, empty or an earlier "
                                             "compare run's (default: runs/compare-<time>)."
                                             )] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the split and the models.")] = 0,
    folds: Annotated[int, typer.Option(help="Folds of the k-fold splits.")] = 10,
    epochs: Annotated[int, typer.Option(help="Most epochs of each network.")] = 50,
    device: Device = "auto",
    n_jobs: Jobs = None, store: StoreDir = None, no_store: NoStore = False,
    quiet: Quiet = False,
) -> None:
    """Train several models on one dataset and split; print and save the comparison table.

    The dataset is labelled audio or, with --features, a feature table, read and split as
    train reads and splits it (GTZAN: the fault-filtered split by default).

    Validation and test accuracy come with their Wilson 95 % intervals, balanced accuracy
    (macro recall) with its 95 % one (per-genre Jeffreys draws), and each model with
    McNemar's exact test against the best on the same test songs (p: the chance of a
    difference this large between equally accurate models), as in comparison.md.
    """
    from genriflow.api_training import compare

    out = out or Path("runs") / f"compare-{stamp()}"
    result = compare(data, models=None if models is None else split_list(models), out=out,
                     table=table, split=split, seed=seed, folds=folds, epochs=epochs,
                     device=device,
                     options=run_options(store, no_store, n_jobs, quiet, device=device))
    from genriflow.workflows.train_any import shown_model  # numpy, after the checks

    best = result.loc[result["test"].idxmax(), "model"]
    rows = [[shown_model(r.model, r.chosen), r.input, _figure(r.train), _figure(r.valid),
             _interval(r.valid_low, r.valid_high), _figure(r.test),
             _interval(r.test_low, r.test_high), _figure(r.test_balanced),
             _interval(r.test_balanced_low, r.test_balanced_high),
             "best" if r.model == best else _figure(r.mcnemar_p)]
            for r in result.itertuples()]
    print_table(console, ["model", "input", "train", "valid", "valid 95 % interval", "test",
                          "test 95 % interval", "balanced", "balanced 95 % interval",
                          "McNemar p vs best"], rows,
                title=f"split: {result['split'].iloc[0]}",
                right=["train", "valid", "test", "balanced", "McNemar p vs best"])
    console.print(f"table: {out / 'comparison.md'}")


def _figure(value: float | None) -> str:
    return "-" if value is None or value != value else f"{value:.3f}"


def _interval(low: float | None, high: float | None) -> str:
    """``0.610-0.780``; ``-`` where there is none (no validation part, k-fold)."""
    return "-" if low is None or low != low else f"{_figure(low)}-{_figure(high)}"
