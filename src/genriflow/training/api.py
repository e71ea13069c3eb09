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
              augment: str = "none", copies: int = 1,
              store: str | os.PathLike | None = None, n_jobs: int | None = None,
              progress: bool = True) -> tuple[dict, list[AudioError]]:
    """Train ``model`` on audio (``data``) or a Kaggle feature table and write its folder.

    Parameters
    ----------
    model : str
        ``auto``, a classical model name, or a network (``shortchunk-cnn``,
        ``cs229-ffnn@cs229-raw``, ...). Networks need audio, not a table.
    out : path
        The model folder.
    data, table : path
        Exactly one: labelled audio (folder or manifest) or a feature table CSV.
    split : SplitConfig
    pca : int or None
        Classical models only.
    epochs, device, augment, copies : networks only (see
        :class:`~genriflow.training.deep.DeepTrainConfig`).
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

    config = TrainConfig(model=model, split=split, pca=pca, seed=split.seed)
    dataset = (from_table(table) if table is not None
               else from_audio(data, FeatureConfig(), store, n_jobs, progress))
    return train_to_folder(dataset, out, config).metrics, dataset.errors
