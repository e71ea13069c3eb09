"""``--model auto`` from a data path: every candidate input in one pass of the feature
engine, the choice on the validation part (:func:`~genriflow.training.auto.choose_auto`),
the winner tested once, and its model folder with ``auto.json`` (what was tried).

k-fold splits choose in every fold on that fold's validation part, as the classical
protocol does; the table pools the validation folds and the saved model is the winner
chosen most often, refitted on every labelled row.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from genriflow.audio.errors import AudioError
from genriflow.datasets.discover import DatasetError, discover
from genriflow.datasets.splits import (
    SplitConfig,
    assign_splits,
    groups_info,
    resolve_method,
)
from genriflow.errors import ConfigError
from genriflow.evaluation.metrics import classification_metrics
from genriflow.evaluation.openset import attach_open_set, classical_probe
from genriflow.evaluation.plots import plot_history
from genriflow.evaluation.report import write_report
from genriflow.features.dataset import FeatureDataset, from_audio_sets, from_table
from genriflow.features.options import RunOptions
from genriflow.features.sets import FeatureConfig
from genriflow.models.base import GenreClassifier
from genriflow.training.auto import AutoChoice, AutoConfig, AutoFit, choose_auto, network_reason
from genriflow.training.classical import TrainConfig, classical_model, fit_pipeline
from genriflow.workflows.experiment import summarise_folds
from genriflow.workflows.model_folder import check_replaceable, replacing

if TYPE_CHECKING:
    from genriflow.training.deep import DeepTrainConfig


@dataclass
class AutoData:
    """The candidates' inputs: the same files under every feature set.

    Attributes
    ----------
    datasets : dict of str to FeatureDataset
        Feature set -> dataset, rows aligned (a file unusable for one set is left out of
        all).
    skipped : dict of str to str
        Input or network -> why it is not available.
    errors : list of AudioError
        Files left out, once each.
    """

    datasets: dict[str, FeatureDataset]
    skipped: dict[str, str]
    errors: list[AudioError]


def auto_datasets(data: str | os.PathLike | None = None, *,
                  table: str | os.PathLike | None = None, config: AutoConfig | None = None,
                  split: SplitConfig | None = None,
                  options: RunOptions | None = None) -> AutoData:
    """Compute every candidate input in one pass (each stretch decoded once for all sets).

    The network's input is computed only when the discovered files pass
    :func:`~genriflow.training.auto.network_reason` on the split; a feature table gives
    the ``kaggle`` heads only.
    """
    config, split = config or AutoConfig(), split or SplitConfig()
    if table is not None:
        skipped = {s: "needs audio: a feature table holds only kaggle features"
                   for s in config.inputs if s != "kaggle"}
        if config.network is not None:
            skipped[config.network] = "needs audio: trained from a feature table"
        datasets = {"kaggle": from_table(table)} if "kaggle" in config.inputs else {}
        return AutoData(datasets, skipped, [])
    sets, skipped = list(config.inputs), {}
    if config.network is not None:
        frame = discover(data)
        parts = assign_splits(frame, split)[0]
        reason = network_reason(frame["label"][parts == "train"], config,
                                method=resolve_method(frame, split.method),
                                has_valid=bool((parts == "valid").any()))
        if reason is None:
            sets.append(config.network_input())
        else:
            skipped[config.network] = reason
    computed = from_audio_sets(data, [FeatureConfig(set=s) for s in dict.fromkeys(sets)],
                               options=options)
    return _aligned(computed, skipped)


def _aligned(datasets: dict[str, FeatureDataset], skipped: dict[str, str]) -> AutoData:
    common = set.intersection(*(set(d.frame["path"]) for d in datasets.values()))
    errors = list({str(e.path): e for d in datasets.values() for e in d.errors}.values())
    out = {}
    for name, d in datasets.items():
        keep = d.frame["path"].isin(common).to_numpy()
        if keep.all():
            out[name] = replace(d, errors=errors)
        else:
            out[name] = FeatureDataset(d.frame[keep].reset_index(drop=True),
                                       np.asarray(d.X[keep]), d.feature_config, d.source,
                                       errors)
    return AutoData(out, skipped, errors)


@dataclass
class AutoResult:
    """The winner to save, its metrics (with ``auto``: what was tried), its choice and the
    files that could not be used."""

    model: GenreClassifier
    metrics: dict
    choice: AutoChoice
    fit: AutoFit | None = None
    errors: list[AudioError] = field(default_factory=list)


def train_auto_and_test(data: AutoData, config: AutoConfig | None = None, *,
                        train: TrainConfig | None = None,
                        network: DeepTrainConfig | None = None,
                        extra_train: Sequence[FeatureDataset] = (),
                        progress: bool = False) -> AutoResult:
    """Choose on validation (:func:`~genriflow.training.auto.choose_auto`) and test the
    winner once on the test part, per round of the split.

    Parameters
    ----------
    data : AutoData
    config : AutoConfig or None
    train : TrainConfig or None
        The split, seed and PCA of the heads.
    network : DeepTrainConfig or None
        How to train the network (``None``: not tried).
    extra_train : sequence of FeatureDataset
        Augmented copies of the network's training clips.
    progress : bool

    Raises
    ------
    DatasetError
        If a round of the split has no training or no test rows.
    """
    config, train = config or AutoConfig(), train or TrainConfig()
    if not data.datasets:
        raise ConfigError("model", "auto has no input to train on: "
                          + "; ".join(f"{k}: {v}" for k, v in data.skipped.items()))
    first = next(iter(data.datasets.values()))
    method = resolve_method(first.frame, train.split.method)
    train = replace(train, split=replace(train.split, method=method))  # saved, not ``auto``
    rounds = assign_splits(first.frame, train.split)
    labels = sorted(first.frame["label"].unique())
    results = []
    for i, series in enumerate(rounds):
        parts = series.to_numpy()
        test = parts == "test"
        if not (parts == "train").any() or not test.any():
            raise DatasetError(f"split {method!r} leaves no training or no test rows in "
                               f"{first.source} (counts: {series.value_counts().to_dict()})")
        fold = f"fold {i + 1}, " if len(rounds) > 1 else ""
        fit = choose_auto(data.datasets, parts, config, train=train, network=network,
                          extra_train=extra_train, skipped=data.skipped,
                          part=f"valid ({method}, {fold}{int((parts == 'valid').sum())} items)",
                          progress=progress)
        y_test, y_pred = first.y[test], fit.predict(test)
        figures = classification_metrics(y_test, y_pred, labels,
                                         part=f"test ({method}, {int(test.sum())} items)",
                                         items=first.frame["path"][test].tolist())
        info = {"chosen": fit.choice.winner, "auto": fit.choice.to_dict(),
                "train_accuracy": fit.train_accuracy, "test": figures}
        results.append((fit, info, (y_test, y_pred)))
    split_info = {**asdict(train.split), "method": method,
                  "counts": rounds[0].value_counts().to_dict(),
                  **groups_info(first.frame, rounds[0], method)}
    if len(results) == 1:
        fit, info, _ = results[0]
        choice = fit.choice
        winner = next(c for c in choice.candidates if c.name == choice.winner)
        metrics = {**info, "valid_accuracy": winner.accuracy}
        if fit.network is not None:
            metrics["history"] = fit.network.history.to_dict()
        model = _model(fit, train)
        metrics["open_set"] = attach_open_set(model, fit.dataset, parts, probe=None if (
            fit.network) else classical_probe(model.config["model"], fit.dataset, train))
    else:
        choice = AutoChoice.pooled([fit.choice for fit, _, _ in results], part=(
            f"valid folds ({method}, {len(results)} folds, "
            f"{sum(fit.choice.candidates[0].n for fit, _, _ in results)} items)"))
        metrics = {**summarise_folds(results, labels, choice.winner, method),
                   "auto": choice.to_dict()}
        head, _, input_set = choice.winner.partition("@")
        dataset = data.datasets[input_set]
        used = (rounds[0] != "excluded").to_numpy()
        fit = AutoFit(choice, dataset, estimator=fit_pipeline(head, dataset, used, train))
        model = _model(fit, train)
    metrics = {"split": split_info, "data": first.source, **metrics}
    return AutoResult(model, metrics, choice, fit)


def _model(fit: AutoFit, train: TrainConfig) -> GenreClassifier:
    """The winner as a model to save, with what ``auto`` tried in its configuration."""
    if fit.network is not None:
        model = fit.network.model
    else:
        model = classical_model(fit.estimator, fit.choice.winner.partition("@")[0],
                                fit.dataset, train)
    model.config["auto"] = {"winner": fit.choice.winner, "config": fit.choice.config.to_dict()}
    return model


def train_auto_to_folder(out: str | os.PathLike, data: str | os.PathLike | None = None, *,
                         table: str | os.PathLike | None = None,
                         split: SplitConfig | None = None, pca: int | None = None,
                         epochs: int = 50, device: str = "auto", augment: str = "none",
                         copies: int = 1, config: AutoConfig | None = None,
                         options: RunOptions | None = None) -> AutoResult:
    """``auto`` end to end: the inputs in one pass, the choice, the test, the model folder.

    The folder is the winner's (``config.json`` names it and ``auto``'s settings), with
    ``auto.json`` (:meth:`~genriflow.training.auto.AutoChoice.to_dict`: every candidate's
    validation accuracy and interval, or why it was skipped) and the report's section on
    the choice. Options as for :func:`~genriflow.workflows.train_any.train_any`; ``epochs``,
    ``device``, ``augment`` and ``copies`` go to the network when it is tried.
    """
    config, split = config or AutoConfig(), split or SplitConfig()
    options = options or RunOptions()
    check_replaceable(out)
    data_ = auto_datasets(data, table=table, config=config, split=split, options=options)
    train = TrainConfig(model="auto", split=split, pca=pca, seed=split.seed)
    network, extra = None, []
    if config.network is not None and config.network not in data_.skipped:
        from genriflow.training.deep import DeepTrainConfig, augmented_copies
        from genriflow.training.loop import LoopConfig

        network = DeepTrainConfig(network=config.network, split=split, loop=LoopConfig(
            epochs=epochs, seed=split.seed, device=device), augment=augment, copies=copies)
        extra = augmented_copies(data_.datasets[config.network_input()], network,
                                 options=options)
    result = train_auto_and_test(data_, config, train=train, network=network,
                                 extra_train=extra, progress=options.progress)
    result.errors = data_.errors
    with replacing(out) as folder:
        result.model.save(folder, result.metrics)
        (folder / "auto.json").write_text(json.dumps(result.choice.to_dict(), indent=2) + "\n")
        curves = None
        if result.fit is not None and result.fit.network is not None:
            curves = plot_history(result.fit.network.history, folder / "curves.png",
                                  f"{result.choice.winner}: loss and accuracy per epoch")
        write_report(folder, f"genriflow model: auto chose {result.choice.winner}",
                     result.metrics, data_.errors, curves=curves)
    return result
