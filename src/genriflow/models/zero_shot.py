"""Genres, voice and moods from the musicnn tags, with no training data.

The two musicnn taggers predict 100 tags (:func:`genriflow.features.embeddings.tag_names`:
50 Million Song Dataset tags, ``msd:...``, and 50 MagnaTagATune tags, ``mtt:...``). The
tables below map those tags to what users ask for. Each target's score is the largest
probability among its tags.

Genre mapping (the 10 GTZAN genres)
-----------------------------------
=========  =========================================================================
blues      msd:blues
classical  mtt:classical, mtt:classic, mtt:strings, mtt:violin, mtt:cello,
           mtt:harpsichord, mtt:opera, mtt:choral
country    msd:country, mtt:country
disco      msd:funk, msd:dance, mtt:dance, msd:70s (disco's decade)
hiphop     msd:Hip-Hop, msd:rnb
jazz       msd:jazz
metal      msd:metal, msd:heavy metal, mtt:metal
pop        msd:pop, msd:catchy, mtt:pop
reggae     (no tag in either vocabulary: never predicted without training)
rock       msd:rock, msd:classic rock, msd:hard rock, msd:alternative rock,
           msd:indie rock, mtt:rock
=========  =========================================================================

Neither tagger knows reggae, so the zero-shot model can reach at most 90 % on GTZAN; train
a head on the embeddings (``genriflow train --embeddings msd-musicnn``) for real labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from genriflow.datasets.gtzan import GTZAN_GENRES
from genriflow.features.sets import FeatureConfig
from genriflow.models.base import GenreClassifier, WindowGenres, feature_rows

GENRE_TAGS: dict[str, tuple[str, ...]] = {
    "blues": ("msd:blues",),
    "classical": ("mtt:classical", "mtt:classic", "mtt:strings", "mtt:violin", "mtt:cello",
                  "mtt:harpsichord", "mtt:opera", "mtt:choral"),
    "country": ("msd:country", "mtt:country"),
    "disco": ("msd:funk", "msd:dance", "mtt:dance", "msd:70s"),
    "hiphop": ("msd:Hip-Hop", "msd:rnb"),
    "jazz": ("msd:jazz",),
    "metal": ("msd:metal", "msd:heavy metal", "mtt:metal"),
    "pop": ("msd:pop", "msd:catchy", "mtt:pop"),
    "reggae": (),
    "rock": ("msd:rock", "msd:classic rock", "msd:hard rock", "msd:alternative rock",
             "msd:indie rock", "mtt:rock"),
}

#: Tags saying a voice sings, and tags saying none does.
VOCAL_TAGS = ("msd:female vocalists", "msd:male vocalists", "msd:female vocalist",
              "mtt:vocal", "mtt:vocals", "mtt:voice", "mtt:singing", "mtt:male vocal",
              "mtt:female vocal", "mtt:male voice", "mtt:female voice", "mtt:female",
              "mtt:male", "mtt:man", "mtt:woman")
INSTRUMENTAL_TAGS = ("msd:instrumental", "mtt:no vocals", "mtt:no vocal", "mtt:no voice")

#: Moods and the tags that express them.
MOOD_TAGS: dict[str, tuple[str, ...]] = {
    "happy": ("msd:happy",),
    "sad": ("msd:sad",),
    "mellow": ("msd:Mellow", "mtt:soft"),
    "party": ("msd:party", "msd:dance", "mtt:dance"),
    "chill": ("msd:chill", "msd:chillout", "msd:easy listening"),
    "beautiful": ("msd:beautiful",),
    "energetic": ("mtt:loud", "mtt:fast"),
    "calm": ("mtt:quiet", "mtt:slow", "mtt:ambient", "msd:ambient"),
    "dark": ("mtt:weird", "msd:experimental"),
}


def tag_scores(tags: np.ndarray, groups: dict[str, tuple[str, ...]]) -> np.ndarray:
    """Largest tag probability of each group, shape (n, n_groups); 0 for an empty group.

    Parameters
    ----------
    tags : np.ndarray, shape (n, 100)
        ``musicnn-tags`` values.
    groups : dict
        Name -> tag names (see :func:`~genriflow.features.embeddings.tag_names`).
    """
    from genriflow.features.embeddings import tag_names

    index = {name: i for i, name in enumerate(tag_names())}
    tags = np.atleast_2d(np.asarray(tags, dtype=np.float64))
    return np.stack([tags[:, [index[t] for t in members]].max(axis=1) if members
                     else np.zeros(len(tags)) for members in groups.values()], axis=1)


@dataclass(repr=False)  # GenreClassifier's: short, without the arrays
class ZeroShotGenreModel(GenreClassifier):
    """The 10 GTZAN genres from the musicnn tags, with the classifiers' interface.

    ``predict_proba`` normalises the genre scores of :data:`GENRE_TAGS` to sum to one: a
    relative belief, not a calibrated probability. Built in (:mod:`genriflow.models.registry`):
    ``load_model("zero-shot")``, ``genriflow predict --model zero-shot``.
    """

    feature_config: FeatureConfig = field(
        default_factory=lambda: FeatureConfig(set="musicnn-tags"))
    config: dict = field(default_factory=lambda: {"kind": "zero-shot",
                                                  "model": "zero-shot"})

    @property
    def labels(self) -> list[str]:
        return list(GTZAN_GENRES)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Genre shares, shape (n, 10), from ``musicnn-tags`` values (n, 100)."""
        rows = feature_rows(self, X, 100)
        scores = tag_scores(rows, {g: GENRE_TAGS[g] for g in GTZAN_GENRES}) + 1e-9
        return scores / scores.sum(axis=1, keepdims=True)

    def window_genres(self) -> WindowGenres:
        """The model itself: a tag map, NumPy alone."""
        return WindowGenres(self.feature_config, self)
