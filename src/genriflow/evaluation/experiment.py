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
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from genriflow.datasets.discover import DatasetError
from genriflow.datasets.splits import assign_splits, groups_crossing, resolve_method
from genriflow.evaluation.metrics import classification_metrics
from genriflow.evaluation.openset import attach_open_set, classical_probe
from genriflow.evaluation.plots import plot_history
from genriflow.evaluation.report import write_report
from genriflow.features.dataset import FeatureDataset
from genriflow.models.classical import ClassicalGenreModel
from genriflow.models.deep import DeepGenreModel
from genriflow.training.classical import (
    TrainConfig,
    classical_model,
    fit_classical,
    fit_pipeline,
)
from genriflow.training.deep import DeepTrainConfig, NetworkFit, train_network
from genriflow.training.loop import History


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
                  "groups_crossing": groups_crossing(dataset.frame, rounds[0])}
    metrics = {"split": split_info, "data": dataset.source, **metrics}
    model = classical_model(estimator, metrics["chosen"], dataset, config)
    if len(results) == 1:  # the reject option ("none of these"): threshold on valid
        metrics["open_set"] = attach_open_set(model, dataset, rounds[0].to_numpy(), probe=(
            classical_probe(metrics["chosen"], dataset, config)))
    return TrainResult(model, metrics)


def _one_round(dataset: FeatureDataset, parts: pd.Series, labels: list[str],
               config: TrainConfig, method: str) -> tuple[object, dict, tuple]:
    test = (parts == "test").to_numpy()
    if not (parts == "train").any() or not test.any():
        raise DatasetError(f"split {method!r} leaves no training or no test rows in "
                           f"{dataset.source} (counts: {parts.value_counts().to_dict()})")
    fitted = fit_classical(dataset, parts.to_numpy(), config)
    y_test, y_pred = dataset.y[test], fitted.estimator.predict(dataset.X[test])
    figures = classification_metrics(y_test, y_pred, labels,
                                     part=f"test ({method}, {int(test.sum())} items)",
                                     items=dataset.frame["path"][test].tolist())
    info = {"chosen": fitted.chosen, "selection_valid_accuracy": fitted.selection_valid_accuracy,
            "train_accuracy": fitted.train_accuracy, "test": figures}
    return fitted.estimator, info, (y_test, y_pred)


def summarise_folds(results: list, labels: list[str], chosen: str, method: str) -> dict:
    """Mean ± std of the per-fold figures; per-class figures and confusion over all folds."""
    folds = [info for _, info, _ in results]
    y_test = np.concatenate([pair[0] for _, _, pair in results])
    y_pred = np.concatenate([pair[1] for _, _, pair in results])
    pooled = classification_metrics(
        y_test, y_pred, labels, part=f"test folds ({method}, {len(folds)} folds, "
        f"{len(y_test)} items)")
    for key in ("accuracy", "balanced_accuracy"):
        per_fold = np.array([f["test"][key] for f in folds])
        pooled[key], pooled[f"{key}_std"] = float(per_fold.mean()), float(per_fold.std())
    return {"chosen": chosen, "folds": folds, "test": pooled}


def train_to_folder(dataset: FeatureDataset, out: str | os.PathLike,
                    config: TrainConfig | None = None) -> TrainResult:
    """:func:`train_and_test`, then write the model folder with its report, metrics and
    errors."""
    result = train_and_test(dataset, config)
    result.model.save(out, result.metrics)
    write_report(out, f"genriflow model: {result.metrics['chosen']} on "
                 f"{dataset.feature_config.set} features", result.metrics, dataset.errors)
    return result


@dataclass
class DeepTrainResult:
    """The trained network, its clip-level evaluation and its per-epoch history."""

    model: DeepGenreModel
    metrics: dict
    history: History


def train_network_and_test(dataset: FeatureDataset, config: DeepTrainConfig | None = None, *,
                           extra_train: list[FeatureDataset] = (),
                           progress: bool = False) -> DeepTrainResult:
    """Train a network (:func:`~genriflow.training.deep.train_network`) and score it per
    clip: train and validation accuracy, and the test figures, once.

    Parameters
    ----------
    dataset : FeatureDataset
        Its features must be the network's input set.
    config : DeepTrainConfig or None
    extra_train : list of FeatureDataset
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

    def accuracy(part: str) -> float | None:
        rows = parts == part
        if not rows.any():
            return None
        return float(np.mean(model.predict(dataset.rows(rows)) == dataset.y[rows]))

    test = parts == "test"
    figures = classification_metrics(dataset.y[test], model.predict(dataset.rows(test)),
                                     fitted.labels,
                                     part=f"test ({method}, {int(test.sum())} items)",
                                     items=dataset.frame["path"][test].tolist())
    counts = {k: int(v) for k, v in zip(*np.unique(parts, return_counts=True), strict=True)}
    return {
        "split": {**asdict(config.split), "method": method, "counts": counts,
                  "groups_crossing": groups_crossing(
                      dataset.frame, pd.Series(parts, index=dataset.frame.index))},
        "data": dataset.source,
        "chosen": config.network,
        "train_accuracy": accuracy("train"),
        "valid_accuracy": accuracy("valid"),
        "test": figures,
        "history": fitted.history.to_dict(),
    }


def train_network_to_folder(dataset: FeatureDataset, out: str | os.PathLike,
                            config: DeepTrainConfig | None = None, *,
                            extra_train: list[FeatureDataset] = (),
                            progress: bool = False) -> DeepTrainResult:
    """:func:`train_network_and_test`, then write the model folder with its report and
    training curves (``curves.png``)."""
    result = train_network_and_test(dataset, config, extra_train=extra_train,
                                    progress=progress)
    result.model.save(out, result.metrics)
    plot_history(result.history, Path(out) / "curves.png",
                 f"{result.metrics['chosen']}: loss and accuracy per epoch")
    write_report(out, f"genriflow model: {result.metrics['chosen']} on "
                 f"{dataset.feature_config.set}", result.metrics, dataset.errors)
    return result
