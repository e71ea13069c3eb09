"""The model folder: everything needed to reuse a trained model, nothing that executes code.

``config.json``   kind, model name, feature configuration, split, data, library versions
``labels.json``   class names in the order of the probability columns
``metrics.json``  evaluation figures, each with its split (written by training)
``model.skops``   a fitted scikit-learn pipeline, in skops' safe format (no pickle), or
``model.safetensors``  a network's weights (with its input scaling), for ``kind: torch``
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import safetensors.torch
import skops.io as sio

from genriflow.errors import GenriflowError
from genriflow.features.sets import FeatureConfig
from genriflow.models.deep import DeepGenreModel

if TYPE_CHECKING:
    from genriflow.models.zero_shot import ZeroShotGenreModel

#: Module prefixes whose types a model file may contain; anything else is refused.
TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "genriflow.models.transforms.")


class ModelError(GenriflowError, ValueError):
    """A model folder that cannot be loaded, with the reason."""


@dataclass
class GenreModel:
    """A fitted genre classifier with what it needs to classify new audio.

    Attributes
    ----------
    estimator : sklearn estimator
        Fitted; its ``classes_`` are :attr:`labels`.
    feature_config : FeatureConfig
        The features it was trained on; prediction computes the same.
    config : dict
        Everything else saved in ``config.json`` (model name, split, data, versions).
    """

    estimator: Any
    feature_config: FeatureConfig
    config: dict = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return [str(c) for c in self.estimator.classes_]

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_labels), columns in :attr:`labels` order."""
        return self.estimator.predict_proba(np.asarray(X, dtype=np.float64))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Most probable label per sample, shape (n_samples,)."""
        return np.asarray(self.labels)[self.predict_proba(X).argmax(axis=1)]


def library_versions() -> dict[str, str]:
    """Versions of the libraries that shape a model's numbers."""
    names = ("genriflow", "scikit-learn", "torch", "numpy", "librosa", "soundfile", "soxr")
    return {name: version(name) for name in names}


def save_model(model: GenreModel | DeepGenreModel, folder: str | os.PathLike,
               metrics: dict | None = None) -> Path:
    """Write a model folder (created if needed); returns its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    kind = "torch" if isinstance(model, DeepGenreModel) else "classical"
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


def load_model(folder: str | os.PathLike,
               device: str = "auto") -> GenreModel | DeepGenreModel | ZeroShotGenreModel:
    """Load a model folder written by :func:`save_model`, or the built-in ``"zero-shot"``
    model (:class:`~genriflow.models.zero_shot.ZeroShotGenreModel`, no folder needed).

    Classical weights may hold only scikit-learn, NumPy, SciPy and genriflow's own
    transformer types; network weights are plain tensors (safetensors). Nothing in a model
    folder is ever executed.

    Raises
    ------
    ModelError
        Missing files, an unknown kind, or untrusted types in the weights.
    """
    folder = Path(folder)
    if str(folder) == "zero-shot" and not folder.exists():
        from genriflow.models.zero_shot import ZeroShotGenreModel

        return ZeroShotGenreModel()
    config_path = folder / "config.json"
    if not config_path.is_file():
        raise ModelError(f"{folder}: not a genriflow model folder (no config.json)")
    config = json.loads(config_path.read_text())
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
    return GenreModel(estimator=estimator, feature_config=features, config=config)


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
