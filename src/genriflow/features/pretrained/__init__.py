"""Pretrained networks ported from other projects, with their original weights.

:mod:`~genriflow.features.pretrained.musicnn` holds the musicnn taggers (Pons & Serra 2019),
their weights shipped inside genriflow as safetensors
(:mod:`~genriflow.features.pretrained.weights`), converted once from the ``musicnn``
package's TensorFlow checkpoints by ``tools/convert_musicnn.py``.
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
    "to_patches",
]
