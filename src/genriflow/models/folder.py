"""The model folder: everything needed to reuse a trained model, nothing that executes code.

``config.json``   kind, model name, feature configuration, split, data, library versions
``labels.json``   class names in the order of the probability columns
``metrics.json``  evaluation figures, each with its split (written by training)
``model.skops``   a fitted scikit-learn pipeline, in skops' safe format (no pickle), or
``model.safetensors``  a network's weights (with its input scaling), for ``kind: torch``
``head.safetensors``   beside ``model.skops`` for a tag-prior head: the same head as plain
                  arrays (:mod:`~genriflow.models.head_arrays`), read instead of it

Loading imports only what the folder's kind needs: a network's folder torch, a
scikit-learn pipeline's scikit-learn and skops, a tag-prior head's NumPy alone (the
built-in default, so that a prediction served from the feature store starts in well
under a second).

:meth:`GenreClassifier.save <genriflow.models.base.GenreClassifier.save>` writes a
folder, :func:`load_model` reads it back; it also takes the name of a built-in model
(:func:`~genriflow.models.registry.available_models`).

Named like :mod:`genriflow.plots.folder` (the run folder of ``genriflow plot``): each
package writes its own kind of folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from genriflow.errors import GenriflowError, one_of
from genriflow.features.devices import DEVICES
from genriflow.features.sets import FeatureConfig
from genriflow.models.base import GenreClassifier, ModelError
from genriflow.models.classical import ClassicalGenreModel
from genriflow.models.fusion import FusedGenreModel
from genriflow.models.head_arrays import HEAD_FILE, HeadArrays, HeadFileError
from genriflow.models.ref import check_model
from genriflow.models.registry import (
    BUILT_IN_FUSIONS,
    BUILT_IN_MODELS,
    BUILTIN_FOLDERS,
    builtin_folder,
    fusion_settings,
)
from genriflow.models.reject import OpenSet
from genriflow.models.vocabulary import VocabularyGenreModel, load_vocabulary

#: Module prefixes whose types a model file may contain; anything else is refused.
TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "genriflow.models.transforms.",
                    "genriflow.models.heads.")


def load_model(name_or_folder: str | os.PathLike, *, device: str = "auto") -> GenreClassifier:
    """Load a model folder written by ``model.save(folder)``, or a built-in model by name.

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
    one_of("device", device, DEVICES)
    folder = Path(check_model(name_or_folder))
    if (folder / "config.json").is_file():
        return _load_folder(folder, device)
    if str(name_or_folder) in BUILTIN_FOLDERS:
        return _load_folder(builtin_folder(str(name_or_folder)), device)
    if str(name_or_folder) in BUILT_IN_MODELS:
        return BUILT_IN_MODELS[str(name_or_folder)](device)
    if str(name_or_folder) in BUILT_IN_FUSIONS:
        parts = BUILT_IN_FUSIONS[str(name_or_folder)]
        temperature = float(fusion_settings(str(name_or_folder))["temperature"])
        return FusedGenreModel([load_model(part, device=device) for part in parts],
                               config={"kind": "fused", "model": str(name_or_folder),
                                       "parts": list(parts), "rule": "mean",
                                       "temperature": temperature},
                               temperature=temperature)
    raise AssertionError(f"built-in {name_or_folder!r} has no loader")  # registry bug


#: What each kind of folder holds its weights in (the class is imported when needed:
#: a network's needs torch).
_WEIGHTS_FILES = {ClassicalGenreModel.kind: ClassicalGenreModel.weights_file,
                  "torch": "model.safetensors"}


def _load_folder(folder: Path, device: str) -> GenreClassifier:
    """The model in ``folder``; a folder whose files cannot be read, or are not what
    genriflow wrote (cut, hand-edited, another program's), is a :class:`ModelError`
    naming it, whatever its files raise in the readers."""
    try:
        return _read_folder(folder, device)
    except GenriflowError:
        raise
    except OSError as exc:  # a file this user may not read, a failing disk
        name = Path(exc.filename).name if exc.filename else "a file"
        raise ModelError(f"{folder}: {name} cannot be read: "
                         f"{(exc.strerror or str(exc)).lower()}") from None
    except Exception as exc:  # any reader's error on a damaged file
        what = f"no {exc}" if isinstance(exc, KeyError) else f"{type(exc).__name__}: {exc}"
        raise ModelError(f"{folder}: damaged or not written by genriflow ({what}); train it "
                         "again or restore it") from None


def _read_config(path: Path) -> dict:
    try:
        config = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(config, dict):
        raise ModelError(f"{path}: not a model configuration (a JSON object)")
    return config


def _read_folder(folder: Path, device: str) -> GenreClassifier:
    config = _read_config(folder / "config.json")
    kind = config.get("kind")
    if kind == VocabularyGenreModel.kind:
        config.pop("features", None)
        return load_vocabulary(folder, config, load_model(str(config.get("head")),
                                                          device=device))
    if kind not in _WEIGHTS_FILES:
        raise ModelError(f"{folder}: unsupported model kind {kind!r}")
    weights = folder / _WEIGHTS_FILES[kind]
    if not weights.is_file():
        raise ModelError(f"{folder}: not a genriflow model folder (no {weights.name})")
    features = FeatureConfig.from_dict(config.pop("features"))
    open_set = OpenSet.load(folder, config.pop("open_set", None))
    if kind == "torch":
        model = _load_network(folder, weights, config, features, device)
    else:
        model = ClassicalGenreModel(estimator=_load_estimator(weights),
                                    feature_config=features, config=config)
        _check_labels(folder / "labels.json", model.labels)
    model.open_set = open_set
    return model


def _check_labels(path: Path, labels: list[str]) -> None:
    """A classical folder's ``labels.json`` against its estimator's genres, which name the
    columns: the file, read by people and other tools, that says otherwise (hand-edited,
    copied from another model) is refused, not loaded in silence. A folder without one
    loads (the estimator names its genres)."""
    if not path.is_file():
        return
    try:
        written = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path}: not valid JSON ({exc})") from None
    if written != labels:
        def shown(names: object) -> str:
            text = ", ".join(map(str, names)) if isinstance(names, list) else repr(names)
            return text if len(text) <= 120 else text[:117] + "..."

        raise ModelError(f"{path}: says the genres are {shown(written)}, but the model's are "
                         f"{shown(labels)} (in this order); restore the file or train again")


def _load_network(folder: Path, weights: Path, config: dict, features: FeatureConfig,
                  device: str) -> GenreClassifier:
    import safetensors.torch

    from genriflow.models import NETWORK_NAMES
    from genriflow.models.deep import DeepGenreModel

    if config.get("network") not in NETWORK_NAMES:
        raise ModelError(f"{folder}: unknown network {config.get('network')!r}")
    labels = json.loads((folder / "labels.json").read_text())
    model = DeepGenreModel.build(config, labels, features, device)
    safetensors.torch.load_model(model.net, str(weights), strict=True)
    model.net.eval()
    return model


def _load_estimator(weights: Path) -> object:
    """A classical folder's estimator: its tag-prior head's plain arrays where it has
    them, else the skops file, refusing any type outside :data:`TRUSTED_PREFIXES`."""
    head = weights.with_name(HEAD_FILE)
    if head.is_file():
        try:
            return HeadArrays.load(head)
        except HeadFileError as exc:
            raise ModelError(f"{weights.parent}: {exc}") from None
    import skops.io as sio

    untrusted = sio.get_untrusted_types(file=weights)
    refused = [t for t in untrusted if not t.startswith(TRUSTED_PREFIXES)]
    if refused:
        raise ModelError(f"{weights}: refuses to load untrusted type(s) {', '.join(refused)}")
    return sio.load(weights, trusted=untrusted)
