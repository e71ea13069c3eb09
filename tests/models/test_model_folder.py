import json
import operator

import numpy as np
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from genriflow.features.sets import FeatureConfig
from genriflow.models.base import GenreClassifier
from genriflow.models.classical import CLASSICAL_MODELS, ClassicalGenreModel, make_classical
from genriflow.models.folder import ModelError, load_model
from genriflow.models.registry import available_models
from genriflow.models.zero_shot import ZeroShotGenreModel


def _toy(n=60, d=6, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(["jazz", "metal", "pop"], n // 3)
    X = rng.normal(size=(n, d)) + (y[:, None] == "metal") * 3.0
    return np.abs(X), y


@pytest.mark.parametrize("name", sorted(CLASSICAL_MODELS))
def test_every_classical_model_fits_saves_and_loads(tmp_path, name):
    X, y = _toy(d=18)
    estimator = make_classical(name, pca=8, log_columns=(0, 1)).fit(X, y)
    model = ClassicalGenreModel(estimator, FeatureConfig(), {"model": name})
    model.save(tmp_path / name, metrics={"test": {"accuracy": 1.0}})
    loaded = load_model(tmp_path / name)
    assert loaded.labels == ["jazz", "metal", "pop"]
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X))
    assert json.loads((tmp_path / name / "labels.json").read_text()) == loaded.labels


@pytest.mark.parametrize("name", sorted(CLASSICAL_MODELS))
def test_pca_asked_for_is_the_pca_fitted_knn_included(name):
    # `train --model knn --pca 30` kept kNN's own 15 components without a word
    X, y = _toy(d=40)
    fitted = make_classical(name, pca=20).fit(X, y)
    [pca] = [step for key, step in fitted.steps if key == "pca"]
    assert pca.n_components_ == 20
    default = make_classical(name).fit(X, y)
    kept = [step.n_components_ for key, step in default.steps if key == "pca"]
    assert kept == ([15] if name == "knn" else [])


def test_loading_refuses_types_outside_the_allow_list(tmp_path):
    X, y = _toy()
    model = ClassicalGenreModel(LogisticRegression().fit(X, y), FeatureConfig())
    folder = model.save(tmp_path / "m")
    # a weights file that would call a function from outside the allow list
    sio.dump(Pipeline([("f", FunctionTransformer(operator.neg))]), folder / "model.skops")
    with pytest.raises(ModelError, match="untrusted"):
        load_model(folder)


DAMAGES = {  # what is done to a saved folder, what the one-line error then says
    "config not JSON": ("config.json", b"{bad", "config.json: not valid JSON"),
    "config not an object": ("config.json", b"[1, 2]", "config.json: not a model "
                                                        "configuration (a JSON object)"),
    "config cut": ("config.json", b'{"kind": "classical"}',
                   "damaged or not written by genriflow (no 'features')"),
    "weights not a skops file": ("model.skops", b"garbage",
                                 "damaged or not written by genriflow (BadZipFile: "),
    # labels.json was never read for a classical model: any content loaded in silence
    "labels not JSON": ("labels.json", b'["jazz", "metal"', "labels.json: not valid JSON"),
    "labels of another model": ("labels.json", b'["rock", "metal", "pop"]',
                                "labels.json: says the genres are rock, metal, pop, but the "
                                "model's are jazz, metal, pop (in this order)"),
    "labels reordered": ("labels.json", b'["metal", "jazz", "pop"]',
                         "says the genres are metal, jazz, pop"),
    "labels not a list": ("labels.json", b'{"0": "jazz"}', "says the genres are {'0': 'jazz'}"),
}


def test_a_classical_folder_without_labels_json_loads(tmp_path):
    X, y = _toy()
    folder = ClassicalGenreModel(LogisticRegression().fit(X, y), FeatureConfig()).save(
        tmp_path / "m")
    (folder / "labels.json").unlink()
    assert load_model(folder).labels == ["jazz", "metal", "pop"]


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_model_folder_is_a_model_error_naming_it(tmp_path, damage):
    # each was "internal error (a bug in genriflow)": JSONDecodeError, KeyError, ...
    X, y = _toy()
    folder = ClassicalGenreModel(LogisticRegression().fit(X, y), FeatureConfig()).save(
        tmp_path / "m")
    name, content, says = DAMAGES[damage]
    (folder / name).write_bytes(content)
    with pytest.raises(ModelError) as caught:
        load_model(folder)
    assert str(caught.value).startswith(str(folder)) and says in str(caught.value)
    assert len(str(caught.value).splitlines()) == 1


def test_a_model_file_this_user_may_not_read_is_named(tmp_path, unreadable):
    X, y = _toy()
    folder = ClassicalGenreModel(LogisticRegression().fit(X, y), FeatureConfig()).save(
        tmp_path / "m")
    unreadable(folder / "model.skops")
    with pytest.raises(ModelError, match=r"m: model.skops cannot be read: permission denied$"):
        load_model(folder)


def test_a_model_folder_this_user_may_not_enter_is_named(tmp_path, unreadable):
    (tmp_path / "locked").mkdir()
    unreadable(tmp_path / "locked")
    with pytest.raises(ModelError, match="locked/model`: cannot be read: permission denied$"):
        load_model(tmp_path / "locked" / "model")


def test_not_a_model_folder(tmp_path):
    with pytest.raises(ModelError, match="not a genriflow model folder"):
        load_model(tmp_path)


def test_unknown_model_name():
    with pytest.raises(ValueError, match="`model` must be one of .*; got 'xgboost'"):
        make_classical("xgboost")


def test_network_folder_round_trip_is_exact_and_strict(tmp_path):
    import torch

    from genriflow.models.deep import DeepGenreModel

    config = {"network": "cs229-ffnn", "network_kwargs": {"n_inputs": 64 * 173},
              "chunk_frames": None, "n_norm": 0}
    torch.manual_seed(1)
    model = DeepGenreModel.build(config, ["jazz", "metal"], FeatureConfig(set="cs229-mel"),
                                 device="cpu")
    folder = model.save(tmp_path / "net")
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "labels.json",
                                                        "model.safetensors"]
    X = np.random.default_rng(0).normal(size=(3, 4, 64, 173)).astype(np.float32)
    np.testing.assert_array_equal(load_model(folder, device="cpu").predict_proba(X),
                                  model.predict_proba(X))
    config_file = folder / "config.json"
    changed = json.loads(config_file.read_text())
    changed["network_kwargs"]["hidden"] = [8]  # another architecture for the same weights
    config_file.write_text(json.dumps(changed))
    with pytest.raises(ModelError, match=r"damaged or not written by genriflow \(RuntimeError"):
        load_model(folder, device="cpu")  # strict: it was torch's RuntimeError, a crash


def test_every_model_has_the_one_interface(tmp_path):
    X, y = _toy()
    classical = ClassicalGenreModel(LogisticRegression().fit(X, y), FeatureConfig())
    assert isinstance(classical, GenreClassifier)
    assert classical.predict(X[:4]).tolist() == np.asarray(classical.labels)[
        classical.predict_proba(X[:4]).argmax(axis=1)].tolist()
    loaded = load_model(classical.save(tmp_path / "m", metrics={"test": {}}))
    assert isinstance(loaded, GenreClassifier) and (tmp_path / "m" / "metrics.json").is_file()
    assert isinstance(load_model("zero-shot"), GenreClassifier)


def test_built_in_names_and_folders():
    assert available_models() == ["gtzan", "gtzan-fusion", "gtzan-table", "library-genres",
                                  "zero-shot"]
    assert isinstance(load_model("zero-shot", device="cpu"), ZeroShotGenreModel)
    with pytest.raises(ModelError, match=r"^`nope`: not a genriflow model folder \(no "
                       r"config.json\) nor a built-in model \(gtzan, gtzan-fusion, gtzan-table, "
                       r"library-genres, zero-shot\)$"):
        load_model("nope")
    with pytest.raises(ModelError, match="built-in"):
        ZeroShotGenreModel().save("unused")


def test_a_model_folder_wins_over_a_built_in_name(tmp_path, monkeypatch):
    X, y = _toy()
    ClassicalGenreModel(LogisticRegression().fit(X, y), FeatureConfig()).save(
        tmp_path / "zero-shot")
    monkeypatch.chdir(tmp_path)
    assert isinstance(load_model("zero-shot"), ClassicalGenreModel)
    (tmp_path / "other").mkdir()  # a folder without config.json is no model folder
    with pytest.raises(ModelError, match="not a genriflow model folder"):
        load_model("other")
