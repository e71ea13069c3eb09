"""Cluster a dataset without its labels: the methods by name, and the autoencoder's fit.

Named like :mod:`genriflow.models.clustering` because it is that module's training side:
the methods are defined there, fitted here, as :mod:`genriflow.training.classical` and
:mod:`genriflow.training.deep` fit :mod:`genriflow.models.classical` and
:mod:`genriflow.models.deep`.

Scoring the clusters against the labels is the workflows layer's
(:func:`genriflow.workflows.cluster_run.cluster`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, ClusterMixin
from torch.utils.data import TensorDataset

from genriflow.datasets.discover import DatasetError
from genriflow.errors import at_least, one_of
from genriflow.features.dataset import FeatureDataset
from genriflow.features.sets import feature_set
from genriflow.models.clustering import (
    LSTMAutoencoder,
    PCAGaussianMixture,
    PCAKMeans,
    pool_frames,
)
from genriflow.models.transforms import FrameStandardizer, variance_columns
from genriflow.training.cluster_config import CLUSTER_METHODS as CLUSTER_METHODS
from genriflow.training.cluster_config import ClusterConfig as ClusterConfig
from genriflow.training.loop import LoopConfig, fit


@dataclass(frozen=True)
class AutoencoderConfig:
    """Training of :class:`~genriflow.models.clustering.LSTMAutoencoder` through
    :func:`genriflow.training.loop.fit`: Adam, mean squared reconstruction error.

    ``epochs``, ``batch_size`` and ``lr`` are checked as :class:`LoopConfig` checks them.
    """

    code_size: int = 64
    pool_frames: int = 16
    epochs: int = 30
    batch_size: int = 32
    lr: float = 1e-3

    def __post_init__(self) -> None:
        at_least("code_size", self.code_size, 1)
        at_least("pool_frames", self.pool_frames, 1)

    def loop(self, seed: int) -> LoopConfig:
        """The loop's configuration: no class weights, on the CPU (LSTMs of a few clips
        gain nothing from a GPU, and the CPU keeps the fit deterministic)."""
        return LoopConfig(epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
                          class_weights=False, seed=seed, device="cpu")


class LSTMAutoencoderClusterer(ClusterMixin, BaseEstimator):
    """Train an LSTM autoencoder on the clips, then k-means on PCA of the codes.

    Parameters
    ----------
    n_clusters : int
    n_components : int
        Principal components of the codes.
    seed : int
    config : AutoencoderConfig
        ``pool_frames`` consecutive frames are averaged first (1292 frames of a 30 s stack
        become 81 steps), which keeps the LSTM trainable on a CPU.

    Attributes
    ----------
    autoencoder_ : LSTMAutoencoder
    losses_ : list of float
        Mean squared reconstruction error of each epoch.
    codes_ : np.ndarray, shape (n, code_size)
    kmeans_ : PCAKMeans
    labels_ : np.ndarray of int
    """

    def __init__(self, n_clusters: int = 10, n_components: int = 10, seed: int = 0,
                 config: AutoencoderConfig | None = None) -> None:
        self.n_clusters = n_clusters
        self.n_components = n_components
        self.seed = seed
        self.config = config

    def fit(self, X, y=None) -> LSTMAutoencoderClusterer:
        """Train and cluster ``X`` (scikit-learn's ``fit``: ``labels_`` kept)."""
        self.fit_predict(X)
        return self

    def fit_predict(self, X, y=None) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 3:
            raise DatasetError("the LSTM autoencoder needs frame arrays (n, features, "
                               f"frames), got shape {X.shape}; use a frame feature set such "
                               "as genriflow-stack")
        config = self.config or AutoencoderConfig()
        sequences = torch.from_numpy(pool_frames(FrameStandardizer().fit_transform(X),
                                                 config.pool_frames))
        torch.manual_seed(self.seed)
        self.autoencoder_ = LSTMAutoencoder(X.shape[1], config.code_size)
        history = fit(self.autoencoder_, TensorDataset(sequences), None, None,
                      config.loop(self.seed), loss="reconstruction")
        self.losses_ = history.train_loss
        with torch.inference_mode():
            self.codes_ = self.autoencoder_.encode(sequences).numpy()
        self.kmeans_ = PCAKMeans(self.n_clusters, self.n_components, self.seed)
        self.labels_ = self.kmeans_.fit_predict(self.codes_)
        return self.labels_


def make_clusterer(method: str, n_clusters: int, *, seed: int = 0, n_components: int = 10,
                   log_columns: tuple[int, ...] = ()) -> ClusterMixin:
    """Build a clustering method by name (one of :data:`CLUSTER_METHODS`)."""
    one_of("method", method, CLUSTER_METHODS)
    if method == "pca-gmm":
        return PCAGaussianMixture(n_clusters, n_components, seed, log_columns)
    if method == "kmeans":
        return PCAKMeans(n_clusters, n_components, seed, log_columns)
    return LSTMAutoencoderClusterer(n_clusters, n_components, seed)


def log_columns(dataset: FeatureDataset) -> tuple[int, ...]:
    """The variance columns of the dataset's feature set, which the methods log first."""
    columns = feature_set(dataset.feature_config.set).column_names(dataset.feature_config)
    return variance_columns(columns or ())


def assign_clusters(dataset: FeatureDataset, config: ClusterConfig | None = None
                    ) -> pd.DataFrame:
    """Run every method of ``config`` on ``dataset``; its labels only set the default
    number of clusters.

    Returns
    -------
    pandas.DataFrame
        ``path``, ``label`` and one column of cluster ids per method, rows as
        ``dataset.frame``.

    Raises
    ------
    DatasetError
        With fewer than 3 items.
    """
    config = config or ClusterConfig()
    if len(dataset.y) < 3:
        raise DatasetError(f"{dataset.source}: clustering needs at least 3 items, "
                           f"got {len(dataset.y)}")
    n_clusters = config.n_clusters or len(np.unique(dataset.y))
    columns = log_columns(dataset)
    assignments = dataset.frame[["path", "label"]].copy()
    for method in config.methods:
        clusterer = make_clusterer(method, n_clusters, seed=config.seed,
                                   n_components=config.n_components, log_columns=columns)
        assignments[method] = clusterer.fit_predict(dataset.X)
    return assignments
