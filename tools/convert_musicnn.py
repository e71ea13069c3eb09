"""Convert the musicnn taggers' TensorFlow checkpoints once into the weights genriflow ships.

The PyPI package ``musicnn==0.1.0`` (Pons & Serra 2019, ISC licence) holds four TensorFlow
1 checkpoints: ``MTT_musicnn``, ``MSD_musicnn``, ``MTT_vgg``, ``MSD_vgg``. This script
reads them without TensorFlow (:mod:`tf_checkpoint`, beside it), maps every variable onto
the PyTorch port's state dict (:func:`convert_checkpoint`) and writes, into
``src/genriflow/features/pretrained/musicnn-weights/`` (or ``--out``):

``<name>.safetensors``
    One per network of :data:`~genriflow.features.pretrained.weights.PRETRAINED`
    (``mtt-musicnn``, ``msd-musicnn``, ``mtt-vgg``, ``msd-vgg``), float32, without the
    optimiser's slots; its metadata ``genriflow`` is a JSON object: ``name``,
    ``source`` and ``tags``.
``provenance.json``
    The musicnn version, and for each network its source checkpoint, the sha256 of the
    checkpoint's files and of the file written.
``LICENSE-musicnn``
    musicnn's licence notice, copied from the installed package's metadata.

Only the project's developers run it, when the weights change (never at run time): it
needs the ``musicnn`` package, installed without its unusable pins::

    pip install --no-deps musicnn==0.1.0
    python tools/convert_musicnn.py            # rewrites the shipped files
    python tools/convert_musicnn.py --check    # exit 1 unless they are what it would write

``tests/tools/test_convert_musicnn.py`` converts again and compares with the shipped
files, tensor by tensor and hash by hash.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import safetensors.torch
import torch
from torch import Tensor, nn

from genriflow.features.pretrained.architectures import VGG, MusiCNN, MusicnnNet
from genriflow.features.pretrained.weights import PRETRAINED, WEIGHTS_DIR, build_network
from tf_checkpoint import read_checkpoint

MUSICNN_VERSION = "0.1.0"
LICENCE_FILE = "LICENSE-musicnn"
PROVENANCE_FILE = "provenance.json"
#: The checkpoint files a conversion reads (musicnn names them with an empty prefix).
CHECKPOINT_FILES = (".index", ".data-00000-of-00001")
_OPTIMIZER_VARIABLES = ("beta1_power", "beta2_power", "global_step")
_INSTALL_HINT = f"run `pip install --no-deps musicnn=={MUSICNN_VERSION}`"


# --- TensorFlow variable scopes of the port's layers -----------------------------------


def _tf_scopes(modules: Sequence[nn.Module], conv_names: Sequence[str] = ()) -> list[str]:
    """tf.compat.v1.layers' automatic scope names (``conv2d``, ``conv2d_1``, ...) of layers
    listed in creation order; convolutions take ``conv_names`` instead where given."""
    counts: dict[str, int] = {}
    named_convs = iter(conv_names)
    scopes = []
    for module in modules:
        if isinstance(module, nn.Conv1d | nn.Conv2d):
            kind = "conv2d"
            if conv_names:
                scopes.append(next(named_convs))
                continue
        else:
            kind = "dense" if isinstance(module, nn.Linear) else "batch_normalization"
        n = counts.get(kind, 0)
        counts[kind] = n + 1
        scopes.append(kind if n == 0 else f"{kind}_{n}")
    return scopes


def tf_layers(model: MusicnnNet) -> list[tuple[str, nn.Module]]:
    """(TensorFlow variable scope, module) of every weighted layer of ``model``.

    Parameters
    ----------
    model : MusicnnNet
        A :class:`MusiCNN` or a :class:`VGG`.

    Returns
    -------
    list of (str, nn.Module)
        In the order ``musicnn/models.py`` creates the layers.
    """
    if isinstance(model, MusiCNN):
        blocks = [*model.timbral, *model.temporal, *model.midend]
        modules = [model.input_bn, *(m for b in blocks for m in (b.conv, b.bn)),
                   model.pool_bn, model.dense, model.dense_bn, model.output]
        return list(zip(_tf_scopes(modules), modules, strict=True))
    if isinstance(model, VGG):
        modules = [model.input_bn, *(m for pair in zip(model.convs, model.bns, strict=True)
                                     for m in pair), model.dense]
        names = [f"{i}CNN" for i in range(1, 6)]
        return list(zip(_tf_scopes(modules, names), modules, strict=True))
    raise TypeError(f"not a musicnn network: {type(model).__name__}")


# --- variables -> state dict -----------------------------------------------------------


def _layer_tensors(module: nn.Module, get: Callable[[str], np.ndarray]) -> dict[str, np.ndarray]:
    """The module's parameters/buffers from its TF variables (``get(variable) -> array``)."""
    if isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
        return {"weight": get("gamma"), "bias": get("beta"), "running_mean":
                get("moving_mean"), "running_var": get("moving_variance")}
    kernel = get("kernel")
    if isinstance(module, nn.Linear):
        weight = kernel.T  # (in, out) -> (out, in)
    elif isinstance(module, nn.Conv1d):
        weight = kernel[:, :, 0, :].transpose(2, 1, 0)  # (k, C, 1, out) -> (out, C, k)
    else:
        weight = kernel.transpose(3, 2, 0, 1)  # (kh, kw, in, out) -> (out, in, kh, kw)
    return {"weight": weight, "bias": get("bias")}


def is_optimizer_variable(name: str) -> bool:
    """Whether a checkpoint variable is the optimiser's (Adam's slots, step counters)."""
    return name in _OPTIMIZER_VARIABLES or name.endswith(("/Adam", "/Adam_1"))


def convert_checkpoint(variables: dict[str, np.ndarray], model: MusicnnNet) -> dict[str, Tensor]:
    """Map musicnn's TensorFlow variables onto ``model``'s state dict.

    Parameters
    ----------
    variables : dict[str, numpy.ndarray]
        The checkpoint, as :func:`tf_checkpoint.read_checkpoint` returns it.
    model : MusicnnNet
        A :class:`MusiCNN` or :class:`VGG` of the checkpoint's sizes.

    Returns
    -------
    dict[str, Tensor]
        A complete state dict for ``model`` (BN ``num_batches_tracked`` set to 0).

    Raises
    ------
    ValueError
        If a variable is missing, has the wrong shape or is left over (optimizer slots
        ``*/Adam``, ``*/Adam_1``, ``beta1_power``, ``beta2_power``, ``global_step`` aside),
        or if a parameter or buffer of the model is left unfilled.
    """
    names = {module: name for name, module in model.named_modules()}
    expected = model.state_dict()
    state: dict[str, Tensor] = {}
    used: set[str] = set()
    for scope, module in tf_layers(model):
        def get(var: str, scope: str = scope) -> np.ndarray:
            key = f"{scope}/{var}"
            if key not in variables:
                raise ValueError(f"checkpoint has no variable {key!r}")
            used.add(key)
            return variables[key]

        for attr, value in _layer_tensors(module, get).items():
            key = f"{names[module]}.{attr}"
            if tuple(value.shape) != tuple(expected[key].shape):
                raise ValueError(f"{scope}: shape {value.shape} does not fit {key} "
                                 f"{tuple(expected[key].shape)}")
            state[key] = torch.from_numpy(np.ascontiguousarray(value, dtype=np.float32))
    for key, value in expected.items():
        if key.endswith("num_batches_tracked"):
            state[key] = torch.zeros_like(value)
    unused = sorted(k for k in variables if k not in used and not is_optimizer_variable(k))
    missing = sorted(set(expected) - set(state))
    if unused or missing:
        raise ValueError(f"checkpoint does not match the model: unused {unused}, "
                         f"unfilled {missing}")
    return state


# --- the musicnn package -> the shipped files ------------------------------------------


def musicnn_dir() -> Path:
    """The installed ``musicnn`` package's folder, found without importing it."""
    spec = importlib.util.find_spec("musicnn")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the musicnn package is not installed: {_INSTALL_HINT}")
    return Path(spec.submodule_search_locations[0])


def sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def convert(name: str, package: Path) -> dict[str, Tensor]:
    """The state dict of the network ``name`` from its checkpoint in ``package``."""
    spec = PRETRAINED[name]
    folder = package / spec.checkpoint
    if not (folder / ".index").is_file():
        raise FileNotFoundError(f"{folder}/.index: missing from the musicnn package; "
                                f"{_INSTALL_HINT}")
    model = MusiCNN(len(spec.tags)) if spec.architecture == "musicnn" else VGG(len(spec.tags))
    return convert_checkpoint(read_checkpoint(f"{folder}/"), model)


def _licence_text() -> str:
    dist = importlib.metadata.distribution("musicnn")
    if dist.version != MUSICNN_VERSION:
        raise RuntimeError(f"musicnn {dist.version} is installed; the shipped weights come "
                           f"from {MUSICNN_VERSION}: {_INSTALL_HINT}")
    licence = next((f for f in dist.files or () if f.name.upper().startswith("LICENSE")),
                   None)
    if licence is None:
        raise FileNotFoundError("musicnn's licence file is missing from its metadata")
    return (f"The files *.safetensors in this folder are the weights of the pretrained\n"
            f"models of musicnn {MUSICNN_VERSION} (https://github.com/jordipons/musicnn,\n"
            f"PyPI musicnn=={MUSICNN_VERSION}), converted from TensorFlow to PyTorch by\n"
            f"genriflow's tools/convert_musicnn.py. musicnn is distributed under the ISC\n"
            f"licence, whose notice follows.\n\n" + licence.read_text().strip() + "\n")


def write_weights(out: Path, package: Path | None = None) -> dict:
    """Convert every network and write the weights, provenance and licence into ``out``.

    Parameters
    ----------
    out : Path
        The folder to write (created if needed); files are replaced atomically.
    package : Path, optional
        The musicnn package's folder; default :func:`musicnn_dir`.

    Returns
    -------
    dict
        The provenance written to ``provenance.json``.
    """
    package = package or musicnn_dir()
    out.mkdir(parents=True, exist_ok=True)
    models = {}
    for name, spec in PRETRAINED.items():
        state = convert(name, package)
        build_network(name, state)  # refuses a state dict that does not fit
        path = out / f"{name}.safetensors"
        # One metadata key: safetensors writes several in a random order, and the files
        # must come out byte for byte the same at every conversion.
        metadata = {"genriflow": json.dumps({
            "name": name, "source": f"musicnn=={MUSICNN_VERSION} {spec.checkpoint}",
            "tags": spec.tags})}
        _replace(path, lambda tmp, state=state, metadata=metadata:
                 safetensors.torch.save_file(state, str(tmp), metadata=metadata))
        models[name] = {
            "file": path.name,
            "sha256": sha256(path),
            "architecture": spec.architecture,
            "checkpoint": spec.checkpoint,
            "checkpoint_sha256": {f"{spec.checkpoint}/{f}": sha256(package / spec.checkpoint / f)
                                  for f in CHECKPOINT_FILES},
        }
    provenance = {
        "source": {"package": "musicnn", "version": MUSICNN_VERSION, "licence": "ISC",
                   "url": "https://github.com/jordipons/musicnn",
                   "paper": "Pons & Serra, musicnn: pre-trained convolutional neural "
                            "networks for music audio tagging, ISMIR 2019 LBD"},
        "converter": "tools/convert_musicnn.py",
        "models": models,
    }
    _replace(out / PROVENANCE_FILE,
             lambda tmp: tmp.write_text(json.dumps(provenance, indent=2) + "\n"))
    licence = _licence_text()
    _replace(out / LICENCE_FILE, lambda tmp: tmp.write_text(licence))
    return provenance


def _replace(path: Path, write: Callable[[Path], object]) -> None:
    """Write ``path`` through a temporary file beside it, then rename it into place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would travel into the wheel
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def differences(shipped: Path, fresh: Path) -> list[str]:
    """Files of ``fresh`` (a conversion) missing from ``shipped`` or not byte-identical."""
    return [f.name for f in sorted(fresh.iterdir())
            if not (shipped / f.name).is_file()
            or (shipped / f.name).read_bytes() != f.read_bytes()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=WEIGHTS_DIR,
                        help="folder to write (default: the package's musicnn-weights/)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 unless the files in --out are what a "
                             "conversion gives")
    args = parser.parse_args(argv)
    if not args.check:
        provenance = write_weights(args.out)
        for name, entry in provenance["models"].items():
            size = (args.out / entry["file"]).stat().st_size
            print(f"{name}: {args.out / entry['file']} ({size / 1e6:.2f} MB)")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        write_weights(Path(tmp))
        stale = differences(args.out, Path(tmp))
    print("up to date" if not stale else f"differ from a fresh conversion: {stale}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
