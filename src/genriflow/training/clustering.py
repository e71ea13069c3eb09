"""Cluster a labelled dataset without its labels and score the clusters against them."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from genriflow.evaluation.metrics import clustering_metrics
from genriflow.features.dataset import FeatureDataset
from genriflow.features.sets import feature_set
from genriflow.models.clustering import CLUSTER_METHODS, make_clusterer
from genriflow.models.transforms import variance_columns

#: Published figures the README sets beside ours (Genriflow author, PCA + GMM, stack).
GENRIFLOW_PCA_GMM = {"ari": 0.128, "nmi": 0.296}


@dataclass(frozen=True)
class ClusterConfig:
    """What ``genriflow cluster`` runs; saved as ``config.json`` in the run folder.

    Attributes
    ----------
    methods : tuple of str
        Names in :data:`~genriflow.models.clustering.CLUSTER_METHODS`.
    n_clusters : int or None
        ``None``: one cluster per label in the data.
    n_components : int
        Principal components before clustering.
    seed : int
    """

    methods: tuple[str, ...] = ("pca-gmm", "kmeans")
    n_clusters: int | None = None
    n_components: int = 10
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = [m for m in self.methods if m not in CLUSTER_METHODS]
        if unknown or not self.methods:
            raise ValueError(f"unknown clustering method {', '.join(unknown) or '(none)'}; "
                             f"choose from {', '.join(CLUSTER_METHODS)}")


@dataclass
class ClusterRun:
    """Scores per method (``ari``, ``nmi``, ``matched_accuracy``) and the cluster of each
    item (``assignments``: one column per method, rows as ``dataset.frame``)."""

    scores: pd.DataFrame
    assignments: pd.DataFrame
    config: ClusterConfig
    source: str
    feature_set: str
    extra: dict = field(default_factory=dict)


def cluster(dataset: FeatureDataset, config: ClusterConfig | None = None) -> ClusterRun:
    """Run every method of ``config`` on ``dataset`` (its labels are used only to score).

    Returns
    -------
    ClusterRun
    """
    config = config or ClusterConfig()
    if len(dataset.y) < 3:
        raise ValueError(f"{dataset.source}: clustering needs at least 3 items, "
                         f"got {len(dataset.y)}")
    n_clusters = config.n_clusters or len(np.unique(dataset.y))
    log_columns = _log_columns(dataset)
    rows, assignments = [], dataset.frame[["path", "label"]].copy()
    for method in config.methods:
        clusterer = make_clusterer(method, n_clusters, config.seed, config.n_components,
                                   log_columns)
        clusters = clusterer.fit_predict(dataset.X)
        assignments[method] = clusters
        rows.append({"method": method, **clustering_metrics(dataset.y, clusters)})
    return ClusterRun(pd.DataFrame(rows), assignments, config, dataset.source,
                      dataset.feature_config.set)


def _log_columns(dataset: FeatureDataset) -> tuple[int, ...]:
    columns = feature_set(dataset.feature_config.set).column_names(dataset.feature_config)
    return variance_columns(columns or ())


def cluster_to_folder(dataset: FeatureDataset, out: str | os.PathLike,
                      config: ClusterConfig | None = None) -> ClusterRun:
    """:func:`cluster`, then write the run folder: ``scores.csv``, ``clusters.csv``,
    ``config.json``, the PCA scatter coloured by genre, one cluster-against-genre picture per
    method, ``report.md`` and ``report.html``."""
    from genriflow.evaluation.html import write_html_report
    from genriflow.evaluation.plots import plot_cluster_assignments
    from genriflow.plots.dataset import plot_pca_scatter

    run = cluster(dataset, config)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    run.scores.to_csv(out / "scores.csv", index=False)
    run.assignments.to_csv(out / "clusters.csv", index=False)
    (out / "config.json").write_text(json.dumps(
        {**asdict(run.config), "data": run.source, "features": run.feature_set}, indent=2) + "\n")
    plot_pca_scatter(dataset.X, dataset.y, f"PCA of {run.feature_set}, coloured by genre",
                     out / "pca-scatter.png", log_columns=_log_columns(dataset))
    for method in run.config.methods:
        plot_cluster_assignments(dataset.y, run.assignments[method].to_numpy(),
                                 f"{method} clusters against genres ({run.feature_set})",
                                 out / f"clusters-{method}.png")
    (out / "report.md").write_text(cluster_report(run))
    write_html_report(out)
    return run


def cluster_report(run: ClusterRun) -> str:
    """The run as Markdown: data, settings, the scores table and the pictures."""
    n = len(run.assignments)
    lines = [f"# genriflow clustering: {run.feature_set}", "",
             f"Data: `{run.source}` ({n} items, {run.assignments['label'].nunique()} genres). "
             "Labels are used only to score; every item is clustered (no split).", "",
             f"Settings: PCA to {run.config.n_components} components, seed {run.config.seed}.",
             "", "| method | ARI | NMI | matched accuracy |", "| --- | --- | --- | --- |"]
    lines += [f"| {r.method} | {r.ari:.3f} | {r.nmi:.3f} | {r.matched_accuracy:.3f} |"
              for r in run.scores.itertuples()]
    lines += ["", "![PCA scatter](pca-scatter.png)", ""]
    lines += [f"![{m} clusters](clusters-{m}.png)" for m in run.config.methods]
    return "\n".join(lines) + "\n"
