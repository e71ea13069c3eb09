r"""The pretrained musicnn taggers, ported to PyTorch with their original weights: run them.

musicnn (Pons & Serra, "musicnn: pre-trained convolutional neural networks for music audio
tagging", ISMIR 2019 late-breaking demo; PyPI ``musicnn==0.1.0``, ISC licence) trained a
musically motivated CNN and a VGG-like baseline, each on MagnaTagATune (MTT) and on the
Million Song Dataset (MSD), 50 tags each. The port is split by job:

* :mod:`~genriflow.features.pretrained.preprocessing`: the input, log-mel and 3 s patches;
* :mod:`~genriflow.features.pretrained.architectures`: the networks as ``nn.Module``\ s;
* :mod:`~genriflow.features.pretrained.weights`: the converted weights shipped inside
  genriflow, loaded once a process (``tools/convert_musicnn.py`` made them);
* this module: taggram and embeddings of waveforms and patches (:func:`extract`,
  :func:`forward`), and the port's public names in one place.

``tests/models/test_musicnn.py`` checks the outputs against the original's, recorded by
``tools/musicnn_reference.py``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from genriflow.features.pretrained.architectures import VGG, MusiCNN, MusicnnNet
from genriflow.features.pretrained.preprocessing import (
    HOP_LENGTH,
    N_FFT,
    N_FRAMES,
    N_MELS,
    SR,
    musicnn_log_mel,
    to_patches,
)
from genriflow.features.pretrained.weights import (
    MSD_TAGS,
    MTT_TAGS,
    PRETRAINED,
    PretrainedSpec,
    load_pretrained,
)

__all__ = [
    "HOP_LENGTH",
    "MSD_TAGS",
    "MTT_TAGS",
    "N_FFT",
    "N_FRAMES",
    "N_MELS",
    "PRETRAINED",
    "SR",
    "VGG",
    "MusiCNN",
    "MusicnnNet",
    "PretrainedSpec",
    "extract",
    "forward",
    "load_pretrained",
    "musicnn_log_mel",
    "to_patches",
]


def extract(y: np.ndarray, model: MusicnnNet, batch_size: int = 2,
            intermediate: bool = False) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Taggram and features of a waveform, one row per non-overlapping 3 s patch.

    What ``musicnn.extractor.extractor(file, model, input_length=3)`` returns, for a
    waveform already at 16 kHz and with short audio padded (see :func:`to_patches`).

    Parameters
    ----------
    y : numpy.ndarray
        Mono waveform (samples,) at 16 kHz.
    model : MusicnnNet
        From :func:`load_pretrained` (in eval mode).
    batch_size, intermediate
        As for :func:`forward`.

    Returns
    -------
    taggram : numpy.ndarray
        (n_patches, n_tags) tag probabilities.
    features : dict[str, numpy.ndarray]
        MusiCNN: ``mean_pool``, ``max_pool`` (n_patches, 753), ``penultimate``
        (n_patches, 200); VGG: ``pool5`` (n_patches, 256); float32.
    """
    return forward(to_patches(musicnn_log_mel(y)), model, batch_size, intermediate)


def forward(patches: np.ndarray, model: MusicnnNet, batch_size: int = 2,
            intermediate: bool = False) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Taggram and features of log-mel patches, one row per patch.

    Parameters
    ----------
    patches : numpy.ndarray
        (n_patches, 187, 96), as :func:`to_patches` makes.
    model : MusicnnNet
        From :func:`load_pretrained` (in eval mode), or a copy of it moved to a GPU: the
        patches go to the network's device, the results come back to the CPU.
    batch_size : int
        Patches per forward pass. Small batches are fastest on a CPU: the front end's
        feature maps of one or two patches stay in cache (``benchmarks/pretrained.py``; 60
        patches took 1.2 s in batches of 2 against 1.9 s in one batch of 60 on 2 cores;
        one thread, loaded machine: 87 ms a patch in batches of 2, 117 ms in batches of 12).
    intermediate : bool
        Also return the intermediate maps (see :class:`MusiCNN`, :class:`VGG`).

    Returns
    -------
    taggram, features
        As for :func:`extract`.
    """
    n = len(patches)
    # Every pass has exactly ``batch_size`` patches (a short last one is padded): the
    # convolutions' rounding depends on the batch's size, so a patch's numbers depend on
    # how many others it was analysed with only in their last bits (its place in a pair).
    padded = np.zeros((-n % batch_size, *patches.shape[1:]), np.float32)
    patches = np.concatenate([np.asarray(patches, np.float32), padded])
    device = next(model.parameters()).device  # the batches go where the network is
    chunks: list[dict[str, Tensor]] = []
    with torch.inference_mode():
        for start in range(0, len(patches), batch_size):
            batch = torch.from_numpy(np.ascontiguousarray(patches[start : start + batch_size]))
            chunks.append(model.features(batch.to(device), intermediate=intermediate))
    features = {key: np.concatenate([c[key].cpu().numpy() for c in chunks])[:n]
                for key in chunks[0]}
    return features.pop("taggram"), features
