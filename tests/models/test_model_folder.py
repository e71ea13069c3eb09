import json
import operator

import numpy as np
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from genriflow.features.sets import FeatureConfig
from genriflow.models.classical import CLASSICAL_MODELS, make_classical
from genriflow.models.folder import GenreModel, ModelError, load_model, save_model


def _toy(n=60, d=6, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(["jazz", "metal", "pop"], n // 3)
    X = rng.normal(size=(n, d)) + (y[:, None] == "metal") * 3.0
    return np.abs(X), y


@pytest.mark.parametrize("name", sorted(CLASSICAL_MODELS))
def test_every_classical_model_fits_saves_and_loads(tmp_path, name):
    X, y = _toy(d=18)
    estimator = make_classical(name, pca=8, log_columns=(0, 1)).fit(X, y)
    model = GenreModel(estimator, FeatureConfig(), {"model": name})
    save_model(model, tmp_path / name, metrics={"test": {"accuracy": 1.0}})
    loaded = load_model(tmp_path / name)
    assert loaded.labels == ["jazz", "metal", "pop"]
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X))
    assert json.loads((tmp_path / name / "labels.json").read_text()) == loaded.labels


def test_loading_refuses_types_outside_the_allow_list(tmp_path):
    X, y = _toy()
    model = GenreModel(LogisticRegression().fit(X, y), FeatureConfig())
    folder = save_model(model, tmp_path / "m")
    # a weights file that would call a function from outside the allow list
    sio.dump(Pipeline([("f", FunctionTransformer(operator.neg))]), folder / "model.skops")
    with pytest.raises(ModelError, match="untrusted"):
        load_model(folder)


def test_not_a_model_folder(tmp_path):
    with pytest.raises(ModelError, match="not a genriflow model folder"):
        load_model(tmp_path)


def test_unknown_model_name():
    with pytest.raises(ValueError, match="unknown model"):
        make_classical("xgboost")


def test_network_folder_round_trip_is_exact_and_strict(tmp_path):
    import torch

    from genriflow.models.deep import DeepGenreModel

    config = {"network": "cs229-ffnn", "network_kwargs": {"n_inputs": 64 * 173},
              "chunk_frames": None, "n_norm": 0}
    torch.manual_seed(1)
    model = DeepGenreModel.build(config, ["jazz", "metal"], FeatureConfig(set="cs229-mel"),
                                 device="cpu")
    folder = save_model(model, tmp_path / "net")
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "labels.json",
                                                        "model.safetensors"]
    X = np.random.default_rng(0).normal(size=(3, 4, 64, 173)).astype(np.float32)
    np.testing.assert_array_equal(load_model(folder, device="cpu").predict_proba(X),
                                  model.predict_proba(X))
    config_file = folder / "config.json"
    changed = json.loads(config_file.read_text())
    changed["network_kwargs"]["hidden"] = [8]  # another architecture for the same weights
    config_file.write_text(json.dumps(changed))
    with pytest.raises(RuntimeError):
        load_model(folder, device="cpu")
