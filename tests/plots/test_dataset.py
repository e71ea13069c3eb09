"""Pictures of a feature table: GTZAN layout and any numeric table."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from genriflow.features.gtzan_table import GTZAN_TABLE_COLUMNS
from genriflow.plots import dataset as dataset_plots
from genriflow.plots.dataset import plot_dataset

ALL = ["boxplot-spectral-centroid.png", "boxplot-tempo.png", "pca-scatter.png",
       "feature-correlation.png"]


def gtzan_like(n_per_genre: int = 8, seed: int = 0) -> pd.DataFrame:
    """A small table in the Kaggle layout: filename, length, 57 features, label."""
    rng = np.random.default_rng(seed)
    genres = ["blues", "metal", "jazz"]
    labels = np.repeat(genres, n_per_genre)
    values = rng.normal(size=(labels.size, len(GTZAN_TABLE_COLUMNS)))
    values += np.repeat(np.arange(len(genres)), n_per_genre)[:, None]
    table = pd.DataFrame(values, columns=list(GTZAN_TABLE_COLUMNS))
    table.insert(0, "filename", [f"{g}.{k:05d}.wav" for k, g in enumerate(labels)])
    table.insert(1, "length", 661794)
    table["label"] = labels
    return table


@pytest.fixture
def pca_labels(monkeypatch) -> dict[str, str]:
    """Axis labels passed to the scatter by plot_dataset."""
    seen: dict[str, str] = {}
    draw = dataset_plots.plot_embedding_scatter

    def spy(*args, **kwargs):
        seen.update(xlabel=kwargs["xlabel"], ylabel=kwargs["ylabel"])
        return draw(*args, **kwargs)

    monkeypatch.setattr(dataset_plots, "plot_embedding_scatter", spy)
    return seen


def test_gtzan_layout_writes_four_pictures(tmp_path, pca_labels):
    written = plot_dataset(gtzan_like(), tmp_path)
    assert [p.name for p in written] == ALL
    assert all(p.stat().st_size > 0 for p in written)
    for label in pca_labels.values():
        assert re.search(r"PC[12] \(\d+\.\d % of variance\)", label)
    assert not plt.get_fignums()


def test_any_numeric_table_skips_missing_box_plots(tmp_path):
    table = gtzan_like()[["tempo", "mfcc1_mean", "mfcc2_mean", "rms_mean", "label"]]
    written = plot_dataset(table.rename(columns={"label": "genre"}), tmp_path,
                           label_column="genre")
    assert [p.name for p in written] == ALL[1:]


def test_kaggle_table(kaggle_table, tmp_path):
    written = plot_dataset(pd.read_csv(kaggle_table), tmp_path)
    assert [p.name for p in written] == ALL


def test_missing_label_column(tmp_path):
    with pytest.raises(ValueError, match="genre"):
        plot_dataset(gtzan_like(), tmp_path, label_column="genre")
