"""Transfer learning: classical heads on pretrained embeddings."""

import json

import numpy as np
import pytest

from genriflow.datasets.splits import SplitConfig
from genriflow.features.dataset import from_audio
from genriflow.features.options import RunOptions
from genriflow.features.sets import FeatureConfig
from genriflow.inference.pipeline import Pipeline
from genriflow.models.folder import load_model
from genriflow.workflows.train_any import classical_spec, train_any


def test_model_specs():
    assert classical_spec("svm") == ("svm", "kaggle")
    assert classical_spec("svm@msd-musicnn") == ("svm", "msd-musicnn")
    assert classical_spec("auto", "mtt-vgg") == ("auto", "mtt-vgg")
    with pytest.raises(ValueError, match="`embeddings` is 'msd-musicnn'"):
        classical_spec("svm@kaggle", "msd-musicnn")


def test_embedding_sets_have_the_layer_sizes(demo_corpus, feature_cache):
    for name, size in (("msd-musicnn", 753), ("mtt-vgg", 256)):
        dataset = from_audio(demo_corpus, FeatureConfig(set=name),
                             options=RunOptions(store=feature_cache))
        assert dataset.X.shape == (100, size) and np.isfinite(dataset.X).all()
    with pytest.raises(ValueError, match="`layer` must be one of pool5; got 'max_pool'"):
        from_audio(demo_corpus, FeatureConfig(set="msd-vgg", options={"layer": "max_pool"}),
                   options=RunOptions(store=feature_cache))


def test_train_a_head_on_embeddings_and_predict(demo_corpus, feature_cache, tmp_path):
    metrics, errors = train_any("logreg", tmp_path, demo_corpus, embeddings="msd-musicnn",
                                split=SplitConfig(seed=0),
                                options=RunOptions(store=feature_cache))
    assert not errors and metrics["test"]["part"] == "test (stratified, 20 items)"
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["features"]["set"] == "msd-musicnn"
    predictions = Pipeline(load_model(tmp_path), options=RunOptions(store=feature_cache))(
        sorted(demo_corpus.glob("jazz/*"))[:2]).predictions
    assert len(predictions) == 2
    with pytest.raises(ValueError, match="from audio"):
        train_any("svm", tmp_path, table="x.csv", embeddings="msd-musicnn")
