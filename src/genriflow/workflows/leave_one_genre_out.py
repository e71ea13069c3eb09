"""Leave-one-genre-out: can a model's unknown-genre score tell a genre it never saw?

One round per genre: the model's recipe (its classical model and feature set, its split)
is fitted on the other genres' **training** part only, the threshold of each score is
chosen on their **validation** part (95 % of those known songs accepted), and the scores
are measured on their **test** part (known songs) against **every** song of the held-out
genre that the split does not exclude (unknown songs, none of which any round's model
saw; no song is both). Far-out inputs, seeded noise (white, pink, brown) and a
speech-like babble (:mod:`genriflow.datasets.synthetic.farout`) turned into the same
features, are scored by every round's model against the same known songs.

Per round and pooled over the rounds (each round's known and unknown scores
concatenated): AUROC with a percentile bootstrap 95 % interval, FPR at 95 % TPR, the
known and unknown shares the validation threshold accepts and rejects, and AURC (risk:
misclassified known songs and accepted unknown ones); the pooled risk-coverage curves go
to ``risk-coverage.png``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from genriflow.datasets.discover import DatasetError
from genriflow.datasets.splits import assign_splits, resolve_method
from genriflow.errors import ConfigError
from genriflow.evaluation.html import write_html_report
from genriflow.evaluation.openset import (
    aurc_figures,
    classical_probe,
    distance_stats,
    risk_coverage,
    score_figures,
)
from genriflow.evaluation.openset_report import plot_curves, report_markdown
from genriflow.evaluation.report import write_errors
from genriflow.features.dataset import FeatureDataset, from_audio
from genriflow.features.options import RunOptions
from genriflow.models.base import GenreClassifier
from genriflow.models.reject import (
    DISTANCE_SCORES,
    choose_threshold,
    unknown_scores,
)
from genriflow.workflows.evaluate_model import model_split
from genriflow.workflows.open_set_config import OpenSetConfig as OpenSetConfig

PROTOCOL = ("one round per genre: fitted on the other genres' train part, thresholds on "
            "their valid part, scored on their test part (known) against every "
            "non-excluded song of the held-out genre (unknown)")




def leave_one_genre_out(dataset: FeatureDataset, parts: np.ndarray,
                        recipe: Callable[[np.ndarray], GenreClassifier],
                        config: OpenSetConfig | None = None,
                        far_out: FeatureDataset | None = None) -> dict:
    """Every genre held out in turn (see the module's protocol).

    Parameters
    ----------
    dataset : FeatureDataset
        Labelled songs of at least three genres.
    parts : np.ndarray of str, shape (n_rows,)
        ``train``, ``valid``, ``test`` or ``excluded`` per row.
    recipe : callable
        Training rows (bool mask) -> a fitted model.
    config : OpenSetConfig or None
    far_out : FeatureDataset or None
        Far-out clips in the same features, labelled by kind.

    Returns
    -------
    dict
        ``rounds`` (one per held-out genre), ``pooled`` (score -> figures),
        ``unavailable`` (score -> why) and ``curves`` (score -> coverage, risk).
    """
    config = config or OpenSetConfig()
    X, y = dataset.X, dataset.y
    labels = sorted(set(y))
    if len(labels) < 3:
        raise DatasetError(f"leave-one-genre-out needs at least 3 genres; {dataset.source} "
                           f"has {len(labels)}")
    pool: dict[str, dict[str, list]] = {}
    rounds, unavailable = [], {}
    for genre in labels:
        known = y != genre
        train, valid, test = (known & (parts == p) for p in ("train", "valid", "test"))
        unknown = (y == genre) & (parts != "excluded")
        if not (train.any() and valid.any() and test.any() and unknown.any()):
            raise DatasetError(f"holding out {genre!r} leaves no train, valid or test songs "
                               f"of the other genres, or none of {genre!r}")
        model = recipe(train)
        stats = (distance_stats(model, dataset, train)
                 if set(DISTANCE_SCORES) & set(config.scores) else None)
        wrong_known = model.predict(X[test]) != y[test]
        info = {"held_out": genre, "n_train": int(train.sum()), "n_valid": int(valid.sum()),
                "n_known": int(test.sum()), "n_unknown": int(unknown.sum()),
                "known_accuracy": float(1 - wrong_known.mean()), "scores": {}}
        for score in config.scores:
            try:
                if score in DISTANCE_SCORES and stats is None:
                    model.embed(X[train][:1])        # raises the model's own reason
                s = {part: unknown_scores(model, X[rows], score, distance=stats)
                     for part, rows in (("valid", valid), ("known", test), ("unknown", unknown))}
                if far_out is not None:
                    s["far"] = unknown_scores(model, far_out.X, score, distance=stats)
            except ConfigError as err:
                unavailable[score] = err.reason
                continue
            info["scores"][score] = _figures(s, wrong_known, far_out, config)
            bucket = pool.setdefault(score, {"known": [], "unknown": [], "wrong": [],
                                             "far": [], "far_kind": []})
            bucket["known"].append(s["known"])
            bucket["unknown"].append(s["unknown"])
            bucket["wrong"].append(np.concatenate([wrong_known, np.ones(len(s["unknown"]),
                                                                        bool)]))
            if far_out is not None:
                bucket["far"].append(s["far"])
                bucket["far_kind"].append(far_out.y)
        rounds.append(info)
    pooled, curves = {}, {}
    for score, bucket in pool.items():
        known, unknown = np.concatenate(bucket["known"]), np.concatenate(bucket["unknown"])
        wrong = np.concatenate(bucket["wrong"])
        both = np.concatenate([np.concatenate([k, u]) for k, u in
                               zip(bucket["known"], bucket["unknown"], strict=True)])
        pooled[score] = {**score_figures(known, unknown, tpr=config.target_tpr,
                                         bootstrap=config.bootstrap, seed=config.seed),
                         **aurc_figures(both, wrong, bootstrap=config.bootstrap,
                                        seed=config.seed),
                         "mean_round_auroc": float(np.mean(
                             [r["scores"][score]["auroc"] for r in rounds]))}
        if far_out is not None:
            far, kinds = np.concatenate(bucket["far"]), np.concatenate(bucket["far_kind"])
            pooled[score]["far_out"] = _far_figures(known, far, kinds, config)
        coverage, risk = risk_coverage(both, wrong)
        curves[score] = (coverage, risk)
    return {"rounds": rounds, "pooled": pooled, "unavailable": unavailable, "curves": curves}


def _figures(s: dict[str, np.ndarray], wrong_known: np.ndarray,
             far_out: FeatureDataset | None, config: OpenSetConfig) -> dict:
    threshold = choose_threshold(s["valid"], config.target_tpr)
    figures = {**score_figures(s["known"], s["unknown"], tpr=config.target_tpr,
                               bootstrap=config.bootstrap, seed=config.seed),
               **aurc_figures(np.concatenate([s["known"], s["unknown"]]), np.concatenate(
                   [wrong_known, np.ones(len(s["unknown"]), bool)]),
                   bootstrap=config.bootstrap, seed=config.seed),
               "valid_threshold": threshold,
               "known_accepted": float(np.mean(s["known"] <= threshold)),
               "unknown_rejected": float(np.mean(s["unknown"] > threshold))}
    if far_out is not None:
        figures["far_out"] = _far_figures(s["known"], s["far"], far_out.y, config)
        figures["far_out"]["rejected"] = float(np.mean(s["far"] > threshold))
    return figures


def _far_figures(known: np.ndarray, far: np.ndarray, kinds: np.ndarray,
                 config: OpenSetConfig) -> dict:
    figures = score_figures(known, far, tpr=config.target_tpr, bootstrap=config.bootstrap,
                            seed=config.seed)
    figures["per_kind"] = {}
    for kind in sorted(set(kinds)):
        figure = score_figures(known, far[kinds == kind], tpr=config.target_tpr,
                               bootstrap=config.bootstrap, seed=config.seed)
        figures["per_kind"][str(kind)] = {"auroc": figure["auroc"],
                                          "auroc_interval": figure["auroc_interval"]}
    return figures


def far_out_dataset(dataset: FeatureDataset, config: OpenSetConfig,
                    options: RunOptions | None = None) -> FeatureDataset | None:
    """The far-out clips of ``config`` in ``dataset``'s features (``None`` for none)."""
    from genriflow.datasets.synthetic.farout import write_far_out

    if config.far_out_per_kind == 0:
        return None
    with tempfile.TemporaryDirectory(prefix="genriflow-far-out-") as folder:
        write_far_out(folder, per_kind=config.far_out_per_kind,
                      seconds=config.far_out_seconds, seed=config.seed)
        far = from_audio(folder, dataset.feature_config, options=options)
        far.X = np.array(far.X)                     # read before the folder goes
    if far.errors:
        raise DatasetError(f"far-out clips failed: {far.errors[0].reason}")
    return far


def open_set_to_folder(model: GenreClassifier, dataset: FeatureDataset,
                       out: str | os.PathLike, config: OpenSetConfig | None = None, *,
                       options: RunOptions | None = None) -> dict:
    """Leave-one-genre-out with ``model``'s recipe; writes the run folder.

    ``report.md``, ``report.html``, ``metrics.json`` (``open_set``: the configuration,
    the protocol, every round and the pooled figures), ``risk-coverage.png`` and
    ``errors.csv``.

    Raises
    ------
    ConfigError
        A model whose recipe cannot be refitted here (a network, a built-in or fused
        model), or one trained with k-fold (no validation part to set thresholds on).
    """
    from genriflow.models.classical import CLASSICAL_MODELS
    from genriflow.training.classical import TrainConfig

    config = config or OpenSetConfig()
    if model.kind != "classical" or "train" not in model.config:
        raise ConfigError("model", f"is a {model.kind or 'built-in'} model; open-set "
                          "evaluation refits a classical model folder written by train")
    if dataset.feature_config.set != model.feature_config.set:
        raise DatasetError(f"the model uses {model.feature_config.set!r} features, the data "
                           f"has {dataset.feature_config.set!r}")
    split = model_split(model)
    method = resolve_method(dataset.frame, split.method)
    if method.startswith("kfold"):
        raise ConfigError("model", "was trained with k-fold; open-set evaluation needs a "
                          "hold-out split with a validation part")
    parts = assign_splits(dataset.frame, split)[0].to_numpy()
    name = str(model.config["model"])
    if name not in CLASSICAL_MODELS:
        raise ConfigError("model", f"{name!r} has no recipe to refit here (a built-in or "
                          "tuned model); give a model folder written by genriflow train")
    train = TrainConfig(model=name, split=split, pca=model.config["train"].get("pca"),
                        seed=split.seed)
    far = far_out_dataset(dataset, config, options)
    result = leave_one_genre_out(dataset, parts, classical_probe(name, dataset, train),
                                 config, far)
    curves = result.pop("curves")
    metrics = {"split": {"method": method, "seed": split.seed,
                         "counts": {k: int(v) for k, v in zip(*np.unique(parts, return_counts=True),
                                                                strict=True)}},
               "data": dataset.source,
               "open_set": {"recipe": {"model": name, "features": model.feature_config.set,
                                       "pca": train.pca},
                            "config": config.to_dict(), "protocol": PROTOCOL, **result}}
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    write_errors(folder, dataset.errors)
    picture = plot_curves(curves, folder / "risk-coverage.png", name, model.feature_config.set)
    (folder / "report.md").write_text(report_markdown(metrics))
    write_html_report(folder, pictures=[picture])
    return metrics
