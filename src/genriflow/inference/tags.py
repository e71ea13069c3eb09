"""Tags people ask for, from the pretrained musicnn taggers: top tags, voice, moods."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from genriflow.features.embeddings import tag_names
from genriflow.features.sets import FeatureConfig
from genriflow.inference.batch import Batch
from genriflow.models.zero_shot import INSTRUMENTAL_TAGS, MOOD_TAGS, VOCAL_TAGS, tag_scores

#: The taggers' 100 tag probabilities, the input of every tag summary.
TAG_FEATURES = FeatureConfig(set="musicnn-tags")


@dataclass
class SongTags:
    """What the taggers say about one song.

    Attributes
    ----------
    path : str
    top : list of (tag, probability)
        The most probable tags of both vocabularies (``msd:`` and ``mtt:`` prefixes).
    voice : str
        ``"vocal"`` or ``"instrumental"``.
    vocal_probability : float
        The vocal tags' score over the sum of the vocal and instrumental scores.
    moods : list of (mood, score)
        Every mood of :data:`~genriflow.models.zero_shot.MOOD_TAGS`, best first; a mood's
        score is its base-rate-calibrated rank (:func:`mood_ranks`): the share of the
        reference songs whose mood tags are weaker. The top moods say how the song
        differs from typical music, not which mood tags are frequent.
    """

    path: str
    top: list[tuple[str, float]]
    voice: str
    vocal_probability: float
    moods: list[tuple[str, float]]

    def __repr__(self) -> str:
        """The scores to three decimals, as :class:`~genriflow.inference.predict.Prediction`
        shows its genres."""
        top = [(tag, round(float(p), 3)) for tag, p in self.top]
        moods = [(mood, round(float(p), 3)) for mood, p in self.moods]
        return (f"SongTags(path={self.path!r}, top={top}, voice={self.voice!r}, "
                f"vocal_probability={round(float(self.vocal_probability), 3)}, "
                f"moods={moods})")


def describe(path: str, tags: np.ndarray, k: int = 5) -> SongTags:
    """Summarise one song's ``musicnn-tags`` values (100,) as :class:`SongTags`."""
    names = tag_names()
    order = np.argsort(tags)[::-1][:k]
    vocal, instrumental = tag_scores(tags, {"v": VOCAL_TAGS, "i": INSTRUMENTAL_TAGS})[0]
    share = float(vocal / max(vocal + instrumental, 1e-9))
    moods = mood_ranks(tag_scores(tags, MOOD_TAGS)[0])
    ranked = sorted(zip(MOOD_TAGS, moods.tolist(), strict=True), key=lambda m: -m[1])
    return SongTags(path, [(names[i], float(tags[i])) for i in order],
                    "vocal" if share >= 0.5 else "instrumental", share, ranked)


#: The reference songs' mood-score quantiles, shipped as data (written by
#: ``tools/build_default_model.py --only moods``).
MOOD_REFERENCE = Path(__file__).resolve().parents[1] / "models" / "builtin" / "moods.json"


@cache
def _mood_quantiles() -> dict[str, np.ndarray]:
    data = json.loads(MOOD_REFERENCE.read_text())
    return {mood: np.asarray(q, dtype=np.float64) for mood, q in data["quantiles"].items()}


def mood_ranks(raw: np.ndarray) -> np.ndarray:
    """Each mood's raw tag score (in :data:`MOOD_TAGS` order) as its rank among the
    reference songs, in [0, 1] (0.9: stronger than 90 % of them).

    >>> ranks = mood_ranks(np.zeros(len(MOOD_TAGS)))
    >>> bool(ranks.max() <= 0.05)
    True
    """
    quantiles = _mood_quantiles()
    levels = np.linspace(0.0, 1.0, len(next(iter(quantiles.values()))))
    return np.array([float(np.interp(value, quantiles[mood], levels))
                     for mood, value in zip(MOOD_TAGS, np.asarray(raw, dtype=float),
                                            strict=True)])


class Tagged(Batch[SongTags]):
    """The tags of a batch, in input order, and ``errors``: the files that could not be used
    (see :class:`~genriflow.inference.batch.Batch`)."""

    @property
    def tags(self) -> list[SongTags]:
        """The songs' tags, as a list."""
        return list(self.results)
