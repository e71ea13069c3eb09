"""Open-set figures and the reject rule chosen at training time.

Figures of an unknown-genre score (:mod:`genriflow.models.reject`; higher = more likely
unknown), known songs against unknown ones:

* :func:`auroc`: the chance that an unknown song scores above a known one (ties count
  half), 0.5 for a score that cannot tell them apart, with a percentile
  :func:`bootstrap_auroc` interval (known and unknown songs resampled separately);
* :func:`fpr_at_tpr`: the share of unknown songs accepted by the threshold that accepts
  95 % of the known ones (FPR at 95 % TPR: lower is better);
* :func:`risk_coverage`: songs accepted from the lowest score up; risk is the share of the
  accepted songs that are wrong (a known song misclassified, or any unknown song), and the
  area under the curve, :func:`aurc`, averages it over every coverage (lower is better).

:func:`attach_open_set` gives a freshly trained model its reject rule (threshold chosen on
the validation part) and returns what ``metrics.json`` says about it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from scipy.stats import rankdata

from genriflow.errors import ConfigError
from genriflow.features.dataset import FeatureDataset
from genriflow.models.base import GenreClassifier
from genriflow.models.reject import (
    DEFAULT_TARGET_TPR,
    ClassMeans,
    OpenSet,
    RejectRule,
    choose_threshold,
    unknown_scores,
)

if TYPE_CHECKING:
    from genriflow.training.classical import TrainConfig

#: The score a trained model's reject rule uses: ``distance`` where the model has a
#: representation before its classifier (classical pipelines), else ``max-prob``.
TRAIN_SCORES = ("distance", "max-prob")


def auroc(known: np.ndarray, unknown: np.ndarray) -> float:
    """Area under the ROC curve of telling unknown songs (positives) from known ones.

    >>> auroc(np.array([0.1, 0.2, 0.3]), np.array([0.25, 0.9]))
    0.8333333333333334
    """
    return float(_auroc_rows(np.asarray(known, float)[None], np.asarray(unknown, float)[None])[0])


def _auroc_rows(known: np.ndarray, unknown: np.ndarray) -> np.ndarray:
    """AUROC of each row pair: Mann-Whitney U from the mid-ranks, shape (n_rows,)."""
    n_k, n_u = known.shape[1], unknown.shape[1]
    if n_k == 0 or n_u == 0:
        raise ConfigError("scores", "need at least one known and one unknown song")
    ranks = rankdata(np.concatenate([known, unknown], axis=1), axis=1)
    return (ranks[:, n_k:].sum(axis=1) - n_u * (n_u + 1) / 2) / (n_k * n_u)


def bootstrap_auroc(known: np.ndarray, unknown: np.ndarray, *, n: int = 1000,
                    seed: int = 0) -> tuple[float, float]:
    """Percentile 95 % interval of :func:`auroc` over ``n`` resamples (known and unknown
    songs each drawn with replacement, their counts kept).

    >>> low, high = bootstrap_auroc(np.arange(20.0), np.arange(10.0, 30.0), n=200)
    >>> bool(low < auroc(np.arange(20.0), np.arange(10.0, 30.0)) < high)
    True
    """
    known, unknown = np.asarray(known, float), np.asarray(unknown, float)
    rng = np.random.default_rng(seed)
    values = []
    for start in range(0, n, 250):                       # bounded memory on big pools
        b = min(250, n - start)
        values.append(_auroc_rows(known[rng.integers(0, known.size, (b, known.size))],
                                  unknown[rng.integers(0, unknown.size, (b, unknown.size))]))
    low, high = np.percentile(np.concatenate(values), [2.5, 97.5])
    return float(low), float(high)


def fpr_at_tpr(known: np.ndarray, unknown: np.ndarray, tpr: float = 0.95) -> float:
    """The share of unknown songs accepted by the threshold accepting ``tpr`` of the known.

    >>> fpr_at_tpr(np.arange(1, 21) / 20, np.array([0.5, 0.96, 1.5, 2.0]))
    0.25
    """
    threshold = choose_threshold(known, tpr)
    return float(np.mean(np.asarray(unknown, float) <= threshold))


def bootstrap_fpr(known: np.ndarray, unknown: np.ndarray, tpr: float = DEFAULT_TARGET_TPR, *,
                  n: int = 1000, seed: int = 0) -> tuple[float, float]:
    """Percentile 95 % interval of :func:`fpr_at_tpr` over ``n`` resamples: known and
    unknown songs each drawn with replacement, the threshold chosen again on each draw of
    the known (its own uncertainty is part of the figure's).

    >>> low, high = bootstrap_fpr(np.arange(1, 41) / 40, np.arange(20, 60) / 40, n=200)
    >>> bool(low < fpr_at_tpr(np.arange(1, 41) / 40, np.arange(20, 60) / 40) < high)
    True
    """
    known, unknown = np.asarray(known, float), np.asarray(unknown, float)
    rng = np.random.default_rng(seed)
    at = math.ceil(tpr * known.size) - 1
    values = []
    for start in range(0, n, 250):                       # bounded memory on big pools
        b = min(250, n - start)
        thresholds = np.sort(known[rng.integers(0, known.size, (b, known.size))],
                             axis=1)[:, at]
        drawn = unknown[rng.integers(0, unknown.size, (b, unknown.size))]
        values.append((drawn <= thresholds[:, None]).mean(axis=1))
    low, high = np.percentile(np.concatenate(values), [2.5, 97.5])
    return float(low), float(high)


def bootstrap_aurc(scores: np.ndarray, wrong: np.ndarray, *, n: int = 1000,
                   seed: int = 0) -> tuple[float, float]:
    """Percentile 95 % interval of :func:`aurc` over ``n`` resamples of the songs.

    >>> rng = np.random.default_rng(0)
    >>> scores = rng.normal(size=200)
    >>> wrong = scores + rng.normal(size=200) > 1
    >>> low, high = bootstrap_aurc(scores, wrong, n=200)
    >>> bool(low < aurc(scores, wrong) < high)
    True
    """
    scores, wrong = np.asarray(scores, float), np.asarray(wrong, bool)
    rng = np.random.default_rng(seed)
    values = [aurc(scores[rows], wrong[rows])
              for rows in rng.integers(0, scores.size, (n, scores.size))]
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def risk_coverage(scores: np.ndarray, wrong: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coverage and risk when songs are accepted from the lowest score up.

    Parameters
    ----------
    scores : np.ndarray, shape (n,)
    wrong : np.ndarray of bool, shape (n,)
        Whether accepting the song is an error (misclassified, or unknown).

    Returns
    -------
    coverage, risk : np.ndarray, shape (n,)
        After accepting the k lowest-scored songs: k / n, and the share of them wrong.

    >>> cov, risk = risk_coverage(np.array([0.1, 0.9, 0.5]), np.array([False, True, False]))
    >>> cov.round(3).tolist(), risk.round(3).tolist()
    ([0.333, 0.667, 1.0], [0.0, 0.0, 0.333])
    """
    order = np.argsort(np.asarray(scores, float), kind="stable")
    errors = np.cumsum(np.asarray(wrong, bool)[order])
    k = np.arange(1, len(order) + 1)
    return k / len(order), errors / k


def aurc(scores: np.ndarray, wrong: np.ndarray) -> float:
    """Area under the risk-coverage curve: the risk averaged over every coverage.

    >>> aurc(np.array([0.1, 0.9, 0.5]), np.array([False, True, False]))
    0.1111111111111111
    """
    return float(risk_coverage(scores, wrong)[1].mean())


def score_figures(known: np.ndarray, unknown: np.ndarray, *, tpr: float = DEFAULT_TARGET_TPR,
                  bootstrap: int = 1000, seed: int = 0) -> dict:
    """AUROC and the FPR at ``tpr``, each with its bootstrap interval, JSON-ready."""
    low, high = bootstrap_auroc(known, unknown, n=bootstrap, seed=seed)
    return {"auroc": auroc(known, unknown), "auroc_interval": [low, high],
            "fpr_at_tpr": fpr_at_tpr(known, unknown, tpr),
            "fpr_at_tpr_interval": list(bootstrap_fpr(known, unknown, tpr, n=bootstrap,
                                                      seed=seed)),
            "n_known": int(len(known)), "n_unknown": int(len(unknown))}


def aurc_figures(scores: np.ndarray, wrong: np.ndarray, *, bootstrap: int = 1000,
                 seed: int = 0) -> dict:
    """:func:`aurc` and its bootstrap interval, JSON-ready."""
    return {"aurc": aurc(scores, wrong),
            "aurc_interval": list(bootstrap_aurc(scores, wrong, n=bootstrap, seed=seed))}


def distance_stats(model: GenreClassifier, dataset: FeatureDataset,
                   rows: np.ndarray) -> ClassMeans | None:
    """The class means of ``model``'s representation of ``rows``; ``None`` when the model
    has none (it cannot give the distance score)."""
    try:
        Z = model.embed(dataset.X[rows])
    except ConfigError:
        return None
    return ClassMeans.fit(Z, dataset.y[rows])


def attach_open_set(final: GenreClassifier, dataset: FeatureDataset, parts: np.ndarray, *,
                    probe: Callable[[np.ndarray], GenreClassifier] | None = None,
                    target_tpr: float = DEFAULT_TARGET_TPR) -> dict:
    """Give a trained model its reject rule; what ``metrics.json`` says about it.

    The threshold is chosen on the validation part so that ``target_tpr`` of its (known)
    songs are accepted. The validation songs must be unseen by the model scoring them:
    ``probe(train_rows)`` refits the recipe on the training part alone (classical models,
    whose saved fit also used the validation part); without it ``final`` scores them (a
    network, trained on the training part only). The score is the first of
    :data:`TRAIN_SCORES` the model can give; the distance score's class means are those of
    the rows ``final`` was fitted on.

    Parameters
    ----------
    final : GenreClassifier
        The model to save; its ``open_set`` is set.
    dataset : FeatureDataset
    parts : np.ndarray of str, shape (n_rows,)
        ``train``, ``valid``, ``test`` or ``excluded`` per row.
    probe : callable or None
    target_tpr : float

    Returns
    -------
    dict
        ``score``, ``threshold``, ``chosen_on`` (``"valid"``), ``target_tpr``, the share of
        validation songs accepted, and the share of the known test songs the saved model
        accepts (a check, not a choice); or ``skipped`` with the reason.
    """
    train, valid, test = parts == "train", parts == "valid", parts == "test"
    if final.multi_label:
        return {"skipped": "a multi-label model's genres are each on their own; the reject "
                           "option is for single-genre models"}
    if not valid.any():
        return {"skipped": "no validation part to choose the threshold on"}
    scorer = probe(train) if probe is not None else final
    fitted_rows = (train | valid) if probe is not None else train
    score, stats, final_stats = "max-prob", None, None
    if (stats := distance_stats(scorer, dataset, train)) is not None:
        score, final_stats = "distance", distance_stats(final, dataset, fitted_rows)
    valid_scores = unknown_scores(scorer, dataset.X[valid], score, distance=stats)
    rule = RejectRule(score, choose_threshold(valid_scores, target_tpr), target_tpr, "valid")
    final.open_set = OpenSet(rule, final_stats)
    info = {**rule.to_dict(), "valid_accepted": float(np.mean(~rule.rejects(valid_scores))),
            "valid_n": int(valid.sum())}
    if test.any():
        accepted = ~rule.rejects(final.open_set.scores(final, dataset.X[test]))
        info.update(test_accepted=float(accepted.mean()), test_n=int(test.sum()))
    return info


def classical_probe(name: str, dataset: FeatureDataset,
                    config: TrainConfig) -> Callable[[np.ndarray], GenreClassifier]:
    """The classical recipe ``name`` as a function of its training rows (for
    :func:`attach_open_set` and the leave-one-genre-out rounds)."""
    from genriflow.training.classical import classical_model, fit_pipeline

    def fit(rows: np.ndarray) -> GenreClassifier:
        return classical_model(fit_pipeline(name, dataset, rows, config), name, dataset, config)

    return fit
