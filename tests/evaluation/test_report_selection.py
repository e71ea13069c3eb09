"""The model-selection table of a training report: what each head scored, on which part,
with its count and 95 % interval, as the console prints it."""

from __future__ import annotations

import json

import pytest

from genriflow.intervals import wilson_interval


def test_a_named_models_validation_figure_has_its_count_part_and_interval(kaggle_table,
                                                                          tmp_path):
    import genriflow

    run = genriflow.train(out=tmp_path / "m", table=kaggle_table, model="svm")
    metrics = json.loads((tmp_path / "m" / "metrics.json").read_text())
    n = metrics["split"]["counts"]["valid"]
    score = metrics["selection_valid_accuracy"]["svm"]
    correct = round(score * n)
    assert n == 197 and correct / n == pytest.approx(score, abs=1e-12)
    low, high = wilson_interval(correct, n)
    report = (run.folder / "report.md").read_text()
    assert "## Model selection (validation accuracy; on valid, 197 items, test never used)" \
        in report
    assert f"| svm | {score:.3f} ({correct}/{n}) | Wilson {low:.3f}-{high:.3f} |" in report


def test_the_report_and_the_console_list_the_same_figures(capsys):
    from genriflow.cli.train import print_selection
    from genriflow.evaluation.report import selection_rows

    metrics = {"split": {"counts": {"train": 70, "valid": 20, "test": 10}}, "chosen": "svm",
               "selection_valid_accuracy": {"knn": 0.55, "svm": 0.9}}
    rows = selection_rows(metrics)
    assert [(r["name"], r["correct"], r["n"], r["chosen"]) for r in rows] == [
        ("knn", 11, 20, False), ("svm", 18, 20, True)]
    assert rows[1]["interval"] == pytest.approx(wilson_interval(18, 20))
    print_selection(metrics)
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].split("\t")[1:3] == ["0.900 (18/20)", "0.699-0.972"]
    multi = selection_rows({**metrics, "multi_label": {"labels": ["a", "b"]}})
    assert all(r["interval"] is None and r["n"] is None for r in multi)


def test_the_split_section_says_what_its_counts_and_group_check_cover():
    """A k-fold report's counts are one fold's, and a clean group check covers the groups
    the data gives (each GTZAN track without them), not artists it does not name."""
    from genriflow.evaluation.report import _split_lines

    kfold = _split_lines({"method": "kfold", "seed": 0, "n_folds": 5, "groups_crossing": 0,
                          "counts": {"train": 87, "valid": 30, "test": 30}})
    assert "- items per part (the first of 5 folds): test: 30, train: 87, valid: 30" in kfold
    assert any("artists not given as groups are not checked" in line for line in kfold)
    held_out = _split_lines({"method": "stratified", "seed": 0, "n_folds": 10,
                             "counts": {"train": 70, "valid": 10, "test": 20}})
    assert "- items per part: test: 20, train: 70, valid: 10" in held_out
