"""Pictures of a feature table: per-genre box plots, a PCA map and feature correlations.

Made for the GTZAN-style table (``filename``, ``label`` and the 57 columns of
:data:`~genriflow.features.gtzan_table.GTZAN_TABLE_COLUMNS`, as in Kaggle's
``features_30_sec.csv`` or ``genriflow features --table``), and usable with any table of
numeric columns and a label column.

Named like :mod:`genriflow.features.dataset`, whose tables it draws: the package says
which side (features or pictures) of a dataset each is.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from genriflow.datasets.discover import DatasetError
from genriflow.errors import ConfigError
from genriflow.evaluation.plots import pca_map, plot_embedding_scatter, save_figure
from genriflow.features.dataset import FeatureDataset
from genriflow.features.gtzan_table import GTZAN_TABLE_COLUMNS
from genriflow.features.sets import feature_set

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
    DatasetError
        If ``label_column`` is missing or fewer than two usable feature columns remain.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    features = feature_frame(table, label_column)
    labels = table.loc[features.index, label_column].astype(str).to_numpy()
    paths = [_boxplot(features[column], labels, *BOXPLOTS[column][1:],
                      out_dir / f"{BOXPLOTS[column][0]}.png")
             for column in BOXPLOTS if column in features]
    points, xlabel, ylabel = pca_map(features.to_numpy())
    paths.append(plot_embedding_scatter(points, labels, f"PCA of {features.shape[1]} "
                                        f"standardised features ({len(features)} clips)",
                                        out_dir / "pca-scatter.png", xlabel=xlabel,
                                        ylabel=ylabel))
    paths.append(_correlation_heatmap(features, out_dir / "feature-correlation.png"))
    return paths


def feature_frame(table: pd.DataFrame, label_column: str = "label") -> pd.DataFrame:
    """The feature columns of ``table`` (see :func:`plot_dataset`), rows with gaps dropped."""
    if label_column not in table:
        raise DatasetError(f"the table has no {label_column!r} column")
    if all(column in table for column in GTZAN_TABLE_COLUMNS):
        features = table[list(GTZAN_TABLE_COLUMNS)]
    else:
        features = table.drop(columns=label_column).select_dtypes("number")
    features = features.dropna()
    features = features.loc[:, features.nunique() > 1]
    if features.shape[1] < 2:
        raise DatasetError("the table has fewer than two numeric, non-constant feature "
                           "columns")
    return features.astype(np.float64)


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
        raise ConfigError("feature_set", f"is {config.set!r}, a tensor set; dataset pictures "
                          "need a vector set such as kaggle")
    table = pd.DataFrame(np.asarray(dataset.X), columns=list(columns))
    table["label"] = dataset.y
    return plot_dataset(table, out_dir)
