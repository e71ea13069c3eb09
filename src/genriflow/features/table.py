"""Kaggle-style GTZAN feature tables (``features_30_sec.csv``, ``features_3_sec.csv``).

Training can start straight from such a table. In the 3-second table each track is cut into
ten segments; every segment carries its track as ``group`` so no track crosses splits.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from genriflow.audio import info
from genriflow.datasets.discover import DatasetError
from genriflow.datasets.gtzan import clip_key
from genriflow.features.gtzan_table import GTZAN_TABLE_COLUMNS
from genriflow.features.sets import feature_set

if TYPE_CHECKING:
    from genriflow.features.dataset import FeatureDataset


def write_feature_table(dataset: FeatureDataset, out: str | os.PathLike) -> Path:
    """Write a vector set's features as a table: CSV, or Parquet for a ``.parquet`` name.

    Columns: ``filename`` (relative to the dataset folder), ``length`` (samples at the
    feature rate, from the file header), the set's columns (for ``kaggle``, the Kaggle
    layout's 57), ``label``.
    """
    config = dataset.feature_config
    columns = feature_set(config.set).column_names(config)
    if columns is None:
        raise ValueError(f"{config.set!r} is a tensor set; tables hold vector sets "
                         "(kaggle, spectral-summary)")
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
    if out.suffix == ".parquet":
        table.to_parquet(out, index=False)
    else:
        table.to_csv(out, index=False)
    return out


def read_feature_table(csv_path: str | os.PathLike) -> tuple[pd.DataFrame, np.ndarray]:
    """Read a Kaggle GTZAN feature table.

    Parameters
    ----------
    csv_path : path
        A CSV with ``filename``, ``label`` and the 57 columns of :data:`GTZAN_TABLE_COLUMNS`.

    Returns
    -------
    frame : pandas.DataFrame
        Dataset rows (``path`` is the table's file name; ``key`` the GTZAN clip; ``group``
        the track, so that segments of one track stay together).
    features : np.ndarray, shape (n_rows, 57), float64
    """
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise DatasetError(f"{csv_path}: no such file")
    table = pd.read_csv(csv_path)
    missing = [c for c in ("filename", "label", *GTZAN_TABLE_COLUMNS) if c not in table]
    if missing:
        raise DatasetError(f"{csv_path}: not a GTZAN feature table, missing column(s) "
                           f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}")
    keys = [clip_key(str(name)) for name in table["filename"]]
    frame = pd.DataFrame({
        "path": table["filename"].astype(str),
        "label": table["label"].astype(str),
        "group": pd.Series(keys, dtype=object),
        "split": pd.Series([None] * len(table), dtype=object),
        "key": pd.Series(keys, dtype=object),
    })
    features = table[list(GTZAN_TABLE_COLUMNS)].to_numpy(dtype=np.float64)
    return frame, features
