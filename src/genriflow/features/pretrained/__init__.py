"""Pretrained networks ported from other projects, with their original weights.

:mod:`~genriflow.features.pretrained.musicnn` holds the musicnn taggers (Pons & Serra 2019),
their weights shipped inside genriflow as safetensors
(:mod:`~genriflow.features.pretrained.weights`), converted once from the ``musicnn``
package's TensorFlow checkpoints by ``tools/convert_musicnn.py``, and exported to ONNX by
``tools/export_onnx.py`` (:mod:`~genriflow.features.pretrained.onnx_runtime`);
:mod:`~genriflow.features.pretrained.backend` chooses which runtime runs them.

Each name is imported on first use: the ONNX Runtime path never imports torch.
"""
# ruff: noqa: F401 (the TYPE_CHECKING imports below only name what lazy_loader serves)

from __future__ import annotations

from typing import TYPE_CHECKING

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "musicnn": ["VGG", "MusiCNN", "MusicnnNet", "extract", "forward"],
        "preprocessing": ["musicnn_log_mel", "to_patches"],
        "weights": ["MSD_TAGS", "MTT_TAGS", "PRETRAINED", "load_pretrained"],
    },
)

if TYPE_CHECKING:  # for type checkers and editors: the names lazy_loader serves
    from genriflow.features.pretrained.musicnn import VGG, MusiCNN, MusicnnNet, extract, forward
    from genriflow.features.pretrained.preprocessing import musicnn_log_mel, to_patches
    from genriflow.features.pretrained.weights import (
        MSD_TAGS,
        MTT_TAGS,
        PRETRAINED,
        load_pretrained,
    )
