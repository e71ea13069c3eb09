"""Figures on a 3-second table's segments: intervals counted by track, not by segment."""

import numpy as np
import pandas as pd
import pytest

from genriflow.evaluation.metrics import classification_metrics, mcnemar
from genriflow.features.dataset import from_table
from genriflow.intervals import wilson_interval
from sample_tables import segment_table as segment_table_of


@pytest.fixture(scope="module")
def segment_table(kaggle_table, tmp_path_factory):
    """200 tracks (clips 0-19 of each genre) cut into 10 jittered segments each, named as
    the Kaggle features_3_sec.csv names them (blues.00000.0.wav ... blues.00000.9.wav)."""
    return segment_table_of(kaggle_table, tmp_path_factory.mktemp("table") /
                            "features_3_sec.csv", segments=10, jitter=0.05)


@pytest.fixture(scope="module")
def segment_dataset(segment_table):
    return from_table(segment_table)


@pytest.fixture(scope="module")
def scored(segment_dataset):
    """A nearest-centroid model fitted on clips 0-9, scored on the 1000 segments of the
    100 tracks numbered 10-19."""
    frame, X = segment_dataset.frame, segment_dataset.X
    number = frame["key"].str.split(".").str[1].astype(int).to_numpy()
    train, test = number < 10, number >= 10
    mean, std = X[train].mean(axis=0), X[train].std(axis=0) + 1e-9
    Z = (X - mean) / std
    labels = sorted(frame["label"].unique())
    y = frame["label"].to_numpy()
    centroids = np.stack([Z[train & (y == g)].mean(axis=0) for g in labels])
    guess = np.asarray(labels)[((Z[test, None, :] - centroids) ** 2).sum(axis=2).argmin(axis=1)]
    items = frame["path"][test].tolist()
    return y[test], guess, labels, items


def test_segment_intervals_are_counted_by_track(scored):
    truth, guess, labels, items = scored
    figures = classification_metrics(truth, guess, labels, part="test", items=items)
    assert figures["n"] == 1000 and figures["tracks"]["n"] == 100
    # as wide as 100 items, not 1000: a track's ten segments are not ten test items
    by_segment = wilson_interval(figures["correct"], figures["n"])
    width = figures["interval"][1] - figures["interval"][0]
    assert width > 2.5 * (by_segment[1] - by_segment[0])
    assert figures["interval"][0] <= figures["accuracy"] <= figures["interval"][1]
    assert "100 tracks" in figures["interval_method"]
    plain = classification_metrics(truth, guess, labels, part="test")
    b_low, b_high = figures["balanced_accuracy_interval"]
    p_low, p_high = plain["balanced_accuracy_interval"]
    assert b_high - b_low > 2 * (p_high - p_low)
    recall = figures["per_class"]["blues"]["recall_interval"]
    assert recall[1] - recall[0] > 2 * np.subtract(*plain["per_class"]["blues"]
                                                   ["recall_interval"][::-1])
    # and the tracks' own figure: each track's majority vote, over 100 tracks
    tracks = figures["tracks"]
    votes = pd.DataFrame({"track": [i.rsplit(".", 2)[0] for i in items], "truth": truth,
                          "guess": guess}).groupby("track")
    right = sum(g["guess"].value_counts().index[0] == g["truth"].iloc[0] for _, g in votes
                if g["guess"].value_counts().iloc[0] > 5)  # clear majorities only
    assert right <= tracks["correct"] <= right + sum(
        g["guess"].value_counts().iloc[0] <= 5 for _, g in votes)
    assert tracks["accuracy"] == pytest.approx(tracks["correct"] / 100)
    assert tracks["interval"] == pytest.approx(list(wilson_interval(tracks["correct"], 100)))


def test_clips_one_file_each_keep_their_item_intervals(scored):
    truth, guess, labels, items = scored
    clips = [f"{i.rsplit('.', 2)[0]}.wav" for i in items][::10]
    figures = classification_metrics(truth[::10], guess[::10], labels, part="test",
                                     items=clips)
    assert "tracks" not in figures
    assert figures["interval"] == pytest.approx(
        list(wilson_interval(figures["correct"], figures["n"])))


def test_mcnemar_pairs_tracks_not_segments(scored):
    truth, guess, labels, items = scored
    a = classification_metrics(truth, guess, labels, part="test", items=items)
    # a second model that is wrong on every segment of the first 20 tracks
    worse = guess.copy()
    worse[:200] = np.where(truth[:200] == "rock", "pop", "rock")
    b = classification_metrics(truth, worse, labels, part="test", items=items)
    found = mcnemar(a, b)
    assert found["items"] == 100 and "tracks" in found["unit"]
    assert found["only_first_right"] + found["only_second_right"] <= 20


def test_compare_counts_the_validation_interval_over_tracks_too(segment_table, tmp_path):
    import genriflow

    table = genriflow.compare(table=segment_table, models=["logreg"], out=tmp_path,
                              split="stratified-grouped")
    row = table.iloc[0]
    assert row["valid_n"] == 200 and row["valid_tracks"] == 20
    low, high = wilson_interval(row["valid"] * 20, 20)
    assert (row["valid_low"], row["valid_high"]) == pytest.approx((low, high))
    assert row["test_n"] == 400 and row["test_tracks"] == 40
    markdown = (tmp_path / "comparison.md").read_text()
    assert markdown.count("over 20 tracks") == 1 and "over 40 tracks" in markdown
    report = (tmp_path / "logreg" / "report.md").read_text()
    assert f"Wilson {low:.3f}-{high:.3f} over 20 tracks" in report
    assert "tracks per part (each of several segments; the intervals count tracks): " \
           "test: 40, train: 140, valid: 20" in report


@pytest.fixture(scope="module")
def segment_clusters(segment_dataset):
    from genriflow.training.clustering import ClusterConfig
    from genriflow.workflows.cluster_run import cluster

    return cluster(segment_dataset, ClusterConfig(methods=("kmeans",)))


def test_cluster_intervals_draw_halves_of_tracks(segment_dataset, segment_clusters):
    from genriflow.evaluation.metrics import clustering_intervals

    run = segment_clusters
    row = run.scores.iloc[0]
    clusters = run.assignments["kmeans"].to_numpy()
    by_segment = clustering_intervals(segment_dataset.y, clusters, n=300)
    # a track's ten near-alike segments are one item: halves of 200 tracks vary as 200
    # items do, far more than halves of 2000 segments would
    for name in ("ari", "nmi", "matched_accuracy"):
        width = row[f"{name}_high"] - row[f"{name}_low"]
        assert row[f"{name}_low"] <= row[name] <= row[f"{name}_high"]
        assert width > 2 * (by_segment[f"{name}_high"] - by_segment[f"{name}_low"]), name
    assert run.tracks == 200


def test_cluster_report_says_its_halves_are_of_tracks(segment_dataset, tmp_path):
    from typer.testing import CliRunner

    from genriflow.cli import app

    table = segment_dataset.source
    result = CliRunner().invoke(app, ["cluster", "--features", table, "--methods", "kmeans",
                                      "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    assert "half-sampling of 200 tracks" in " ".join(result.output.split())
    report = (tmp_path / "run" / "report.md").read_text()
    assert "random halves of the 200 tracks (each with all its segments" in report


def test_cluster_intervals_of_one_file_per_clip_are_as_before(kaggle_table):
    from genriflow.evaluation.metrics import clustering_intervals, clustering_metrics
    from genriflow.training.clustering import ClusterConfig
    from genriflow.workflows.cluster_run import cluster

    dataset = from_table(kaggle_table)
    run = cluster(dataset, ClusterConfig(methods=("kmeans",)))
    y, clusters = dataset.y, run.assignments["kmeans"].to_numpy()
    # the draws as they were: random halves of the items
    rng = np.random.default_rng(0)
    drawn = [clustering_metrics(y[rows], clusters[rows])
             for rows in (rng.permutation(len(y))[:len(y) // 2] for _ in range(1000))]
    point = clustering_metrics(y, clusters)
    for name in ("ari", "nmi", "matched_accuracy"):
        q_low, middle, q_high = np.percentile([d[name] for d in drawn], [2.5, 50, 97.5])
        assert run.scores.iloc[0][f"{name}_low"] == max(-1.0 if name == "ari" else 0.0,
                                                         point[name] + q_low - middle)
        assert run.scores.iloc[0][f"{name}_high"] == min(1.0, point[name] + q_high - middle)
    # the items, one a clip, change nothing
    named = clustering_intervals(y, clusters, n=50, items=dataset.frame["path"].tolist())
    assert named == clustering_intervals(y, clusters, n=50)
