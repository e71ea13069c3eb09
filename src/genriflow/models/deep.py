"""A trained network with what it needs to classify clips: input scaling and chunking.

A clip's feature array becomes one or more network inputs ("pieces"), whose probabilities
are averaged into the clip's:

* ``cs229-mel`` / ``cs229-raw`` clips hold four 2 s windows: each window is a piece;
* ``log-mel`` clips (any length) are cut into ``chunk_frames`` crops (3 s for
  ``shortchunk-cnn``): each crop is a piece;
* every other set is one piece per clip.

Shares its name with :mod:`genriflow.training.deep` on purpose: the model here, its
fitting there (as for ``classical`` and ``clustering``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import ClassVar

import numpy as np
import safetensors.torch
import torch
from scipy.special import expit, softmax
from torch import Tensor, nn

from genriflow.features.sets import FeatureConfig
from genriflow.models.base import GenreClassifier
from genriflow.models.networks import build_network
from genriflow.models.torch_device import predict_logits

#: Feature sets whose clips hold several windows along their first axis.
WINDOWED_SETS = ("cs229-mel", "cs229-raw")


class InputNorm(nn.Module):
    """Per-row standardisation of (features, frames) inputs, fitted on the training split.

    The Genriflow project's scaling of its stack, applied to every 2-D input (mel bands
    are rows too) so that networks see unit-scale values whatever the feature's units.

    Buffers ``mean`` and ``scale`` of shape (n_features,) travel in the weights file;
    with ``n_features=0`` the module is the identity.
    """

    def __init__(self, n_features: int = 0) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("scale", torch.ones(n_features))

    def forward(self, x: Tensor) -> Tensor:
        if self.mean.numel() == 0:
            return x
        return (x - self.mean[:, None]) / self.scale[:, None]


class GenreNet(nn.Module):
    """What is saved: the input scaling followed by the network (logits out).

    ``temperature`` divides the logits (temperature scaling, fitted on the validation part
    after training, see :mod:`genriflow.training.calibration`); it is a plain number kept
    in ``config.json``, so the weights file holds the trained tensors only.
    """

    def __init__(self, network: nn.Module, n_norm: int = 0, temperature: float = 1.0) -> None:
        super().__init__()
        self.norm = InputNorm(n_norm)
        self.network = network
        self.temperature = float(temperature)

    def forward(self, x: Tensor) -> Tensor:
        logits = self.network(self.norm(x))
        return logits if self.temperature == 1.0 else logits / self.temperature


def to_pieces(X: np.ndarray, feature_set: str, chunk_frames: int | None) -> tuple[np.ndarray,
                                                                                  np.ndarray]:
    """Network inputs of clips, and for each the index of its clip.

    Parameters
    ----------
    X : np.ndarray, shape (n_clips, *set_shape)
    feature_set : str
    chunk_frames : int or None
        Crop length of ``log-mel`` clips (the last axis); ``None``: whole clips.

    Returns
    -------
    pieces : np.ndarray, shape (n_pieces, *input_shape)
    clip : np.ndarray of int, shape (n_pieces,)
    """
    n = len(X)
    if feature_set in WINDOWED_SETS:
        per = X.shape[1]
        return X.reshape(n * per, *X.shape[2:]), np.repeat(np.arange(n), per)
    if chunk_frames is None or X.shape[-1] <= chunk_frames:
        return X, np.arange(n)
    per = X.shape[-1] // chunk_frames
    crops = X[..., : per * chunk_frames].reshape(*X.shape[:-1], per, chunk_frames)
    crops = np.moveaxis(crops, -2, 1)
    return crops.reshape(n * per, *X.shape[1:-1], chunk_frames), np.repeat(np.arange(n), per)


@dataclass(repr=False)  # GenreClassifier's: short, without the arrays
class DeepGenreModel(GenreClassifier):
    """A network genre classifier.

    Attributes
    ----------
    net : GenreNet
    labels : list of str
    feature_config : FeatureConfig
    config : dict
        ``network``, ``network_kwargs``, ``chunk_frames``, ``n_norm`` and the training
        settings, as saved in ``config.json``.
    device : str
        Where :meth:`predict_proba` runs (see :data:`~genriflow.models.torch_device.DEVICES`).
    """

    net: GenreNet
    labels: list[str]
    feature_config: FeatureConfig
    config: dict = field(default_factory=dict)
    device: str = "auto"
    kind: ClassVar[str] = "torch"
    weights_file: ClassVar[str] = "model.safetensors"

    def write_weights(self, path: Path) -> None:
        """The weights and input scaling as plain tensors (safetensors, no pickle)."""
        safetensors.torch.save_model(self.net, str(path))

    @classmethod
    def build(cls, config: dict, labels: list[str], feature_config: FeatureConfig,
              device: str = "auto") -> DeepGenreModel:
        """An untrained model from its configuration (the inverse of saving it)."""
        network = build_network(config["network"], len(labels), **config["network_kwargs"])
        temperature = config.get("calibration", {}).get("temperature", 1.0)
        return cls(GenreNet(network, config.get("n_norm", 0), temperature), labels,
                   feature_config, config, device)

    def _batches(self, X: np.ndarray, batch_size: int
                 ) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
        """For each batch of clips: its first row, its number of clips, the clip of each
        piece and the pieces' logits (temperature applied). Clips are read batch by batch:
        X may be a memory map or lazy rows larger than RAM."""
        for start in range(0, len(X), batch_size):
            clips = np.asarray(X[start:start + batch_size], dtype=np.float32)
            pieces, clip = to_pieces(clips, self.feature_config.set,
                                     self.config.get("chunk_frames"))
            # a view of a read-only memory map (the feature store) is copied: torch warns
            # of tensors over memory it may not write
            pieces = np.require(pieces, requirements=["C_CONTIGUOUS", "WRITEABLE"])
            logits = predict_logits(self.net, torch.from_numpy(pieces), batch_size,
                                    self.device)
            yield start, len(clips), clip, logits.astype(np.float64)

    def _clip_means(self, X: np.ndarray, batch_size: int, of) -> np.ndarray:
        """``of(piece logits)`` averaged over each clip's pieces, shape (n_clips, n_labels)."""
        out = np.zeros((len(X), len(self.labels)))
        for start, n, clip, logits in self._batches(X, batch_size):
            sums = np.zeros((n, len(self.labels)))
            np.add.at(sums, clip, of(logits))
            out[start:start + n] = sums / np.bincount(clip, minlength=n)[:, None]
        return out

    def piece_logits(self, X: np.ndarray, *, batch_size: int = 64) -> list[np.ndarray]:
        """Each clip's logits, one row per piece (before any temperature), for fitting a
        calibration: a list of arrays of shape (n_pieces_i, n_labels)."""
        return [logits[clip == i] * self.net.temperature
                for _, n, clip, logits in self._batches(X, batch_size) for i in range(n)]

    def predict_proba(self, X: np.ndarray, *, batch_size: int = 64) -> np.ndarray:
        """Class probabilities of clips, shape (n_clips, n_labels), pieces averaged (each
        genre's sigmoid on its own for a multi-label network)."""
        return self._clip_means(X, batch_size, expit if self.multi_label
                                else partial(softmax, axis=1))

    def logits(self, X: np.ndarray, *, batch_size: int = 64) -> np.ndarray:
        """Class logits of clips, shape (n_clips, n_labels): the pieces' logits averaged
        (for the ``energy`` unknown-genre score, :mod:`genriflow.models.reject`)."""
        return self._clip_means(X, batch_size, lambda z: z)
