"""A feature table or manifest a user's file cannot be (empty, binary, an audio file, a
cell that is not a number) is one line naming the file and, for a cell, its line and
column: each was a crash (EmptyDataError, UnicodeDecodeError, ValueError from a model)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import soundfile as sf

import genriflow
from commandline import in_process
from genriflow.datasets.discover import DatasetError, discover
from genriflow.features.table import read_feature_table
from sample_audio import SR, tone

NOT_TABLES = {
    "empty": (b"", "not a table: the file is empty"),
    "binary": (b"\xff\xfe\x00garbage", "not a table: not UTF-8 text (an audio or binary file?)"),
}


def _not_table(tmp_path: Path, kind: str) -> tuple[Path, str]:
    path = tmp_path / "features.csv"
    if kind == "audio":
        sf.write(path, tone(1.0), SR, format="WAV")
        return path, "not a table: not UTF-8 text (an audio or binary file?)"
    content, says = NOT_TABLES[kind]
    path.write_bytes(content)
    return path, says


@pytest.mark.parametrize("kind", [*NOT_TABLES, "audio"])
def test_a_file_that_is_not_a_table_is_named(tmp_path, kind):
    path, says = _not_table(tmp_path, kind)
    with pytest.raises(DatasetError, match="^" + f"{path}: {says}".replace("(", r"\(")
                       .replace(")", r"\)").replace("?", r"\?") + "$"):
        read_feature_table(path)
    manifest = tmp_path / "songs"
    manifest.mkdir()
    (manifest / "manifest.csv").write_bytes(path.read_bytes())
    with pytest.raises(DatasetError, match="not a table"):
        discover(manifest)


@pytest.mark.parametrize("argv", [("train", "--features", "{table}", "--model", "knn"),
                                  ("cluster", "--features", "{table}"),
                                  ("plot", "{table}")])
def test_the_command_line_says_it_in_one_line(tmp_path, argv):
    path, says = _not_table(tmp_path, "empty")
    ran = in_process(*(a.format(table=path) for a in argv), "--out", tmp_path / "out")
    assert ran.returncode == 2
    assert ran.stderr.strip() == f"error: {path}: {says}"


def test_a_cell_that_is_not_a_number_is_named_by_line_and_column(tmp_path, kaggle_table):
    rows = list(csv.reader(kaggle_table.open()))
    rows[5][rows[0].index("rms_mean")] = "n/a"
    rows[9][rows[0].index("tempo")] = ""
    edited = tmp_path / "features_30_sec.csv"
    with edited.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    says = f"{edited}, line 6: `rms_mean` is 'n/a', not a finite number (2 such row(s))"
    with pytest.raises(DatasetError) as caught:
        read_feature_table(edited)
    assert str(caught.value) == says
    with pytest.raises(DatasetError, match="line 6: `rms_mean`"):
        genriflow.train(table=edited, out=tmp_path / "model", model="knn")
