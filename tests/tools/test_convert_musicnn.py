"""tools/convert_musicnn.py: the shipped weights are what converting musicnn's checkpoints gives.

Needs the ``musicnn`` package (the dev install has it: ``make install-dev``); skips
without it. genriflow itself never reads it: ``tests/models/test_musicnn.py`` runs on the
shipped weights alone.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import safetensors
import safetensors.torch
import torch

from convert_musicnn import convert, convert_checkpoint, differences, tf_layers, write_weights
from genriflow.features.pretrained.architectures import VGG, MusiCNN
from genriflow.features.pretrained.weights import PRETRAINED, WEIGHTS_DIR, weights_path
from tf_checkpoint import read_checkpoint

_SPEC = importlib.util.find_spec("musicnn")
MUSICNN_DIR = Path(_SPEC.submodule_search_locations[0]) if _SPEC else None
pytestmark = pytest.mark.skipif(
    MUSICNN_DIR is None,
    reason="the musicnn package is not installed (pip install --no-deps musicnn==0.1.0)",
)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    """A conversion of the installed package's checkpoints, written beside the tests."""
    out = tmp_path_factory.mktemp("musicnn-weights")
    write_weights(out, MUSICNN_DIR)
    return out


def test_a_conversion_gives_the_shipped_files_byte_for_byte(fresh: Path) -> None:
    assert sorted(p.name for p in fresh.iterdir()) == sorted(p.name for p in
                                                             WEIGHTS_DIR.iterdir())
    assert differences(WEIGHTS_DIR, fresh) == []
    provenance = json.loads((fresh / "provenance.json").read_text())
    for name, entry in provenance["models"].items():
        assert set(entry["checkpoint_sha256"]) == {f"{PRETRAINED[name].checkpoint}/.index",
                                                   f"{PRETRAINED[name].checkpoint}/"
                                                   ".data-00000-of-00001"}


@pytest.mark.parametrize("name", list(PRETRAINED))
def test_shipped_tensors_are_the_checkpoints(name: str) -> None:
    state = convert(name, MUSICNN_DIR)
    shipped = safetensors.torch.load_file(weights_path(name))
    assert state.keys() == shipped.keys()
    for key, value in state.items():
        assert value.dtype == shipped[key].dtype, key
        torch.testing.assert_close(shipped[key], value, rtol=0, atol=0, msg=key)
    with safetensors.safe_open(weights_path(name), "pt") as f:
        meta = json.loads(f.metadata()["genriflow"])
    assert meta == {"name": name, "source": f"musicnn==0.1.0 {PRETRAINED[name].checkpoint}",
                    "tags": list(PRETRAINED[name].tags)}


def test_every_weighted_layer_has_a_scope() -> None:
    for model in (MusiCNN(), VGG()):
        layers = tf_layers(model)
        scopes = [scope for scope, _ in layers]
        assert len(set(scopes)) == len(scopes)
        weighted = {m for m in model.modules() if list(m.parameters(recurse=False))}
        assert {module for _, module in layers} == weighted
    assert [s for s, _ in tf_layers(VGG())][:3] == ["batch_normalization", "1CNN",
                                                    "batch_normalization_1"]
    with pytest.raises(TypeError, match="not a musicnn network"):
        tf_layers(torch.nn.Linear(1, 1))


def test_conversion_checks_every_variable() -> None:
    variables = read_checkpoint(f"{MUSICNN_DIR / 'MTT_vgg'}/")
    with pytest.raises(ValueError, match="unused.*extra/kernel"):
        convert_checkpoint({**variables, "extra/kernel": np.zeros(1)}, VGG())
    del variables["5CNN/bias"]
    with pytest.raises(ValueError, match="5CNN/bias"):
        convert_checkpoint(variables, VGG())
