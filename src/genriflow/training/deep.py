"""Train a network on a hold-out split: fit on train, stop on validation.

Every network goes through :func:`genriflow.training.loop.fit`; this module only prepares
its inputs (feature set, scaling fitted on the training part, crops or windows). Scoring
the result per clip, once, on the test part is the workflows layer's
(:func:`genriflow.workflows.experiment.train_network_and_test`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial

import numpy as np
import torch
from torch.utils.data import ConcatDataset

from genriflow.datasets.discover import DatasetError
from genriflow.datasets.frames import label_sets
from genriflow.datasets.splits import assign_splits, resolve_method
from genriflow.errors import ConfigError
from genriflow.features.dataset import FeatureDataset, Rows, recompute
from genriflow.features.options import RunOptions
from genriflow.features.sets import FeatureConfig, feature_set
from genriflow.models.deep import DeepGenreModel, to_pieces
from genriflow.models.multilabel import choose_thresholds, indicator
from genriflow.models.transforms import FrameStandardizer
from genriflow.training.augment import (
    center_crop,
    compose,
    random_crop,
    spec_augment,
)
from genriflow.training.calibration import fit_temperature
from genriflow.training.loop import ArrayDataset, History, LoopConfig, fit
from genriflow.training.network_config import DeepTrainConfig as DeepTrainConfig
from genriflow.training.network_config import network_params as network_params
from genriflow.training.network_config import parse_network as parse_network


@dataclass
class NetworkFit:
    """A network trained on a split, with what scoring it needs.

    Attributes
    ----------
    model : DeepGenreModel
        The weights of the best validation epoch, on the CPU.
    history : History
    parts : np.ndarray of str, shape (n_rows,)
        ``train``, ``valid``, ``test`` or ``excluded`` per row of the dataset.
    method : str
        The concrete split method.
    labels : list of str
    """

    model: DeepGenreModel
    history: History
    parts: np.ndarray
    method: str
    labels: list[str]


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


def augmented_copies(dataset: FeatureDataset, config: DeepTrainConfig, *,
                     options: RunOptions | None = None) -> list[FeatureDataset]:
    """Features of the augmented copies of the training part (none for ``augment='none'``).

    Only training clips are augmented, so nothing derived from a validation or test clip
    ever reaches training. ``options``: the feature store, workers and progress bar of
    the extraction.
    """
    if config.augment == "none":
        return []
    rows = (assign_splits(dataset.frame, config.split)[0] == "train").to_numpy()
    return [recompute(dataset, replace(dataset.feature_config, augment=config.augment,
                                       augment_copy=k), rows, options=options)
            for k in range(config.copies)]


def train_network(dataset: FeatureDataset, config: DeepTrainConfig | None = None, *,
                  extra_train: Sequence[FeatureDataset] = (), progress: bool = False,
                  on_epoch: Callable[[History], None] | None = None) -> NetworkFit:
    """Train a network on ``dataset`` (whose features must be the network's input set).

    Parameters
    ----------
    dataset : FeatureDataset
    config : DeepTrainConfig or None
    extra_train : sequence of FeatureDataset
        More training clips with the same labels (see :func:`augmented_copies`).
    progress : bool
        A progress bar over epochs.
    on_epoch : callable or None
        Called after every epoch with the history so far (see
        :func:`~genriflow.training.loop.fit`).

    Returns
    -------
    NetworkFit
        The model (best validation epoch), its history and the split it was trained on.

    Raises
    ------
    DatasetError
        If the data does not hold the network's input set.
    """
    config = config or DeepTrainConfig()
    name, input_set = parse_network(config.network)
    if dataset.feature_config.set != input_set:
        raise DatasetError(f"{name} takes {input_set!r} features, the data has "
                           f"{dataset.feature_config.set!r}")
    method = resolve_method(dataset.frame, config.split.method)
    config = replace(config, split=replace(config.split, method=method))  # saved, not ``auto``
    parts = assign_splits(dataset.frame, config.split)[0].to_numpy()
    labels, y = _targets(dataset, config)
    chunk = _chunk_frames(dataset.feature_config, config.chunk_seconds)
    model = _build(dataset, name, labels, config, parts, chunk)
    train_set, valid_set = (_pieces(dataset, y, parts == part) for part in ("train", "valid"))
    if extra_train:
        extra = [_pieces(d, _targets(d, config, labels)[1], np.ones(len(d.y), bool))
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
                  loop, loss="binary-cross-entropy" if config.multi_label else "cross-entropy",
                  transform=transform, eval_transform=eval_transform, progress=progress,
                  on_epoch=on_epoch)
    model.net.cpu()
    _fit_on_valid(model, dataset, y, parts == "valid", config)
    return NetworkFit(model, history, parts, method, labels)


def _targets(dataset: FeatureDataset, config: DeepTrainConfig,
             labels: list[str] | None = None) -> tuple[list[str], np.ndarray]:
    """The genres (sorted) and what the network learns per clip: label indices, or for a
    multi-label network the (clips, genres) 0/1 matrix of each clip's genres."""
    if not config.multi_label:
        labels = labels or sorted(dataset.frame["label"].unique())
        return labels, np.searchsorted(labels, dataset.y)
    sets = label_sets(dataset.frame)
    labels = labels or sorted({g for s in sets for g in s})
    return labels, indicator(sets, labels).astype(np.float32)


def _fit_on_valid(model: DeepGenreModel, dataset: FeatureDataset, y: np.ndarray,
                  valid: np.ndarray, config: DeepTrainConfig) -> None:
    """After training: the temperature, or a multi-label network's thresholds, from the
    validation clips (recorded in the model's config)."""
    if config.calibration == "temperature":
        if not valid.any():
            raise ConfigError("calibration", f"needs a validation part to fit on; the split "
                              f"of {dataset.source} leaves none (set `calibration` to none)")
        temperature = fit_temperature(model.piece_logits(dataset.rows(valid)), y[valid],
                                      multi_label=config.multi_label)
        model.net.temperature = temperature
        model.config["calibration"] = {"method": "temperature", "temperature": temperature,
                                       "fitted_on": "valid"}
    if config.multi_label:
        tuned = config.thresholds == "tuned" and valid.any()
        model.config["multi_label"].update(choose_thresholds(
            y[valid] > 0.5, model.predict_proba(dataset.rows(valid)) if tuned else None,
            how=config.thresholds))


def _build(dataset: FeatureDataset, name: str, labels: list[str], config: DeepTrainConfig,
           parts: np.ndarray, chunk: int | None) -> DeepGenreModel:
    sample, _ = to_pieces(np.asarray(dataset.X[:1]), dataset.feature_config.set, chunk)
    norm = None
    if sample.ndim == 3:  # (features, frames) inputs: standardise each row on the train part
        norm = FrameStandardizer().fit(_piece_rows(dataset, parts == "train")[0])
    kwargs = {**network_kwargs(name, sample.shape[1:]), **_listed(config.network_params)}
    model_config = {"network": name, "network_kwargs": kwargs,
                    "chunk_frames": chunk, "n_norm": 0 if norm is None else len(norm.mean_),
                    "train": config.to_dict(), "data": dataset.source}
    if config.multi_label:
        model_config["multi_label"] = {  # the thresholds are chosen after training
            "labels": labels, **choose_thresholds(np.zeros((0, len(labels))), None,
                                                  how="seed")}
    torch.manual_seed(config.loop.seed)
    model = DeepGenreModel.build(model_config, labels, dataset.feature_config,
                                 config.loop.device)
    if norm is not None:
        model.net.norm.mean.copy_(torch.from_numpy(norm.mean_))
        model.net.norm.scale.copy_(torch.from_numpy(norm.scale_))
    return model


def _listed(params: dict) -> dict:
    """JSON's lists as tuples (``channels``), as the constructors' defaults are."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}


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
