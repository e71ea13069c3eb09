"""The musicnn taggers' weights: shipped inside genriflow as safetensors, loaded once.

``tools/convert_musicnn.py`` converted the four TensorFlow checkpoints of the PyPI package
``musicnn==0.1.0`` (Pons & Serra 2019, ISC licence) once; the results lie in
``musicnn-weights/`` beside this module, with the package's licence notice
(``LICENSE-musicnn``) and their provenance (``provenance.json``: source checkpoints, sha256
of every file). At run time genriflow reads only those files: no TensorFlow checkpoint,
no ``musicnn`` package, no download.

:func:`load_pretrained` builds a network the first time a process asks for it and hands
the same one to every later caller. Its weights are the file's pages, memory-mapped
copy-on-write (:func:`read_weights`): nothing is copied, and the worker processes of one
machine share one copy of them in the page cache.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

from genriflow.errors import one_of

if TYPE_CHECKING:
    from torch import Tensor

    from genriflow.features.pretrained.architectures import MusicnnNet

__all__ = [
    "MSD_TAGS",
    "MTT_TAGS",
    "PRETRAINED",
    "WEIGHTS_DIR",
    "PretrainedSpec",
    "build_network",
    "load_pretrained",
    "read_weights",
    "weights_path",
]

#: musicnn's ``configuration.MTT_LABELS``, in output order.
MTT_TAGS: tuple[str, ...] = (
    "guitar", "classical", "slow", "techno", "strings", "drums", "electronic", "rock",
    "fast", "piano", "ambient", "beat", "violin", "vocal", "synth", "female", "indian",
    "opera", "male", "singing", "vocals", "no vocals", "harpsichord", "loud", "quiet",
    "flute", "woman", "male vocal", "no vocal", "pop", "soft", "sitar", "solo", "man",
    "classic", "choir", "voice", "new age", "dance", "male voice", "female vocal", "beats",
    "harp", "cello", "no voice", "weird", "country", "metal", "female voice", "choral",
)
#: musicnn's ``configuration.MSD_LABELS``, in output order.
MSD_TAGS: tuple[str, ...] = (
    "rock", "pop", "alternative", "indie", "electronic", "female vocalists", "dance", "00s",
    "alternative rock", "jazz", "beautiful", "metal", "chillout", "male vocalists",
    "classic rock", "soul", "indie rock", "Mellow", "electronica", "80s", "folk", "90s",
    "chill", "instrumental", "punk", "oldies", "blues", "hard rock", "ambient", "acoustic",
    "experimental", "female vocalist", "guitar", "Hip-Hop", "70s", "party", "country",
    "easy listening", "sexy", "catchy", "funk", "electro", "heavy metal", "Progressive rock",
    "60s", "rnb", "indie pop", "sad", "House", "happy",
)

#: The folder of the shipped weights, their licence notice and provenance.
WEIGHTS_DIR = Path(__file__).with_name("musicnn-weights")


class PretrainedSpec(NamedTuple):
    """A pretrained network: where its weights came from, its architecture and tags."""

    checkpoint: str  #: folder of the source checkpoint inside the ``musicnn`` package
    architecture: Literal["musicnn", "vgg"]
    tags: tuple[str, ...]


PRETRAINED: dict[str, PretrainedSpec] = {
    "mtt-musicnn": PretrainedSpec("MTT_musicnn", "musicnn", MTT_TAGS),
    "msd-musicnn": PretrainedSpec("MSD_musicnn", "musicnn", MSD_TAGS),
    "mtt-vgg": PretrainedSpec("MTT_vgg", "vgg", MTT_TAGS),
    "msd-vgg": PretrainedSpec("MSD_vgg", "vgg", MSD_TAGS),
}

_LOADED: dict[str, MusicnnNet] = {}
_LOCK = threading.Lock()


def _spec(name: str) -> PretrainedSpec:
    return PRETRAINED[one_of("model", name, sorted(PRETRAINED))]


def weights_path(name: str) -> Path:
    """The shipped weights of the network ``name`` (``musicnn-weights/<name>.safetensors``).

    Raises
    ------
    ValueError
        For a name not in :data:`PRETRAINED`.
    """
    _spec(name)
    return WEIGHTS_DIR / f"{name}.safetensors"


def read_weights(path: Path) -> dict[str, Tensor]:
    """The tensors of a safetensors file, memory-mapped (copy-on-write), not copied.

    Parameters
    ----------
    path : Path
        A safetensors file.

    Returns
    -------
    dict[str, Tensor]
        Name -> CPU tensor whose storage is the file's mapping.

    Raises
    ------
    FileNotFoundError
        If the file is missing (a broken installation).
    ValueError
        ``"<path>: unreadable weights (<reason>)"`` if it is not a safetensors file.
    """
    import safetensors
    import safetensors.torch

    if not path.is_file():
        raise FileNotFoundError(f"{path}: the weights are missing from this installation "
                                "of genriflow; reinstall it")
    try:
        return safetensors.torch.load_file(path)
    except (OSError, safetensors.SafetensorError) as exc:
        raise ValueError(f"{path}: unreadable weights ({exc})") from None


def build_network(name: str, state: dict[str, Tensor]) -> MusicnnNet:
    """The network ``name`` holding ``state``'s tensors themselves, in eval mode.

    The network is made on PyTorch's ``meta`` device (no memory, no random start) and
    takes the tensors as its parameters and buffers (``load_state_dict(assign=True)``):
    memory-mapped weights stay mapped. Gradients are off: the network is shared.

    Parameters
    ----------
    name : str
        One of :data:`PRETRAINED`.
    state : dict[str, Tensor]
        A complete state dict of the network (:func:`read_weights`).

    Returns
    -------
    MusicnnNet
        A :class:`~genriflow.features.pretrained.architectures.MusiCNN` or
        :class:`~genriflow.features.pretrained.architectures.VGG`, with ``.tags`` and
        ``.name`` set.

    Raises
    ------
    ValueError
        For an unknown name, or a state dict that does not fit the network (a missing,
        extra or misshapen tensor).
    """
    import torch

    from genriflow.features.pretrained.architectures import VGG, MusiCNN

    spec = _spec(name)
    cls = MusiCNN if spec.architecture == "musicnn" else VGG
    with torch.device("meta"):
        model = cls(len(spec.tags))
    try:
        model.load_state_dict(state, strict=True, assign=True)
    except RuntimeError as exc:
        raise ValueError(f"{name}: the weights do not fit the network ({exc})") from None
    model.tags, model.name = spec.tags, name
    return model.requires_grad_(False).eval()


def load_pretrained(name: str) -> MusicnnNet:
    """The pretrained musicnn network ``name``, loaded once a process and shared.

    The first call for a name maps its shipped weights (:func:`weights_path`) and builds
    the network; every later call, from any thread, returns that same object. Treat it as
    read-only: to fine-tune, ``copy.deepcopy`` it first.

    Parameters
    ----------
    name : str
        One of :data:`PRETRAINED`: ``"mtt-musicnn"``, ``"msd-musicnn"``, ``"mtt-vgg"``,
        ``"msd-vgg"``.

    Returns
    -------
    MusicnnNet
        A :class:`~genriflow.features.pretrained.architectures.MusiCNN` or
        :class:`~genriflow.features.pretrained.architectures.VGG` in eval mode, with
        ``.tags`` (tuple of str) and ``.name``.

    Raises
    ------
    ValueError
        For an unknown name, or unreadable weights.
    FileNotFoundError
        If the weights are missing from the installation.
    """
    model = _LOADED.get(name)
    if model is not None:
        return model
    with _LOCK:
        if name not in _LOADED:
            _LOADED[name] = build_network(name, read_weights(weights_path(name)))
        return _LOADED[name]
