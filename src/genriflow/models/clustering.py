"""Finding genres without labels: PCA + Gaussian mixture, k-means, an LSTM autoencoder.

The vector methods are small estimators with scikit-learn's ``fit_predict(X) -> cluster
ids``; ``X`` is what :mod:`genriflow.features` gives: vectors (the GTZAN table, embeddings)
or frame arrays (the ``genriflow-stack``), which they flatten. The autoencoder is a plain
network over frame sequences (:func:`pool_frames`); it is trained, and its codes
clustered, by :class:`genriflow.training.clustering.LSTMAutoencoderClusterer`.

The name is shared with :mod:`genriflow.training.clustering` on purpose, as
``models/classical.py`` and ``training/classical.py`` share theirs: the estimators here,
their fitting there.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.mixture import GaussianMixture
from torch import nn

from genriflow.models.transforms import flatten, reduce_pca


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

    def fit(self, X, y=None) -> PCAGaussianMixture:
        """Cluster ``X`` and keep ``labels_``: scikit-learn's ``fit``, without which
        ``check_is_fitted`` raised a TypeError and ``fit`` an AttributeError."""
        self.fit_predict(X)
        return self

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
    with PCA and clustered with k-means
    (:class:`~genriflow.training.clustering.LSTMAutoencoderClusterer`).

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


def pool_frames(X: np.ndarray, pool: int) -> np.ndarray:
    """(n, features, frames) -> (n, frames // pool, features), means of ``pool`` frames."""
    steps = max(1, X.shape[2] // pool)
    pooled = X[:, :, : steps * pool].reshape(len(X), X.shape[1], steps, -1).mean(axis=3)
    return np.ascontiguousarray(pooled.transpose(0, 2, 1), dtype=np.float32)

