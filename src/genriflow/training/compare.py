"""Train several models on one dataset and split, and tabulate them (the CS229 table)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from genriflow.datasets.splits import SplitConfig
from genriflow.training.api import classical_spec, is_network, train_any


def _input_set(model: str) -> str:
    if not is_network(model):
        return classical_spec(model)[1]
    from genriflow.training.deep import parse_network

    return parse_network(model)[1]


def compare(data: str | os.PathLike, models: Sequence[str], out: str | os.PathLike,
            split: SplitConfig | None = None, epochs: int = 50, device: str = "auto",
            store: str | os.PathLike | None = None, n_jobs: int | None = None,
            progress: bool = True) -> pd.DataFrame:
    """Train each model on the same data and split; write ``comparison.csv`` and ``.md``.

    Parameters
    ----------
    data : path
        Labelled audio (folder or manifest).
    models : sequence of str
        Classical names or ``auto`` (optionally ``@feature-set``, e.g. ``svm@msd-musicnn``),
        or networks (``name`` or ``name@feature-set``).
    out : path
        Run folder: one model folder per model (with its confusion matrix) and the table.
    split, epochs, device, store, n_jobs, progress
        As for :func:`~genriflow.training.api.train_any`; the feature store makes each
        feature set computed once for all models that use it.

    Returns
    -------
    pandas.DataFrame
        One row per model: input, train, validation and test accuracy, balanced test
        accuracy, and the split.
    """
    out = Path(out)
    split = split or SplitConfig()
    rows = []
    for model in models:
        folder = out / model.replace("@", "-")
        metrics, _ = train_any(model, folder, data, None, split, epochs=epochs, device=device,
                               store=store, n_jobs=n_jobs, progress=progress)
        valid = metrics.get("valid_accuracy")
        if valid is None:
            valid = metrics.get("selection_valid_accuracy", {}).get(metrics["chosen"])
        rows.append({"model": model, "chosen": metrics["chosen"], "input": _input_set(model),
                     "train": metrics.get("train_accuracy"), "valid": valid,
                     "test": metrics["test"]["accuracy"],
                     "test_balanced": metrics["test"]["balanced_accuracy"],
                     "split": metrics["test"]["part"], "folder": str(folder)})
    table = pd.DataFrame(rows)
    table.to_csv(out / "comparison.csv", index=False)
    (out / "comparison.md").write_text(_markdown(table, data))
    return table


def _markdown(table: pd.DataFrame, data) -> str:
    lines = [f"# Model comparison on `{data}`", "",
             f"Split: {table['split'].iloc[0]} (train accuracy on the fit data; classical "
             "models refit on train + valid).", "",
             "| model | input | train | valid | test | test balanced | confusion |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in table.itertuples():
        cells = [_pct(r.train), _pct(r.valid), _pct(r.test), _pct(r.test_balanced)]
        lines.append(f"| {r.model} | {r.input} | {' | '.join(cells)} | "
                     f"[png]({Path(r.folder).name}/confusion.png) |")
    return "\n".join(lines) + "\n"


def _pct(x) -> str:
    return "-" if x is None or pd.isna(x) else f"{x:.3f}"
