"""The musicnn port: checkpoint reader, equivalence with the original, cache, short audio.

The reference outputs in ``tests/data/musicnn_reference.npz`` were computed by the original
TensorFlow code (``tools/musicnn_reference.py``: TensorFlow 2.15.1, librosa 0.11.0,
numpy 1.26.4, musicnn 0.1.0). Tests that need the weights skip when the ``musicnn``
package is not installed; it is found with ``find_spec``, never imported.
"""

from __future__ import annotations

import importlib.util
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from genriflow.features.pretrained import musicnn as mnn
from genriflow.features.pretrained.tf_checkpoint import crc32c, read_checkpoint

DATA = Path(__file__).resolve().parents[1] / "data"
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
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pretrained")


@pytest.fixture(scope="module")
def models(cache_dir: Path) -> dict[str, mnn.MusicnnNet]:
    if MUSICNN_DIR is None:
        pytest.skip("the musicnn package is not installed (pip install --no-deps musicnn==0.1.0)")
    return {name: mnn.load_pretrained(name, cache_dir) for name in mnn.PRETRAINED}


def _features(model: mnn.MusicnnNet, patches: np.ndarray, **kw) -> dict[str, np.ndarray]:
    with torch.inference_mode():
        return {k: v.numpy() for k, v in model.features(torch.from_numpy(patches), **kw).items()}


# --- the checkpoint reader -------------------------------------------------------------


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
@pytest.mark.parametrize("spec", mnn.PRETRAINED.values(), ids=list(mnn.PRETRAINED))
def test_read_checkpoint(spec: mnn.PretrainedSpec) -> None:
    variables = read_checkpoint(f"{MUSICNN_DIR / spec.checkpoint}/")
    total, used = VARIABLE_COUNTS[spec.checkpoint]
    assert len(variables) == total
    assert sum(not mnn._is_optimizer_variable(k) for k in variables) == used
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


@needs_musicnn
def test_conversion_checks_every_variable() -> None:
    variables = read_checkpoint(f"{MUSICNN_DIR / 'MTT_vgg'}/")
    with pytest.raises(ValueError, match="unused.*extra/kernel"):
        mnn.convert_checkpoint({**variables, "extra/kernel": np.zeros(1)}, mnn.VGG())
    del variables["5CNN/bias"]
    with pytest.raises(ValueError, match="5CNN/bias"):
        mnn.convert_checkpoint(variables, mnn.VGG())


# --- equivalence with the original -----------------------------------------------------

# Max |ours - original| seen (5 patches: 3 of the FLAC, 1 random, 1 silent; torch 2.13 CPU
# vs TensorFlow 2.15.1 CPU):
#   taggram      mtt-musicnn 1.7e-6, msd-musicnn 4.5e-7, mtt-vgg 7.2e-7, msd-vgg 3.7e-7
#   mean_pool    1.1e-5 / 7.6e-6 (values up to 36);  max_pool 3.3e-4 / 2.9e-4 (up to 146)
#   penultimate  9.7e-6 / 4.8e-6;  pool5 7.0e-6 / 6.1e-6
# Running the port in float64 moves it no closer to TensorFlow, so the gaps are float32
# rounding on TensorFlow's side (oneDNN), not a porting error.
EMBEDDINGS = {"musicnn": ("mean_pool", "max_pool", "penultimate"), "vgg": ("pool5",)}


@needs_musicnn
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


@needs_musicnn
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


# --- loading, cache, short audio -------------------------------------------------------


@needs_musicnn
def test_cache_is_used(models, cache_dir: Path, reference, monkeypatch) -> None:
    for name in mnn.PRETRAINED:
        assert (cache_dir / f"{name}.safetensors").is_file()
    assert not list(cache_dir.glob(".*.tmp"))

    def no_package() -> Path:
        raise AssertionError("the checkpoint was read again")

    monkeypatch.setattr(mnn, "_musicnn_dir", no_package)
    again = mnn.load_pretrained("msd-musicnn", cache_dir)
    patches = reference["patches"][:2]
    first, second = _features(models["msd-musicnn"], patches), _features(again, patches)
    for key in first:
        np.testing.assert_array_equal(first[key], second[key])


@needs_musicnn
def test_unreadable_cache_is_rebuilt(tmp_path: Path) -> None:
    (tmp_path / "mtt-vgg.safetensors").write_bytes(b"not safetensors")
    with pytest.warns(UserWarning, match="converting again"):
        model = mnn.load_pretrained("mtt-vgg", tmp_path)
    assert isinstance(model, mnn.VGG)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mnn.load_pretrained("mtt-vgg", tmp_path)


def test_load_errors(tmp_path: Path, monkeypatch) -> None:
    with pytest.raises(ValueError, match="mtt-musicnn"):
        mnn.load_pretrained("musicnn", tmp_path)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "musicnn" else real(name, *a))
    with pytest.raises(FileNotFoundError, match="pip install --no-deps musicnn==0.1.0"):
        mnn.load_pretrained("msd-vgg", tmp_path)


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


@needs_musicnn
@pytest.mark.parametrize("name", ["mtt-musicnn", "mtt-vgg"])
def test_short_audio(name: str, models) -> None:
    y = 0.1 * np.random.default_rng(0).standard_normal(mnn.SR).astype(np.float32)  # 1 s
    taggram, features = mnn.extract(y, models[name])
    assert taggram.shape == (1, 50) and np.isfinite(taggram).all()
    expected = {"mtt-musicnn": {"mean_pool": 753, "max_pool": 753, "penultimate": 200},
                "mtt-vgg": {"pool5": 256}}[name]
    assert {key: value.shape for key, value in features.items()} == {
        key: (1, size) for key, size in expected.items()}


@needs_musicnn
def test_vgg_needs_187_frames(models) -> None:
    with pytest.raises(ValueError, match=r"\(batch, 187, 96\)"):
        models["mtt-vgg"](torch.zeros(1, 100, 96))
