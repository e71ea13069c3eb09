"""``genriflow compare --features TABLE``: the classic comparison of classical models on a
Kaggle-style GTZAN feature table, read and split as ``train`` reads and splits it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import genriflow
from commandline import in_process
from genriflow.datasets.gtzan import GTZAN_GENRES
from genriflow.features.gtzan_table import GTZAN_TABLE_COLUMNS


@pytest.fixture(scope="module")
def gtzan_table(tmp_path_factory):
    """All 1000 GTZAN clip names in the Kaggle layout (``.au``, as the real table), with
    random features shifted by genre: enough GTZAN for ``auto`` to mean fault-filtered."""
    rng = np.random.default_rng(0)
    labels = np.repeat(GTZAN_GENRES, 100)
    values = rng.normal(size=(labels.size, len(GTZAN_TABLE_COLUMNS)))
    values[:, :10] += 0.6 * np.eye(10)[np.repeat(np.arange(10), 100)]
    table = pd.DataFrame(values, columns=list(GTZAN_TABLE_COLUMNS))
    table.insert(0, "filename", [f"{g}.{i % 100:05d}.au" for i, g in enumerate(labels)])
    table.insert(1, "length", 661794)
    table["label"] = labels
    path = tmp_path_factory.mktemp("table") / "features_30_sec.csv"
    table.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def compared(gtzan_table, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "compare"
    ran = in_process("compare", "--features", gtzan_table, "--models", "knn,logreg",
                     "--out", out, "-q")
    return ran, out


def test_compare_takes_a_feature_table_on_the_fault_filtered_split(compared):
    ran, out = compared
    assert ran.returncode == 0, ran.stderr
    title, header, *rows = [line for line in ran.stdout.splitlines() if "\t" in line
                            or line.startswith("split:")]
    assert title == "split: test (gtzan-fault-filtered, 290 items)"
    assert header.split("\t") == ["model", "input", "train", "valid", "valid 95 % interval",
                                  "test", "test 95 % interval", "balanced",
                                  "balanced 95 % interval", "McNemar p vs best"]
    assert [row.split("\t")[:2] for row in rows] == [["knn", "kaggle"], ["logreg", "kaggle"]]
    table = pd.read_csv(out / "comparison.csv")
    assert set(table["split"]) == {"test (gtzan-fault-filtered, 290 items)"}
    for r in table.itertuples():
        assert r.test_low < r.test < r.test_high and r.valid_n == 197
        assert r.test_balanced_low < r.test_balanced < r.test_balanced_high
    assert "best" in {row.split("\t")[-1] for row in rows}
    markdown = (out / "comparison.md").read_text()
    assert "features_30_sec.csv" in markdown and "gtzan-fault-filtered" in markdown
    # the test column counts its items as the valid column does (92/197; 95 % Wilson ...)
    for r in table.itertuples():
        assert r.test_n == 290 and r.test_correct == round(r.test * 290)
        row = next(line for line in markdown.splitlines() if line.startswith(f"| {r.model} |"))
        valid, test = row.split(" | ")[3:5]
        assert f"/{r.valid_n}; 95 % Wilson {r.valid_low:.3f}-{r.valid_high:.3f})" in valid
        assert test == (f"{r.test:.3f} ({r.test_correct}/290; 95 % Wilson "
                        f"{r.test_low:.3f}-{r.test_high:.3f})")


def test_compare_on_a_table_scores_as_train_on_it(compared, gtzan_table, tmp_path):
    """One code path: each row is what ``train --features`` gives for that model."""
    _, out = compared
    table = pd.read_csv(out / "comparison.csv").set_index("model")
    for model in ("knn", "logreg"):
        run = genriflow.train(table=gtzan_table, model=model, out=tmp_path / model)
        assert table.loc[model, "test"] == pytest.approx(run.accuracy, abs=1e-12)
        saved = json.loads((out / model / "metrics.json").read_text())
        assert saved["test"]["predictions"] == run.metrics["test"]["predictions"]
        assert saved["split"] == json.loads(json.dumps(run.metrics["split"]))


def test_compare_on_a_table_refuses_a_network_and_audio_too_before_training(gtzan_table,
                                                                           tmp_path):
    ran = in_process("compare", "--features", gtzan_table, "--models", "svm,shortchunk-cnn",
                     "--out", tmp_path / "out")
    assert ran.returncode == 2
    assert ran.stderr.strip().splitlines() == [ran.stderr.strip()]
    assert "`--features` cannot train a network: networks learn from audio" in ran.stderr
    ran = in_process("compare", tmp_path, "--features", gtzan_table, "--out", tmp_path / "o")
    assert ran.returncode == 2 and "`DATA_DIR` and a feature table are both given" in ran.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "o").exists()
