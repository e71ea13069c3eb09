"""``genriflow cluster``: genres without labels, scored against the labels."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from genriflow.cli.common import (
    Device,
    Jobs,
    NoStore,
    Quiet,
    StoreDir,
    console,
    exit_if_failed,
    print_errors,
    print_table,
    run_options,
    split_list,
    stamp,
)
from genriflow.features import FEATURE_SET_NAMES

NAME = "cluster"


def command(
    data: Annotated[Path | None, typer.Argument(
        metavar="DATA_DIR", help="Folder of labelled audio or a manifest CSV.")] = None,
    # named as the API names them, so an error about `table` reads `--features`
    table: Annotated[Path | None, typer.Option("--features", help="Cluster a Kaggle-style "
                                               "feature table instead of audio.")] = None,
    methods: Annotated[str, typer.Option(help="Comma-separated: pca-gmm, kmeans, "
                                         "lstm-autoencoder (needs a frame set).")
                       ] = "pca-gmm,kmeans",
    feature_set: Annotated[str, typer.Option("--set", help="Representation of the audio: "
                                             f"{', '.join(FEATURE_SET_NAMES)}.")] = "kaggle",
    n_clusters: Annotated[int | None, typer.Option("--clusters", help="Number of clusters "
                                                   "(default: one per genre).")] = None,
    components: Annotated[int, typer.Option(help="PCA components before clustering.")] = 10,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    out: Annotated[Path | None, typer.Option(help="Run folder: new, empty or an earlier "
                                             "cluster run's (default: runs/cluster-<time>)."
                                             )] = None,
    n_jobs: Jobs = None, store: StoreDir = None, no_store: NoStore = False,
    quiet: Quiet = False, device: Device = "auto",
) -> None:
    """Find genres without labels; score the clusters against the labels (ARI, NMI,
    accuracy; and balanced accuracy where the genres are of unequal size)."""
    from genriflow.api_training import cluster

    out = out or Path("runs") / f"cluster-{stamp()}"
    run = cluster(data, table=table, methods=split_list(methods),
                  feature_set=feature_set, n_clusters=n_clusters, components=components,
                  seed=seed, out=out, options=run_options(store, no_store, n_jobs, quiet,
                                                             device=device))
    from genriflow.workflows.cluster_run import FIGURE_NAMES, figure_with_interval, shown_figures

    shown = shown_figures(run)
    headers = [FIGURE_NAMES[name] for name in shown]
    print_table(console, ["method", *headers],
                [[r.method, *(figure_with_interval(r, name) for name in shown)]
                 for r in run.scores.itertuples()],
                title=f"{run.feature_set}, {len(run.assignments)} items (all, no split); "
                      "95 % intervals (half-sampling"
                      + ("" if run.tracks is None else f" of {run.tracks} tracks") + ")",
                right=headers)
    console.print(f"report: {out / 'report.html'}  PCA picture: {out / 'pca-scatter.png'}")
    print_errors(run.errors)
    exit_if_failed(run.errors)
