"""Feature tables made for tests from the real Kaggle GTZAN table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def segment_table(kaggle_table: Path, out: Path, *, segments: int, jitter: float,
                  clips_below: int = 20) -> Path:
    """A Kaggle ``features_3_sec.csv`` made from the 30-second table: clips 0 to
    ``clips_below - 1`` of each genre, each cut into ``segments`` rows whose numbers are
    multiplied by 1 +- ``jitter`` (normal, seed 0), named as that table names them
    (``blues.00000.0.wav`` ... ``blues.00000.9.wav``); written to ``out``."""
    table = pd.read_csv(kaggle_table)
    table = table[table["filename"].str.split(".").str[1].astype(int) < clips_below]
    rows = table.loc[table.index.repeat(segments)].reset_index(drop=True)
    segment = np.tile(np.arange(segments), len(table))
    rows["filename"] = [f"{name.rsplit('.', 1)[0]}.{s}.wav"
                        for name, s in zip(rows["filename"], segment, strict=True)]
    numeric = rows.columns[2:-1]
    noise = np.random.default_rng(0).normal(1, jitter, (len(rows), len(numeric)))
    rows[numeric] = rows[numeric].to_numpy(float) * noise
    rows.to_csv(out, index=False)
    return out
