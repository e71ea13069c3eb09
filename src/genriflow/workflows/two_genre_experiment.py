"""The two-genre experiment: does a multi-label model find both genres of a song more often
than a single-label model's top two?

On a corpus with two-genre clips (``genriflow demo-data --multi N``, or any dataset with a
``labels`` column), on one feature set, both models are trained as ``genriflow train``
trains them (:func:`~genriflow.training.classical.fit_classical`, the same head):

- the *single-label* model is trained on the single-genre clips of the train part; its two
  most probable genres are its answer for a two-genre clip;
- the *multi-label* model (``--multi-label``: the head one-vs-rest, one per genre) is
  trained on the same single-genre clips plus a share of the two-genre ones; its answer is
  its top genre and every other at or above its threshold (the seed's 0.2, and per genre
  thresholds tuned, as ``genriflow train`` tunes them, on the validation part's two-genre
  clips).

Both are tested on the same held-out two-genre clips, which no model saw: the share whose
two genres are both found (the seed's measure), with Wilson intervals, and the full
multi-label figures of :mod:`~genriflow.evaluation.multilabel_metrics`.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

import numpy as np

from genriflow.datasets.frames import label_sets
from genriflow.errors import ConfigError, at_least, one_of
from genriflow.evaluation.multilabel_metrics import (
    SEED_THRESHOLD,
    indicator,
    multilabel_metrics,
    top_k_sets,
)
from genriflow.features.dataset import from_audio
from genriflow.features.options import RunOptions
from genriflow.features.sets import FeatureConfig
from genriflow.models.classical import CLASSICAL_MODELS
from genriflow.training.classical import TrainConfig, fit_classical


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
        (per genre) validates too; the others train both models.
    model : str
        The head of both models, a name in
        :data:`~genriflow.models.classical.CLASSICAL_MODELS`.
    seed : int
    """

    feature_set: str = "kaggle"
    test_share: float = 0.4
    valid_share: float = 0.2
    model: str = "logreg"
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("test_share", "valid_share"):
            value = getattr(self, name)
            if not 0.0 < value < 1.0:
                raise ConfigError(name, f"must be between 0 and 1; got {value!r}")
        if self.test_share + self.valid_share >= 1.0:
            raise ConfigError("test_share", "and valid_share must leave clips to train on")
        one_of("model", self.model, CLASSICAL_MODELS)


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


def _parts(n: int, parts: dict[str, np.ndarray], multi: bool) -> np.ndarray:
    """The ``train``/``valid``/``test``/``excluded`` column one model is fitted with."""
    out = np.full(n, "excluded", dtype=object)
    out[parts["train_single"]], out[parts["valid_single"]] = "train", "valid"
    out[parts["test_multi"]] = "test"
    if multi:
        out[parts["train_multi"]], out[parts["valid_multi"]] = "train", "valid"
    return out


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
    sets = label_sets(dataset.frame)
    is_multi = np.array([len(s) > 1 for s in sets])
    at_least("two-genre clips", int(is_multi.sum()), 5)
    labels = sorted({g for s in sets for g in s})
    parts = split_parts(is_multi, np.array([s[0] for s in sets]), config)
    test = parts["test_multi"]
    X, Y = np.asarray(dataset.X, dtype=float), indicator(sets, labels)

    single = fit_classical(dataset, _parts(len(sets), parts, multi=False),
                           TrainConfig(model=config.model, seed=config.seed)).estimator
    P_single = np.zeros((len(test), len(labels)))
    P_single[:, np.searchsorted(labels, single.classes_)] = single.predict_proba(X[test])
    multi = fit_classical(dataset, _parts(len(sets), parts, multi=True),
                          TrainConfig(model=config.model, seed=config.seed, multi_label=True))
    P_multi = multi.estimator.predict_proba(X[test])
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
        "multi_label_tuned_thresholds": multilabel_metrics(
            Y[test], P_multi, labels, np.asarray(multi.multi_label["thresholds"]), part),
        "tuned_thresholds": {k: v for k, v in multi.multi_label.items() if k != "labels"},
    }
