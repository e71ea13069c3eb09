"""Train on a split, test once, write the model folder: classical models and networks.

The training layer fits and chooses on the validation part
(:func:`~genriflow.training.classical.fit_classical`,
:func:`~genriflow.training.deep.train_network`); here the chosen model is scored once on
the test part, and its folder written: weights, ``metrics.json``, ``report.md`` and
``report.html`` with the confusion matrix, the per-genre scores and a network's training
curves. k-fold repeats the round per fold (fold i tests, fold i+1 validates).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd

from genriflow.datasets.discover import DatasetError
from genriflow.datasets.frames import label_sets
from genriflow.datasets.splits import assign_splits, groups_info, resolve_method
from genriflow.evaluation.calibration_metrics import before_after, multilabel_before_after
from genriflow.evaluation.metrics import classification_metrics
from genriflow.evaluation.multilabel_metrics import SEED_THRESHOLD, indicator, multilabel_metrics
from genriflow.evaluation.openset import attach_open_set, classical_probe
from genriflow.evaluation.plots import plot_history
from genriflow.evaluation.report import write_report
from genriflow.features.dataset import FeatureDataset
from genriflow.models.classical import ClassicalGenreModel
from genriflow.models.deep import DeepGenreModel
from genriflow.training.calibration import clip_probabilities
from genriflow.training.classical import (
    TrainConfig,
    classical_model,
    fit_classical,
    fit_pipeline,
)
from genriflow.training.deep import DeepTrainConfig, NetworkFit, train_network
from genriflow.training.loop import History
from genriflow.workflows.model_folder import check_replaceable, replacing


@dataclass
class TrainResult:
    """The fitted model and its evaluation (``metrics`` is what ``metrics.json`` holds)."""

    model: ClassicalGenreModel
    metrics: dict


def train_and_test(dataset: FeatureDataset, config: TrainConfig | None = None) -> TrainResult:
    """Train a classical genre model on a feature dataset and test it once.

    Parameters
    ----------
    dataset : FeatureDataset
    config : TrainConfig or None

    Returns
    -------
    TrainResult
        The model to save (for k-fold: refitted on all labelled rows with the most often
        chosen model) and metrics whose every figure names its split and part.

    Raises
    ------
    DatasetError
        If a round of the split has no training or no test rows.
    """
    config = config or TrainConfig()
    method = resolve_method(dataset.frame, config.split.method)
    # the model folder names the split it was trained on, not ``auto``: evaluating it on
    # other data re-applies that split rather than whatever ``auto`` finds there
    config = replace(config, split=replace(config.split, method=method))
    rounds = assign_splits(dataset.frame, config.split)
    labels = sorted(dataset.frame["label"].unique())
    results = [_one_round(dataset, parts, labels, config, method) for parts in rounds]
    if len(results) > 1:
        chosen = Counter(r[1]["chosen"] for r in results).most_common(1)[0][0]
        used = (rounds[0] != "excluded").to_numpy()
        estimator = fit_pipeline(chosen, dataset, used, config)
        metrics = summarise_folds(results, labels, chosen, method)
    else:
        estimator, metrics, _ = results[0]
    split_info = {**asdict(config.split), "method": method,
                  "counts": rounds[0].value_counts().to_dict(),
                  **groups_info(dataset.frame, rounds[0], method)}
    metrics = {"split": split_info, "data": dataset.source, **metrics}
    model = classical_model(estimator, metrics["chosen"], dataset, config,
                            multi_label=metrics.get("multi_label"))
    if len(results) == 1:  # the reject option ("none of these"): threshold on valid
        # A calibrated head was fitted on the training part alone: it scores validation
        # songs it never saw itself; otherwise its recipe is refitted on train for that.
        probe = (None if config.calibration != "none"
                 else classical_probe(metrics["chosen"], dataset, config))
        metrics["open_set"] = attach_open_set(model, dataset, rounds[0].to_numpy(),
                                              probe=probe)
    return TrainResult(model, metrics)


def _one_round(dataset: FeatureDataset, parts: pd.Series, labels: list[str],
               config: TrainConfig, method: str) -> tuple[object, dict, tuple | None]:
    test = (parts == "test").to_numpy()
    if not (parts == "train").any() or not test.any():
        raise DatasetError(f"split {method!r} leaves no training or no test rows in "
                           f"{dataset.source} (counts: {parts.value_counts().to_dict()})")
    fitted = fit_classical(dataset, parts.to_numpy(), config)
    part, items = f"test ({method}, {int(test.sum())} items)", dataset.frame["path"][test]
    info = {"chosen": fitted.chosen, "selection_valid_accuracy": fitted.selection_valid_accuracy,
            "train_accuracy": fitted.train_accuracy}
    if fitted.multi_label is not None:
        proba = fitted.estimator.predict_proba(dataset.X[test])
        sets = [s for s, t in zip(label_sets(dataset.frame), test, strict=True) if t]
        info.update(multilabel_test(proba, sets, fitted.multi_label, part, items.tolist()))
        if fitted.uncalibrated is not None:
            info["test_calibration"] = multilabel_before_after(
                fitted.uncalibrated.predict_proba(dataset.X[test]), proba,
                indicator(sets, fitted.multi_label["labels"]), method=config.calibration)
        return fitted.estimator, info, None
    y_test, y_pred = dataset.y[test], fitted.estimator.predict(dataset.X[test])
    info["test"] = classification_metrics(y_test, y_pred, labels, part=part,
                                          items=items.tolist())
    if fitted.uncalibrated is not None:
        classes = [str(c) for c in fitted.estimator.classes_]
        info["test_calibration"] = before_after(
            fitted.uncalibrated.predict_proba(dataset.X[test]),
            fitted.estimator.predict_proba(dataset.X[test]), y_test, classes,
            method=config.calibration)
    return fitted.estimator, info, (y_test, y_pred)


def multilabel_test(proba: np.ndarray, sets: list[list[str]], multi_label: dict, part: str,
                    items: list[str]) -> dict:
    """A multi-label model's test figures: ``test`` (its top genre counted right when it is
    one of the song's: accuracy with interval, per genre, confusion), ``test_multilabel``
    (the figures of :func:`~genriflow.evaluation.multilabel_metrics.multilabel_metrics` at the
    model's thresholds and at the seed's 0.2) and the model's ``multi_label`` settings."""
    genres = multi_label["labels"]
    top = np.asarray(genres)[proba.argmax(axis=1)]
    truth = [t if t in s else s[0] for t, s in zip(top, sets, strict=True)]
    figures = classification_metrics(np.asarray(truth), top, genres,
                                     part=f"{part}; the top genre right when it is one of "
                                          "the song's", items=items)
    Y = indicator(sets, genres)
    return {"test": figures, "multi_label": multi_label, "test_multilabel": {
        "at_thresholds": multilabel_metrics(Y, proba, genres,
                                            np.asarray(multi_label["thresholds"]), part),
        "at_seed_threshold": multilabel_metrics(Y, proba, genres, SEED_THRESHOLD, part)}}


def summarise_folds(results: list, labels: list[str], chosen: str, method: str) -> dict:
    """The figures of every fold's test items pooled (each item counted once), with their
    intervals, and the standard deviation of accuracy and balanced accuracy over the folds
    (``accuracy_std``, ``balanced_accuracy_std``); each fold's own in ``folds``.

    The pooled figure is the one its interval is about: a mean over folds weighs a small
    fold as much as a large one and, for balanced accuracy, averages folds that hold
    different genres (a fold without a rare genre leaves it out of its mean), so it could
    lie outside the pooled interval printed beside it.
    """
    folds = [info for _, info, _ in results]
    y_test = np.concatenate([pair[0] for _, _, pair in results])
    y_pred = np.concatenate([pair[1] for _, _, pair in results])
    # Each item's prediction, as every fold kept it: McNemar's test (compare) needs them.
    items = ([i for f in folds for i, _, _ in f["test"]["predictions"]]
             if all("predictions" in f["test"] for f in folds) else None)
    pooled = classification_metrics(
        y_test, y_pred, labels, part=f"test folds ({method}, {len(folds)} folds, "
        f"{len(y_test)} items)", items=items)
    for key in ("accuracy", "balanced_accuracy"):
        pooled[f"{key}_std"] = float(np.std([f["test"][key] for f in folds]))
    return {"chosen": chosen, "folds": folds, "test": pooled}


def train_to_folder(dataset: FeatureDataset, out: str | os.PathLike,
                    config: TrainConfig | None = None) -> TrainResult:
    """:func:`train_and_test`, then write the model folder with its report, metrics and
    errors."""
    check_replaceable(out)
    result = train_and_test(dataset, config)
    with replacing(out) as folder:
        result.model.save(folder, result.metrics)
        write_report(folder, f"genriflow model: {result.metrics['chosen']} on "
                     f"{dataset.feature_config.set} features", result.metrics, dataset.errors)
    return result


@dataclass
class DeepTrainResult:
    """The trained network, its clip-level evaluation and its per-epoch history."""

    model: DeepGenreModel
    metrics: dict
    history: History


def train_network_and_test(dataset: FeatureDataset, config: DeepTrainConfig | None = None, *,
                           extra_train: Sequence[FeatureDataset] = (),
                           progress: bool = False) -> DeepTrainResult:
    """Train a network (:func:`~genriflow.training.deep.train_network`) and score it per
    clip: train and validation accuracy, and the test figures, once.

    Parameters
    ----------
    dataset : FeatureDataset
        Its features must be the network's input set.
    config : DeepTrainConfig or None
    extra_train : sequence of FeatureDataset
        More training clips (:func:`~genriflow.training.deep.augmented_copies`).
    progress : bool
        A progress bar over epochs.
    """
    config = config or DeepTrainConfig()
    fitted = train_network(dataset, config, extra_train=extra_train, progress=progress)
    metrics = _network_metrics(fitted, dataset, config)
    metrics["open_set"] = attach_open_set(fitted.model, dataset, np.asarray(fitted.parts))
    return DeepTrainResult(fitted.model, metrics, fitted.history)


def _network_metrics(fitted: NetworkFit, dataset: FeatureDataset,
                     config: DeepTrainConfig) -> dict:
    model, parts, method = fitted.model, fitted.parts, fitted.method

    sets = label_sets(dataset.frame)

    def accuracy(part: str) -> float | None:
        """On ``part``: the top genre is the clip's (multi-label: one of the clip's)."""
        rows = parts == part
        if not rows.any():
            return None
        top = model.predict(dataset.rows(rows))
        if model.multi_label:
            chosen = [s for s, r in zip(sets, rows, strict=True) if r]
            return float(np.mean([t in s for t, s in zip(top, chosen, strict=True)]))
        return float(np.mean(top == dataset.y[rows]))

    test = parts == "test"
    part, items = f"test ({method}, {int(test.sum())} items)", dataset.frame["path"][test]
    extra: dict = {}
    calibration = model.config.get("calibration")
    if model.multi_label:
        test_sets = [s for s, t in zip(sets, test, strict=True) if t]
        extra = multilabel_test(model.predict_proba(dataset.rows(test)), test_sets,
                                model.config["multi_label"], part, items.tolist())
        if calibration:
            logits = model.piece_logits(dataset.rows(test))
            extra["test_calibration"] = multilabel_before_after(
                clip_probabilities(logits, 1.0, multi_label=True),
                clip_probabilities(logits, calibration["temperature"], multi_label=True),
                indicator(test_sets, model.labels),
                method=f"temperature {calibration['temperature']:.3f}")
    else:
        extra["test"] = classification_metrics(dataset.y[test],
                                               model.predict(dataset.rows(test)),
                                               fitted.labels, part=part, items=items.tolist())
        if calibration:
            logits = model.piece_logits(dataset.rows(test))
            extra["test_calibration"] = before_after(
                clip_probabilities(logits, 1.0),
                clip_probabilities(logits, calibration["temperature"]), dataset.y[test],
                fitted.labels, method=f"temperature {calibration['temperature']:.3f}")
    counts = {k: int(v) for k, v in zip(*np.unique(parts, return_counts=True), strict=True)}
    return {
        "split": {**asdict(config.split), "method": method, "counts": counts,
                  **groups_info(dataset.frame, pd.Series(parts, index=dataset.frame.index),
                                method)},
        "data": dataset.source,
        "chosen": config.network,
        "train_accuracy": accuracy("train"),
        "valid_accuracy": accuracy("valid"),
        **extra,
        "history": fitted.history.to_dict(),
    }


def train_network_to_folder(dataset: FeatureDataset, out: str | os.PathLike,
                            config: DeepTrainConfig | None = None, *,
                            extra_train: Sequence[FeatureDataset] = (),
                            progress: bool = False) -> DeepTrainResult:
    """:func:`train_network_and_test`, then write the model folder with its report and
    training curves (``curves.png``)."""
    check_replaceable(out)
    result = train_network_and_test(dataset, config, extra_train=extra_train,
                                    progress=progress)
    with replacing(out) as folder:
        result.model.save(folder, result.metrics)
        curves = plot_history(result.history, folder / "curves.png",
                              f"{result.metrics['chosen']}: loss and accuracy per epoch")
        write_report(folder, f"genriflow model: {result.metrics['chosen']} on "
                     f"{dataset.feature_config.set}", result.metrics, dataset.errors,
                     curves=curves)
    return result
