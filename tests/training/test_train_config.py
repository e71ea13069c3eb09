"""The light training configurations: what training_config builds from the options, what it
refuses together, and that a saved configuration reads back unchanged."""

from __future__ import annotations

import pytest

from genriflow.datasets.split_config import SplitConfig
from genriflow.errors import ConfigError
from genriflow.training.network_config import DeepTrainConfig, LoopConfig, parse_network
from genriflow.training.train_config import TrainConfig, training_config

HOLD_OUT, KFOLD = SplitConfig(seed=3), SplitConfig(method="kfold", n_folds=5)


def test_each_model_gets_its_own_config_with_auto_calibration_resolved():
    head = training_config(
        "svm@msd-musicnn", split=HOLD_OUT, pca=8, multi_label=True, thresholds="seed"
    )
    assert head == TrainConfig(
        model="svm",
        split=HOLD_OUT,
        pca=8,
        seed=3,
        calibration="none",
        multi_label=True,
        thresholds="seed",
    )
    network = training_config(
        "mm-cnn", split=HOLD_OUT, epochs=7, device="cpu", augment="weak", copies=2
    )
    assert network == DeepTrainConfig(
        network="mm-cnn",
        split=HOLD_OUT,
        loop=LoopConfig(epochs=7, seed=3, device="cpu"),
        augment="weak",
        copies=2,
        calibration="temperature",
    )
    assert training_config("auto", split=KFOLD, pca=4) == TrainConfig(
        model="auto", split=KFOLD, pca=4
    )
    # auto on one set of embeddings is the heads' choice on that set: a classical config
    assert (
        training_config(
            "auto", split=HOLD_OUT, embeddings="msd-musicnn", calibration="sigmoid"
        ).calibration
        == "sigmoid"
    )


@pytest.mark.parametrize(
    ("model", "options", "field"),
    [
        ("auto", {"multi_label": True}, "model"),
        ("auto", {"calibration": "temperature"}, "model"),
        ("shortchunk-cnn", {"embeddings": "msd-musicnn"}, "embeddings"),
        ("shortchunk-cnn", {"table": True}, "table"),
        ("shortchunk-cnn", {"split": KFOLD}, "split"),
        ("shortchunk-cnn", {"calibration": "isotonic"}, "calibration"),
        ("shortchunk-cnn", {"pca": 0}, "pca"),
        ("svm", {"table": True, "embeddings": "msd-vgg"}, "table"),
        ("svm@kaggle", {"embeddings": "msd-vgg"}, "embeddings"),
        ("svm", {"split": KFOLD, "calibration": "isotonic"}, "calibration"),
        ("svm", {"split": KFOLD, "multi_label": True}, "multi_label"),
        ("svm", {"augment": "loud"}, "augment"),
        ("auto", {"copies": 0}, "copies"),
        ("svm", {"epochs": 0}, "epochs"),
        ("nosuch", {}, "model"),
        ("nosuch", {"field": "models"}, "models"),  # as genriflow.compare names it
    ],
)
def test_what_cannot_train_is_refused_naming_the_option(model, options, field):
    options = {"split": HOLD_OUT, **options}
    with pytest.raises(ConfigError) as caught:
        training_config(model, **options)
    assert caught.value.field == field


def test_a_search_sets_only_known_settings():
    assert TrainConfig(model="svm", params={"C": 2.0}).params == {"C": 2.0}
    with pytest.raises(ConfigError, match="`params` must be one of C, gamma, kernel"):
        TrainConfig(model="svm", params={"depth": 2})
    with pytest.raises(ConfigError, match="auto tries several"):
        TrainConfig(params={"C": 2.0})
    assert DeepTrainConfig(network="mm-cnn", network_params={"channels": 8}).network_params
    with pytest.raises(ConfigError, match="`network_params` must be one of"):
        DeepTrainConfig(network="mm-cnn", network_params={"depth": 2})


def test_saved_configs_keep_their_fields():
    """A model folder's config.json holds these dicts: their keys must not change, and
    they build the same config again."""
    head = TrainConfig(model="logreg", split=HOLD_OUT, calibration="isotonic")
    assert list(head.to_dict()) == [
        "model",
        "split",
        "pca",
        "seed",
        "calibration",
        "multi_label",
        "thresholds",
        "params",
    ]
    network = DeepTrainConfig(network="cs229-ffnn@cs229-raw")
    assert list(network.to_dict()) == [
        "network",
        "split",
        "loop",
        "chunk_seconds",
        "augment",
        "copies",
        "network_params",
        "calibration",
        "multi_label",
        "thresholds",
    ]
    assert list(network.to_dict()["loop"]) == [
        "epochs",
        "batch_size",
        "lr",
        "weight_decay",
        "patience",
        "lr_factor",
        "lr_patience",
        "class_weights",
        "mixup",
        "seed",
        "device",
        "num_threads",
    ]
    saved = network.to_dict()
    again = DeepTrainConfig(
        **{**saved, "split": SplitConfig(**saved["split"]), "loop": LoopConfig(**saved["loop"])}
    )
    assert again == network
    assert parse_network(again.network) == ("cs229-ffnn", "cs229-raw")


def test_the_old_import_paths_name_the_same_classes():
    from genriflow.training import classical, deep, loop, network_config, train_config
    from genriflow.workflows import train_any

    assert classical.TrainConfig is train_config.TrainConfig
    assert classical.MODEL_CHOICES is train_config.MODEL_CHOICES
    assert loop.LoopConfig is network_config.LoopConfig
    assert deep.DeepTrainConfig is network_config.DeepTrainConfig
    assert deep.parse_network is network_config.parse_network
    assert deep.network_params is network_config.network_params
    assert train_any.classical_spec is train_config.classical_spec
