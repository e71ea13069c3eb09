"""Train a network on a hold-out split: fit on train, stop on validation, test once.

Every network goes through :func:`genriflow.training.loop.fit`; this module only prepares
its inputs (feature set, scaling fitted on the training part, crops or windows) and scores
the result per clip, so the figures compare with the classical models'.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.utils.data import ConcatDataset

from genriflow.datasets.splits import SplitConfig, assign_splits, groups_crossing, resolve_method
from genriflow.evaluation.metrics import classification_metrics
from genriflow.evaluation.report import write_report
from genriflow.features.dataset import FeatureDataset, Rows, recompute
from genriflow.features.sets import FeatureConfig, feature_set
from genriflow.models.deep import DeepGenreModel, to_pieces
from genriflow.models.folder import save_model
from genriflow.models.networks import NETWORK_INPUTS, NETWORKS
from genriflow.models.transforms import FrameStandardizer
from genriflow.training.augment import (
    AUGMENTATIONS,
    center_crop,
    compose,
    random_crop,
    spec_augment,
)
from genriflow.training.loop import ArrayDataset, History, LoopConfig, fit, plot_history


def parse_network(spec: str) -> tuple[str, str]:
    """``'cs229-ffnn@cs229-raw'`` -> (network, feature set); the set defaults to its input."""
    name, _, input_set = spec.partition("@")
    if name not in NETWORKS:
        raise ValueError(f"unknown network {name!r}; choose from {', '.join(NETWORKS)}")
    input_set = input_set or NETWORK_INPUTS[name]
    feature_set(input_set)
    return name, input_set


@dataclass(frozen=True)
class DeepTrainConfig:
    """How to train a network; saved in its model folder.

    Attributes
    ----------
    network : str
        A name in :data:`~genriflow.models.networks.NETWORKS`, optionally ``@feature-set``.
    split : SplitConfig
        A hold-out split (k-fold is for the classical models).
    loop : LoopConfig
    chunk_seconds : float
        Crop length of ``log-mel`` inputs: random crops in training, consecutive crops
        averaged in evaluation and prediction.
    augment : str
        ``none``, ``weak`` or ``strong`` (:mod:`genriflow.training.augment`): that many
        ``copies`` of every training clip are augmented as waveforms, their features
        computed once and kept in the feature store, and added to the training part.
    copies : int
    """

    network: str = "shortchunk-cnn"
    split: SplitConfig = field(default_factory=SplitConfig)
    loop: LoopConfig = field(default_factory=LoopConfig)
    chunk_seconds: float = 3.0
    augment: str = "none"
    copies: int = 1

    def __post_init__(self) -> None:
        parse_network(self.network)
        if self.augment not in AUGMENTATIONS:
            raise ValueError(f"unknown augmentation {self.augment!r}; choose from "
                             f"{', '.join(AUGMENTATIONS)}")
        if self.copies < 1:
            raise ValueError(f"copies must be at least 1, got {self.copies}")

    def feature_config(self) -> FeatureConfig:
        return FeatureConfig(set=parse_network(self.network)[1])

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class DeepTrainResult:
    model: DeepGenreModel
    metrics: dict
    history: History


def network_kwargs(name: str, input_shape: tuple[int, ...]) -> dict:
    """Constructor arguments that fit a network to one input's shape."""
    if name == "shortchunk-cnn":
        return {"n_mels": input_shape[0]}
    if name in ("genriflow-cnn", "genriflow-lstm-cnn"):
        return {"n_features": input_shape[0]}
    if name == "cs229-cnn":
        return {"n_mels": input_shape[0], "n_frames": input_shape[1]}
    if name == "cs229-ffnn":
        return {"n_inputs": int(math.prod(input_shape))}
    return {"height": input_shape[0], "width": input_shape[1]}


def _chunk_frames(config: FeatureConfig, seconds: float) -> int | None:
    if config.set != "log-mel":
        return None
    params = feature_set(config.set).params_of(config)
    return round(seconds * params.sr / params.hop_length)


def augmented_copies(dataset: FeatureDataset, config: DeepTrainConfig,
                     store: str | os.PathLike | None = None, n_jobs: int | None = None,
                     progress: bool = False) -> list[FeatureDataset]:
    """Features of the augmented copies of the training part (none for ``augment='none'``).

    Only training clips are augmented, so nothing derived from a validation or test clip
    ever reaches training.
    """
    if config.augment == "none":
        return []
    rows = (assign_splits(dataset.frame, config.split)[0] == "train").to_numpy()
    return [recompute(dataset, replace(dataset.feature_config, augment=config.augment,
                                       augment_copy=k), rows, store, n_jobs, progress)
            for k in range(config.copies)]


def train_network(dataset: FeatureDataset, config: DeepTrainConfig | None = None,
                  progress: bool = False,
                  extra_train: list[FeatureDataset] = ()) -> DeepTrainResult:
    """Train a network on ``dataset`` (whose features must be the network's input set).

    extra_train : list of FeatureDataset
        More training clips with the same labels (see :func:`augmented_copies`).

    Returns
    -------
    DeepTrainResult
        The model (best validation epoch), clip-level metrics labelled with their split,
        and the per-epoch history.
    """
    config = config or DeepTrainConfig()
    name, input_set = parse_network(config.network)
    if dataset.feature_config.set != input_set:
        raise ValueError(f"{name} takes {input_set!r} features, the data has "
                         f"{dataset.feature_config.set!r}")
    method = resolve_method(dataset.frame, config.split.method)
    if method.startswith("kfold"):
        raise ValueError("networks train on a hold-out split; use stratified, "
                         "stratified-grouped, gtzan-fault-filtered or a manifest")
    parts = assign_splits(dataset.frame, config.split)[0].to_numpy()
    labels = sorted(dataset.frame["label"].unique())
    y = np.searchsorted(labels, dataset.y)
    chunk = _chunk_frames(dataset.feature_config, config.chunk_seconds)
    model = _build(dataset, name, labels, config, parts, chunk)
    train_set, valid_set = (_pieces(dataset, y, parts == part) for part in ("train", "valid"))
    if extra_train:
        extra = [_pieces(d, np.searchsorted(labels, d.y), np.ones(len(d.y), bool))
                 for d in extra_train]
        train_set = ConcatDataset([train_set, *extra])
    loop = config.loop
    if loop.weight_decay == 0.0:
        loop = LoopConfig(**{**loop.to_dict(), "weight_decay": model.net.network.weight_decay})
    transform = eval_transform = None
    if chunk is not None:
        transform = compose(partial(random_crop, frames=chunk), spec_augment)
        eval_transform = partial(center_crop, frames=chunk)
    history = fit(model.net, train_set, valid_set if len(valid_set) else None, len(labels),
                  loop, transform, progress, eval_transform=eval_transform)
    model.net.cpu()
    metrics = _metrics(model, dataset, parts, labels, method, config, history)
    return DeepTrainResult(model, metrics, history)


def _build(dataset: FeatureDataset, name: str, labels: list[str], config: DeepTrainConfig,
           parts: np.ndarray, chunk: int | None) -> DeepGenreModel:
    sample, _ = to_pieces(np.asarray(dataset.X[:1]), dataset.feature_config.set, chunk)
    norm = None
    if sample.ndim == 3:  # (features, frames) inputs: standardise each row on the train part
        norm = FrameStandardizer().fit(_piece_rows(dataset, parts == "train")[0])
    model_config = {"network": name, "network_kwargs": network_kwargs(name, sample.shape[1:]),
                    "chunk_frames": chunk, "n_norm": 0 if norm is None else len(norm.mean_),
                    "train": config.to_dict(), "data": dataset.source}
    torch.manual_seed(config.loop.seed)
    model = DeepGenreModel.build(model_config, labels, dataset.feature_config,
                                 config.loop.device)
    if norm is not None:
        model.net.norm.mean.copy_(torch.from_numpy(norm.mean_))
        model.net.norm.scale.copy_(torch.from_numpy(norm.scale_))
    return model


def _piece_rows(dataset: FeatureDataset, rows: np.ndarray) -> tuple[Rows, np.ndarray]:
    """The network inputs of the clips where ``rows`` is true, read lazily from the store's
    memory map, and the clip of each: windows for the cs229 sets, whole clips otherwise."""
    pieces, clip = to_pieces(dataset.X, dataset.feature_config.set, None)
    index = np.flatnonzero(rows[clip])
    return Rows(pieces, index), clip[index]


def _pieces(dataset: FeatureDataset, y: np.ndarray, rows: np.ndarray) -> ArrayDataset:
    """Training inputs (log-mel clips are cropped per batch by the training transform)."""
    pieces, clip = _piece_rows(dataset, rows)
    return ArrayDataset(pieces, y[clip])


def _metrics(model: DeepGenreModel, dataset: FeatureDataset, parts: np.ndarray,
             labels: list[str], method: str, config: DeepTrainConfig, history: History) -> dict:
    def accuracy(part: str) -> float | None:
        rows = parts == part
        if not rows.any():
            return None
        return float(np.mean(model.predict(dataset.rows(rows)) == dataset.y[rows]))

    test = parts == "test"
    figures = classification_metrics(dataset.y[test], model.predict(dataset.rows(test)), labels,
                                     part=f"test ({method}, {int(test.sum())} items)")
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
        "history": history.to_dict(),
    }



def train_network_to_folder(dataset: FeatureDataset, out: str | os.PathLike,
                            config: DeepTrainConfig | None = None, progress: bool = False,
                            extra_train: list[FeatureDataset] = ()) -> DeepTrainResult:
    """:func:`train_network`, then write the model folder with report and training curves."""
    result = train_network(dataset, config, progress, extra_train)
    save_model(result.model, out, result.metrics)
    plot_history(result.history, Path(out) / "curves.png",
                 f"{result.metrics['chosen']}: loss and accuracy per epoch")
    write_report(out, f"genriflow model: {result.metrics['chosen']} on "
                 f"{dataset.feature_config.set}", result.metrics, dataset.errors)
    return result
