"""A model's name and identity, as provenance for what it answers: :class:`ModelRef`.

It lives beside the model folders it fingerprints (:mod:`genriflow.models.folder` loads
them); the library's index keys every analysis by it, and
:func:`genriflow.api.model_identity` returns it. It reads only the folder's files and the
registry of built-in names, so it imports no model code.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from genriflow.errors import a_path
from genriflow.features.sampling import DEFAULT_SAMPLING, Sampling
from genriflow.models.answers import ModelError
from genriflow.models.registry import available_models

#: Files of a model folder whose bytes make its identity.
_IDENTITY_FILES = ("config.json", "labels.json", "model.skops", "head.safetensors",
                   "model.safetensors")


@dataclass(frozen=True)
class ModelRef:
    """A model as the index knows it.

    Attributes
    ----------
    name : str
        As the user named it: a built-in name, or the folder's absolute path.
    identity : str
        Changes whenever the model could answer differently: the built-in name with
        genriflow's version, or a digest of the folder's configuration, labels and weights.
    """

    name: str
    identity: str

    def sampled(self, sampling: Sampling) -> ModelRef:
        """The identity of what the model answers on ``sampling``: the model's, with the
        sampling unless it is the default (analyses of other excerpts are others).

        >>> from genriflow.features.sampling import Sampling
        >>> ref = ModelRef("gtzan", "gtzan@genriflow-1.0")
        >>> ref.sampled(Sampling.of(None, full=False)).identity
        'gtzan@genriflow-1.0'
        >>> ref.sampled(Sampling.of(24, full=False)).identity
        'gtzan@genriflow-1.0 (24 excerpts)'
        >>> ref.sampled(Sampling.of(None, full=True)).identity
        'gtzan@genriflow-1.0 (full)'
        """
        if sampling == DEFAULT_SAMPLING:
            return self
        return ModelRef(self.name, f"{self.identity} ({sampling})")


def model_ref(model: str | os.PathLike) -> ModelRef:
    """The name and identity of a model folder or built-in model name.

    >>> ref = model_ref("zero-shot")
    >>> ref.name, ref.identity.startswith("zero-shot@genriflow-")
    ('zero-shot', True)

    Raises
    ------
    ModelError
        Neither a model folder nor a built-in name.
    """
    folder = Path(check_model(model))
    if (folder / "config.json").is_file():
        digest = hashlib.blake2b(digest_size=8)
        for name in _IDENTITY_FILES:
            if (folder / name).is_file():
                digest.update(name.encode() + b"\0" + (folder / name).read_bytes())
        return ModelRef(str(folder.resolve()), f"folder:{digest.hexdigest()}")
    return ModelRef(str(model), f"{model}@genriflow-{_version()}")


def check_model(model: str | os.PathLike) -> str | os.PathLike:
    """``model`` if it is a model folder or a built-in name, without reading its weights.

    Raises
    ------
    ModelError
        Neither a model folder nor a built-in name.

    Examples
    --------
    >>> check_model("gtzan")
    'gtzan'
    >>> check_model("gtzna")
    Traceback (most recent call last):
    ...
    genriflow.models.answers.ModelError: `gtzna`: not a genriflow model folder (no \
config.json) nor a built-in model (gtzan, gtzan-fusion, gtzan-table, library-genres, zero-shot)
    """
    a_path("model", model)
    try:
        if (Path(model) / "config.json").is_file() or str(model) in available_models():
            return model
    except PermissionError:  # a folder on its path this user may not enter
        raise ModelError(f"`{model}`: cannot be read: permission denied") from None
    raise ModelError(f"`{model}`: not a genriflow model folder (no config.json) nor a "
                     f"built-in model ({', '.join(available_models())})")


def _version() -> str:
    try:
        return metadata.version("genriflow")
    except metadata.PackageNotFoundError:  # running from a source tree
        return "unknown"
