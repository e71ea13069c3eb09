"""Every calibration figure with its 95 % interval: ECE, NLL and Brier score from a
bootstrap of the songs, accuracy from Wilson's."""

from __future__ import annotations

import numpy as np
import pytest

from genriflow.evaluation.calibration_metrics import (
    calibration_figures,
    multilabel_calibration_figures,
)
from genriflow.intervals import wilson_interval

CLASSES = ["a", "b", "c"]


def _forecasts(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Over-confident probabilities: 0.9 on a guess right about 73 % of the time."""
    rng = np.random.default_rng(seed)
    y = rng.choice(CLASSES, n)
    guess = np.where(rng.random(n) < 0.6, y, rng.choice(CLASSES, n))
    proba = np.full((n, 3), 0.05)
    proba[np.arange(n), np.searchsorted(CLASSES, guess)] = 0.9
    return proba, y


def test_each_figure_has_an_interval_around_it_that_narrows_with_more_songs():
    small = calibration_figures(*_forecasts(100), CLASSES)
    large = calibration_figures(*_forecasts(1600), CLASSES)
    for figures in (small, large):
        for key in ("nll", "brier", "accuracy"):
            low, high = figures[f"{key}_interval"]
            assert low < figures[key] < high
        low, high = figures["ece_interval"]
        assert 0 <= low < high <= 1
    correct = round(small["accuracy"] * small["n"])
    assert small["accuracy_interval"] == pytest.approx(list(wilson_interval(correct, 100)))
    for key in ("ece", "nll", "brier"):  # 16 times the songs: about a quarter as wide
        width = np.diff(small[f"{key}_interval"])[0]
        assert 0.1 * width < np.diff(large[f"{key}_interval"])[0] < 0.45 * width
    # 0.9 for 73 % right: the whole interval is far from calibrated (ECE about 0.17)
    assert large["ece_interval"][0] > 0.1


def test_a_multi_label_models_figures_resample_whole_songs():
    rng = np.random.default_rng(1)
    truth = rng.random((200, 4)) < 0.3
    proba = np.clip(truth * 0.7 + rng.random((200, 4)) * 0.3, 0, 1)
    figures = multilabel_calibration_figures(proba, truth)
    for key in ("ece", "nll", "brier"):
        low, high = figures[f"{key}_interval"]
        assert low <= figures[key] <= high and high > low
