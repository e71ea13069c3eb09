"""The table of benchmarks/default_model.py on made-up predictions (no audio): per-genre
recalls with Wilson intervals, and macro recall with the project's one interval
(:func:`genriflow.evaluation.metrics.macro_recall_interval`)."""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from genriflow.evaluation.metrics import macro_recall_interval
from genriflow.intervals import wilson_interval

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def script():
    saved = list(sys.path)
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield importlib.import_module("default_model")
    finally:
        sys.path[:] = saved


def test_the_table_gives_macro_recall_with_the_projects_interval(script):
    truth = np.array(["blues"] * 30 + ["jazz"] * 12 + ["rock"] * 5)
    predicted = truth.copy()
    predicted[:6] = "jazz"       # blues 24/30
    predicted[30:33] = "rock"    # jazz 9/12
    predicted[42:45] = "blues"   # rock 2/5
    unknown = np.zeros(len(truth), bool)
    unknown[:4] = True
    text = script.table_rows({"m": {"predicted": predicted, "unknown": unknown}}, truth,
                             ["blues", "country", "jazz", "rock"])
    lines = text.splitlines()
    assert [line.split(" |")[0] for line in lines[2:]] == [
        "| blues (30)", "| jazz (12)", "| rock (5)", "| accuracy (47)", "| macro recall",
        "| called unknown"]  # a genre without clips has no row
    low, high = wilson_interval(2, 5)
    assert lines[4] == f"| rock (5) | 0.40 ({low:.2f}-{high:.2f}) |"
    macro = (24 / 30 + 9 / 12 + 2 / 5) / 3
    low, high = macro_recall_interval(truth, predicted)
    figures = [float(x) for x in re.findall(r"\d\.\d+", lines[6])]
    assert figures == pytest.approx([macro, low, high], abs=5e-4)
    assert low < macro < high
    assert lines[7] == "| called unknown | 0.085 (4/47; " + "{:.3f}-{:.3f}) |".format(
        *wilson_interval(4, 47))
