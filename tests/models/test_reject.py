"""The unknown-genre scores and the reject rule saved with a model (models/reject.py)."""

import numpy as np
import pytest

from genriflow.errors import ConfigError
from genriflow.models.reject import (
    ClassMeans,
    OpenSet,
    RejectRule,
    choose_threshold,
    energy_score,
    max_prob_score,
)


def test_max_prob_and_energy_by_hand():
    assert max_prob_score(np.array([[0.7, 0.2, 0.1], [1 / 3, 1 / 3, 1 / 3]])) == pytest.approx(
        [0.3, 2 / 3])
    # -log(e^1 + e^2 + e^3) = -3.4076; a large logit lowers the energy (more known)
    assert energy_score(np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 100.0]])) == pytest.approx(
        [-3.40760596, -100.0])
    # stable for logits far beyond exp's range
    assert np.isfinite(energy_score(np.array([[1000.0, -1000.0]]))).all()


@pytest.mark.parametrize("n", [1, 7, 20, 199, 1000])
@pytest.mark.parametrize("target", [0.5, 0.9, 0.95, 1.0])
def test_threshold_accepts_at_least_the_target_and_no_more_than_needed(n, target):
    scores = np.random.default_rng(n).normal(size=n)
    t = choose_threshold(scores, target)
    accepted = np.mean(scores <= t)
    assert accepted >= target
    assert np.mean(scores < t) < target       # any lower threshold accepts too few


def test_rule_checks_every_field_and_survives_a_round_trip():
    rule = RejectRule("distance", 3.5, 0.95, "valid")
    assert RejectRule.from_dict(rule.to_dict()) == rule
    assert rule.rejects(np.array([3.5, 3.6])).tolist() == [False, True]
    for kwargs, field in [({"score": "entropy"}, "score"), ({"threshold": float("nan")},
                          "threshold"), ({"target_tpr": 1.5}, "target_tpr"),
                          ({"target_tpr": 0}, "target_tpr"), ({"chosen_on": ""}, "chosen_on")]:
        with pytest.raises(ConfigError) as err:
            RejectRule(**{**rule.__dict__, **kwargs})
        assert err.value.field == field
    with pytest.raises(ConfigError, match="lacks threshold"):
        RejectRule.from_dict({"score": "max-prob", "target_tpr": 0.95, "chosen_on": "valid"})
    with pytest.raises(ConfigError) as err:
        OpenSet(rule)                               # distance without its class means
    assert err.value.field == "open_set"


def test_class_means_distances_and_safetensors_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    Z = np.concatenate([rng.normal(0, 1, (50, 3)), rng.normal(6, 1, (50, 3))])
    y = np.repeat(["a", "b"], 50)
    stats = ClassMeans.fit(Z, y)
    assert stats.means[:, 0] == pytest.approx([Z[:50, 0].mean(), Z[50:, 0].mean()])
    inside, far = np.array([[0.0, 0.0, 0.0], [6.0, 6.0, 6.0]]), np.array([[30.0, -30.0, 0.0]])
    assert stats.score(far).min() > 10 * stats.score(inside).max()
    assert stats.relative(far)[0] > stats.relative(inside).max()
    # halfway between the classes is far from both classes yet near the background mean
    assert stats.relative(np.array([[3.0, 3.0, 3.0]]))[0] > stats.relative(inside).max()
    back = ClassMeans.load(stats.save(tmp_path / "stats.safetensors"))
    assert back.labels == ("a", "b")
    assert back.relative(Z) == pytest.approx(stats.relative(Z))
    with pytest.raises(ConfigError) as err:
        stats.score(np.zeros((2, 4)))
    assert err.value.field == "features"


def test_network_logits_give_its_probabilities_and_the_energy_score():
    from genriflow.features.sets import FeatureConfig
    from genriflow.models.deep import DeepGenreModel
    from genriflow.models.reject import unknown_scores

    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = DeepGenreModel.build({"network": "cs229-ffnn", "network_kwargs": {
        "n_inputs": 12, "hidden": [8]}}, ["a", "b", "c"], FeatureConfig(set="genriflow-stack"),
        device="cpu")
    X = np.random.default_rng(0).normal(size=(5, 3, 4)).astype(np.float32)
    z = model.logits(X)
    softmax = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert softmax == pytest.approx(model.predict_proba(X), abs=1e-5)
    assert unknown_scores(model, X, "energy") == pytest.approx(energy_score(z))
    with pytest.raises(ConfigError, match="distance needs a representation"):
        unknown_scores(model, X, "distance")
