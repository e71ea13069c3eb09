"""A genre vocabulary for real libraries, from the taggers' tags and the learnt head.

The built-in ``library-genres`` model names GTZAN's ten genres and the ones a modern
collection needs besides (electronic, ambient, folk, soul-rnb, punk, funk, world,
soundtrack, experimental). Per window of the ``musicnn`` analysis:

1. every genre of the map (``genre_tags.json``, shipped as data) gets a tag score: the
   largest, over its alternatives, of the smallest probability among an alternative's
   tags;
2. the scores are normalised into shares ``q``; the GTZAN genres' total share ``Q`` is
   then split among them by the learnt ``gtzan`` head (``p_g = Q * head_g``), which knows
   GTZAN's labels (reggae, which no tag names, and blues against rock); the other genres
   keep their shares.

A song is the mean of its windows. It is ``unknown`` only when no genre fits: its
strongest genre score (of the song's mean tags) is below ``min_evidence`` *and* the head's
``music-distance`` calls it unlike the music it was trained on (noise, babble, silence).
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

from genriflow.errors import ConfigError
from genriflow.features.sets import FeatureConfig
from genriflow.models.base import GenreClassifier, ModelError, WindowGenres, feature_rows

#: The map's file in a model folder.
MAP_FILE = "genre_tags.json"


def read_genre_map(path: str | os.PathLike) -> dict[str, list[list[str]]]:
    """The genre -> alternatives (lists of tags) map of a ``genre_tags.json``.

    Raises
    ------
    ModelError
        For a file that is not such a map, or a tag the taggers do not have (naming the
        file and the tag).
    """
    from genriflow.features.embeddings import tag_names

    try:
        genres = json.loads(Path(path).read_text())["genres"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ModelError(f"{path}: not a genre map ({error})") from None
    known = set(tag_names())
    for genre, alternatives in genres.items():
        for tags in alternatives:
            unknown = [t for t in tags if t not in known]
            if not tags or unknown:
                raise ModelError(f"{path}: genre {genre!r} has an empty alternative or "
                                 f"unknown tag(s) {unknown}")
    return genres


def genre_scores(tags: np.ndarray, genre_map: dict[str, list[list[str]]]) -> np.ndarray:
    """Each genre's tag score, shape (n, n_genres): max over alternatives of the min over
    its tags; 0 for a genre without alternatives.

    >>> from genriflow.features.embeddings import tag_names
    >>> t = np.zeros((1, 100)); names = list(tag_names())
    >>> t[0, names.index("msd:dance")], t[0, names.index("msd:70s")] = 0.8, 0.3
    >>> genre_scores(t, {"disco": [["msd:dance", "msd:70s"]], "reggae": []}).tolist()
    [[0.3, 0.0]]
    """
    from genriflow.features.embeddings import tag_names

    index = {name: i for i, name in enumerate(tag_names())}
    tags = np.atleast_2d(np.asarray(tags, dtype=np.float64))
    columns = []
    for alternatives in genre_map.values():
        if not alternatives:
            columns.append(np.zeros(len(tags)))
            continue
        columns.append(np.max([tags[:, [index[t] for t in alt]].min(axis=1)
                               for alt in alternatives], axis=0))
    return np.stack(columns, axis=1)


@dataclass(repr=False)  # GenreClassifier's: short, without the arrays
class VocabularyGenreModel(GenreClassifier):
    """Genres of :attr:`genre_map`, the GTZAN ones split by a learnt ``head``.

    Attributes
    ----------
    genre_map : dict
        Genre -> alternatives (see :func:`genre_scores`), in label order.
    head : GenreClassifier
        A model on the ``musicnn`` analysis whose labels are among the map's genres.
    min_evidence : float
        Below this strongest genre score a song may be unknown (see the module).
    config : dict
    """

    genre_map: dict[str, list[list[str]]]
    head: GenreClassifier
    min_evidence: float = 0.1
    config: dict = field(default_factory=lambda: {"model": "library-genres"})
    feature_config: FeatureConfig = field(
        default_factory=lambda: FeatureConfig(set="musicnn"))
    kind: ClassVar[str] = "vocabulary"
    weights_file: ClassVar[str] = MAP_FILE

    def __post_init__(self) -> None:
        missing = [g for g in self.head.labels if g not in self.genre_map]
        if missing:
            raise ModelError(f"the head's genres {missing} are not in the genre map")
        if self.head.feature_config.set != "musicnn":
            raise ModelError("the head must read the musicnn analysis")
        self.open_set = self.head.open_set

    @property
    def labels(self) -> list[str]:
        return list(self.genre_map)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Genre probabilities per window, shape (n, n_genres), from ``musicnn`` rows."""
        X = feature_rows(self, X, at_least=100)  # the tags; the head checks what it reads
        scores = genre_scores(X[:, :100], self.genre_map) + 1e-9
        shares = scores / scores.sum(axis=1, keepdims=True)
        columns = [self.labels.index(g) for g in self.head.labels]
        gtzan_share = shares[:, columns].sum(axis=1, keepdims=True)
        out = shares.copy()
        out[:, columns] = gtzan_share * self.head.predict_proba(X)
        return out

    def window_genres(self) -> WindowGenres | None:
        """The map and the head's window genres, without the reject rule's rows (which
        the genres do not read and a worker need not be sent)."""
        if self.head.window_genres() is None:
            return None
        light, head = copy.copy(self), copy.copy(self.head)
        light.head, light.open_set, head.open_set = head, None, None
        return WindowGenres(self.feature_config, light)

    def evidence(self, X: np.ndarray) -> float:
        """The strongest genre score of a song's mean tags (its windows' rows)."""
        tags = np.asarray(X, dtype=np.float64)[:, :100].mean(axis=0, keepdims=True)
        return float(genre_scores(tags, self.genre_map).max())

    def music_embedding(self, X: np.ndarray) -> np.ndarray:
        return self.head.music_embedding(X)

    def no_genre_fits(self, X: np.ndarray, music_distance_unknown: bool) -> bool:
        """Whether a song (its windows' rows) is unknown: unlike music to the head *and*
        no genre's tags are heard."""
        return bool(music_distance_unknown and self.evidence(X) < self.min_evidence)

    def write_weights(self, path: Path) -> None:
        path.write_text(json.dumps({"about": self.config.get("about", ""),
                                    "genres": self.genre_map}, indent=2) + "\n")

    def save(self, folder, metrics=None) -> Path:
        """The folder holds the map and the config; the head is named, not copied."""
        open_set, self.open_set = self.open_set, None
        try:
            return super().save(folder, metrics)
        finally:
            self.open_set = open_set


def load_vocabulary(folder: Path, config: dict, head: GenreClassifier) -> VocabularyGenreModel:
    """The model of a ``vocabulary`` folder (its ``config.json`` read as ``config``)."""
    min_evidence = config.get("min_evidence")
    if not isinstance(min_evidence, int | float):
        raise ConfigError("min_evidence", f"in {folder / 'config.json'} must be a number")
    return VocabularyGenreModel(read_genre_map(folder / MAP_FILE), head, float(min_evidence),
                                config=config)
