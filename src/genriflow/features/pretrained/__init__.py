"""Pretrained networks ported from other projects, with their original weights.

:mod:`~genriflow.features.pretrained.musicnn` holds the musicnn taggers (Pons & Serra 2019),
read from the ``musicnn`` package's TensorFlow checkpoints by
:mod:`~genriflow.features.pretrained.tf_checkpoint`, without TensorFlow.
"""

from genriflow.features.pretrained.musicnn import (
    MSD_TAGS,
    MTT_TAGS,
    PRETRAINED,
    VGG,
    MusiCNN,
    MusicnnNet,
    extract,
    forward,
    load_pretrained,
    musicnn_log_mel,
    to_patches,
)
from genriflow.features.pretrained.tf_checkpoint import read_checkpoint

__all__ = [
    "MSD_TAGS",
    "MTT_TAGS",
    "PRETRAINED",
    "VGG",
    "MusiCNN",
    "MusicnnNet",
    "extract",
    "forward",
    "load_pretrained",
    "musicnn_log_mel",
    "read_checkpoint",
    "to_patches",
]
