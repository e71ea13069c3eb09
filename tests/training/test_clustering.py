"""Unsupervised genres: the methods, the scores against labels, the run folder."""

import numpy as np
import pytest

from genriflow.evaluation.metrics import clustering_metrics
from genriflow.features.dataset import from_audio, from_table
from genriflow.features.options import RunOptions
from genriflow.features.sets import FeatureConfig
from genriflow.training.clustering import (
    AutoencoderConfig,
    ClusterConfig,
    LSTMAutoencoderClusterer,
    make_clusterer,
)
from genriflow.workflows.cluster_run import cluster, cluster_to_folder


def test_scores_of_perfect_renamed_and_random_clusters():
    y = np.repeat(["blues", "jazz", "rock"], 20)
    renamed = np.repeat([2, 0, 1], 20)
    perfect = clustering_metrics(y, renamed)
    assert perfect["ari"] == pytest.approx(1) and perfect["nmi"] == pytest.approx(1)
    assert perfect["matched_accuracy"] == 1.0
    one_wrong = renamed.copy()
    one_wrong[0] = 0
    assert clustering_metrics(y, one_wrong)["matched_accuracy"] == pytest.approx(59 / 60)
    random = clustering_metrics(y, np.random.default_rng(0).integers(0, 3, 60))
    assert abs(random["ari"]) < 0.1


def test_two_clusters_cannot_match_three_genres():
    # Hungarian matching: each cluster names one genre, so a third genre is all errors.
    y = np.repeat(["a", "b", "c"], 10)
    clusters = np.repeat([0, 1, 1], 10)
    assert clustering_metrics(y, clusters)["matched_accuracy"] == pytest.approx(2 / 3)


def test_a_large_genre_cannot_carry_the_balanced_matched_accuracy():
    # 80 rock songs in one cluster, 10 jazz and 10 blues together in another: matched
    # accuracy 0.9 rests on rock; each genre's share (1, 1, 0) gives 2/3.
    y = np.array(["rock"] * 80 + ["jazz"] * 10 + ["blues"] * 10)
    clusters = np.array([0] * 80 + [1] * 20)
    found = clustering_metrics(y, clusters)
    assert found["matched_accuracy"] == pytest.approx(0.9)
    assert found["matched_balanced_accuracy"] == pytest.approx(2 / 3)


def test_cluster_shows_the_balanced_figure_where_genres_are_unequal(kaggle_table, tmp_path):
    import pandas as pd
    from typer.testing import CliRunner

    from genriflow.cli import app

    table = pd.read_csv(kaggle_table)
    number = table["filename"].str.split(".").str[1].astype(int)
    unequal = table[(table["label"] == "classical") | (number < 10)]  # 100 against 9 x 10
    path = tmp_path / "unequal.csv"
    unequal.to_csv(path, index=False)
    result = CliRunner().invoke(app, ["cluster", "--features", str(path), "--methods",
                                      "kmeans", "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    assert "balanced" in result.output
    scores = pd.read_csv(tmp_path / "run" / "scores.csv").iloc[0]
    low, high = scores["matched_balanced_accuracy_low"], scores["matched_balanced_accuracy_high"]
    assert low <= scores["matched_balanced_accuracy"] <= high
    assert "matched balanced accuracy" in (tmp_path / "run" / "report.md").read_text()


def test_separable_blobs_are_found_by_every_vector_method():
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 10, (4, 12))
    X = np.concatenate([c + rng.normal(0, 1, (30, 12)) for c in centres])
    y = np.repeat(list("abcd"), 30)
    for method in ("pca-gmm", "kmeans"):
        clusters = make_clusterer(method, 4, seed=0, n_components=5).fit_predict(X)
        assert clustering_metrics(y, clusters)["matched_accuracy"] == 1.0, method


def test_lstm_autoencoder_learns_and_separates_sequences():
    rng = np.random.default_rng(0)
    t = np.arange(64)
    slow = np.sin(t / 8)[None, None, :] + rng.normal(0, 0.1, (20, 6, 64))
    fast = np.sign(np.sin(t / 1.5))[None, None, :] + rng.normal(0, 0.1, (20, 6, 64))
    X = np.concatenate([slow, fast]).astype(np.float32)
    clusterer = LSTMAutoencoderClusterer(2, n_components=2, seed=0, config=AutoencoderConfig(
        code_size=8, pool_frames=2, epochs=40, lr=1e-2))
    clusters = clusterer.fit_predict(X)
    assert clusterer.losses_[-1] < 0.8 * clusterer.losses_[0]
    assert clustering_metrics(np.repeat(["slow", "fast"], 20), clusters)["ari"] > 0.9
    with pytest.raises(ValueError, match="frame arrays"):
        clusterer.fit_predict(X[:, :, 0])


def test_kaggle_table_clusters_beat_chance(kaggle_table):
    run = cluster(from_table(kaggle_table), ClusterConfig(methods=("pca-gmm", "kmeans")))
    assert list(run.scores["method"]) == ["pca-gmm", "kmeans"]
    assert (run.scores["ari"] > 0.1).all() and (run.scores["matched_accuracy"] > 0.25).all()
    assert len(run.assignments) == 1000
    # Each figure inside its interval; matched accuracy's as wide as a proportion's Wilson
    # interval on 1000 items (about ±0.03), which half-sampling should reproduce.
    from genriflow.intervals import wilson_interval

    for row in run.scores.itertuples():
        for name in ("ari", "nmi", "matched_accuracy"):
            low, high = getattr(row, f"{name}_low"), getattr(row, f"{name}_high")
            assert low < getattr(row, name) < high, name
        wilson = wilson_interval(round(row.matched_accuracy * 1000), 1000)
        assert row.matched_accuracy_low == pytest.approx(wilson[0], abs=0.012)
        assert row.matched_accuracy_high == pytest.approx(wilson[1], abs=0.012)


def test_cluster_run_folder_on_the_demo_stack(demo_corpus, feature_cache, tmp_path):
    dataset = from_audio(demo_corpus, FeatureConfig(set="genriflow-stack"),
                         options=RunOptions(store=feature_cache))
    run = cluster_to_folder(dataset, tmp_path, ClusterConfig(
        methods=("pca-gmm", "kmeans", "lstm-autoencoder")))
    assert set(run.scores["method"]) == {"pca-gmm", "kmeans", "lstm-autoencoder"}
    assert run.scores["matched_accuracy"].between(0, 1).all()
    for name in ("scores.csv", "clusters.csv", "config.json", "pca-scatter.png",
                 "clusters-lstm-autoencoder.png", "report.md", "report.html"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert "| kmeans |" in (tmp_path / "report.md").read_text()


def test_unknown_method_is_a_clear_error():
    with pytest.raises(ValueError, match="`methods` must be one of .*; got 'spectral'"):
        ClusterConfig(methods=("spectral",))


@pytest.mark.parametrize("method", ["pca-gmm", "kmeans", "lstm-autoencoder"])
def test_the_clusterers_keep_scikit_learns_estimator_contract(method):
    """They had ``fit_predict`` only: ``fit`` was an AttributeError and
    ``check_is_fitted`` a TypeError ('is not an estimator instance')."""
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    clusterer = make_clusterer(method, 3, seed=0, n_components=2)
    with pytest.raises(NotFittedError):
        check_is_fitted(clusterer)
    assert clone(clusterer).get_params() == clusterer.get_params()
    if method == "lstm-autoencoder":
        return  # its fit trains a network: test_lstm_autoencoder_learns_... covers it
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(centre, 0.1, (15, 4)) for centre in (0.0, 5.0, 10.0)])
    assert clusterer.fit(X) is clusterer
    check_is_fitted(clusterer)
    np.testing.assert_array_equal(clusterer.labels_, clone(clusterer).fit_predict(X))
    assert len(set(clusterer.labels_.tolist())) == 3


def test_lstm_autoencoder_on_a_vector_set_is_refused_before_any_feature_is_computed(
        tmp_path, kaggle_table):
    # `cluster DIR --methods lstm-autoencoder` (the default --set kaggle) computed every
    # song's features, then said "the LSTM autoencoder needs frame arrays"
    import soundfile as sf

    from commandline import in_process
    from sample_audio import SR, tone

    for genre in ("jazz", "rock"):
        (tmp_path / "songs" / genre).mkdir(parents=True)
        sf.write(tmp_path / "songs" / genre / "a.flac", tone(3.0), SR)
    store = tmp_path / "store"
    out = in_process("cluster", tmp_path / "songs", "--methods", "lstm-autoencoder",
                     "--store", store, "--out", tmp_path / "run", "-q")
    assert out.returncode == 2
    assert out.stderr.splitlines() == [
        "error: `--methods` lstm-autoencoder needs a frame set (an array of frames a song, "
        "such as genriflow-stack or log-mel); `--set` 'kaggle' is one vector a song"]
    assert not store.exists() and not (tmp_path / "run").exists()
    out = in_process("cluster", "--features", kaggle_table, "--methods",
                     "kmeans,lstm-autoencoder", "--out", tmp_path / "run", "-q")
    assert out.returncode == 2
    assert out.stderr.splitlines() == [
        "error: `--methods` lstm-autoencoder needs a frame set (an array of frames a song, "
        "such as genriflow-stack or log-mel); a feature table (`--features`) is one vector "
        "a song"]
    # its other errors name the command's own words too (`data` was the API's)
    out = in_process("cluster", tmp_path / "songs", "--features", kaggle_table, "-q")
    assert out.stderr.splitlines() == [
        "error: `DATA_DIR` and a feature table are both given; give one of them"]
