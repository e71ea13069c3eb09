"""Pretrained networks ported from other projects, with their original weights.

:mod:`~genriflow.models.pretrained.musicnn` holds the musicnn taggers (Pons & Serra 2019),
read from the ``musicnn`` package's TensorFlow checkpoints by
:mod:`~genriflow.models.pretrained.tf_checkpoint`, without TensorFlow.
"""

from genriflow.models.pretrained.musicnn import (
    MSD_TAGS,
    MTT_TAGS,
    PRETRAINED,
    VGG,
    MusiCNN,
    MusicnnNet,
    extract,
    load_pretrained,
    musicnn_log_mel,
    to_patches,
)
from genriflow.models.pretrained.tf_checkpoint import read_checkpoint

__all__ = [
    "MSD_TAGS",
    "MTT_TAGS",
    "PRETRAINED",
    "VGG",
    "MusiCNN",
    "MusicnnNet",
    "extract",
    "load_pretrained",
    "musicnn_log_mel",
    "read_checkpoint",
    "to_patches",
]
