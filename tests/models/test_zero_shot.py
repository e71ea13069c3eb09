"""Genres, voice and moods from the pretrained taggers, with no training."""


import numpy as np
import pytest

from genriflow.datasets.gtzan import GTZAN_GENRES
from genriflow.features.embeddings import tag_names
from genriflow.inference.tags import describe
from genriflow.models.folder import load_model
from genriflow.models.zero_shot import (
    GENRE_TAGS,
    INSTRUMENTAL_TAGS,
    MOOD_TAGS,
    VOCAL_TAGS,
    ZeroShotGenreModel,
)

NAMES = tag_names()


def tags_with(**probabilities: float) -> np.ndarray:
    values = np.full(len(NAMES), 0.01)
    for name, p in probabilities.items():
        values[NAMES.index(name.replace("_", " ").replace("msd ", "msd:").replace(
            "mtt ", "mtt:"))] = p
    return values


def test_every_mapped_tag_exists_in_the_vocabularies():
    mapped = [t for group in (*GENRE_TAGS.values(), *MOOD_TAGS.values()) for t in group]
    assert set(mapped + list(VOCAL_TAGS + INSTRUMENTAL_TAGS)) <= set(NAMES)
    assert set(GENRE_TAGS) == set(GTZAN_GENRES)


def test_zero_shot_follows_the_mapping():
    model = load_model("zero-shot")
    assert isinstance(model, ZeroShotGenreModel) and model.labels == list(GTZAN_GENRES)
    X = np.stack([tags_with(msd_jazz=0.9), tags_with(mtt_classical=0.8, msd_rock=0.3),
                  tags_with(msd_heavy_metal=0.7)])
    probs = model.predict_proba(X)
    np.testing.assert_allclose(probs.sum(axis=1), 1)
    assert model.predict(X).tolist() == ["jazz", "classical", "metal"]
    assert probs[:, GTZAN_GENRES.index("reggae")].max() < 1e-6  # no tag: never predicted


def test_voice_and_moods():
    sung = describe("a.mp3", tags_with(mtt_female_vocal=0.8, msd_instrumental=0.1,
                                       msd_sad=0.7))
    assert sung.voice == "vocal" and sung.vocal_probability > 0.8
    assert sung.moods[0][0] == "sad" and len(sung.moods) == len(MOOD_TAGS)
    played = describe("b.mp3", tags_with(msd_instrumental=0.9, msd_party=0.6))
    assert played.voice == "instrumental" and played.moods[0][0] == "party"
    assert played.top[0] == ("msd:instrumental", pytest.approx(0.9))


def test_zero_shot_and_tags_on_audio_without_training(demo_corpus, feature_cache):
    from genriflow.features.options import RunOptions
    from genriflow.inference.pipeline import Pipeline

    options = RunOptions(store=feature_cache)
    songs = sorted(demo_corpus.glob("*/*.00000.*"))
    result = Pipeline(load_model("zero-shot"), options=options)(songs)
    predictions, errors = result.predictions, result.errors
    assert not errors and len(predictions) == len(songs)
    assert all(p.genre in GTZAN_GENRES for p in predictions)
    result = Pipeline(None, tags=True, options=options)(songs)
    tags, errors = result.tags, result.errors
    assert not errors and len(tags) == len(songs)
    # The synthetic corpus has no voice at all.
    assert sum(t.voice == "instrumental" for t in tags) >= 0.8 * len(tags)
