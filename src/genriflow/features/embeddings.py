"""Feature sets from the pretrained musicnn networks: one analysis, read as tags and embeddings.

``musicnn`` is the combined analysis of a 3 s patch (the networks' own input): one forward
pass of MSD musicnn and one of MTT musicnn give both taggers' tag probabilities and every
embedding layer of both, :data:`ANALYSIS_SIZE` values stored as one feature-store entry.
The sets people ask for are read from it without running a network again:

* ``musicnn-tags``: the 50 MSD tags then the 50 MTT tags (zero-shot genres, ``--tags``);
* ``msd-musicnn``, ``mtt-musicnn``: one embedding layer (``max_pool`` by default, 753
  values; ``mean_pool``, ``penultimate``).

``msd-vgg`` and ``mtt-vgg`` run their own networks (``pool5``, 256 values). Every one of
these sets analyses a song patch by patch (see :mod:`genriflow.features.sampling`); a
window longer than a patch gives the mean over its patches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from genriflow.errors import one_of

if TYPE_CHECKING:
    from genriflow.features.pretrained.musicnn import MusicnnNet
    from genriflow.features.spectra import Spectra  # librosa, SciPy: not to name a set

#: The networks' sample rate (``musicnn.SR``; kept here so that naming a set never imports
#: torch; ``tests/features/test_embeddings.py`` checks them against the port).
NETWORK_SR = 16000
#: One input patch: 187 frames of 256 samples at 16 kHz (``N_FRAMES * HOP_LENGTH / SR``).
PATCH_SECONDS = 187 * 256 / NETWORK_SR

#: Embedding sets, named after the pretrained model they come from.
EMBEDDING_MODELS = ("msd-musicnn", "mtt-musicnn", "msd-vgg", "mtt-vgg")
#: Layers an embedding can be taken from, by architecture, with their sizes.
EMBEDDING_LAYERS = {"musicnn": {"max_pool": 753, "mean_pool": 753, "penultimate": 200},
                    "vgg": {"pool5": 256}}
#: The models behind ``musicnn-tags`` (and the combined analysis), in the order of their tags.
TAG_MODELS = ("msd-musicnn", "mtt-musicnn")
N_TAGS = 100


def _layout() -> dict[tuple[str, str], slice]:
    """Where each part lies in the analysis: ``("tags", "")`` then (model, layer)."""
    parts = {("tags", ""): slice(0, N_TAGS)}
    start = N_TAGS
    for model in TAG_MODELS:
        for layer, size in EMBEDDING_LAYERS["musicnn"].items():
            parts[(model, layer)] = slice(start, start + size)
            start += size
    return parts


#: The combined analysis's parts: the 100 tags, then each layer of each musicnn model.
ANALYSIS_LAYOUT = _layout()
ANALYSIS_SIZE = max(part.stop for part in ANALYSIS_LAYOUT.values())


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
    """The pretrained network ``name`` in PyTorch, loaded once per process (the feature
    sets run it through :func:`genriflow.features.pretrained.backend.run`)."""
    from genriflow.features.pretrained.musicnn import load_pretrained

    return load_pretrained(name)


def _patches(spectra: Spectra) -> np.ndarray:
    """The clip's input patches (n, 187, 96), computed once per clip."""
    from genriflow.features.pretrained.preprocessing import SR, musicnn_log_mel, to_patches

    return spectra._cached(("musicnn-patches",),
                           lambda: to_patches(musicnn_log_mel(spectra.at_rate(SR).y)))


def musicnn_analysis(spectra: Spectra, params: None = None) -> np.ndarray:
    """Tags and embedding layers of both musicnn models, averaged over the clip's patches.

    Returns
    -------
    analysis : np.ndarray, shape (ANALYSIS_SIZE,), float32
        Laid out as :data:`ANALYSIS_LAYOUT`: 50 MSD tags, 50 MTT tags, then MSD musicnn's
        ``max_pool``, ``mean_pool``, ``penultimate``, then MTT musicnn's.
    """
    return spectra._cached(("musicnn-analysis",), lambda: _analysis(_patches(spectra)))


def musicnn_analyses(spectra: Sequence[Spectra], params: None = None) -> list[np.ndarray]:
    """:func:`musicnn_analysis` of several windows, each network run once over all of
    their patches (in the forward pass's small batches, the fastest on a CPU).

    >>> import numpy as np
    >>> from genriflow.features.spectra import Spectra
    >>> rng = np.random.default_rng(0)
    >>> clips = [Spectra(rng.standard_normal(3 * NETWORK_SR).astype(np.float32) * 0.1,
    ...                  NETWORK_SR) for _ in range(3)]
    >>> together = musicnn_analyses(clips)
    >>> alone = [musicnn_analysis(Spectra(c.y, NETWORK_SR)) for c in clips]
    >>> all(np.allclose(a, b, atol=1e-6) for a, b in zip(together, alone))
    True
    """
    todo = [s for s in spectra if not s._holds(("musicnn-analysis",))]
    if todo:
        patches = [_patches(s) for s in todo]
        bounds = np.cumsum([0, *(len(p) for p in patches)])
        rows = _analysis_rows(np.concatenate(patches))
        for s, lo, hi in zip(todo, bounds[:-1], bounds[1:], strict=True):
            s._keep(("musicnn-analysis",), rows[lo:hi].mean(axis=0).astype(np.float32))
    return [musicnn_analysis(s) for s in spectra]


def _analysis(patches: np.ndarray) -> np.ndarray:
    return _analysis_rows(patches).mean(axis=0).astype(np.float32)


def _analysis_rows(patches: np.ndarray) -> np.ndarray:
    """Each patch's analysis (n_patches, ANALYSIS_SIZE): tags and layers of both models."""
    from genriflow.features.pretrained.backend import run

    outputs = {name: run(patches, name) for name in TAG_MODELS}
    parts = [outputs[name][0] for name in TAG_MODELS]
    parts += [outputs[model][1][layer]
              for model in TAG_MODELS for layer in EMBEDDING_LAYERS["musicnn"]]
    return np.concatenate(parts, axis=1)


def select_tags(analysis: np.ndarray, params: None = None) -> np.ndarray:
    """``musicnn-tags`` from the analysis: 100 tag probabilities in [0, 1], in the order of
    :func:`tag_names` (a view, no copy)."""
    return analysis[..., ANALYSIS_LAYOUT[("tags", "")]]


def select_layer(analysis: np.ndarray, params: EmbeddingParams) -> np.ndarray:
    """``msd-musicnn`` or ``mtt-musicnn`` from the analysis: ``params.layer`` of
    ``params.model`` (a view, no copy)."""
    return analysis[..., ANALYSIS_LAYOUT[(params.model, params.layer)]]


def embedding(spectra: Spectra, params: EmbeddingParams = EmbeddingParams()) -> np.ndarray:
    """A clip's embedding: ``params.layer`` of ``params.model`` averaged over its patches.

    The VGG sets' function; the musicnn models' embeddings are read from
    :func:`musicnn_analysis` (by :func:`select_layer`), computed here only when asked for
    directly.

    Returns
    -------
    embedding : np.ndarray, shape (n_values,), float32
    """
    if params.model in TAG_MODELS:
        return select_layer(musicnn_analysis(spectra), params)
    from genriflow.features.pretrained.backend import run

    _, features = run(_patches(spectra), params.model)
    return features[params.layer].mean(axis=0).astype(np.float32)


def musicnn_tags(spectra: Spectra, params: None = None) -> np.ndarray:
    """Mean tag probabilities of the clip: MSD musicnn's 50 tags, then MTT musicnn's 50.

    Returns
    -------
    tags : np.ndarray, shape (100,), float32, in [0, 1]
        In the order of :func:`tag_names`.
    """
    return select_tags(musicnn_analysis(spectra))


def tag_names() -> tuple[str, ...]:
    """Names of the ``musicnn-tags`` values, each prefixed by its source (``msd:rock``)."""
    from genriflow.features.pretrained.weights import MSD_TAGS, MTT_TAGS

    return (*(f"msd:{t}" for t in MSD_TAGS), *(f"mtt:{t}" for t in MTT_TAGS))
