"""Pictures of a feature table: per-genre box plots, a PCA map and feature correlations.

Made for the GTZAN-style table (``filename``, ``label`` and the 57 columns of
:data:`~genriflow.features.gtzan_table.GTZAN_TABLE_COLUMNS`, as in Kaggle's
``features_30_sec.csv`` or ``genriflow features --table``), and usable with any table of
numeric columns and a label column.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from genriflow.evaluation.plots import save_figure
from genriflow.features.dataset import FeatureDataset
from genriflow.features.gtzan_table import GTZAN_TABLE_COLUMNS
from genriflow.features.sets import feature_set
from genriflow.models.transforms import flatten, reduce_pca

#: Box plots drawn when their column is present: column -> (file stem, title, y label).
BOXPLOTS: dict[str, tuple[str, str, str]] = {
    "spectral_centroid_mean": ("boxplot-spectral-centroid",
                               "Spectral centroid (mean over the clip) per genre",
                               "spectral centroid (Hz)"),
    "tempo": ("boxplot-tempo", "Estimated tempo per genre", "tempo (BPM)"),
}


def plot_dataset(table: pd.DataFrame, out_dir: str | os.PathLike, *,
                 label_column: str = "label") -> list[Path]:
    """Write the pictures of a feature table.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per clip: ``label_column`` and numeric feature columns. The features are
        the 57 GTZAN table columns when all are present (``length`` and other metadata are
        then left out), otherwise every numeric column; constant columns are dropped.
    out_dir : path
        Created if needed.
    label_column : str
        The genre column.

    Returns
    -------
    list of Path
        ``boxplot-spectral-centroid.png`` and ``boxplot-tempo.png`` (each only if its
        column is present; see :data:`BOXPLOTS`), ``pca-scatter.png`` (the first two
        principal components of the standardised features, coloured by genre) and
        ``feature-correlation.png`` (Pearson correlation of every pair of features).

    Raises
    ------
    ValueError
        If ``label_column`` is missing or fewer than two usable feature columns remain.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    features = feature_frame(table, label_column)
    labels = table.loc[features.index, label_column].astype(str).to_numpy()
    paths = [_boxplot(features[column], labels, *BOXPLOTS[column][1:],
                      out_dir / f"{BOXPLOTS[column][0]}.png")
             for column in BOXPLOTS if column in features]
    paths.append(plot_pca_scatter(features.to_numpy(), labels, f"PCA of {features.shape[1]} "
                                  f"standardised features ({len(features)} clips)",
                                  out_dir / "pca-scatter.png"))
    paths.append(_correlation_heatmap(features, out_dir / "feature-correlation.png"))
    return paths


def feature_frame(table: pd.DataFrame, label_column: str = "label") -> pd.DataFrame:
    """The feature columns of ``table`` (see :func:`plot_dataset`), rows with gaps dropped."""
    if label_column not in table:
        raise ValueError(f"the table has no {label_column!r} column")
    if all(column in table for column in GTZAN_TABLE_COLUMNS):
        features = table[list(GTZAN_TABLE_COLUMNS)]
    else:
        features = table.drop(columns=label_column).select_dtypes("number")
    features = features.dropna()
    features = features.loc[:, features.nunique() > 1]
    if features.shape[1] < 2:
        raise ValueError("fewer than two numeric, non-constant feature columns")
    return features.astype(np.float64)


def plot_embedding_scatter(points2d: np.ndarray, labels: Sequence[str], title: str,
                           path: str | os.PathLike, *, xlabel: str, ylabel: str) -> Path:
    """Save a 2-D scatter of points coloured by label, with a legend.

    Parameters
    ----------
    points2d : np.ndarray, shape (n, 2)
        Coordinates (PCA, t-SNE, UMAP, ...).
    labels : sequence of str, length n
        Colour groups (genres, clusters); legend entries sorted.
    title : str
    path : path
        PNG file to write.
    xlabel, ylabel : str
        Axis labels, with units or explained variance.

    Returns
    -------
    Path
        ``path``.
    """
    points2d, labels = np.asarray(points2d), np.asarray(labels).astype(str)
    groups = np.unique(labels)
    colours = plt.get_cmap("tab10" if groups.size <= 10 else "tab20")
    fig, ax = plt.subplots(figsize=(8.5, 6.5))
    for k, group in enumerate(groups):
        inside = labels == group
        ax.scatter(points2d[inside, 0], points2d[inside, 1], s=12, alpha=0.75,
                   color=colours(k % colours.N), label=group)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, markerscale=1.5)
    return save_figure(fig, path)


def _boxplot(values: pd.Series, labels: np.ndarray, title: str, ylabel: str,
             path: Path) -> Path:
    genres = np.unique(labels)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.7 * genres.size + 2), 4.5))
    ax.boxplot([values[labels == genre] for genre in genres])
    ax.set_xticks(range(1, genres.size + 1), genres.tolist(), rotation=45, ha="right")
    ax.set_title(title)
    ax.set_xlabel("genre")
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)
    return save_figure(fig, path)


def plot_pca_scatter(X: np.ndarray, labels: Sequence[str], title: str,
                     path: str | os.PathLike, *, log_columns: Sequence[int] = ()) -> Path:
    """Save the first two principal components of standardised features, coloured by label.

    Parameters
    ----------
    X : np.ndarray, shape (n, ...)
        Feature vectors, or frame arrays (flattened).
    labels : sequence of str, length n
    title : str
    path : path
    log_columns : sequence of int
        Variance columns of a feature table, logged first (as the models do).
    """
    pca = reduce_pca(2, 0, log_columns)
    points = pca.fit_transform(flatten(X))
    share = pca.named_steps["pca"].explained_variance_ratio_ * 100
    return plot_embedding_scatter(points, labels, title, path,
                                  xlabel=f"PC1 ({share[0]:.1f} % of variance)",
                                  ylabel=f"PC2 ({share[1]:.1f} % of variance)")


def _correlation_heatmap(features: pd.DataFrame, path: Path) -> Path:
    names = list(features.columns)
    size = max(6.0, 0.2 * len(names) + 3)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(features.corr().to_numpy(), cmap="RdBu_r", vmin=-1, vmax=1)
    fontsize = 8 if len(names) <= 20 else 6
    ax.set_xticks(range(len(names)), names, rotation=90, fontsize=fontsize)
    ax.set_yticks(range(len(names)), names, fontsize=fontsize)
    ax.set_title(f"Feature correlation ({len(features)} clips)")
    ax.set_xlabel("feature")
    ax.set_ylabel("feature")
    fig.colorbar(image, ax=ax, label="Pearson correlation", shrink=0.8)
    return save_figure(fig, path)


def plot_feature_dataset(dataset: FeatureDataset, out_dir: str | os.PathLike) -> list[Path]:
    """:func:`plot_dataset` of a vector feature set computed from audio (e.g. ``kaggle``)."""
    config = dataset.feature_config
    columns = feature_set(config.set).column_names(config)
    if columns is None:
        raise ValueError(f"{config.set!r} is a tensor set; dataset pictures need a vector "
                         "set such as kaggle")
    table = pd.DataFrame(np.asarray(dataset.X), columns=list(columns))
    table["label"] = dataset.y
    return plot_dataset(table, out_dir)
