"""Open-set figures, the threshold chosen at training time and leave-one-genre-out."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from genriflow.datasets.splits import SplitConfig
from genriflow.errors import ConfigError
from genriflow.evaluation.openset import (
    attach_open_set,
    aurc,
    auroc,
    bootstrap_auroc,
    classical_probe,
    fpr_at_tpr,
    risk_coverage,
)
from genriflow.features.dataset import FeatureDataset
from genriflow.features.sets import FeatureConfig
from genriflow.models.folder import load_model
from genriflow.training.classical import TrainConfig
from genriflow.workflows.leave_one_genre_out import OpenSetConfig, leave_one_genre_out


def test_auroc_by_hand_and_against_scikit_learn():
    assert auroc(np.array([0.0, 1.0]), np.array([2.0, 3.0])) == 1.0
    assert auroc(np.array([2.0, 3.0]), np.array([0.0, 1.0])) == 0.0
    assert auroc(np.array([1.0, 1.0]), np.array([1.0])) == 0.5          # ties count half
    # unknown 0.25 beats 2 of 3 known, 0.9 beats all 3: 5 of 6 pairs
    assert auroc(np.array([0.1, 0.2, 0.3]), np.array([0.25, 0.9])) == pytest.approx(5 / 6)
    rng = np.random.default_rng(1)
    known, unknown = rng.normal(0, 1, 80).round(1), rng.normal(0.7, 1, 30).round(1)
    truth = roc_auc_score(np.r_[np.zeros(80), np.ones(30)], np.r_[known, unknown])
    assert auroc(known, unknown) == pytest.approx(truth)
    low, high = bootstrap_auroc(known, unknown, n=500)
    assert low < truth < high and high - low < 0.35
    with pytest.raises(ConfigError):
        auroc(np.array([]), unknown)


def test_fpr_at_95_and_the_risk_coverage_curve_by_hand():
    known = np.arange(1, 21) / 20                 # 95 % accepted at 0.95
    assert fpr_at_tpr(known, np.array([0.5, 0.96, 1.5, 2.0])) == 0.25
    assert fpr_at_tpr(known, np.array([3.0, 4.0])) == 0.0
    scores = np.array([0.1, 0.4, 0.2, 0.9])
    wrong = np.array([False, True, False, True])
    coverage, risk = risk_coverage(scores, wrong)
    assert coverage.tolist() == [0.25, 0.5, 0.75, 1.0]
    assert risk.tolist() == pytest.approx([0.0, 0.0, 1 / 3, 0.5])
    assert aurc(scores, wrong) == pytest.approx((0 + 0 + 1 / 3 + 0.5) / 4)
    assert aurc(-scores, wrong) > aurc(scores, wrong)   # the wrong order is riskier



def test_the_fpr_interval_counts_the_thresholds_own_uncertainty():
    from genriflow.evaluation.openset import bootstrap_fpr
    from genriflow.intervals import wilson_interval

    rng = np.random.default_rng(0)
    known, unknown = rng.normal(0, 1, 300), rng.normal(1.5, 1, 300)
    fpr = fpr_at_tpr(known, unknown)
    low, high = bootstrap_fpr(known, unknown)
    assert low < fpr < high
    # wider than a proportion's interval over the unknown songs alone, which takes the
    # threshold as known
    wilson = wilson_interval(round(fpr * 300), 300)
    assert high - low > wilson[1] - wilson[0]


def blobs(n_per=40, genres=4, seed=0) -> FeatureDataset:
    """57-column Gaussian genres, one (index 0) far from the others, split 50/25/25."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 3, (genres, 57))
    centres[0] += 25
    X = np.concatenate([c + rng.normal(0, 1, (n_per, 57)) for c in centres])
    labels = np.repeat([f"g{i}" for i in range(genres)], n_per)
    split = np.tile(np.repeat(["train", "valid", "test", "train"], n_per // 4), genres)
    frame = pd.DataFrame({"path": [f"{lab}/{i}.wav" for i, lab in enumerate(labels)],
                          "label": labels, "group": None, "split": split,
                          "key": [f"{lab}{i}" for i, lab in enumerate(labels)]})
    return FeatureDataset(frame, np.abs(X), FeatureConfig(set="kaggle"), "blobs")


def test_threshold_on_valid_accepts_95_percent_and_survives_save_and_load(tmp_path):
    data = blobs()
    parts = data.frame["split"].to_numpy()
    config = TrainConfig(model="logreg", split=SplitConfig(method="manifest"))
    recipe = classical_probe("logreg", data, config)
    final = recipe((parts == "train") | (parts == "valid"))
    info = attach_open_set(final, data, parts, probe=recipe)
    assert info["score"] == "distance" and info["chosen_on"] == "valid"
    assert info["target_tpr"] == 0.95 and info["valid_accepted"] >= 0.95
    assert info["valid_n"] == 40 and info["test_n"] == 40
    final.save(tmp_path / "model")
    back = load_model(tmp_path / "model")
    assert back.open_set.rule == final.open_set.rule
    X = data.X[parts == "test"]
    assert back.open_set.scores(back, X) == pytest.approx(final.open_set.scores(final, X))
    assert not back.open_set.rule.rejects(back.open_set.scores(back, X)).all()
    assert back.open_set.rule.rejects(back.open_set.scores(back, X * 40)).all()


def test_leave_one_genre_out_finds_the_far_genre_and_names_what_is_missing():
    data = blobs()
    parts = data.frame["split"].to_numpy()
    config = TrainConfig(model="svm", split=SplitConfig(method="manifest"))
    result = leave_one_genre_out(data, parts, classical_probe("svm", data, config),
                                 OpenSetConfig(scores=("distance", "energy"), bootstrap=100))
    assert [r["held_out"] for r in result["rounds"]] == ["g0", "g1", "g2", "g3"]
    far = result["rounds"][0]["scores"]["distance"]
    assert far["auroc"] == 1.0 and far["fpr_at_tpr"] == 0.0 and far["unknown_rejected"] == 1.0
    assert far["n_known"] == 30 and far["n_unknown"] == 40     # known test, all of g0
    assert "svm model gives probabilities only" in result["unavailable"]["energy"]
    pooled = result["pooled"]["distance"]
    assert pooled["n_known"] == 4 * 30 and pooled["n_unknown"] == 160
    assert 0.5 < pooled["auroc_interval"][0] <= pooled["auroc"] <= pooled["auroc_interval"][1]
    with pytest.raises(ConfigError) as err:
        OpenSetConfig(scores=("entropy",))
    assert err.value.field == "scores"
