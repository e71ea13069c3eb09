import json

import numpy as np
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression

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
    X, y = _toy()
    estimator = make_classical(name, pca=4 if name != "knn" else None,
                               log_columns=(0, 1)).fit(X, y)
    if name == "knn":
        estimator = make_classical(name).fit(np.tile(X, (1, 3)), y)
        X = np.tile(X, (1, 3))
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
    # a weights file holding a foreign type must never be instantiated
    sio.dump({"payload": np.random.default_rng(0).bit_generator}, folder / "model.skops")
    with pytest.raises(ModelError, match="untrusted"):
        load_model(folder)


def test_not_a_model_folder(tmp_path):
    with pytest.raises(ModelError, match="not a genriflow model folder"):
        load_model(tmp_path)


def test_unknown_model_name():
    with pytest.raises(ValueError, match="unknown model"):
        make_classical("xgboost")
