"""One entry point for training any model: classical pipelines or networks."""

from __future__ import annotations

import os

from genriflow.audio.errors import AudioError
from genriflow.datasets.splits import SplitConfig
from genriflow.features.dataset import from_audio, from_table
from genriflow.features.sets import FeatureConfig
from genriflow.models import NETWORK_NAMES


def is_network(model: str) -> bool:
    """Whether ``model`` names a network (``name`` or ``name@feature-set``)."""
    return model.partition("@")[0] in NETWORK_NAMES


def train_any(model: str, out: str | os.PathLike, data: str | os.PathLike | None = None,
              table: str | os.PathLike | None = None, split: SplitConfig | None = None,
              pca: int | None = None, epochs: int = 50, device: str = "auto",
              augment: str = "none", copies: int = 1, embeddings: str | None = None,
              store: str | os.PathLike | None = None, n_jobs: int | None = None,
              progress: bool = True) -> tuple[dict, list[AudioError]]:
    """Train ``model`` on audio (``data``) or a Kaggle feature table and write its folder.

    Parameters
    ----------
    model : str
        ``auto``, a classical model name (optionally ``@feature-set``, e.g.
        ``svm@msd-musicnn``), or a network (``shortchunk-cnn``, ``cs229-ffnn@cs229-raw``,
        ...). Networks and embeddings need audio, not a table.
    out : path
        The model folder.
    data, table : path
        Exactly one: labelled audio (folder or manifest) or a feature table CSV.
    split : SplitConfig
    pca : int or None
        Classical models only.
    epochs, device, augment, copies : networks only (see
        :class:`~genriflow.training.deep.DeepTrainConfig`).
    embeddings : str or None
        Classical models only: train the head on a pretrained network's embeddings
        (``msd-musicnn``, ``mtt-musicnn``, ``msd-vgg``, ``mtt-vgg``) instead of the GTZAN
        table features: transfer learning.
    store, n_jobs, progress : feature extraction.

    Returns
    -------
    metrics : dict
        What ``metrics.json`` holds.
    errors : list of AudioError
        Files that could not be used (also in the folder's ``errors.csv``).
    """
    split = split or SplitConfig()
    if (data is None) == (table is None):
        raise ValueError("give either DATA_DIR (audio) or --features CSV, not both or neither")
    if is_network(model):
        if embeddings:
            raise ValueError("--embeddings trains a classical head; networks take their "
                             "own input set (network@feature-set)")
        from genriflow.training.deep import (
            DeepTrainConfig,
            augmented_copies,
            train_network_to_folder,
        )
        from genriflow.training.loop import LoopConfig

        if table is not None:
            raise ValueError("networks learn from audio; give DATA_DIR, not --features")
        config = DeepTrainConfig(network=model, split=split, loop=LoopConfig(
            epochs=epochs, seed=split.seed, device=device), augment=augment, copies=copies)
        dataset = from_audio(data, config.feature_config(), store, n_jobs, progress)
        extra = augmented_copies(dataset, config, store, n_jobs, progress)
        result = train_network_to_folder(dataset, out, config, progress, extra)
        return result.metrics, dataset.errors
    from genriflow.training.classical import TrainConfig, train_to_folder

    name, feature_set = classical_spec(model, embeddings)
    if table is not None and feature_set != "kaggle":
        raise ValueError(f"{feature_set} features come from audio; give DATA_DIR, "
                         "not --features")
    config = TrainConfig(model=name, split=split, pca=pca, seed=split.seed)
    dataset = (from_table(table) if table is not None
               else from_audio(data, FeatureConfig(set=feature_set), store, n_jobs, progress))
    return train_to_folder(dataset, out, config).metrics, dataset.errors


def classical_spec(model: str, embeddings: str | None = None) -> tuple[str, str]:
    """``'svm@msd-musicnn'`` -> (model, feature set); the set defaults to ``embeddings``,
    else the GTZAN table (``kaggle``)."""
    name, _, feature_set = model.partition("@")
    if embeddings and feature_set and feature_set != embeddings:
        raise ValueError(f"{model!r} names features {feature_set!r} but --embeddings is "
                         f"{embeddings!r}")
    return name, feature_set or embeddings or "kaggle"
