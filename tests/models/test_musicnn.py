"""The musicnn port: equivalence with the original, the shipped weights, short audio.

The reference outputs in ``tests/data/musicnn_reference.npz`` were computed by the original
TensorFlow code (``tools/musicnn_reference.py``: TensorFlow 2.15.1, librosa 0.11.0,
numpy 1.26.4, musicnn 0.1.0). The weights are those genriflow ships
(``tools/convert_musicnn.py`` made them; ``tests/tools/`` checks that conversion): these
tests need no ``musicnn`` package.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from genriflow.features.pretrained import musicnn as mnn
from genriflow.features.pretrained import weights

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(autouse=True, scope="module")
def _two_threads():
    threads = torch.get_num_threads()
    torch.set_num_threads(min(threads, 2))
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def reference() -> dict[str, np.ndarray]:
    with np.load(DATA / "musicnn_reference.npz") as npz:
        return {key: npz[key] for key in npz.files}


@pytest.fixture(scope="module")
def models() -> dict[str, mnn.MusicnnNet]:
    return {name: mnn.load_pretrained(name) for name in mnn.PRETRAINED}


def _features(model: mnn.MusicnnNet, patches: np.ndarray, **kw) -> dict[str, np.ndarray]:
    with torch.inference_mode():
        return {k: v.numpy() for k, v in model.features(torch.from_numpy(patches), **kw).items()}


# --- equivalence with the original -----------------------------------------------------

# Max |ours - original| seen (5 patches: 3 of the FLAC, 1 random, 1 silent; torch 2.13 CPU
# vs TensorFlow 2.15.1 CPU):
#   taggram      mtt-musicnn 1.7e-6, msd-musicnn 4.5e-7, mtt-vgg 7.2e-7, msd-vgg 3.7e-7
#   mean_pool    1.1e-5 / 7.6e-6 (values up to 36);  max_pool 3.3e-4 / 2.9e-4 (up to 146)
#   penultimate  9.7e-6 / 4.8e-6;  pool5 7.0e-6 / 6.1e-6
# Running the port in float64 moves it no closer to TensorFlow, so the gaps are float32
# rounding on TensorFlow's side (oneDNN), not a porting error.
EMBEDDINGS = {"musicnn": ("mean_pool", "max_pool", "penultimate"), "vgg": ("pool5",)}


@pytest.mark.parametrize("name", list(mnn.PRETRAINED))
def test_matches_original(name: str, models, reference) -> None:
    spec = mnn.PRETRAINED[name]
    model = models[name]
    assert model.tags == spec.tags and model.name == name and not model.training
    ours = _features(model, reference["patches"])
    prefix = spec.checkpoint
    np.testing.assert_allclose(ours["taggram"], reference[f"{prefix}/taggram"], rtol=0,
                               atol=1e-4)
    for key in EMBEDDINGS[spec.architecture]:
        np.testing.assert_allclose(ours[key], reference[f"{prefix}/{key}"], rtol=1e-4,
                                   atol=1e-4, err_msg=key)
    with torch.inference_mode():
        logits = model(torch.from_numpy(reference["patches"]))
    np.testing.assert_allclose(torch.sigmoid(logits).numpy(), ours["taggram"], atol=1e-7)


@pytest.mark.parametrize(("name", "keys"), [
    ("mtt-musicnn", ("timbral", "temporal", "cnn1", "cnn2", "cnn3")), ("mtt-vgg", ("pool4",)),
])
def test_intermediate_maps(name: str, keys: tuple[str, ...], models, reference) -> None:
    # Max |difference| seen: 1.1e-5 (timbral, temporal) to 3.0e-4 (cnn3, values up to 34).
    ours = _features(models[name], reference["patches"][:1], intermediate=True)
    for key in keys:
        ref = reference[f"{mnn.PRETRAINED[name].checkpoint}/{key}"]
        np.testing.assert_allclose(ours[key][0], ref, rtol=1e-4, atol=1e-3, err_msg=key)


def test_tag_lists(reference) -> None:
    assert tuple(reference["MTT_tags"]) == mnn.MTT_TAGS
    assert tuple(reference["MSD_tags"]) == mnn.MSD_TAGS


def test_log_mel_matches_original(reference) -> None:
    y, sr = sf.read(DATA / "musicnn_reference.flac", dtype="float32")
    assert sr == mnn.SR
    log_mel = mnn.musicnn_log_mel(y)
    # Identical (max difference 0.0) with librosa 0.11.0 on both sides. Another librosa or
    # FFT backend may move a mel power across a float16 rounding boundary: one float16 step
    # changes log10(10000 x + 1) by at most ~4.3e-4.
    np.testing.assert_allclose(log_mel, reference["log_mel"], rtol=0, atol=1e-3)
    np.testing.assert_allclose(mnn.to_patches(log_mel), reference["patches"][:3], atol=1e-3)


# --- the shipped weights: loading once, memory-mapped, no musicnn package ---------------


def test_shipped_files_match_their_provenance() -> None:
    folder = weights.WEIGHTS_DIR
    provenance = json.loads((folder / "provenance.json").read_text())
    assert provenance["source"] == {**provenance["source"], "package": "musicnn",
                                    "version": "0.1.0", "licence": "ISC"}
    assert set(provenance["models"]) == set(mnn.PRETRAINED)
    for name, entry in provenance["models"].items():
        path = weights.weights_path(name)
        assert entry["file"] == path.name
        assert entry["checkpoint"] == mnn.PRETRAINED[name].checkpoint
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"], name
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["LICENSE-musicnn", "provenance.json", *(f"{n}.safetensors" for n in mnn.PRETRAINED)])
    licence = (folder / "LICENSE-musicnn").read_text()
    assert "Permission to use, copy, modify, and/or distribute this software" in licence
    assert "Music Technology Group, Universitat Pompeu Fabra" in licence


def _mapped_file(ptr: int) -> str | None:
    """The file whose memory mapping holds address ``ptr`` in this process, if any."""
    for line in Path("/proc/self/maps").read_text().splitlines():
        fields = line.split(maxsplit=5)
        lo, hi = (int(x, 16) for x in fields[0].split("-"))
        if lo <= ptr < hi:
            return fields[5] if len(fields) == 6 else None
    return None


def test_loaded_once_shared_and_memory_mapped(models) -> None:
    found: list[mnn.MusicnnNet] = []
    threads = [threading.Thread(target=lambda: found.append(mnn.load_pretrained("mtt-vgg")))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(model is models["mtt-vgg"] for model in found)
    for name, model in models.items():
        assert not model.training
        assert not any(p.requires_grad for p in model.parameters())
        if sys.platform == "linux":  # the weights are the file's pages, not a copy
            for key, tensor in model.state_dict().items():
                assert _mapped_file(tensor.data_ptr()) == str(weights.weights_path(name)), key


def test_loads_without_the_musicnn_package(tmp_path: Path) -> None:
    # A fresh interpreter where `musicnn` and the checkpoint reader cannot be found or
    # imported: the networks still load and run.
    code = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("musicnn", "tf_checkpoint", "tensorflow"):
            raise ImportError(f"{name} is blocked")
sys.meta_path.insert(0, Block())
import numpy as np
from genriflow.features.pretrained.musicnn import PRETRAINED, extract, load_pretrained
y = np.zeros(16000, np.float32)
for name in PRETRAINED:
    taggram, _ = extract(y, load_pretrained(name))
    assert taggram.shape == (1, 50), taggram.shape
assert not [m for m in sys.modules if m.split(".")[0] in ("musicnn", "tf_checkpoint")]
print("ok")
"""
    src = Path(mnn.__file__).resolve().parents[3]
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(src), "HOME": str(tmp_path)},
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_unreadable_or_wrong_weights(tmp_path: Path) -> None:
    bad = tmp_path / "mtt-vgg.safetensors"
    bad.write_bytes(b"not safetensors")
    with pytest.raises(ValueError, match=r"mtt-vgg\.safetensors: unreadable weights"):
        weights.read_weights(bad)
    with pytest.raises(FileNotFoundError, match="reinstall"):
        weights.read_weights(tmp_path / "missing.safetensors")
    state = weights.read_weights(weights.weights_path("mtt-vgg"))
    with pytest.raises(ValueError, match="msd-musicnn: the weights do not fit"):
        weights.build_network("msd-musicnn", state)
    del state["dense.bias"]
    with pytest.raises(ValueError, match="dense.bias"):
        weights.build_network("mtt-vgg", state)


def test_load_errors() -> None:
    with pytest.raises(ValueError, match="mtt-musicnn"):
        mnn.load_pretrained("musicnn")
    with pytest.raises(ValueError, match="mtt-musicnn"):
        weights.weights_path("vgg")


def test_to_patches() -> None:
    log_mel = np.arange(400 * 96, dtype=np.float32).reshape(400, 96)
    patches = mnn.to_patches(log_mel)
    assert patches.shape == (2, 187, 96)
    np.testing.assert_array_equal(patches[1], log_mel[187:374])
    assert mnn.to_patches(log_mel, hop=100).shape == (3, 187, 96)
    short = mnn.to_patches(log_mel[:50])
    assert short.shape == (1, 187, 96)
    np.testing.assert_array_equal(short[0, :50], log_mel[:50])
    assert not short[0, 50:].any()
    np.testing.assert_array_equal(mnn.to_patches(log_mel[:50], pad="repeat")[0, 50:100],
                                  log_mel[:50])


@pytest.mark.parametrize("name", ["mtt-musicnn", "mtt-vgg"])
def test_short_audio(name: str, models) -> None:
    y = 0.1 * np.random.default_rng(0).standard_normal(mnn.SR).astype(np.float32)  # 1 s
    taggram, features = mnn.extract(y, models[name])
    assert taggram.shape == (1, 50) and np.isfinite(taggram).all()
    expected = {"mtt-musicnn": {"mean_pool": 753, "max_pool": 753, "penultimate": 200},
                "mtt-vgg": {"pool5": 256}}[name]
    assert {key: value.shape for key, value in features.items()} == {
        key: (1, size) for key, size in expected.items()}


def test_vgg_needs_187_frames(models) -> None:
    with pytest.raises(ValueError, match=r"\(batch, 187, 96\)"):
        models["mtt-vgg"](torch.zeros(1, 100, 96))


def test_log_mel_of_samples_far_outside_one_is_finite_and_warns_nothing() -> None:
    """int16 values given as floats (a peak of 30000) made band powers beyond float16's
    range: NumPy warned "overflow encountered in cast" and the song failed as "features
    are not finite". They are held at float16's largest value; in-range audio is unchanged."""
    t = np.arange(3 * mnn.SR) / mnn.SR
    y = np.sin(2 * np.pi * 330 * t).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loud = mnn.musicnn_log_mel(30000 * y)
    assert np.isfinite(loud).all()
    assert loud.max() == pytest.approx(np.log10(10000 * 65504.0 + 1), rel=1e-6)
    assert mnn.musicnn_log_mel(y).max() < loud.max()
