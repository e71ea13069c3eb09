"""Feature sets from the pretrained musicnn networks: embeddings and tag probabilities.

``msd-musicnn``, ``mtt-musicnn``, ``msd-vgg`` and ``mtt-vgg`` give one embedding per clip:
a layer of the network (default musicnn's ``max_pool``, 753 values) averaged over the
clip's 3 s patches. ``musicnn-tags`` gives the mean tag probabilities of both musicnn
models, the 50 MSD tags then the 50 MTT tags, which zero-shot genres and ``predict --tags``
read.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from genriflow.errors import one_of
from genriflow.features.spectra import Spectra

if TYPE_CHECKING:
    from genriflow.features.pretrained.musicnn import MusicnnNet

#: Embedding sets, named after the pretrained model they come from.
EMBEDDING_MODELS = ("msd-musicnn", "mtt-musicnn", "msd-vgg", "mtt-vgg")
#: Layers an embedding can be taken from, by architecture.
EMBEDDING_LAYERS = {"musicnn": ("max_pool", "mean_pool", "penultimate"), "vgg": ("pool5",)}
#: The models behind ``musicnn-tags``, in the order of their tags.
TAG_MODELS = ("msd-musicnn", "mtt-musicnn")


@dataclass(frozen=True)
class EmbeddingParams:
    """Parameters of an embedding set.

    ``model`` is one of :data:`EMBEDDING_MODELS`; ``layer`` is ``max_pool``, ``mean_pool``
    (753 values) or ``penultimate`` (200) for musicnn, ``pool5`` (256) for the VGGs.
    """

    model: str = "msd-musicnn"
    layer: str = "max_pool"

    def __post_init__(self) -> None:
        one_of("model", self.model, EMBEDDING_MODELS)
        one_of("layer", self.layer, EMBEDDING_LAYERS[self.model.split("-")[1]])


@cache
def pretrained(name: str) -> MusicnnNet:
    """The pretrained network ``name``, loaded once per process (the feature engine runs
    these sets in the calling process, on torch's threads: see ``FeatureSet.in_process``)."""
    from genriflow.features.pretrained.musicnn import load_pretrained

    return load_pretrained(name)


def _outputs(spectra: Spectra, name: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    from genriflow.features.pretrained.musicnn import SR, extract

    # Memoised on the clip, so embeddings and tags of one model share one forward pass.
    return spectra._cached(("musicnn", name),
                           lambda: extract(spectra.at_rate(SR).y, pretrained(name)))


def embedding(spectra: Spectra, params: EmbeddingParams = EmbeddingParams()) -> np.ndarray:
    """A clip's embedding: ``params.layer`` of ``params.model`` averaged over its patches.

    Returns
    -------
    embedding : np.ndarray, shape (n_values,), float32
    """
    _, features = _outputs(spectra, params.model)
    return features[params.layer].mean(axis=0).astype(np.float32)


def musicnn_tags(spectra: Spectra, params: None = None) -> np.ndarray:
    """Mean tag probabilities of the clip: MSD musicnn's 50 tags, then MTT musicnn's 50.

    Returns
    -------
    tags : np.ndarray, shape (100,), float32, in [0, 1]
        In the order of :func:`tag_names`.
    """
    return np.concatenate([_outputs(spectra, name)[0].mean(axis=0)
                           for name in TAG_MODELS]).astype(np.float32)


def tag_names() -> tuple[str, ...]:
    """Names of the ``musicnn-tags`` values, each prefixed by its source (``msd:rock``)."""
    from genriflow.features.pretrained.musicnn import MSD_TAGS, MTT_TAGS

    return (*(f"msd:{t}" for t in MSD_TAGS), *(f"mtt:{t}" for t in MTT_TAGS))
