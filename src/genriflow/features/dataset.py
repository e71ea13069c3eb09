"""A labelled dataset turned into a feature matrix: from audio folders or a feature table,
and back to a table.

Named like :mod:`genriflow.plots.dataset`, which draws what this module builds: the
package says which side (features or pictures) of a dataset each is.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from genriflow.audio import AudioError, info
from genriflow.datasets.discover import discover
from genriflow.datasets.frames import table_format
from genriflow.errors import ConfigError
from genriflow.features.extract import extract_sets
from genriflow.features.options import RunOptions
from genriflow.features.sets import FeatureConfig, feature_set
from genriflow.features.table import read_feature_table


class Rows:
    """A lazy selection of rows of a (memory-mapped) matrix.

    Indexing reads only the rows asked for, so a training part of a dataset larger than
    memory can be handed to a data loader or a predictor batch by batch; ``np.asarray``
    materialises the whole selection.

    Parameters
    ----------
    X : np.ndarray, shape (n, ...)
    index : array of int, shape (n_rows,)
    """

    def __init__(self, X: np.ndarray, index: np.ndarray) -> None:
        self.X = X
        self.index = np.asarray(index, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.index)

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self.index), *self.X.shape[1:])

    def __getitem__(self, item: int | slice) -> np.ndarray:
        return self.X[self.index[item]]

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return np.asarray(self.X[self.index], dtype=dtype)


@dataclass
class FeatureDataset:
    """Rows of a dataset with one feature vector each.

    Attributes
    ----------
    frame : pandas.DataFrame
        ``path, label, group, split, key`` (see :mod:`genriflow.datasets.discover`).
    X : np.ndarray, shape (n_rows, *set_shape)
        A read-only memory map of the feature store when one is used.
    feature_config : FeatureConfig
    source : str
        The folder, manifest or table it came from.
    errors : list of AudioError
        Files that could not be used (left out of ``frame`` and ``X``).
    """

    frame: pd.DataFrame
    X: np.ndarray
    feature_config: FeatureConfig
    source: str
    errors: list[AudioError] = field(default_factory=list)

    @property
    def y(self) -> np.ndarray:
        return self.frame["label"].to_numpy(dtype=str)

    def rows(self, mask: np.ndarray) -> Rows:
        """The rows where ``mask`` is true, read lazily (see :class:`Rows`)."""
        return Rows(self.X, np.flatnonzero(mask))


def from_audio_sets(data: str | os.PathLike, configs: Sequence[FeatureConfig], *,
                    options: RunOptions | None = None) -> dict[str, FeatureDataset]:
    """Discover labelled audio under ``data`` and compute several feature sets in one pass.

    Each file is analysed as prediction analyses it by default (its central clip, or a
    network set's excerpts: :class:`~genriflow.features.sampling.Sampling`), each stretch
    decoded once for all sets. Unreadable files are skipped and
    returned in every dataset's ``errors``. ``options`` (store, workers, progress bar)
    as for :func:`~genriflow.features.extract.extract_sets`.

    Returns
    -------
    dict
        Set name -> :class:`FeatureDataset` (``X`` of shape (n_files, *set_shape)).
    """
    frame = discover(data)
    results = extract_sets(frame["path"].tolist(), configs, options=options)
    datasets = {}
    for config in configs:
        result = results[config.set]
        done = {f.path for f in result.files}
        rows = frame[frame["path"].isin(done)].reset_index(drop=True)
        X = result.matrix() if result.files else np.zeros((0, 0))
        datasets[config.set] = FeatureDataset(rows, X, config, str(data), result.errors)
    return datasets


def from_audio(data: str | os.PathLike, config: FeatureConfig | None = None, *,
               options: RunOptions | None = None) -> FeatureDataset:
    """:func:`from_audio_sets` for one feature set (default: the kaggle table)."""
    config = config or FeatureConfig()
    return from_audio_sets(data, [config], options=options)[config.set]


def recompute(dataset: FeatureDataset, config: FeatureConfig, rows: np.ndarray, *,
              options: RunOptions | None = None) -> FeatureDataset:
    """The same files (``rows`` of ``dataset``) under another configuration, e.g. an
    augmented copy of the training part."""
    frame = dataset.frame[rows].reset_index(drop=True)
    result = extract_sets(frame["path"].tolist(), [config], options=options)[config.set]
    frame = frame[frame["path"].isin({f.path for f in result.files})].reset_index(drop=True)
    X = result.matrix() if result.files else np.zeros((0, 0))
    return FeatureDataset(frame, X, config, dataset.source, result.errors)


def from_table(csv_path: str | os.PathLike) -> FeatureDataset:
    """A Kaggle GTZAN feature table (``features_30_sec.csv`` or ``features_3_sec.csv``)."""
    frame, X = read_feature_table(csv_path)
    seconds = 3.0 if "3_sec" in os.path.basename(csv_path) else 30.0
    return FeatureDataset(frame, X, FeatureConfig(set="kaggle", clip_seconds=seconds),
                          str(csv_path))


def write_feature_table(dataset: FeatureDataset, out: str | os.PathLike) -> Path:
    """Write a vector set's features as a table: CSV, or Parquet for a ``.parquet`` name
    (in any case: :func:`~genriflow.datasets.frames.table_format`).

    Columns: ``filename`` (relative to the dataset folder), ``length`` (samples at the
    feature rate, from the file header), the set's columns (for ``kaggle``, the Kaggle
    layout's 57), ``label``.
    """
    config = dataset.feature_config
    columns = feature_set(config.set).column_names(config)
    if columns is None:
        raise ConfigError("feature_set", f"must be a vector set (kaggle, spectral-summary) "
                          f"to be written as a table; {config.set!r} is a tensor set")
    root = Path(dataset.source)
    root = root.parent if root.is_file() else root
    table = pd.DataFrame(dataset.X, columns=list(columns))
    names = [os.path.relpath(p, root) for p in dataset.frame["path"]]
    lengths = [round(info(p).duration * config.sr) for p in dataset.frame["path"]]
    table.insert(0, "length", lengths)
    table.insert(0, "filename", names)
    table["label"] = dataset.frame["label"].to_numpy()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if table_format(out) == "parquet":  # x.PARQUET too, as library export reads it
        table.to_parquet(out, index=False)
    else:
        table.to_csv(out, index=False)
    return out
