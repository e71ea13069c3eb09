"""The library vocabulary: the shipped map, its scores, the head's share, unknown."""

import json

import numpy as np
import pytest

from close import assert_close
from genriflow.datasets.gtzan import GTZAN_GENRES
from genriflow.features.embeddings import ANALYSIS_SIZE, tag_names
from genriflow.models.base import ModelError
from genriflow.models.folder import load_model
from genriflow.models.registry import BUILTIN_FOLDERS
from genriflow.models.vocabulary import MAP_FILE, genre_scores, read_genre_map

FOLDER = BUILTIN_FOLDERS["library-genres"]
NEEDED = ("electronic", "ambient", "folk", "soul-rnb", "punk", "funk", "world",
          "soundtrack", "experimental")


def test_the_shipped_map_covers_gtzan_and_a_modern_library():
    genre_map = read_genre_map(FOLDER / MAP_FILE)
    assert set(GTZAN_GENRES) | set(NEEDED) == set(genre_map)
    assert genre_map["reggae"] == []   # no tag: only the head names it
    model = load_model("library-genres")
    assert model.labels == list(genre_map) and model.head.config["model"] == "gtzan"
    assert 0 < model.min_evidence < 1


def test_a_bad_map_is_one_error_naming_the_file_and_tag(tmp_path):
    bad = tmp_path / MAP_FILE
    bad.write_text(json.dumps({"genres": {"rock": [["msd:rokc"]]}}))
    with pytest.raises(ModelError, match=r"genre_tags.json: genre 'rock' .*msd:rokc"):
        read_genre_map(bad)
    bad.write_text("{")
    with pytest.raises(ModelError, match="not a genre map"):
        read_genre_map(bad)


def _rows(tags: dict[str, float], n: int = 3) -> np.ndarray:
    names = list(tag_names())
    X = np.zeros((n, ANALYSIS_SIZE))
    for tag, value in tags.items():
        X[:, names.index(tag)] = value
    return X


def test_tags_pick_the_genre_and_the_head_splits_the_gtzan_share():
    model = load_model("library-genres")
    techno = _rows({"mtt:techno": 0.9, "msd:electronic": 0.8, "msd:rock": 0.1})
    proba = model.predict_proba(techno)
    assert_close(proba.sum(axis=1).tolist(), [1.0] * 3)
    assert model.labels[int(proba.mean(axis=0).argmax())] == "electronic"
    columns = [model.labels.index(g) for g in GTZAN_GENRES]
    head = model.head.predict_proba(techno)
    share = proba[:, columns].sum(axis=1, keepdims=True)
    np.testing.assert_allclose(proba[:, columns], share * head, atol=1e-12)
    scores = genre_scores(techno[:, :100], model.genre_map)
    assert scores[0, model.labels.index("electronic")] == pytest.approx(0.9)


def test_unknown_needs_both_unlike_music_and_no_genre_heard():
    model = load_model("library-genres")
    quiet = _rows({"mtt:quiet": 0.3})
    loud = _rows({"msd:metal": 0.9})
    assert model.no_genre_fits(quiet, True) and not model.no_genre_fits(quiet, False)
    assert not model.no_genre_fits(loud, True)
