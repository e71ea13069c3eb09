"""Fit classical models on a split: choose on validation, refit, test once.

The protocol, stated in every report: candidates are fitted on the training part and
scored on the validation part; the best is refitted on training + validation and scored
once on the test part. k-fold repeats this per fold (fold i tests, fold i+1 validates).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from genriflow.datasets.splits import SplitConfig, assign_splits, groups_crossing, resolve_method
from genriflow.evaluation.metrics import classification_metrics
from genriflow.evaluation.report import write_report
from genriflow.features.dataset import FeatureDataset
from genriflow.features.sets import feature_set
from genriflow.models.classical import AUTO_CANDIDATES, CLASSICAL_MODELS, make_classical
from genriflow.models.folder import GenreModel, save_model
from genriflow.models.transforms import variance_columns


@dataclass(frozen=True)
class TrainConfig:
    """How to train; saved in the model folder.

    Attributes
    ----------
    model : str
        ``auto`` (best of :data:`AUTO_CANDIDATES` on validation) or a name in
        :data:`CLASSICAL_MODELS`.
    split : SplitConfig
    pca : int or None
        Principal components after scaling (``None``: no PCA, except kNN's own 15).
    seed : int
    """

    model: str = "auto"
    split: SplitConfig = field(default_factory=SplitConfig)
    pca: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.model != "auto" and self.model not in CLASSICAL_MODELS:
            raise ValueError(f"unknown model {self.model!r}; choose from auto, "
                             f"{', '.join(CLASSICAL_MODELS)}")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TrainResult:
    """The fitted model and its evaluation (``metrics`` is what ``metrics.json`` holds)."""

    model: GenreModel
    metrics: dict


def train(dataset: FeatureDataset, config: TrainConfig | None = None) -> TrainResult:
    """Train and evaluate a classical genre model on a feature dataset.

    Parameters
    ----------
    dataset : FeatureDataset
    config : TrainConfig or None

    Returns
    -------
    TrainResult
        The model to save (for k-fold: refitted on all labelled rows with the most often
        chosen model) and metrics whose every figure names its split and part.
    """
    config = config or TrainConfig()
    method = resolve_method(dataset.frame, config.split.method)
    rounds = assign_splits(dataset.frame, config.split)
    labels = sorted(dataset.frame["label"].unique())
    results = [_one_round(dataset, parts, labels, config, method) for parts in rounds]
    if len(results) > 1:
        chosen = Counter(r[1]["chosen"] for r in results).most_common(1)[0][0]
        used = (rounds[0] != "excluded").to_numpy()
        estimator = _fit(chosen, dataset, used, config)
        metrics = _summarise_folds(results, labels, chosen, method)
    else:
        estimator, metrics, _ = results[0]
    split_info = {**asdict(config.split), "method": method,
                  "counts": rounds[0].value_counts().to_dict(),
                  "groups_crossing": groups_crossing(dataset.frame, rounds[0])}
    metrics = {"split": split_info, "data": dataset.source, **metrics}
    model_config = {"model": metrics["chosen"], "train": config.to_dict(),
                    "data": dataset.source}
    return TrainResult(GenreModel(estimator, dataset.feature_config, model_config), metrics)


def _one_round(dataset: FeatureDataset, parts: pd.Series, labels: list[str],
               config: TrainConfig, method: str) -> tuple[object, dict, tuple]:
    part = {name: (parts == name).to_numpy() for name in ("train", "valid", "test")}
    if not part["train"].any() or not part["test"].any():
        raise ValueError(f"split {method!r} leaves no training or no test rows in "
                         f"{dataset.source} (counts: {parts.value_counts().to_dict()})")
    y = dataset.y
    candidates = AUTO_CANDIDATES if config.model == "auto" else (config.model,)
    selection: dict[str, float] = {}
    if part["valid"].any():
        for name in candidates:
            fitted = _fit(name, dataset, part["train"], config)
            selection[name] = float(np.mean(fitted.predict(dataset.X[part["valid"]])
                                            == y[part["valid"]]))
        chosen = max(selection, key=selection.get)
    else:
        chosen = candidates[0]
    fit_rows = part["train"] | part["valid"]
    estimator = _fit(chosen, dataset, fit_rows, config)
    n_test = int(part["test"].sum())
    y_test, y_pred = y[part["test"]], estimator.predict(dataset.X[part["test"]])
    test = classification_metrics(y_test, y_pred, labels,
                                  part=f"test ({method}, {n_test} items)")
    train_acc = float(np.mean(estimator.predict(dataset.X[fit_rows]) == y[fit_rows]))
    info = {"chosen": chosen, "selection_valid_accuracy": selection,
            "train_accuracy": train_acc, "test": test}
    return estimator, info, (y_test, y_pred)


def _fit(name: str, dataset: FeatureDataset, rows: np.ndarray, config: TrainConfig):
    columns = feature_set(dataset.feature_config.set).column_names(dataset.feature_config) or ()
    model = make_classical(name, seed=config.seed, pca=config.pca,
                           log_columns=variance_columns(columns))
    return model.fit(dataset.X[rows], dataset.y[rows])


def _summarise_folds(results: list, labels: list[str], chosen: str, method: str) -> dict:
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
    """:func:`train`, then write the model folder with its report, metrics and errors."""
    result = train(dataset, config)
    save_model(result.model, out, result.metrics)
    write_report(out, f"genriflow model: {result.metrics['chosen']} on "
                 f"{dataset.feature_config.set} features", result.metrics, dataset.errors)
    return result
