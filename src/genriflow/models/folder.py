"""The model folder: everything needed to reuse a trained model, nothing that executes code.

``config.json``   kind, model name, feature configuration, split, data, library versions
``labels.json``   class names in the order of the probability columns
``metrics.json``  evaluation figures, each with its split (written by training)
``model.skops``   the fitted scikit-learn pipeline, in skops' safe format (no pickle)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import skops.io as sio

from genriflow.features.sets import FeatureConfig

#: Module prefixes whose types a model file may contain; anything else is refused.
TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "genriflow.models.transforms.")


class ModelError(ValueError):
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
    names = ("genriflow", "scikit-learn", "numpy", "librosa", "soundfile", "soxr")
    return {name: version(name) for name in names}


def save_model(model: GenreModel, folder: str | os.PathLike,
               metrics: dict | None = None) -> Path:
    """Write a model folder (created if needed); returns its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config = {**model.config, "kind": "classical", "features": model.feature_config.to_dict(),
              "versions": library_versions()}
    _write_json(folder / "config.json", config)
    _write_json(folder / "labels.json", model.labels)
    if metrics is not None:
        _write_json(folder / "metrics.json", metrics)
    sio.dump(model.estimator, folder / "model.skops")
    return folder


def load_model(folder: str | os.PathLike) -> GenreModel:
    """Load a model folder written by :func:`save_model`.

    Only scikit-learn, NumPy, SciPy and genriflow's own transformer types are accepted in
    the weights file; nothing else is ever instantiated.

    Raises
    ------
    ModelError
        Missing files, an unknown kind, or untrusted types in the weights.
    """
    folder = Path(folder)
    config_path, weights = folder / "config.json", folder / "model.skops"
    if not config_path.is_file() or not weights.is_file():
        raise ModelError(f"{folder}: not a genriflow model folder "
                         "(needs config.json and model.skops)")
    config = json.loads(config_path.read_text())
    if config.get("kind") != "classical":
        raise ModelError(f"{folder}: unsupported model kind {config.get('kind')!r}")
    untrusted = sio.get_untrusted_types(file=weights)
    refused = [t for t in untrusted if not t.startswith(TRUSTED_PREFIXES)]
    if refused:
        raise ModelError(f"{weights}: refuses to load untrusted type(s) {', '.join(refused)}")
    estimator = sio.load(weights, trusted=untrusted)
    features = FeatureConfig.from_dict(config.pop("features"))
    return GenreModel(estimator=estimator, feature_config=features, config=config)


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
