"""Moods ranked against their base rates: a song's top moods say how it differs."""

import json

import numpy as np

from genriflow.features.sampling import Sampling
from genriflow.inference.pipeline import Pipeline
from genriflow.inference.tags import MOOD_REFERENCE, mood_ranks
from genriflow.models.zero_shot import MOOD_TAGS


def test_the_reference_is_shipped_data_with_rising_quantiles():
    data = json.loads(MOOD_REFERENCE.read_text())
    assert set(data["quantiles"]) == set(MOOD_TAGS) and "194" in data["reference"]
    for q in data["quantiles"].values():
        assert len(q) == 101 and np.all(np.diff(q) >= 0)
    ranks = mood_ranks(np.array([data["quantiles"][m][90] for m in MOOD_TAGS]))
    np.testing.assert_allclose(ranks, 0.9, atol=0.02)


def test_classical_and_metal_get_opposite_energy_and_calm(shared_data):
    """Real GTZAN clips (they are among the reference songs, so this checks the ranking's
    direction, not a held-out figure)."""
    classical = sorted((shared_data / "gtzan-train-audio" / "genres_original" / "classical")
                       .glob("*.flac"))[:2]
    metal = sorted((shared_data / "gtzan-sample" / "genres_original" / "metal")
                   .glob("*.wav"))[:2]
    tagged = Pipeline(None, tags=True, sampling=Sampling(excerpts=4))([*classical, *metal]).tags
    moods = [dict(t.moods) for t in tagged]
    for m in moods:
        assert all(0.0 <= v <= 1.0 for v in m.values())
    calm_classical = min(m["calm"] for m in moods[:2])
    energy_classical = max(m["energetic"] for m in moods[:2])
    assert calm_classical > max(m["calm"] for m in moods[2:])
    assert energy_classical < min(m["energetic"] for m in moods[2:])
    # a metal song's top moods name its energy, a classical one's do not
    assert all("energetic" in [name for name, _ in t.moods[:3]] for t in tagged[2:])
    assert not any("energetic" in [name for name, _ in t.moods[:2]] for t in tagged[:2])
