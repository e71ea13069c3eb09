"""Networks in the product: training on a hold-out split, model folders, prediction, compare."""

import json
import tracemalloc

import numpy as np
import pandas as pd
import pytest

from genriflow.datasets.splits import SplitConfig, assign_splits
from genriflow.features.dataset import FeatureDataset, from_audio
from genriflow.features.options import RunOptions
from genriflow.features.sets import FeatureConfig
from genriflow.inference.pipeline import Pipeline
from genriflow.intervals import wilson_interval
from genriflow.models import NETWORK_NAMES
from genriflow.models.deep import to_pieces
from genriflow.models.folder import load_model
from genriflow.models.networks import NETWORKS
from genriflow.models.transforms import FrameStandardizer
from genriflow.training.deep import (
    DeepTrainConfig,
    _piece_rows,
    augmented_copies,
    parse_network,
)
from genriflow.training.loop import LoopConfig
from genriflow.workflows.experiment import train_network_to_folder
from genriflow.workflows.train_any import compare


def test_the_cli_list_of_networks_is_the_registry():
    assert set(NETWORK_NAMES) == set(NETWORKS)


def test_pieces_of_windowed_and_chunked_clips():
    windows = np.zeros((3, 4, 64, 173), np.float32)
    pieces, clip = to_pieces(windows, "cs229-mel", None)
    assert pieces.shape == (12, 64, 173) and clip.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    logmel = np.arange(2 * 2 * 10, dtype=np.float32).reshape(2, 2, 10)
    pieces, clip = to_pieces(logmel, "log-mel", 4)
    assert pieces.shape == (4, 2, 4) and clip.tolist() == [0, 0, 1, 1]
    np.testing.assert_array_equal(pieces[1], logmel[0, :, 4:8])


def test_network_specs():
    assert parse_network("shortchunk-cnn") == ("shortchunk-cnn", "log-mel")
    assert parse_network("cs229-ffnn@cs229-raw") == ("cs229-ffnn", "cs229-raw")
    with pytest.raises(ValueError, match="`network` must be one of .*; got 'resnet-152'"):
        parse_network("resnet-152")


def test_network_settings_are_checked_in_their_config():
    from genriflow.errors import ConfigError

    with pytest.raises(ConfigError, match="^`split` is kfold, but networks train on a hold-out"):
        DeepTrainConfig(split=SplitConfig(method="kfold"))
    with pytest.raises(ConfigError, match="^`copies` must be at least 1"):
        DeepTrainConfig(copies=0)
    with pytest.raises(ConfigError, match="^`network` names feature set 'mfcc'"):
        DeepTrainConfig(network="cs229-ffnn@mfcc")


@pytest.fixture(scope="module")
def shortchunk(demo_corpus, feature_cache, tmp_path_factory):
    config = DeepTrainConfig(network="shortchunk-cnn", split=SplitConfig(seed=0),
                             loop=LoopConfig(epochs=2, device="cpu"))
    dataset = from_audio(demo_corpus, config.feature_config(),
                         options=RunOptions(store=feature_cache))
    out = tmp_path_factory.mktemp("deep") / "shortchunk"
    return out, dataset, train_network_to_folder(dataset, out, config)


def test_a_trained_network_folder_holds_weights_curves_and_split(shortchunk):
    out, _, result = shortchunk
    for name in ("config.json", "labels.json", "metrics.json", "model.safetensors",
                 "curves.png", "report.md", "confusion.png"):
        assert (out / name).is_file(), name
    config = json.loads((out / "config.json").read_text())
    assert config["kind"] == "torch" and config["features"]["set"] == "log-mel"
    assert result.metrics["test"]["part"] == "test (stratified, 20 items)"
    assert len(result.metrics["history"]["train_loss"]) == 2
    assert "![loss and accuracy per epoch](curves.png)" in (out / "report.md").read_text()
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 3 and 'src="curves.png"' not in html


def test_a_networks_report_says_it_was_fitted_on_train_and_stopped_on_valid(shortchunk):
    from genriflow.intervals import wilson_interval

    out, _, result = shortchunk
    metrics, report = result.metrics, (out / "report.md").read_text()
    assert "train + valid (fit data)" not in report  # a network never fits the valid part
    for part, said in (("train", "fit data"), ("valid", "chose the epoch")):
        n = metrics["split"]["counts"][part]
        correct = round(metrics[f"{part}_accuracy"] * n)
        low, high = wilson_interval(correct, n)
        assert (f"| accuracy | {metrics[f'{part}_accuracy']:.3f} ({correct}/{n}; 95 % Wilson "
                f"{low:.3f}-{high:.3f}) | {part} ({n} items, {said}) |") in report


def test_loaded_network_predicts_like_the_trained_one(shortchunk):
    out, dataset, result = shortchunk
    loaded = load_model(out, device="cpu")
    np.testing.assert_allclose(loaded.predict_proba(dataset.X[:5]),
                               result.model.predict_proba(dataset.X[:5]), atol=1e-6)


def test_full_song_prediction_with_a_network(shortchunk, demo_corpus):
    out, _, _ = shortchunk
    songs = sorted(demo_corpus.glob("metal/*"))[:3]
    result = Pipeline(load_model(out, device="cpu"))(songs)
    predictions, errors = result.predictions, result.errors
    assert not errors and len(predictions) == 3
    assert all(abs(p.probabilities.sum() - 1) < 1e-5 for p in predictions)


def test_compare_tabulates_every_model(demo_corpus, feature_cache, tmp_path):
    table = compare(demo_corpus, ["logreg", "cs229-ffnn@cs229-raw"], tmp_path, epochs=1,
                    options=RunOptions(store=feature_cache))
    assert list(table["model"]) == ["logreg", "cs229-ffnn@cs229-raw"]
    assert list(table["input"]) == ["kaggle", "cs229-raw"]
    assert table["test"].between(0, 1).all()
    assert (tmp_path / "comparison.md").read_text().count("confusion.png") == 2
    assert (table["test_low"] <= table["test"]).all() and (table["test"] <= table["test_high"]
                                                           ).all()
    # McNemar against the best, recomputed from the predictions both models saved.
    tests = [json.loads((tmp_path / f / "metrics.json").read_text())["test"]
             for f in ("logreg", "cs229-ffnn-cs229-raw")]
    assert [len(t["predictions"]) for t in tests] == [t["n"] for t in tests]
    best = int(table["test"].idxmax())
    other = 1 - best
    right = [{i: t == p for i, t, p in test["predictions"]} for test in tests]
    only_other = sum(right[other][i] and not right[best][i] for i in right[best])
    only_best = sum(right[best][i] and not right[other][i] for i in right[best])
    from scipy.stats import binomtest
    expected = 1.0 if only_best + only_other == 0 else binomtest(
        only_other, only_best + only_other, 0.5).pvalue
    assert table.loc[other, "mcnemar_p"] == pytest.approx(expected)
    assert pd.isna(table.loc[best, "mcnemar_p"])
    markdown = (tmp_path / "comparison.md").read_text()
    assert "McNemar p vs best" in markdown
    # validation accuracy with its Wilson interval on the validation count, balanced
    # accuracy with the 95 % interval each model's metrics.json holds
    for row, test, folder in zip(table.itertuples(), tests, ("logreg", "cs229-ffnn-cs229-raw"),
                                 strict=True):
        metrics = json.loads((tmp_path / folder / "metrics.json").read_text())
        n = metrics["split"]["counts"]["valid"]
        assert row.valid_n == n
        low, high = wilson_interval(round(row.valid * n), n)
        assert (row.valid_low, row.valid_high) == pytest.approx((low, high), abs=1e-9)
        assert (row.test_balanced_low, row.test_balanced_high) == pytest.approx(
            test["balanced_accuracy_interval"], abs=1e-9)
        assert row.test_balanced_low <= row.test_balanced <= row.test_balanced_high
        assert (f"{row.valid:.3f} ({round(row.valid * n)}/{n}; 95 % Wilson {low:.3f}-"
                f"{high:.3f})") in markdown
        assert (f"{row.test_balanced:.3f} ({row.test_balanced_low:.3f}-"
                f"{row.test_balanced_high:.3f}, per-genre Jeffreys draws)") in markdown


def test_augmented_copies_cover_only_the_training_part_and_are_stored(demo_corpus,
                                                                       tmp_path):
    config = DeepTrainConfig(network="cs229-ffnn@cs229-raw", split=SplitConfig(seed=0),
                             augment="weak", copies=2)
    dataset = from_audio(demo_corpus, config.feature_config(), options=RunOptions(store=tmp_path))
    copies = augmented_copies(dataset, config, options=RunOptions(store=tmp_path))
    train = assign_splits(dataset.frame, config.split)[0] == "train"
    assert len(copies) == 2
    for copy in copies:
        assert sorted(copy.frame["path"]) == sorted(dataset.frame.loc[train.to_numpy(), "path"])
    assert not np.allclose(copies[0].X, copies[1].X)
    again = augmented_copies(dataset, config, options=RunOptions(store=tmp_path))
    np.testing.assert_array_equal(again[0].X, copies[0].X)
    with pytest.raises(ValueError, match="`augment` must be one of none, weak, strong"):
        DeepTrainConfig(augment="extreme")


def test_training_reads_the_store_memory_mapped(shortchunk, feature_cache):
    _, dataset, _ = shortchunk
    assert isinstance(dataset.X, np.memmap)
    assert str(feature_cache) in str(dataset.X.filename)
    again = from_audio(dataset.source, dataset.feature_config,
                       options=RunOptions(store=feature_cache))
    assert again.X.filename == dataset.X.filename  # packed once, reused


def test_training_inputs_and_scaling_do_not_copy_the_dataset(tmp_path):
    """The training part, its standardisation and its evaluation read rows batch by batch:
    peak numpy memory stays far below the size of the memory-mapped matrix."""
    n, shape = 400, (96, 1000)  # 150 MB of float32
    path = tmp_path / "matrix.npy"
    packed = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, *shape))
    packed[:] = np.random.default_rng(0).standard_normal((1, *shape), dtype=np.float32)
    packed.flush()
    del packed
    X = np.load(path, mmap_mode="r")
    frame = pd.DataFrame({"path": [f"{i}.wav" for i in range(n)], "label": ["a", "b"] * (n // 2)})
    dataset = FeatureDataset(frame, X, FeatureConfig(set="log-mel"), "memmap")
    rows = np.arange(n) % 5 != 0
    tracemalloc.start()
    pieces, clip = _piece_rows(dataset, rows)
    norm = FrameStandardizer().fit(pieces)
    first = pieces[0]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(pieces) == rows.sum() and clip.tolist() == np.flatnonzero(rows).tolist()
    np.testing.assert_array_equal(first, X[1])
    np.testing.assert_allclose(norm.mean_, X[0].mean(axis=1, dtype=np.float64), atol=1e-6)
    assert peak < X.nbytes / 20, f"peak {peak / 1e6:.0f} MB for a {X.nbytes / 1e6:.0f} MB matrix"
