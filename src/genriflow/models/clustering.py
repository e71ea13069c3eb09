"""Finding genres without labels: PCA + Gaussian mixture, k-means, an LSTM autoencoder.

Each method is a small estimator with scikit-learn's ``fit_predict(X) -> cluster ids``;
:func:`make_clusterer` builds one by name. ``X`` is what :mod:`genriflow.features` gives:
vectors (the GTZAN table, embeddings) or frame arrays (the ``genriflow-stack``), which the
vector methods flatten and the autoencoder reads as sequences.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.mixture import GaussianMixture
from torch import nn

from genriflow.models.transforms import FrameStandardizer, flatten, reduce_pca

#: Method names of ``genriflow cluster``.
CLUSTER_METHODS = ("pca-gmm", "kmeans", "lstm-autoencoder")


class PCAGaussianMixture(ClusterMixin, BaseEstimator):
    """The Genriflow author's unsupervised setup: flatten, PCA, one Gaussian per genre.

    Parameters
    ----------
    n_clusters : int
        One per genre (10 for GTZAN).
    n_components : int
        Principal components kept (at most ``n_samples - 1`` are used).
    seed : int
    log_columns : tuple of int
        Variance columns of a feature table, logged first.
    """

    def __init__(self, n_clusters: int = 10, n_components: int = 10, seed: int = 0,
                 log_columns: tuple[int, ...] = ()) -> None:
        self.n_clusters = n_clusters
        self.n_components = n_components
        self.seed = seed
        self.log_columns = log_columns

    def fit_predict(self, X, y=None) -> np.ndarray:
        X = flatten(X)
        self.pca_ = reduce_pca(min(self.n_components, *X.shape), self.seed,
                               self.log_columns)
        self.labels_ = np.asarray(self._cluster(self.pca_.fit_transform(X)))
        return self.labels_

    def _cluster(self, Z: np.ndarray) -> np.ndarray:
        self.mixture_ = GaussianMixture(self.n_clusters, covariance_type="full", n_init=5,
                                        random_state=self.seed).fit(Z)
        return self.mixture_.predict(Z)


class PCAKMeans(PCAGaussianMixture):
    """k-means on the same standardised principal components as :class:`PCAGaussianMixture`."""

    def _cluster(self, Z: np.ndarray) -> np.ndarray:
        self.kmeans_ = KMeans(self.n_clusters, n_init=10, random_state=self.seed).fit(Z)
        return self.kmeans_.labels_


class LSTMAutoencoder(nn.Module):
    """Sequence autoencoder: an LSTM encodes the frames into one code, another decodes it.

    The Genriflow author's third unsupervised attempt: the code of each clip is then reduced
    with PCA and clustered with k-means (:class:`LSTMAutoencoderClusterer`).

    Parameters
    ----------
    n_features : int
        Values per frame (166 for the ``genriflow-stack``).
    code_size : int
    """

    def __init__(self, n_features: int, code_size: int = 64) -> None:
        super().__init__()
        self.encoder = nn.LSTM(n_features, code_size, batch_first=True)
        self.decoder = nn.LSTM(code_size, code_size, batch_first=True)
        self.output = nn.Linear(code_size, n_features)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, frames, features) -> codes (batch, code_size): the last hidden state."""
        _, (hidden, _) = self.encoder(x)
        return hidden[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction of ``x``, shape (batch, frames, features)."""
        code = self.encode(x)
        repeated = code[:, None, :].expand(-1, x.shape[1], -1)
        decoded, _ = self.decoder(repeated)
        return self.output(decoded)


@dataclass(frozen=True)
class AutoencoderConfig:
    """Training of :class:`LSTMAutoencoder`: Adam, mean squared reconstruction error."""

    code_size: int = 64
    pool_frames: int = 16
    epochs: int = 30
    batch_size: int = 32
    lr: float = 1e-3


class LSTMAutoencoderClusterer(ClusterMixin, BaseEstimator):
    """Train an :class:`LSTMAutoencoder` on the clips, then k-means on PCA of the codes.

    Parameters
    ----------
    n_clusters : int
    n_components : int
        Principal components of the codes.
    seed : int
    config : AutoencoderConfig
        ``pool_frames`` consecutive frames are averaged first (1292 frames of a 30 s stack
        become 81 steps), which keeps the LSTM trainable on a CPU.
    """

    def __init__(self, n_clusters: int = 10, n_components: int = 10, seed: int = 0,
                 config: AutoencoderConfig | None = None) -> None:
        self.n_clusters = n_clusters
        self.n_components = n_components
        self.seed = seed
        self.config = config

    def fit_predict(self, X, y=None) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 3:
            raise ValueError("the LSTM autoencoder needs frame arrays (n, features, frames), "
                             f"got shape {X.shape}; use a frame feature set such as "
                             "genriflow-stack")
        config = self.config or AutoencoderConfig()
        sequences = _pool_frames(FrameStandardizer().fit_transform(X), config.pool_frames)
        torch.manual_seed(self.seed)
        self.autoencoder_ = LSTMAutoencoder(X.shape[1], config.code_size)
        self.losses_ = train_autoencoder(self.autoencoder_, sequences, config, self.seed)
        with torch.inference_mode():
            codes = self.autoencoder_.encode(torch.from_numpy(sequences)).numpy()
        self.codes_ = codes
        self.kmeans_ = PCAKMeans(self.n_clusters, self.n_components, self.seed)
        self.labels_ = self.kmeans_.fit_predict(codes)
        return self.labels_


def _pool_frames(X: np.ndarray, pool: int) -> np.ndarray:
    """(n, features, frames) -> (n, frames // pool, features), means of ``pool`` frames."""
    steps = max(1, X.shape[2] // pool)
    pooled = X[:, :, : steps * pool].reshape(len(X), X.shape[1], steps, -1).mean(axis=3)
    return np.ascontiguousarray(pooled.transpose(0, 2, 1), dtype=np.float32)


def train_autoencoder(model: nn.Module, sequences: np.ndarray, config: AutoencoderConfig,
                      seed: int = 0) -> list[float]:
    """Minimise the reconstruction error; returns the mean loss of each epoch."""
    data = torch.from_numpy(sequences)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    generator = torch.Generator().manual_seed(seed)
    losses = []
    model.train()
    for _ in range(config.epochs):
        order = torch.randperm(len(data), generator=generator)
        total = 0.0
        for start in range(0, len(data), config.batch_size):
            batch = data[order[start:start + config.batch_size]]
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(batch), batch)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        losses.append(total / len(data))
    model.eval()
    return losses


def make_clusterer(method: str, n_clusters: int, seed: int = 0, n_components: int = 10,
                   log_columns: tuple[int, ...] = ()) -> ClusterMixin:
    """Build a clustering method by name (one of :data:`CLUSTER_METHODS`)."""
    if method == "pca-gmm":
        return PCAGaussianMixture(n_clusters, n_components, seed, log_columns)
    if method == "kmeans":
        return PCAKMeans(n_clusters, n_components, seed, log_columns)
    if method == "lstm-autoencoder":
        return LSTMAutoencoderClusterer(n_clusters, n_components, seed)
    raise ValueError(f"unknown clustering method {method!r}; choose from "
                     f"{', '.join(CLUSTER_METHODS)}")
