"""Multi-label figures on hand-made cases, and the two-genre experiment's honest split."""

from __future__ import annotations

import numpy as np
import pytest

from genriflow.errors import ConfigError
from genriflow.evaluation.multilabel_metrics import (
    indicator,
    multilabel_metrics,
    predicted_sets,
    top_k_sets,
    tune_thresholds,
)
from genriflow.workflows.two_genre_experiment import TwoGenreConfig, split_parts

LABELS = ["blues", "jazz", "rock"]


def test_the_seed_measure_counts_a_song_right_only_when_all_its_genres_are_found():
    truth = indicator([["jazz", "rock"], ["blues", "jazz"], ["rock"], ["blues"]], LABELS)
    p = np.array([[0.1, 0.6, 0.3],    # both found at 0.2
                  [0.7, 0.1, 0.15],   # jazz missed
                  [0.05, 0.1, 0.9],   # exactly rock
                  [0.5, 0.4, 0.1]])   # blues and (wrongly) jazz
    m = multilabel_metrics(truth, p, LABELS, 0.2, "hand-made")
    assert (m["all_genres_found"]["correct"], m["all_genres_found"]["n"]) == (3, 4)
    assert m["exact_set"]["correct"] == 2  # songs 1 and 3
    low, high = m["all_genres_found"]["interval"]
    assert low < 0.75 < high and m["all_genres_found"]["interval_method"] == "Wilson 95 %"
    # micro F1: predicted 2+1+1+2 = 6 genres, 5 right, 6 true -> P = R = 5/6
    assert m["micro_f1"] == pytest.approx(5 / 6)
    assert m["per_genre"]["rock"]["roc_auc"] == pytest.approx(1.0)
    assert m["mAP"] == pytest.approx(np.mean([v["average_precision"]
                                              for v in m["per_genre"].values()]))


def test_every_song_gets_a_genre_and_top_two_is_two():
    p = np.array([[0.1, 0.15, 0.05], [0.3, 0.6, 0.25]])
    assert predicted_sets(p, 0.2).astype(int).tolist() == [[0, 1, 0], [1, 1, 1]]
    assert predicted_sets(p, np.array([0.5, 0.5, 0.2])).astype(int).tolist() == [
        [0, 1, 0], [0, 1, 1]]
    assert top_k_sets(p, 2).sum(axis=1).tolist() == [2, 2]
    with pytest.raises(ConfigError, match="genre 'polka' is not one of the model's"):
        indicator([["polka"]], LABELS)


def test_tuned_thresholds_separate_what_the_validation_songs_separate():
    truth = indicator([["blues"], ["blues"], ["jazz"], ["jazz"]], LABELS)
    p = np.array([[0.62, 0.1, 0.0], [0.7, 0.2, 0.0], [0.3, 0.8, 0.0], [0.4, 0.9, 0.0]])
    tuned = tune_thresholds(truth, p)
    assert 0.4 < tuned[0] <= 0.62 and tuned[2] == 0.2  # rock: no song has it
    assert (predicted_sets(p, tuned) == truth).all()


def test_the_split_holds_out_two_genre_clips_no_model_trains_on():
    is_multi = np.array([False] * 30 + [True] * 20)
    first = np.array(["blues", "jazz", "rock"] * 10 + ["blues"] * 20)
    parts = split_parts(is_multi, first, TwoGenreConfig(seed=3))
    everything = np.concatenate(list(parts.values()))
    assert sorted(everything.tolist()) == list(range(50))  # disjoint and complete
    assert is_multi[parts["test_multi"]].all() and len(parts["test_multi"]) == 8
    assert not is_multi[parts["train_single"]].any()
    for genre in ("blues", "jazz", "rock"):  # every genre trains and tunes
        assert (first[parts["train_single"]] == genre).sum() == 8
        assert (first[parts["valid_single"]] == genre).sum() == 2
    with pytest.raises(ConfigError, match="must leave clips to train on"):
        TwoGenreConfig(test_share=0.5, valid_share=0.5)
