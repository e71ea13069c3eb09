"""The two-genre experiment: does a multi-label model find both genres of a song more often
than a single-label model's top two?

On a corpus with two-genre clips (``genriflow demo-data --multi N``, or any dataset with a
``labels`` column), on one feature set:

- the *single-label* model (standardised features, multinomial logistic regression) is
  trained on the single-genre clips of the train part; its two most probable genres are
  its answer for a two-genre clip;
- the *multi-label* model (the same head one-vs-rest: one logistic regression per genre) is
  trained on the same single-genre clips plus a share of the two-genre ones; its answer is
  every genre at or above its threshold (the seed's 0.2, and per genre thresholds tuned on
  the validation part).

Both are tested on the same held-out two-genre clips, which no model saw: the share whose
two genres are both found (the seed's measure), with Wilson intervals, and the full
multi-label figures of :mod:`~genriflow.evaluation.multilabel`.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from genriflow.errors import ConfigError, at_least
from genriflow.evaluation.multilabel import (
    SEED_THRESHOLD,
    indicator,
    multilabel_metrics,
    top_k_sets,
    tune_thresholds,
)
from genriflow.features.dataset import from_audio
from genriflow.features.options import RunOptions
from genriflow.features.sets import FeatureConfig


@dataclass(frozen=True)
class TwoGenreConfig:
    """The experiment's choices, checked once (saved with its figures).

    Attributes
    ----------
    feature_set : str
        The features both models learn from (default: the GTZAN table).
    test_share, valid_share : float
        Shares of the two-genre clips held out for the test and for tuning thresholds;
        the rest train the multi-label model. ``valid_share`` of the single-genre clips
        (per genre) tunes too; the others train both models.
    C : float
        Inverse regularisation of the logistic regressions.
    seed : int
    """

    feature_set: str = "kaggle"
    test_share: float = 0.4
    valid_share: float = 0.2
    C: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("test_share", "valid_share"):
            value = getattr(self, name)
            if not 0.0 < value < 1.0:
                raise ConfigError(name, f"must be between 0 and 1; got {value!r}")
        if self.test_share + self.valid_share >= 1.0:
            raise ConfigError("test_share", "and valid_share must leave clips to train on")
        if self.C <= 0:
            raise ConfigError("C", f"must be positive; got {self.C!r}")


def _head(C: float):
    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=5000))


def split_parts(is_multi: np.ndarray, first_genre: np.ndarray, config: TwoGenreConfig
                ) -> dict[str, np.ndarray]:
    """Disjoint index arrays: ``train_single``, ``valid_single`` (per genre), and
    ``train_multi``, ``valid_multi``, ``test_multi``."""
    rng = np.random.default_rng(config.seed)
    parts: dict[str, list[int]] = {k: [] for k in ("train_single", "valid_single",
                                                   "train_multi", "valid_multi",
                                                   "test_multi")}
    for genre in np.unique(first_genre[~is_multi]):
        members = rng.permutation(np.flatnonzero(~is_multi & (first_genre == genre)))
        n_valid = int(round(config.valid_share * len(members)))
        parts["valid_single"] += members[:n_valid].tolist()
        parts["train_single"] += members[n_valid:].tolist()
    multi = rng.permutation(np.flatnonzero(is_multi))
    n_test = int(round(config.test_share * len(multi)))
    n_valid = int(round(config.valid_share * len(multi)))
    parts["test_multi"] = multi[:n_test].tolist()
    parts["valid_multi"] = multi[n_test:n_test + n_valid].tolist()
    parts["train_multi"] = multi[n_test + n_valid:].tolist()
    return {k: np.array(sorted(v), dtype=int) for k, v in parts.items()}


def two_genre_experiment(data: str | os.PathLike, *, config: TwoGenreConfig | None = None,
                         options: RunOptions | None = None) -> dict:
    """Run the experiment on a labelled corpus with two-genre clips; JSON-ready figures.

    Raises
    ------
    ConfigError
        The corpus has no two-genre clips, or too few to hold some out.
    """
    config = config or TwoGenreConfig()
    dataset = from_audio(data, FeatureConfig(set=config.feature_set), options=options)
    frame = dataset.frame
    column = frame["labels"] if "labels" in frame else frame["label"]
    sets = [str(v).split(";") for v in column]
    is_multi = np.array([len(s) > 1 for s in sets])
    at_least("two-genre clips", int(is_multi.sum()), 5)
    labels = sorted({g for s in sets for g in s})
    X = np.asarray(dataset.X, dtype=float).reshape(len(frame), -1)
    Y = indicator(sets, labels)
    parts = split_parts(is_multi, np.array([s[0] for s in sets]), config)
    train_single, test = parts["train_single"], parts["test_multi"]
    train_multi = np.concatenate([train_single, parts["train_multi"]])
    valid = np.concatenate([parts["valid_single"], parts["valid_multi"]])

    single = _head(config.C).fit(X[train_single], np.array([s[0] for s in sets])[train_single])
    order = [list(single.classes_).index(g) if g in single.classes_ else None for g in labels]
    P_single = np.zeros((len(test), len(labels)))
    proba = single.predict_proba(X[test])
    for g, column_index in enumerate(order):
        if column_index is not None:
            P_single[:, g] = proba[:, column_index]
    multi = OneVsRestClassifier(_head(config.C)).fit(X[train_multi], Y[train_multi])
    P_multi = multi.predict_proba(X[test])
    tuned = tune_thresholds(Y[valid], multi.predict_proba(X[valid]))
    part = (f"test: {len(test)} held-out two-genre clips of {data} (never trained on; "
            f"seed {config.seed})")
    return {
        "config": asdict(config),
        "labels": labels,
        "split": {k: int(len(v)) for k, v in parts.items()},
        "single_label_top_two": multilabel_metrics(
            Y[test], P_single, labels, SEED_THRESHOLD, part,
            predicted=top_k_sets(P_single, 2)),
        "multi_label_seed_threshold": multilabel_metrics(Y[test], P_multi, labels,
                                                         SEED_THRESHOLD, part),
        "multi_label_tuned_thresholds": multilabel_metrics(Y[test], P_multi, labels, tuned,
                                                           part),
    }
