"""A head on pretrained embeddings: a user's own categories, learnt from a few dozen songs.

A song is analysed window by window (3 s patches of the pretrained network, see
:mod:`genriflow.features.sampling`), and prediction averages its windows' probabilities
(:func:`genriflow.inference.predict.aggregate`, ``mean``). The head is therefore fitted on
the windows themselves, and a song's probabilities here are the mean of its windows', so
that what cross-validation measures is what classifying the song later gives.

The head reads one part of the windows' ``musicnn`` analysis (:data:`HEAD_INPUTS`: one
or both taggers' embeddings, their tags), then standard scaling then a logistic regression,
whose probabilities are its own
(a logistic regression is fitted to give calibrated probabilities; no second calibration
fit on the few songs a user labels). Categories are balanced by songs, as
``class_weight="balanced"`` balances rows: every category weighs the same in the fit however
many songs it has, and every song the same within its category however many windows it has.

>>> from genriflow.features.embeddings import ANALYSIS_SIZE
>>> rng = np.random.default_rng(0)
>>> windows = [rng.normal(loc=i % 2, size=(2, ANALYSIS_SIZE)) for i in range(8)]
>>> labels = ["a", "b"] * 4
>>> head = fit_head(windows, labels, HeadConfig())
>>> head.classes_.tolist(), song_probabilities(head, windows).shape
(['a', 'b'], (8, 2))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from genriflow.errors import one_of
from genriflow.training.head_config import HEAD_INPUTS, HeadConfig  # noqa: F401 (re-exported)

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline


def input_columns(name: str) -> tuple[int, ...]:
    """The analysis columns of the input ``name`` (one of :data:`HEAD_INPUTS`).

    >>> len(input_columns("tags")), len(input_columns("both-embeddings"))
    (100, 1506)
    """
    from genriflow.features.embeddings import ANALYSIS_LAYOUT

    parts = HEAD_INPUTS[one_of("input", name, HEAD_INPUTS)]
    return tuple(i for part in parts for i in range(ANALYSIS_LAYOUT[part].start,
                                                    ANALYSIS_LAYOUT[part].stop))


def make_head(config: HeadConfig) -> Pipeline:
    """``columns -> scale -> logistic regression``, unfitted (weights come with
    :func:`fit_head`); it reads rows of the ``musicnn`` analysis."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from genriflow.models.transforms import Columns

    return Pipeline([("columns", Columns(input_columns(config.input))),
                     ("scale", StandardScaler()),
                     ("clf", LogisticRegression(C=config.c, max_iter=5000))])


def window_weights(labels: Sequence[str], n_windows: Sequence[int]) -> np.ndarray:
    """One weight per window: categories balanced by songs, songs by windows.

    A window of a song of category ``k`` weighs ``n_songs / (n_categories * n_songs_k *
    n_windows_of_its_song)``, so each category's weights sum to ``n_songs / n_categories``
    (scikit-learn's ``balanced``, counted in songs).

    >>> window_weights(["a", "a", "b"], [1, 2, 1]).tolist()
    [0.75, 0.375, 0.375, 1.5]
    """
    labels, n_windows = np.asarray(labels), np.asarray(n_windows)
    names, counts = np.unique(labels, return_counts=True)
    per_song = len(labels) / (len(names) * counts[np.searchsorted(names, labels)])
    return np.repeat(per_song / n_windows, n_windows)


def fit_head(windows: Sequence[np.ndarray], labels: Sequence[str],
             config: HeadConfig) -> Pipeline:
    """The head fitted on songs' windows.

    Parameters
    ----------
    windows : sequence of np.ndarray, each shape (n_windows_i, n_values)
        One array per song.
    labels : sequence of str
        One category per song.
    config : HeadConfig

    Returns
    -------
    sklearn.pipeline.Pipeline
        Its ``classes_`` are the sorted categories.
    """
    X = np.concatenate([np.asarray(w, dtype=np.float64) for w in windows])
    n_windows = [len(w) for w in windows]
    y = np.repeat(np.asarray(labels), n_windows)
    weights = window_weights(labels, n_windows)
    from threadpoolctl import threadpool_limits

    # a few thousand rows: one BLAS thread is fastest, and many thrash on a busy machine
    with threadpool_limits(limits=1, user_api="blas"):
        return make_head(config).fit(X, y, clf__sample_weight=weights)


def song_probabilities(head: Pipeline, windows: Sequence[np.ndarray]) -> np.ndarray:
    """Each song's probabilities, the mean of its windows' (as prediction aggregates them),
    shape (n_songs, n_categories), columns in ``head.classes_`` order."""
    if not len(windows):
        return np.zeros((0, len(head.classes_)))
    X = np.concatenate([np.asarray(w, dtype=np.float64) for w in windows])
    probabilities = head.predict_proba(X)
    bounds = np.cumsum([0, *(len(w) for w in windows)])
    return np.stack([probabilities[a:b].mean(axis=0) for a, b in zip(bounds[:-1], bounds[1:],
                                                                     strict=True)])
