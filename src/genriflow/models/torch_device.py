"""Where a network runs, and running it: device names (:mod:`genriflow.features.devices`,
which the feature networks share) and batched class probabilities."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

from genriflow.features.devices import DEVICES, resolve_device

__all__ = ["DEVICES", "predict_logits", "predict_proba", "resolve_device"]


def predict_proba(net: nn.Module, data: Tensor | Dataset, batch_size: int = 64,
                  device: str | torch.device = "auto") -> np.ndarray:
    """Softmax class probabilities, in eval mode and without gradients.

    Parameters
    ----------
    net : nn.Module
        Maps a batch to logits (batch, n_classes).
    data : Tensor, shape (n, ...), or Dataset
        A dataset may yield ``x`` or ``(x, y)``.
    batch_size : int
    device : str or torch.device

    Returns
    -------
    np.ndarray, float32, shape (n, n_classes)
        ``(0, 0)`` for empty data. The network is left on ``device``, in its previous mode.
    """
    device = resolve_device(device)
    was_training = net.training
    net.to(device).eval()
    chunks = []
    with torch.no_grad():
        for batch in _batches(data, batch_size):
            x = batch[0] if isinstance(batch, list | tuple) else batch
            chunks.append(torch.softmax(net(x.to(device)), dim=1).float().cpu().numpy())
    net.train(was_training)
    return np.concatenate(chunks) if chunks else np.zeros((0, 0), dtype=np.float32)


def predict_logits(net: nn.Module, data: Tensor, batch_size: int = 64,
                   device: str | torch.device = "auto") -> np.ndarray:
    """The network's raw outputs (logits), shape (n, n_classes), in eval mode and without
    gradients; the network is left on ``device``, in its previous mode."""
    device = resolve_device(device)
    was_training = net.training
    net.to(device).eval()
    with torch.no_grad():
        chunks = [net(x.to(device)).float().cpu().numpy() for x in _batches(data, batch_size)]
    net.train(was_training)
    return np.concatenate(chunks) if chunks else np.zeros((0, 0), dtype=np.float32)


def _batches(data: Tensor | Dataset, batch_size: int) -> Iterator:
    if isinstance(data, Tensor):
        return iter(data.split(batch_size))
    return iter(DataLoader(data, batch_size=batch_size, shuffle=False, num_workers=0))
