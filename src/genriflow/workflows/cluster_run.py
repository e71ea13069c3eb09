"""Cluster a labelled dataset without its labels and score the clusters against them."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from genriflow.evaluation.html import write_html_report
from genriflow.evaluation.metrics import clustering_intervals, clustering_metrics
from genriflow.evaluation.plots import plot_cluster_assignments, plot_pca_scatter
from genriflow.evaluation.tracks import track_ids
from genriflow.features.dataset import FeatureDataset
from genriflow.training.clustering import ClusterConfig, assign_clusters, log_columns

#: Published figures the README sets beside ours (Genriflow author, PCA + GMM, stack).
GENRIFLOW_PCA_GMM = {"ari": 0.128, "nmi": 0.296}


@dataclass
class ClusterRun:
    """Scores per method (``ari``, ``nmi``, ``matched_accuracy``,
    ``matched_balanced_accuracy``, each with its 95 %
    interval's ``_low`` and ``_high``) and the cluster of each item (``assignments``: one
    column per method, rows as ``dataset.frame``). ``tracks``: where the items are
    segments of tracks (a 3-second table), how many tracks, whose halves the intervals
    draw; else ``None``."""

    scores: pd.DataFrame
    assignments: pd.DataFrame
    config: ClusterConfig
    source: str
    feature_set: str
    extra: dict = field(default_factory=dict)
    tracks: int | None = None


def cluster(dataset: FeatureDataset, config: ClusterConfig | None = None) -> ClusterRun:
    """Run every method of ``config`` on ``dataset`` (its labels are used only to score).

    Returns
    -------
    ClusterRun
    """
    config = config or ClusterConfig()
    assignments = assign_clusters(dataset, config)
    items = dataset.frame["path"].tolist()
    scores = pd.DataFrame([{"method": method,
                            **clustering_metrics(dataset.y, assignments[method].to_numpy()),
                            **clustering_intervals(dataset.y, assignments[method].to_numpy(),
                                                   seed=config.seed, items=items)}
                           for method in config.methods])
    tracks = track_ids(items)
    return ClusterRun(scores, assignments, config, dataset.source, dataset.feature_config.set,
                      tracks=None if tracks is None else len(set(tracks)))


def cluster_to_folder(dataset: FeatureDataset, out: str | os.PathLike,
                      config: ClusterConfig | None = None) -> ClusterRun:
    """:func:`cluster`, then write the run folder: ``scores.csv``, ``clusters.csv``,
    ``config.json``, the PCA scatter coloured by genre, one cluster-against-genre picture per
    method, ``report.md`` and ``report.html``."""
    run = cluster(dataset, config)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    run.scores.to_csv(out / "scores.csv", index=False)
    run.assignments.to_csv(out / "clusters.csv", index=False)
    (out / "config.json").write_text(json.dumps(
        {**asdict(run.config), "data": run.source, "features": run.feature_set}, indent=2) + "\n")
    pictures = [out / "pca-scatter.png", *(out / f"clusters-{method}.png"
                                           for method in run.config.methods)]
    plot_pca_scatter(dataset.X, dataset.y, f"PCA of {run.feature_set}, coloured by genre",
                     pictures[0], log_columns=log_columns(dataset))
    for method, picture in zip(run.config.methods, pictures[1:], strict=True):
        plot_cluster_assignments(dataset.y, run.assignments[method].to_numpy(),
                                 f"{method} clusters against genres ({run.feature_set})",
                                 picture)
    (out / "report.md").write_text(cluster_report(run))
    write_html_report(out, pictures=pictures)
    return run


#: The scores' columns, each with its interval's ``_low`` and ``_high``.
FIGURES = ("ari", "nmi", "matched_accuracy", "matched_balanced_accuracy")
#: How each figure is headed in tables.
FIGURE_NAMES = {"ari": "ARI", "nmi": "NMI", "matched_accuracy": "matched accuracy",
                "matched_balanced_accuracy": "matched balanced accuracy"}


def shown_figures(run: ClusterRun) -> tuple[str, ...]:
    """The figures a table shows: the balanced one (macro recall) only where the genres
    are of unequal size; with genres alike it repeats the matched accuracy."""
    sizes = run.assignments["label"].value_counts()
    return FIGURES if sizes.nunique() > 1 else FIGURES[:-1]


def figure_with_interval(row, name: str) -> str:
    """``0.175 (0.152-0.199)``: a score of ``row`` (of :attr:`ClusterRun.scores`) and its
    95 % interval."""
    low, high = getattr(row, f"{name}_low"), getattr(row, f"{name}_high")
    to = " to " if low < 0 else "-"  # an ARI below chance: "(-0.004 to 0.031)"
    return f"{getattr(row, name):.3f} ({low:.3f}{to}{high:.3f})"


def halves_of(run: ClusterRun) -> str:
    """What the intervals' halves draw: ``items``, or for segments of tracks ``200 tracks
    (each with all its segments: a track's segments are not independent items)``."""
    if run.tracks is None:
        return "items"
    return (f"{run.tracks} tracks (each with all its segments: a track's segments are not "
            "independent items)")


def cluster_report(run: ClusterRun) -> str:
    """The run as Markdown: data, settings, the scores table and the pictures."""
    n = len(run.assignments)
    shown = shown_figures(run)
    lines = [f"# genriflow clustering: {run.feature_set}", "",
             f"Data: `{run.source}` ({n} items, {run.assignments['label'].nunique()} genres). "
             "Labels are used only to score; every item is clustered (no split).", "",
             f"Settings: PCA to {run.config.n_components} components, seed {run.config.seed}.",
             "", "Each figure with its 95 % interval, from the figure's spread over 1000 "
             f"random halves of the {halves_of(run)} (the clustering held fixed: it says how "
             "much the figure depends on which items were scored, not how another "
             "clustering run would differ).", "",
             f"| method | {' | '.join(FIGURE_NAMES[name] for name in shown)} |",
             f"| --- |{' --- |' * len(shown)}"]
    lines += [f"| {r.method} | {' | '.join(figure_with_interval(r, name) for name in shown)} |"
              for r in run.scores.itertuples()]
    if len(shown) == len(FIGURES):
        lines += ["", "The genres are of unequal size: matched balanced accuracy is the mean of "
                  "each genre's share in its matched cluster (macro recall), which the "
                  "largest genres cannot carry alone."]
    lines += ["", "![PCA scatter](pca-scatter.png)", ""]
    lines += [f"![{m} clusters](clusters-{m}.png)" for m in run.config.methods]
    return "\n".join(lines) + "\n"
