"""Fit and cross-validate the default genre head on the musicnn analysis of real songs.

The built-in ``gtzan`` model (:mod:`genriflow.models.heads`) reads each window (a 3 s
patch) of a song's ``musicnn`` analysis, as ``genriflow predict`` computes it, and the
song's probabilities are the mean of its windows'. It is trained the same way: one row
per window, each song weighing as much as any other song of its genre and each genre as
much as any other (class-balanced).

Cross-validation is grouped: GTZAN clips with neighbouring numbers often share an artist,
so clips are grouped by blocks of :data:`GROUP_SPAN` numbers within a genre
(:func:`clip_groups`) and a group never sits on both sides of a fold
(``StratifiedGroupKFold``).

>>> clip_groups(["blues.00012", "blues.00019", "jazz.00012"]).tolist()
['blues-1', 'blues-1', 'jazz-1']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from genriflow.datasets.gtzan import GROUP_SPAN, clip_group
from genriflow.errors import one_of
from genriflow.features.embeddings import ANALYSIS_LAYOUT, tag_names
from genriflow.models.heads import AnalysisInputs, TagPriorHead
from genriflow.models.reject import ClassMeans

#: The head's inputs: name -> the analysis parts it reads (besides the zero-shot scores).
INPUTS: dict[str, tuple[tuple[str, str], ...]] = {
    "tags": (("tags", ""),),
    "embeddings+tags": (("msd-musicnn", "penultimate"), ("mtt-musicnn", "penultimate"),
                        ("tags", "")),
}


def clip_groups(keys: Sequence[str], span: int = GROUP_SPAN) -> np.ndarray:
    """``genre-block`` of each GTZAN clip key ``genre.NNNNN`` (block = number // span; see
    :func:`~genriflow.datasets.gtzan.clip_group`)."""
    return np.array([clip_group(key, span) for key in keys])


@dataclass(frozen=True)
class HeadRecipe:
    """The head's input and regularisation (see :class:`~genriflow.models.heads.TagPriorHead`).

    >>> HeadRecipe("tags", C=1e-3).name
    'tags C=0.001 intercept_C=0.1 prior_weight=1'
    """

    inputs: str = "embeddings+tags"
    C: float = 1e-4
    intercept_C: float = 0.1
    prior_weight: float = 1.0
    floor: float = 0.05

    def __post_init__(self) -> None:
        one_of("inputs", self.inputs, INPUTS)

    @property
    def name(self) -> str:
        return (f"{self.inputs} C={self.C:g} intercept_C={self.intercept_C:g} "
                f"prior_weight={self.prior_weight:g}")

    def to_dict(self) -> dict:
        return asdict(self)


def make_head(recipe: HeadRecipe, labels: Sequence[str],
              genre_tags: dict[str, tuple[str, ...]]) -> object:
    """The unfitted pipeline: :class:`AnalysisInputs` then :class:`TagPriorHead`."""
    from sklearn.pipeline import Pipeline

    index = {name: i for i, name in enumerate(tag_names())}
    parts = tuple((ANALYSIS_LAYOUT[p].start, ANALYSIS_LAYOUT[p].stop)
                  for p in INPUTS[recipe.inputs])
    groups = tuple(tuple(index[t] for t in genre_tags[g]) for g in labels)
    return Pipeline([("inputs", AnalysisInputs(parts=parts, tag_groups=groups)),
                     ("clf", TagPriorHead(C=recipe.C, intercept_C=recipe.intercept_C,
                                          prior_weight=recipe.prior_weight,
                                          floor=recipe.floor, classes=tuple(labels)))])


def window_weights(y_song: np.ndarray, n_windows: np.ndarray) -> np.ndarray:
    """Per-window weights: every genre weighs the same, and within it every song (the
    weights sum to the number of songs).

    >>> window_weights(np.array(["a", "a", "b"]), np.array([2, 1, 1])).tolist()
    [0.375, 0.375, 0.75, 1.5]
    """
    y_song, n_windows = np.asarray(y_song), np.asarray(n_windows)
    labels, counts = np.unique(y_song, return_counts=True)
    per_song = 1.0 / (len(labels) * counts[np.searchsorted(labels, y_song)])
    return np.repeat(per_song / n_windows, n_windows) * len(y_song)


@dataclass
class Songs:
    """Training songs as windows: ``windows`` (n_windows, ANALYSIS_SIZE), the song of each
    window, and per song its label, clip key and number of windows."""

    windows: np.ndarray
    n_windows: np.ndarray
    labels: np.ndarray
    keys: np.ndarray

    @property
    def song_of_window(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.labels)), self.n_windows)

    def subset(self, songs: np.ndarray) -> Songs:
        rows = np.isin(self.song_of_window, songs)
        return Songs(self.windows[rows], self.n_windows[songs], self.labels[songs],
                     self.keys[songs])

    def song_means(self) -> np.ndarray:
        """Each song's mean analysis, (n_songs, ANALYSIS_SIZE)."""
        song = self.song_of_window
        return np.stack([self.windows[song == i].mean(axis=0)
                         for i in range(len(self.labels))])


def fit_head(recipe: HeadRecipe, songs: Songs, labels: Sequence[str],
             genre_tags: dict[str, tuple[str, ...]]) -> object:
    """The head fitted on every window of ``songs``, class-balanced."""
    head = make_head(recipe, labels, genre_tags)
    y = np.repeat(songs.labels, songs.n_windows)
    return head.fit(songs.windows, y,
                    clf__sample_weight=window_weights(songs.labels, songs.n_windows))


def song_probabilities(head, songs: Songs) -> np.ndarray:
    """Each song's probabilities: the mean of its windows' (as ``predict`` aggregates)."""
    window = head.predict_proba(songs.windows)
    song = songs.song_of_window
    return np.stack([window[song == i].mean(axis=0) for i in range(len(songs.labels))])


def folds(songs: Songs, *, n_folds: int = 5, seed: int = 0) -> list[tuple[np.ndarray, ...]]:
    """Grouped, stratified folds of the songs: (train songs, held-out songs) pairs.

    The library's :func:`~genriflow.training.head_select.grouped_folds` over
    :func:`clip_groups`: a genre with fewer songs than folds (the one disco clip of the 194
    training-side GTZAN clips) is in fewer held-out folds than the others, which no fold
    count can change; :func:`fewer_than_folds` names such genres.
    """
    from genriflow.training.head_select import grouped_folds

    return grouped_folds(songs.labels, clip_groups(songs.keys), n_folds, seed)


def fewer_than_folds(labels: Sequence[str], n_folds: int) -> dict[str, int]:
    """The labels with fewer songs than ``n_folds``, and their counts.

    >>> fewer_than_folds(["disco", "jazz", "jazz", "jazz"], 3)
    {'disco': 1}
    """
    names, counts = np.unique(np.asarray(labels), return_counts=True)
    return {str(n): int(c) for n, c in zip(names, counts, strict=True) if c < n_folds}


def cross_validated(recipe: HeadRecipe, songs: Songs, labels: Sequence[str],
                    genre_tags: dict[str, tuple[str, ...]],
                    splits: list[tuple[np.ndarray, ...]]) -> np.ndarray:
    """Out-of-fold song probabilities (n_songs, n_labels): each song's from the head
    fitted on the other folds."""
    out = np.zeros((len(songs.labels), len(labels)))
    for train, held in splits:
        head = fit_head(recipe, songs.subset(train), labels, genre_tags)
        out[held] = song_probabilities(head, songs.subset(held))
    return out


def music_statistics(songs: Songs) -> ClassMeans:
    """The ``music-distance`` statistics: the songs' mean MTT ``penultimate`` embeddings,
    per genre and as one Gaussian."""
    part = ANALYSIS_LAYOUT[("mtt-musicnn", "penultimate")]
    return ClassMeans.fit(songs.song_means()[:, part], songs.labels)


def cross_validated_music_distance(songs: Songs,
                                   splits: list[tuple[np.ndarray, ...]]) -> np.ndarray:
    """Each song's ``music-distance`` from the statistics of the other folds' songs."""
    part = ANALYSIS_LAYOUT[("mtt-musicnn", "penultimate")]
    out = np.zeros(len(songs.labels))
    for train, held in splits:
        stats = music_statistics(songs.subset(train))
        out[held] = stats.background(songs.subset(held).song_means()[:, part])
    return out


def recalls(truth: np.ndarray, predicted: np.ndarray, labels: Sequence[str]) -> dict:
    """Accuracy, macro recall (over the labels present) and recall per label present,
    each with its counts.

    >>> r = recalls(np.array(["a", "a", "b"]), np.array(["a", "b", "b"]), ["a", "b", "c"])
    >>> r["accuracy"], r["macro_recall"], r["per_genre"]["a"]["recall"]
    (0.6666666666666666, 0.75, 0.5)
    """
    truth, predicted = np.asarray(truth), np.asarray(predicted)
    per = {}
    for label in labels:
        rows = truth == label
        if rows.any():
            correct = int((predicted[rows] == label).sum())
            per[label] = {"n": int(rows.sum()), "correct": correct,
                          "recall": correct / int(rows.sum())}
    return {"n": len(truth), "correct": int((truth == predicted).sum()),
            "accuracy": float(np.mean(truth == predicted)),
            "macro_recall": float(np.mean([v["recall"] for v in per.values()])),
            "per_genre": per}
