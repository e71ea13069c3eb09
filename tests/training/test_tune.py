"""Search spaces as data, and trials through the one training loop (pruned per epoch)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from genriflow.datasets.splits import SplitConfig, assign_splits
from genriflow.errors import ConfigError
from genriflow.features.dataset import FeatureDataset
from genriflow.features.sets import FeatureConfig
from genriflow.training.space import SearchSpace, default_space, load_space, tunable
from genriflow.training.tune import TuneConfig, open_study, run_trials

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "tune"


@pytest.mark.parametrize(("data", "message"), [
    ({"params": {"C": {"low": "x", "high": 2}}}, r"`params\.C\.low` must be a number; got 'x'"),
    ({"params": {"D": {"choices": [1]}}}, r"`params\.D` is not a parameter of svm; choose "
                                          r"from C, gamma, kernel, pca"),
    ({"params": {"C": {"low": 2, "high": 1}}}, r"`params\.C\.high` must be above low"),
    ({"params": {"C": {"low": 0, "high": 1, "log": True}}},
     r"`params\.C\.low` must be above 0 for a log range"),
    ({"params": {"C": {"choices": []}}}, r"`params\.C\.choices` must be a non-empty list"),
    ({"params": {"C": {"choices": [1], "low": 1}}}, r"`params\.C\.choices` cannot be combined"),
    ({"params": {"C": {"lo": 1}}}, r"`params\.C\.lo` is not a field"),
    ({"params": {}}, r"`params` must map at least one parameter"),
    ({"model": "knn", "params": {"C": {"choices": [1]}}},
     r"`model` is 'knn', but the model tuned is 'svm'"),
    ({"spaces": {}}, r"`spaces` is not a field"),
])
def test_a_bad_space_is_one_line_naming_the_file_and_field(data, message):
    with pytest.raises(ConfigError, match=r"^`space` my\.yaml: " + message):
        SearchSpace.from_dict(data, "svm", source="my.yaml")


def test_space_files(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("params:\n  C: [1, 2\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: not valid YAML at line"):
        load_space(bad, "svm")
    with pytest.raises(ConfigError, match=r"missing\.yaml: cannot be read"):
        load_space(tmp_path / "missing.yaml", "svm")
    grid = load_space(EXAMPLES / "mm-cnn-grid.yaml", "mm-cnn")
    assert grid.names == ["channels", "kernel_size", "conv_dropout", "lr"]
    assert len(grid.grid()) == 16 and grid.grid()[0]["channels"] == [16, 32, 64]
    assert grid.grid()[0]["lr"] == 1e-3  # YAML's 1.0e-3 and 1e-3 both read as numbers
    assert len(load_space(EXAMPLES / "svm.yaml", "svm").grid()) == 20
    ranges = load_space(EXAMPLES / "logreg.yaml", "logreg")
    with pytest.raises(ConfigError, match=r"`sampler` is grid, but `params\.C` is a range "
                                          "without step"):
        ranges.grid()
    assert SearchSpace.from_dict({"params": {"pca": {"low": 10, "high": 20, "step": 5}}},
                                 "logreg").grid() == [{"pca": 10}, {"pca": 15}, {"pca": 20}]


def test_every_model_has_a_default_space_it_can_train():
    from genriflow.models.classical import CLASSICAL_MODELS
    from genriflow.models.networks import NETWORKS

    for model in [*CLASSICAL_MODELS, *NETWORKS]:
        space = default_space(model)
        assert space.names and set(space.names) <= set(tunable(model)), model
    assert tunable("mm-cnn") == ("channels", "dense", "conv_dropout", "dense_dropout",
                                 "kernel_size", "lr", "weight_decay", "batch_size")


def _images(n: int = 40, side: int = 8) -> FeatureDataset:
    """Two classes of small images a CNN tells apart in a few epochs (dark and bright)."""
    rng = np.random.default_rng(0)
    labels = np.array(["dark", "bright"] * (n // 2))
    X = rng.uniform(0, 0.5, (n, side, side)).astype(np.float32)
    X[labels == "bright"] += 0.4
    frame = pd.DataFrame({"path": [f"{i}.wav" for i in range(n)], "label": labels})
    return FeatureDataset(frame, X, FeatureConfig(set="mel-image"), "images")


def test_network_trials_run_through_the_loop_and_a_hopeless_one_is_pruned(tmp_path):
    dataset = _images()
    split = SplitConfig(method="stratified", seed=0)
    parts = assign_splits(dataset.frame, split)[0].to_numpy()
    # Seed 0's grid order puts lr 1e-7 (a network that cannot learn in 6 epochs) last,
    # after three trials that learn: the median rule stops it after the warm-up epochs.
    space = SearchSpace.from_dict({"params": {"channels": {"choices": [[4, 8, 8]]},
                                              "lr": {"choices": [0.01, 0.005, 0.002, 1e-7]}}},
                                  "mm-cnn")
    config = TuneConfig(model="mm-cnn", sampler="grid", trials=4, epochs=6, split=split,
                        device="cpu")
    study = open_study(f"sqlite:///{tmp_path / 't.db'}", "cnn", space, config)
    assert run_trials(study, dataset, parts, space, config) == 4
    by_lr = {t.params["lr"]: t for t in study.trials}
    hopeless = by_lr[1e-7]
    assert hopeless.state.name == "PRUNED" and hopeless.number == 3
    assert max(hopeless.intermediate_values) == 3  # stopped once the 3 warm-up epochs end
    for lr in (0.01, 0.005, 0.002):
        trial = by_lr[lr]
        assert trial.state.name == "COMPLETE"
        # One report per epoch of the one loop; the value is the best validation loss.
        assert sorted(trial.intermediate_values) == list(range(1, trial.user_attrs["epochs"]
                                                               + 1))
        assert trial.value == pytest.approx(min(trial.intermediate_values.values()))
    assert study.best_trial.value < hopeless.intermediate_values[3]
    assert run_trials(study, dataset, parts, space, config) == 0  # nothing left to run
