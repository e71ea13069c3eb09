"""Kaggle-style GTZAN feature tables (``features_30_sec.csv``, ``features_3_sec.csv``).

Training can start straight from such a table. In the 3-second table each track is cut into
ten segments; every segment carries its track as ``key``, and every split keeps a track's
segments in one part. The grouped splits group the rows as they group GTZAN-named audio files,
by blocks of ten clip numbers within a genre (the stand-in for GTZAN's unnamed artists), so a
table and its clips are split alike.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from genriflow.datasets.discover import DatasetError
from genriflow.datasets.frames import read_table
from genriflow.datasets.gtzan import clip_key
from genriflow.features.gtzan_table import GTZAN_TABLE_COLUMNS


def _check_numbers(csv_path: Path, table: pd.DataFrame) -> None:
    """Every feature cell a finite number, else :class:`DatasetError` naming the first
    that is not by its line and column (a model met it as a crash)."""
    values = table[list(GTZAN_TABLE_COLUMNS)].apply(pd.to_numeric, errors="coerce")
    bad = ~np.isfinite(values.to_numpy(dtype=np.float64))
    if bad.any():
        row, column = (int(i) for i in np.argwhere(bad)[0])
        name = GTZAN_TABLE_COLUMNS[column]
        cell = table[name].iloc[row]
        shown = "empty" if str(cell).strip() == "" else repr(cell)
        raise DatasetError(f"{csv_path}, line {row + 2}: `{name}` is {shown}, not a finite "
                           f"number ({int(bad.any(axis=1).sum())} such row(s))")


def read_feature_table(csv_path: str | os.PathLike) -> tuple[pd.DataFrame, np.ndarray]:
    """Read a Kaggle GTZAN feature table.

    Parameters
    ----------
    csv_path : path
        A CSV with ``filename``, ``label`` and the 57 columns of :data:`GTZAN_TABLE_COLUMNS`.

    Returns
    -------
    frame : pandas.DataFrame
        Dataset rows (``path`` is the table's file name; ``key`` the GTZAN clip, shared by
        a track's segments; no ``group``, so that a grouped split derives GTZAN's blocks
        from the keys, as for audio files).
    features : np.ndarray, shape (n_rows, 57), float64
    """
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise DatasetError(f"{csv_path}: no such file")
    table = read_table(csv_path, keep_default_na=False)  # a cell's text, for its error
    missing = [c for c in ("filename", "label", *GTZAN_TABLE_COLUMNS) if c not in table]
    if missing:
        raise DatasetError(f"{csv_path}: not a GTZAN feature table, missing column(s) "
                           f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}")
    _check_numbers(csv_path, table)
    keys = [clip_key(str(name)) for name in table["filename"]]
    frame = pd.DataFrame({
        "path": table["filename"].astype(str),
        "label": table["label"].astype(str),
        "group": pd.Series([None] * len(table), dtype=object),
        "split": pd.Series([None] * len(table), dtype=object),
        "key": pd.Series(keys, dtype=object),
    })
    features = table[list(GTZAN_TABLE_COLUMNS)].apply(pd.to_numeric).to_numpy(
        dtype=np.float64)
    return frame, features
