"""``genriflow compare``: several models on one dataset and split, in one table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from genriflow.cli.common import (
    Jobs,
    NoStore,
    Quiet,
    StoreDir,
    console,
    run_options,
    split_list,
    stamp,
)
from genriflow.datasets import SPLIT_METHODS

NAME = "compare"


def command(
    data_dir: Annotated[Path, typer.Argument(help="Folder of labelled audio or a manifest.")],
    models: Annotated[str, typer.Option(help="Comma-separated models: classical names, auto, "
                                        "networks (name or name@feature-set).")
                      ] = "knn,svm,logreg,shortchunk-cnn",
    split: Annotated[str, typer.Option(help=f"One of: {', '.join(SPLIT_METHODS)}.")] = "auto",
    out: Annotated[Path | None, typer.Option(help="Run folder (default: runs/compare-<time>)."
                                             )] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the split and the models.")] = 0,
    epochs: Annotated[int, typer.Option(help="Most epochs of each network.")] = 50,
    device: Annotated[str, typer.Option(help="Networks: auto, cpu or cuda.")] = "auto",
    jobs: Jobs = None, store: StoreDir = None, no_store: NoStore = False,
    quiet: Quiet = False,
) -> None:
    """Train several models on one dataset and split; print and save the comparison table."""
    from rich.table import Table

    from genriflow.api import compare

    out = out or Path("runs") / f"compare-{stamp()}"
    table = compare(data_dir, split_list(models), out=out, split=split, seed=seed,
                    epochs=epochs, device=device,
                    options=run_options(store, no_store, jobs, quiet))
    view = Table("model", "input", "train", "valid", "test", "balanced",
                 title=f"split: {table['split'].iloc[0]}")
    for r in table.itertuples():
        view.add_row(r.model, r.input, *[("-" if v is None or v != v else f"{v:.3f}")
                                         for v in (r.train, r.valid, r.test, r.test_balanced)])
    console.print(view)
    console.print(f"table: {out / 'comparison.md'}")
