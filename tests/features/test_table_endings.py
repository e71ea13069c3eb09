"""One rule for a table's format by its file's ending, in any case: ``features --out
x.PARQUET`` wrote CSV (the ending was checked case-sensitively) where ``library export``
and reading a table took the ending in any case."""

from __future__ import annotations

import pandas as pd
import pytest

from genriflow.datasets.frames import read_table, table_format
from genriflow.features.dataset import from_audio, write_feature_table
from genriflow.features.options import RunOptions
from genriflow.library.selection import EXPORT_FORMATS, export_format


@pytest.mark.parametrize("name", ["f.PARQUET", "f.Parquet", "f.parquet"])
def test_a_feature_table_named_parquet_in_any_case_is_parquet(demo_corpus, feature_cache,
                                                              tmp_path, name):
    dataset = from_audio(demo_corpus, options=RunOptions(store=feature_cache))
    out = write_feature_table(dataset, tmp_path / name)
    assert out.read_bytes()[:4] == b"PAR1"
    table = pd.read_parquet(out)
    assert len(table) == len(dataset.frame) and list(table.columns[:2]) == ["filename",
                                                                           "length"]
    pd.testing.assert_frame_equal(read_table(out), table)


def test_export_and_features_choose_by_the_same_rule():
    for name in ("x.PARQUET", "x.csv", "x.CSV", "x.txt", "x"):
        features = table_format(name) or "csv"
        assert export_format(name) == features, name
    assert export_format("x.JSON") == "json" == table_format("x.JSON", EXPORT_FORMATS)
    assert table_format("x.json") is None  # not a feature table's format
