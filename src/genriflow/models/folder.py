"""The model folder: everything needed to reuse a trained model, nothing that executes code.

``config.json``   kind, model name, feature configuration, split, data, library versions
``labels.json``   class names in the order of the probability columns
``metrics.json``  evaluation figures, each with its split (written by training)
``model.skops``   a fitted scikit-learn pipeline, in skops' safe format (no pickle), or
``model.safetensors``  a network's weights (with its input scaling), for ``kind: torch``

:func:`load_model` also takes the name of a built-in model
(:func:`~genriflow.models.registry.available_models`).
"""

from __future__ import annotations

import json
import os
from importlib.metadata import version
from pathlib import Path
from typing import Any

import safetensors.torch
import skops.io as sio

from genriflow.errors import GenriflowError
from genriflow.features.sets import FeatureConfig
from genriflow.models.base import GenreClassifier
from genriflow.models.classical import ClassicalGenreModel
from genriflow.models.deep import DeepGenreModel
from genriflow.models.registry import BUILT_IN_MODELS, available_models

#: Module prefixes whose types a model file may contain; anything else is refused.
TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "genriflow.models.transforms.")


class ModelError(GenriflowError, ValueError):
    """A model folder that cannot be loaded or written, with the reason."""


def library_versions() -> dict[str, str]:
    """Versions of the libraries that shape a model's numbers."""
    names = ("genriflow", "scikit-learn", "torch", "numpy", "librosa", "soundfile", "soxr")
    return {name: version(name) for name in names}


def save_model(model: GenreClassifier, folder: str | os.PathLike,
               metrics: dict | None = None) -> Path:
    """Write a model folder (created if needed); returns its path.

    Raises
    ------
    ModelError
        For a model that has no folder (a built-in one).
    """
    if isinstance(model, DeepGenreModel):
        kind = "torch"
    elif isinstance(model, ClassicalGenreModel):
        kind = "classical"
    else:
        raise ModelError(f"{model.config.get('model', type(model).__name__)}: a built-in "
                         "model has no folder; load it by name")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config = {**model.config, "kind": kind, "features": model.feature_config.to_dict(),
              "versions": library_versions()}
    _write_json(folder / "config.json", config)
    _write_json(folder / "labels.json", model.labels)
    if metrics is not None:
        _write_json(folder / "metrics.json", metrics)
    if kind == "torch":
        safetensors.torch.save_model(model.net, str(folder / "model.safetensors"))
    else:
        sio.dump(model.estimator, folder / "model.skops")
    return folder


def load_model(name_or_folder: str | os.PathLike, *, device: str = "auto") -> GenreClassifier:
    """Load a model folder written by :func:`save_model`, or a built-in model by name.

    Classical weights may hold only scikit-learn, NumPy, SciPy and genriflow's own
    transformer types; network weights are plain tensors (safetensors). Nothing in a model
    folder is ever executed.

    Parameters
    ----------
    name_or_folder : path or str
        A model folder (one with a ``config.json`` wins), else a name of
        :func:`~genriflow.models.registry.available_models`.
    device : str
        Where a network predicts: ``auto``, ``cpu`` or ``cuda``.

    Raises
    ------
    ModelError
        Neither a model folder nor a built-in name; missing files, an unknown kind, or
        untrusted types in the weights.
    """
    folder = Path(name_or_folder)
    if (folder / "config.json").is_file():
        return _load_folder(folder, device)
    if str(name_or_folder) in BUILT_IN_MODELS:
        return BUILT_IN_MODELS[str(name_or_folder)](device)
    raise ModelError(f"`{name_or_folder}`: not a genriflow model folder (no config.json) nor "
                     f"a built-in model ({', '.join(available_models())})")


def _load_folder(folder: Path, device: str) -> GenreClassifier:
    config = json.loads((folder / "config.json").read_text())
    kind = config.get("kind")
    if kind not in ("classical", "torch"):
        raise ModelError(f"{folder}: unsupported model kind {kind!r}")
    weights = folder / ("model.skops" if kind == "classical" else "model.safetensors")
    if not weights.is_file():
        raise ModelError(f"{folder}: not a genriflow model folder (no {weights.name})")
    features = FeatureConfig.from_dict(config.pop("features"))
    if kind == "torch":
        labels = json.loads((folder / "labels.json").read_text())
        model = DeepGenreModel.build(config, labels, features, device)
        safetensors.torch.load_model(model.net, str(weights), strict=True)
        model.net.eval()
        return model
    untrusted = sio.get_untrusted_types(file=weights)
    refused = [t for t in untrusted if not t.startswith(TRUSTED_PREFIXES)]
    if refused:
        raise ModelError(f"{weights}: refuses to load untrusted type(s) {', '.join(refused)}")
    estimator = sio.load(weights, trusted=untrusted)
    return ClassicalGenreModel(estimator=estimator, feature_config=features, config=config)


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
