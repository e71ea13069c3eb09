"""Fidelity of :mod:`genriflow.features.gtzan_table` to the Kaggle GTZAN feature table."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from genriflow.audio import load
from genriflow.features.gtzan_table import (
    GTZAN_TABLE_COLUMNS,
    N_FFT,
    gtzan_table_features,
)

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
TABLE_CSV = SHARED_DATA / "gtzan-features" / "features_30_sec.csv"
CLIPS_DIR = SHARED_DATA / "gtzan-sample" / "genres_original"
MAX_MEDIAN_RELATIVE_ERROR = 0.01


def _all_clips() -> list[Path]:
    return sorted(CLIPS_DIR.glob("*/*.wav")) if CLIPS_DIR.is_dir() else []


def _one_clip_per_genre() -> list[Path]:
    firsts: dict[str, Path] = {}
    for path in _all_clips():
        firsts.setdefault(path.parent.name, path)
    return list(firsts.values())


def _params(paths: list[Path]) -> list:
    if not paths:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no clips in {CLIPS_DIR}"))]
    return [pytest.param(path, id=path.stem) for path in paths]


@cache
def _table() -> pd.DataFrame:
    if not TABLE_CSV.is_file():
        pytest.skip(f"{TABLE_CSV} not found")
    table = pd.read_csv(TABLE_CSV)
    table.index = table["filename"].str.rsplit(".", n=1).str[0]
    return table


def _check_fidelity(path: Path) -> None:
    row = _table().loc[path.stem]
    y = load(path, sr=22050)
    assert y.size == row["length"]
    expected = row[list(GTZAN_TABLE_COLUMNS)].to_numpy(dtype=np.float64)
    relative = np.abs(gtzan_table_features(y) - expected) / np.abs(expected)
    worst = np.argsort(relative)[::-1][:3]
    detail = ", ".join(f"{GTZAN_TABLE_COLUMNS[i]} {relative[i]:.1e}" for i in worst)
    assert np.median(relative) < MAX_MEDIAN_RELATIVE_ERROR, f"worst columns: {detail}"


def test_columns_match_table_header() -> None:
    header = tuple(_table().columns)
    assert header == ("filename", "length", *GTZAN_TABLE_COLUMNS, "label")


@pytest.mark.parametrize("path", _params(_one_clip_per_genre()))
def test_fidelity_one_clip_per_genre(path: Path) -> None:
    _check_fidelity(path)


@pytest.mark.slow
@pytest.mark.parametrize("path", _params(_all_clips()))
def test_fidelity_all_sample_clips(path: Path) -> None:
    _check_fidelity(path)


def _synthetic(seconds: float = 3.0, sr: int = 22050) -> np.ndarray:
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * sr)) / sr
    tone = 0.3 * np.sin(2 * np.pi * (220 + 110 * t) * t)
    clicks = (np.arange(t.size) % (sr // 2) < 64) * rng.standard_normal(t.size) * 0.5
    return (tone + clicks + 0.01 * rng.standard_normal(t.size)).astype(np.float32)


def test_synthetic_signal_gives_57_finite_values() -> None:
    features = gtzan_table_features(_synthetic())
    assert len(GTZAN_TABLE_COLUMNS) == len(set(GTZAN_TABLE_COLUMNS)) == 57
    assert features.shape == (57,)
    assert features.dtype == np.float64
    assert np.all(np.isfinite(features))


def test_float64_input_is_computed_in_float32() -> None:
    y = _synthetic(seconds=1.0)
    np.testing.assert_array_equal(gtzan_table_features(y.astype(np.float64)),
                                  gtzan_table_features(y))


@pytest.mark.parametrize(
    "y",
    [np.zeros((2, 4 * N_FFT), np.float32), np.zeros(N_FFT - 1, np.float32),
     np.full(4 * N_FFT, np.nan, np.float32)],
    ids=["stereo", "too-short", "nan"],
)
def test_rejects_bad_waveforms(y: np.ndarray) -> None:
    with pytest.raises(ValueError):
        gtzan_table_features(y)
