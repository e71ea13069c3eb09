"""Figures of a classifier on a part: accuracy and macro recall, each with its interval."""

import numpy as np
import pytest

from genriflow.evaluation.metrics import classification_metrics, macro_recall_interval


def test_macro_recall_comes_with_an_interval_as_wide_as_its_rarest_class_allows():
    rng = np.random.default_rng(0)
    truth = np.array(["common"] * 200 + ["rare"] * 10)
    predicted = truth.copy()
    predicted[rng.choice(200, 40, replace=False)] = "rare"      # common: recall 0.8
    predicted[200:205] = "common"                               # rare: recall 0.5
    figures = classification_metrics(truth, predicted, ["common", "rare"], "test")
    assert figures["balanced_accuracy"] == pytest.approx(0.65)
    low, high = figures["balanced_accuracy_interval"]
    assert low < 0.65 < high
    # the rare class's 10 items dominate: about ±0.31 on its recall, half that on the mean
    assert 0.25 < high - low < 0.4
    # resampling within classes: the interval drawn item by item agrees with the binomial
    hits = {c: predicted[truth == c] == c for c in ("common", "rare")}
    draws = np.random.default_rng(1)
    by_items = [np.mean([draws.choice(h, len(h)).mean() for h in hits.values()])
                for _ in range(2000)]
    assert np.percentile(by_items, [2.5, 97.5]) == pytest.approx([low, high], abs=0.03)
    assert macro_recall_interval(truth, truth) == (1.0, 1.0)
