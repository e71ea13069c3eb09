"""Figures of a classifier on a part: accuracy and macro recall, each with its interval."""

import numpy as np
import pytest

from genriflow.evaluation.metrics import classification_metrics, macro_recall_interval
from genriflow.intervals import macro_recall_counts_interval


def item_bootstrap(hits: list[np.ndarray], *, draws: int = 2000, seed: int = 1):
    """The 95 % percentile bootstrap of macro recall, the items resampled within classes."""
    rng = np.random.default_rng(seed)
    means = [np.mean([rng.choice(h, len(h)).mean() for h in hits]) for _ in range(draws)]
    return np.percentile(means, [2.5, 97.5])


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
    # away from 0 and 1 the posterior draws agree with resampling items within classes
    hits = [predicted[truth == c] == c for c in ("common", "rare")]
    assert item_bootstrap(hits) == pytest.approx([low, high], abs=0.03)


def test_large_classes_give_the_item_bootstrap_interval():
    correct, n = [170, 60, 270], [200, 100, 300]     # recalls 0.85, 0.6, 0.9
    low, high = macro_recall_counts_interval(correct, n)
    hits = [np.arange(k) < c for c, k in zip(correct, n, strict=True)]
    assert item_bootstrap(hits) == pytest.approx([low, high], abs=0.01)
    assert high - low == pytest.approx(0.08, abs=0.02)


def test_a_class_at_zero_or_all_right_still_adds_width():
    # a bootstrap of the items printed "balanced 0.667, 0.667-0.667" here: a 3/3 or 0/3
    # class resampled is 3/3 or 0/3 again, so nothing could move
    truth = np.array(list("aaabbbccc"))
    predicted = np.array(list("aaabbbaaa"))                     # a 3/3, b 3/3, c 0/3
    low, high = macro_recall_interval(truth, predicted)
    assert low < 2 / 3 < high and high - low > 0.2


@pytest.mark.parametrize("correct", [0, 3], ids=["0/3", "3/3"])
def test_one_class_gives_its_jeffreys_interval(correct):
    from scipy.stats import beta

    low, high = macro_recall_counts_interval([correct], [3])
    jeffreys = beta(correct + 0.5, 3 - correct + 0.5).ppf([0.025, 0.975])
    # the equal-tailed limit away from the boundary; at it, the observed 0 or 1 (Brown,
    # Cai and DasGupta's correction); 2000 draws: a percentile within about 0.02
    if correct:
        assert (low, high) == pytest.approx((jeffreys[0], 1.0), abs=0.02)
    else:
        assert (low, high) == pytest.approx((0.0, jeffreys[1]), abs=0.02)
    assert 0.3 < high - low < 0.6


def test_the_one_disco_clip_widens_gtzans_interval():
    # the default model's out-of-fold counts on the 194 GTZAN clips, disco 0/1
    counts = {"blues": (35, 46), "classical": (42, 45), "country": (4, 6), "disco": (0, 1),
              "hiphop": (11, 12), "jazz": (40, 43), "metal": (7, 7), "pop": (8, 11),
              "reggae": (10, 11), "rock": (6, 12)}
    correct, n = zip(*counts.values(), strict=True)
    with_disco = macro_recall_counts_interval(correct, n)
    without = macro_recall_counts_interval(correct[:3] + correct[4:], n[:3] + n[4:])
    # disco's own posterior spread (about 0.3 on its recall) is a tenth of the mean's
    assert np.diff(with_disco)[0] > np.diff(without)[0] * 9 / 10 + 0.02


def test_every_class_right_gives_an_interval_up_to_one_and_seeded():
    truth = np.repeat(["a", "b", "c", "d"], 5)
    low, high = macro_recall_interval(truth, truth)
    assert high == 1.0 and 0.7 < low < 0.9
    assert macro_recall_interval(truth, truth) == (low, high)      # the same draws
    assert macro_recall_interval(truth, truth, seed=1) != (low, high)


def test_counts_that_cannot_be_recalls_are_refused():
    with pytest.raises(ValueError, match="0 <= correct <= n"):
        macro_recall_counts_interval([3], [2])
    with pytest.raises(ValueError, match="n >= 1"):
        macro_recall_counts_interval([0], [0])


def test_each_genres_recall_has_its_interval_in_the_figures_and_the_report(tmp_path):
    """An unbalanced test part (46 blues clips, 3 pop): a genre's recall at 1/3 is no figure
    without its interval, and the report printed none."""
    from genriflow.evaluation.report import write_report
    from genriflow.intervals import wilson_interval

    truth = np.array(["blues"] * 46 + ["pop"] * 3)
    predicted = truth.copy()
    predicted[:12] = "pop"                   # blues: 34/46
    predicted[46:48] = "blues"               # pop: 1/3
    figures = classification_metrics(truth, predicted, ["blues", "pop"], "test")
    blues, pop = figures["per_class"]["blues"], figures["per_class"]["pop"]
    assert blues["recall_interval"] == pytest.approx(wilson_interval(34, 46))
    assert pop["recall_interval"] == pytest.approx(wilson_interval(1, 3))
    low, high = pop["recall_interval"]
    assert low < 0.1 and high > 0.75              # 3 clips say almost nothing
    write_report(tmp_path, "t", {"split": {"method": "stratified"}, "test": figures})
    report = (tmp_path / "report.md").read_text()
    assert "| genre | precision | recall (95 % Wilson) | F1 | support |" in report
    row = f"| pop | {pop['precision']:.3f} | 0.333{{}} | {pop['f1']:.3f} | 3 |"
    assert row.format(f" ({low:.3f}-{high:.3f})") in report
    # a genre the part lacks has no recall, though scikit-learn says 0
    absent = classification_metrics(truth, predicted, ["blues", "jazz", "pop"], "test")
    assert absent["per_class"]["jazz"]["recall_interval"] is None
    write_report(tmp_path, "t", {"split": {"method": "stratified"}, "test": absent})
    assert "| jazz | 0.000 | - (no items) | 0.000 | 0 |" in (tmp_path / "report.md").read_text()
    # a metrics.json written before the intervals still makes a report
    del figures["per_class"]["pop"]["recall_interval"]
    write_report(tmp_path, "t", {"split": {"method": "stratified"}, "test": figures})
    assert row.format("") in (tmp_path / "report.md").read_text()
