"""tools/tf_checkpoint.py: TensorFlow checkpoints read without TensorFlow.

It reads the ``musicnn`` package's checkpoints once, when ``tools/convert_musicnn.py``
converts them into the weights genriflow ships; the tests that need those checkpoints skip
when the package is not installed (the dev install has it: ``make install-dev``). It is
found with ``find_spec``, never imported.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest

from convert_musicnn import is_optimizer_variable
from genriflow.features.pretrained.weights import PRETRAINED, PretrainedSpec
from tf_checkpoint import crc32c, read_checkpoint

_SPEC = importlib.util.find_spec("musicnn")
MUSICNN_DIR = Path(_SPEC.submodule_search_locations[0]) if _SPEC else None
needs_musicnn = pytest.mark.skipif(
    MUSICNN_DIR is None,
    reason="the musicnn package is not installed (pip install --no-deps musicnn==0.1.0)",
)
#: Variables in each checkpoint: all of them, and those the model uses (no Adam slots).
VARIABLE_COUNTS = {"MTT_musicnn": (150, 64), "MSD_musicnn": (150, 64), "MTT_vgg": (86, 36),
                   "MSD_vgg": (86, 36)}
FIRST_KERNELS = {"musicnn": ("conv2d/kernel", (7, 38, 1, 204)),
                 "vgg": ("1CNN/kernel", (3, 3, 1, 128))}


def _bitwise_crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def test_crc32c() -> None:
    assert crc32c(b"123456789") == 0xE3069283
    data = np.random.default_rng(0).integers(0, 256, 5003, dtype=np.uint8).tobytes()
    assert crc32c(data) == _bitwise_crc32c(data)  # the row-parallel path (>= 4096 bytes)


@needs_musicnn
@pytest.mark.parametrize("spec", PRETRAINED.values(), ids=list(PRETRAINED))
def test_read_checkpoint(spec: PretrainedSpec) -> None:
    variables = read_checkpoint(f"{MUSICNN_DIR / spec.checkpoint}/")
    total, used = VARIABLE_COUNTS[spec.checkpoint]
    assert len(variables) == total
    assert sum(not is_optimizer_variable(k) for k in variables) == used
    name, shape = FIRST_KERNELS[spec.architecture]
    assert variables[name].shape == shape and variables[name].dtype == np.float32
    assert variables[f"dense{'_1' if spec.architecture == 'musicnn' else ''}/bias"].shape == (50,)


def test_not_a_checkpoint(tmp_path: Path) -> None:
    (tmp_path / "x.index").write_bytes(b"\x00" * 100)
    with pytest.raises(ValueError, match=r"x\.index: not a TensorFlow checkpoint"):
        read_checkpoint(tmp_path / "x")
    with pytest.raises(FileNotFoundError, match="y.index"):
        read_checkpoint(tmp_path / "y")


@needs_musicnn
@pytest.mark.parametrize("suffix", [".index", ".data-00000-of-00001"])
def test_corrupted_checkpoint(tmp_path: Path, suffix: str) -> None:
    folder = tmp_path / "ckpt"
    folder.mkdir()
    for name in (".index", ".data-00000-of-00001"):
        shutil.copy(MUSICNN_DIR / "MTT_vgg" / name, folder / name)
    with open(folder / suffix, "r+b") as f:  # flip one byte inside the first block/tensor
        f.seek(100)
        byte = f.read(1)
        f.seek(100)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ValueError, match=rf"{suffix}: not a TensorFlow checkpoint .*CRC"):
        read_checkpoint(f"{folder}/")
