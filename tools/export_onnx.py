"""Export the shipped musicnn networks to ONNX for ONNX Runtime (float32; int8 on request).

genriflow runs the musicnn taggers' front ends through ONNX Runtime on a CPU
(:mod:`genriflow.features.pretrained.onnx_runtime`): no torch import, and faster passes.
This script makes the files it reads, from the shipped safetensors through the PyTorch
port itself (:func:`~genriflow.features.pretrained.weights.load_pretrained`), into
``src/genriflow/features/pretrained/musicnn-onnx/`` (or ``--out``):

``<name>.onnx``
    The network in eval mode, opset :data:`OPSET`, a dynamic batch of 187 x 96 log-mel
    patches in (input ``patches``), the outputs of
    :meth:`~genriflow.features.pretrained.architectures.MusicnnNet.features` out, in
    :data:`~genriflow.features.pretrained.onnx_runtime.OUTPUTS` order (the inference
    path's batch-norm folding traced as operations on the parameters). The graph only,
    about 40 KB: its weights are ONNX external data pointing into the shipped
    ``musicnn-weights/<name>.safetensors`` (:func:`_weights_from_safetensors`), so the
    wheel holds them once.
``provenance.json``
    Export settings, the versions of the tools, the sha256 of every source weight file and
    of every file written, and the rank each factorised front-end block kept.

The musicnn networks' front-end filters are exported factorised where that is cheaper
(:func:`factorise_front_end`): their filter banks have numerical rank far below their
filter count (``msd-musicnn``'s timbral blocks 23 and 14 of 204), so a convolution by the
rank's basis filters and a per-frame mix give the same outputs within float rounding for
a fraction of the work. The basis and mix are small and stay inside the ``.onnx`` file.

With ``--int8 dynamic`` or ``--int8 static`` (and an ``--out`` folder: they are not
shipped), each ``<name>.onnx`` is instead that network quantised by
``onnxruntime.quantization``, every convolution (the front end's included) and dense
layer: dynamically (uint8 weights, activations quantised per pass) or statically (QDQ, int8
weights per channel, uint8 activations calibrated by MinMax on the patches of generated
music: :func:`calibration_patches`); see :data:`INT8_METHODS`. No int8 model ships: on
the 105 Debian tracks the default model's top genre changed on 3 (dynamic; static was
further from PyTorch on a first check), below the 99 % agreement asked of a path
(``benchmarks/onnx_paths.py``, which quantises the shipped models itself).

Only the project's developers run it, when the weights or the export change::

    python tools/export_onnx.py            # rewrites the shipped files
    python tools/export_onnx.py --check    # exit 1 unless they are what it would write
    python tools/export_onnx.py --int8 static --out /tmp/musicnn-int8

``benchmarks/onnx_paths.py`` checks them against the PyTorch path on real music and prints
their speed; ``tests/features/test_onnx_runtime.py`` checks them on generated audio.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import io
import json
import struct
import sys
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
import torch
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_dynamic,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process
from torch import nn

from genriflow.datasets.synthetic import synthesize_clip
from genriflow.features.pretrained.onnx_runtime import ONNX_DIR, OUTPUTS
from genriflow.features.pretrained.preprocessing import (
    N_FRAMES,
    N_MELS,
    SR,
    musicnn_log_mel,
    to_patches,
)
from genriflow.features.pretrained.weights import (
    PRETRAINED,
    WEIGHTS_DIR,
    load_pretrained,
    weights_path,
)

OPSET = 17
PROVENANCE_FILE = "provenance.json"
#: Generated music the int8 models are calibrated on: each genre's clips, seeded.
CALIBRATION_GENRES = (
    "blues",
    "classical",
    "country",
    "disco",
    "hiphop",
    "jazz",
    "metal",
    "pop",
    "reggae",
    "rock",
)
CALIBRATION_CLIPS_PER_GENRE = 2
CALIBRATION_SECONDS = 15.0
CALIBRATION_SEED = 24
#: The operators quantised: every convolution (front end and mid end) and dense layer.
QUANTISED_OPS = ("Conv", "MatMul", "Gemm")
#: A front-end filter bank keeps the singular values above this share of its largest (the
#: rest are float rounding: the factorised outputs differ by about 1e-6 of their scale)...
FACTOR_TOLERANCE = 1e-6
#: ... and is factorised only where its cost (basis filters plus mix) is at most this share
#: of the full convolution's.
FACTOR_MAX_COST = 0.8


class _Outputs(nn.Module):
    """The network's :meth:`features` as a tuple in :data:`OUTPUTS` order (traceable)."""

    def __init__(self, network: nn.Module, names: Sequence[str]):
        super().__init__()
        self.network, self.names = network, tuple(names)

    def forward(self, patches: torch.Tensor) -> tuple[torch.Tensor, ...]:
        out = self.network.features(patches)
        return tuple(out[name] for name in self.names)


def factorise_front_end(network: nn.Module, *, tolerance: float = FACTOR_TOLERANCE,
                        max_cost: float = FACTOR_MAX_COST) -> dict[str, int]:
    """Set ``factors`` on each front-end block of ``network`` whose filters factorise
    cheaply (see the module docstring); the rank kept by block name.

    A bank of ``C`` filters of ``k`` values is the (C, k) matrix ``W = U S V'``; the ``r``
    singular values above ``tolerance`` of the largest give ``basis = V'[:r]`` and ``mix =
    U[:, :r] S[:r]``. Each basis filter's sign is fixed (its largest value positive), so the
    factors agree across machines (LAPACKs) to float rounding.
    """
    ranks = {}
    for name, block in network.named_modules():
        if not hasattr(block, "factors"):
            continue
        weight = block.conv.weight.detach().double()
        filters, kernel = weight.shape[0], weight[0].numel()
        u, s, vt = torch.linalg.svd(weight.reshape(filters, kernel), full_matrices=False)
        rank = int((s > tolerance * s[0]).sum())
        if rank * (kernel + filters) > max_cost * filters * kernel:
            continue
        vt, u = vt[:rank], u[:, :rank] * s[:rank]
        flip = torch.sign(vt.gather(1, vt.abs().argmax(dim=1, keepdim=True)))
        vt, u = vt * flip, u * flip.T
        block.factors = (vt.reshape(rank, *weight.shape[1:]).float(), u.float())
        ranks[name] = rank
    return ranks


def export_fp32(name: str) -> bytes:
    """The ONNX model of the shipped network ``name``, serialised, its weights read from
    the shipped safetensors (:func:`_weights_from_safetensors`), its front end factorised
    where cheaper (:func:`factorise_front_end`)."""
    return _export_factorised(name)[0]


def _export_factorised(name: str) -> tuple[bytes, dict[str, int]]:
    """:func:`export_fp32`'s bytes and the ranks its factorised blocks kept."""
    network = load_pretrained(name)
    try:
        ranks = factorise_front_end(network)
        return _export(network, name), ranks
    finally:  # the network is the process's shared one: leave it as it was
        for block in network.modules():
            if hasattr(block, "factors"):
                block.factors = None


def _export(network: nn.Module, name: str) -> bytes:
    names = OUTPUTS[PRETRAINED[name].architecture]
    example = torch.zeros(2, N_FRAMES, N_MELS)
    buffer = io.BytesIO()
    # The legacy (TorchScript) exporter, on purpose: its output is the same bytes on every
    # run; its deprecation and the shape check's tracer warnings say nothing here.
    with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            # In eval mode: the exporter puts the module back in the mode it found it in,
            # and a new wrapper's (training) would reach the shared network.
            _Outputs(network, names).eval(),
            (example,),
            buffer,
            dynamo=False,
            input_names=["patches"],
            output_names=list(names),
            opset_version=OPSET,
            dynamic_axes={"patches": {0: "batch"}, **{n: {0: "batch"} for n in names}},
            # The parameters stay the state dict's own tensors (ONNX Runtime folds the
            # batch norms when it opens the model), so the safetensors hold them.
            do_constant_folding=False,
        )
    model = onnx.load_from_string(buffer.getvalue())
    model.producer_name, model.producer_version = "genriflow tools/export_onnx.py", ""
    model.doc_string = f"musicnn {name} (Pons & Serra 2019, ISC licence), genriflow's port"
    onnx.checker.check_model(model)
    _weights_from_safetensors(model, weights_path(name))
    return model.SerializeToString()


def _weights_from_safetensors(model: onnx.ModelProto, weights: Path) -> None:
    """Point every initializer that is a tensor of ``weights`` at its bytes there.

    ONNX external data (location, offset, length) and safetensors both lay a tensor out as
    raw little-endian values, so the model names the shipped file instead of holding a
    second copy of the weights (the wheel ships them once;
    :mod:`~genriflow.features.pretrained.onnx_runtime` opens the model with the weights'
    folder as its external-data folder). A tensor whose bytes differ stays inside.

    Raises
    ------
    ValueError
        If no initializer is found in ``weights`` (a renamed module: the model would hold
        every weight again).
    """
    raw = weights.read_bytes()
    (header_size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + header_size])
    start_of_data = 8 + header_size
    moved = 0
    for tensor in model.graph.initializer:
        entry = header.get(tensor.name.removeprefix("network."))
        if entry is None:
            continue
        start, end = (start_of_data + offset for offset in entry["data_offsets"])
        if raw[start:end] != tensor.raw_data:
            continue
        tensor.ClearField("raw_data")
        tensor.data_location = onnx.TensorProto.EXTERNAL
        for key, value in (("location", weights.name), ("offset", start), ("length", end - start)):
            tensor.external_data.add(key=key, value=str(value))
        moved += 1
    if not moved:
        raise ValueError(f"{weights}: none of the model's initializers is there")


def self_contained(model_bytes: bytes) -> bytes:
    """An exported model with its weights copied in from the safetensors (what
    ``onnxruntime.quantization`` needs: it reads a model file from a folder of its own)."""
    from onnx.external_data_helper import load_external_data_for_model

    model = onnx.load_from_string(model_bytes)
    load_external_data_for_model(model, str(WEIGHTS_DIR))
    return model.SerializeToString()


def calibration_patches() -> np.ndarray:
    """Log-mel patches (n, 187, 96) of seeded generated clips of every genre."""
    rng = np.random.default_rng(CALIBRATION_SEED)
    patches = [
        to_patches(musicnn_log_mel(synthesize_clip(genre, CALIBRATION_SECONDS, SR, rng)))
        for genre in CALIBRATION_GENRES
        for _ in range(CALIBRATION_CLIPS_PER_GENRE)
    ]
    return np.concatenate(patches)


class _Patches(CalibrationDataReader):
    def __init__(self, patches: np.ndarray):
        self._batches = iter(
            [{"patches": patches[i : i + 2]} for i in range(0, len(patches) - 1, 2)]
        )

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._batches, None)


#: The quantisations ``--int8`` offers (none ships). ``dynamic`` (weights int8 ahead of
#: time, activations quantised per pass from their own range; the benchmark's default)
#: held the taggers' top tags better than ``static`` on real music and ran faster (a
#: check on 2 Wesnoth tracks, 20 patches: per-patch top-5 overlap 0.95 against
#: 0.86-0.92, largest tag difference 0.03 against 0.10; MTT musicnn 31 ms a patch against
#: 33-44 ms, float32 34 ms, one thread).
INT8_METHODS = ("dynamic", "static")


def quantize_int8(fp32: bytes, method: str = "dynamic") -> bytes:
    """``fp32`` quantised to int8, serialised: ``dynamic`` (the convolutions and matrix
    products as ``ConvInteger``/``MatMulInteger``, uint8 weights) or ``static`` (QDQ,
    per-channel int8 weights, uint8 activations calibrated on
    :func:`calibration_patches`)."""
    with tempfile.TemporaryDirectory() as tmp:
        source, prepared, target = (Path(tmp) / f for f in ("a.onnx", "b.onnx", "c.onnx"))
        source.write_bytes(self_contained(fp32))
        # ONNX Runtime's own optimisation first: it folds the batch norms into the
        # convolutions' weights, which the quantiser needs as constants.
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        if method == "dynamic":
            quantize_dynamic(
                str(prepared),
                str(target),
                weight_type=QuantType.QUInt8,
                op_types_to_quantize=list(QUANTISED_OPS),
            )
        else:
            quantize_static(
                str(prepared),
                str(target),
                _Patches(calibration_patches()),
                quant_format=QuantFormat.QDQ,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                per_channel=True,
                calibrate_method=CalibrationMethod.MinMax,
                op_types_to_quantize=list(QUANTISED_OPS),
            )
        return target.read_bytes()


def _int8_settings(method: str) -> dict:
    if method == "dynamic":
        return {
            "method": "dynamic",
            "weights": "uint8 per tensor",
            "activations": "uint8, range of each pass",
            "ops": list(QUANTISED_OPS),
        }
    return {
        "method": "static",
        "format": "QDQ",
        "weights": "int8 per channel",
        "activations": "uint8",
        "calibration": "MinMax",
        "ops": list(QUANTISED_OPS),
        "calibration_data": {
            "generator": "genriflow.datasets.synthetic",
            "genres": list(CALIBRATION_GENRES),
            "clips_per_genre": CALIBRATION_CLIPS_PER_GENRE,
            "seconds": CALIBRATION_SECONDS,
            "seed": CALIBRATION_SEED,
        },
    }


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def export_all(out: Path, int8_method: str | None = None) -> dict:
    """Write every network's model (float32, or quantised by ``int8_method``) and the
    provenance into ``out``; the provenance."""
    out.mkdir(parents=True, exist_ok=True)
    models = {}
    for name in PRETRAINED:
        data, ranks = _export_factorised(name)
        if int8_method is not None:
            data = quantize_int8(data, int8_method)
        file = f"{name}.onnx"
        (out / file).write_bytes(data)
        models[name] = {
            "factorised": ranks,
            "source": weights_path(name).name,
            "source_sha256": _sha256(weights_path(name).read_bytes()),
            "file": file,
            "sha256": _sha256(data),
        }
    provenance = {
        "exporter": "tools/export_onnx.py",
        "settings": {
            "opset": OPSET,
            "input": f"patches (batch, {N_FRAMES}, {N_MELS}) float32",
            "outputs": {arch: list(names) for arch, names in OUTPUTS.items()},
            "precision": "fp32" if int8_method is None else "int8",
            "weights": "in the model"
            if int8_method
            else "external data: the initializers "
            "are read from ../musicnn-weights/<name>.safetensors by offset",
            **({} if int8_method is None else {"int8": _int8_settings(int8_method)}),
        },
        "versions": {
            pkg: importlib.metadata.version(pkg) for pkg in ("torch", "onnx", "onnxruntime")
        },
        "models": models,
    }
    (out / PROVENANCE_FILE).write_text(json.dumps(provenance, indent=2) + "\n")
    return provenance


def differences(shipped: Path, fresh: Path) -> list[str]:
    """Files of ``fresh`` missing from ``shipped`` or different there."""
    return sorted(
        f.name
        for f in fresh.iterdir()
        if not (shipped / f.name).is_file() or (shipped / f.name).read_bytes() != f.read_bytes()
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=ONNX_DIR,
        help="folder to write (default: the package's musicnn-onnx/)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 unless the files in --out are what an export gives",
    )
    parser.add_argument(
        "--int8",
        choices=INT8_METHODS,
        default=None,
        help="write int8 models quantised so, into --out (never shipped)",
    )
    args = parser.parse_args(argv)
    if args.int8 and args.out.resolve() == ONNX_DIR.resolve():
        parser.error("--int8: int8 models are not shipped; name a folder with --out")
    torch.set_num_threads(1)  # the calibration's ranges, bit for bit on any machine
    if not args.check:
        provenance = export_all(args.out, args.int8)
        for entry in provenance["models"].values():
            path = args.out / entry["file"]
            print(f"{path} ({path.stat().st_size / 1e6:.2f} MB)")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        export_all(Path(tmp), args.int8)
        stale = differences(args.out, Path(tmp))
    print("up to date" if not stale else f"differ from a fresh export: {stale}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
