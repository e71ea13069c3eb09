"""The musicnn networks through ONNX Runtime: the same features as PyTorch, without torch.

The exported models (``tools/export_onnx.py``) against the PyTorch port on the original's
reference patches (``tests/data/musicnn_reference.npz``) and on generated music, and the
int8 ones the tool makes on request; the back-end option; the shipped files against their
provenance and a fresh export; a process on ONNX Runtime never imports torch.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from tests.close import assert_close

from genriflow.datasets.synthetic import synthesize_clip
from genriflow.errors import ConfigError
from genriflow.features.options import RunOptions
from genriflow.features.pretrained import backend, onnx_runtime
from genriflow.features.pretrained.preprocessing import SR, musicnn_log_mel, to_patches
from genriflow.features.pretrained.weights import PRETRAINED

DATA = Path(__file__).resolve().parents[1] / "data"
EMBEDDINGS = {"musicnn": ("mean_pool", "max_pool", "penultimate"), "vgg": ("pool5",)}


@pytest.fixture(scope="module")
def patches() -> np.ndarray:
    """The original's 5 reference patches, then 6 patches of generated rock and jazz."""
    with np.load(DATA / "musicnn_reference.npz") as npz:
        reference = npz["patches"]
    rng = np.random.default_rng(3)
    music = np.concatenate([synthesize_clip(genre, 9.0, SR, rng) for genre in ("rock", "jazz")])
    return np.concatenate([reference, to_patches(musicnn_log_mel(music))])


@pytest.fixture(scope="module")
def torch_outputs(patches) -> dict[str, tuple[np.ndarray, dict[str, np.ndarray]]]:
    with backend.using("torch"):
        return {name: backend.run(patches, name) for name in PRETRAINED}


@pytest.mark.parametrize("name", list(PRETRAINED))
def test_fp32_matches_torch(name: str, patches, torch_outputs) -> None:
    # Max |ONNX - PyTorch| seen: taggram 4.8e-7, max_pool 1.1e-4 (values up to 146), other
    # embeddings 4.5e-6: float32 rounding, as the port's own against TensorFlow.
    taggram, features = onnx_runtime.forward(patches, name)
    expected_tags, expected = torch_outputs[name]
    assert_close(taggram, expected_tags, rel=0, abs=1e-5)
    assert set(features) == set(EMBEDDINGS[PRETRAINED[name].architecture])
    assert_close(features, expected, rel=1e-4, abs=1e-3)


@pytest.fixture(scope="module")
def int8_folder(tmp_path_factory) -> Path:
    """The shipped models quantised as ``tools/export_onnx.py --int8 dynamic`` does."""
    from export_onnx import quantize_int8

    folder = tmp_path_factory.mktemp("int8")
    for name in PRETRAINED:
        fp32 = onnx_runtime.onnx_path(name).read_bytes()
        (folder / f"{name}.onnx").write_bytes(quantize_int8(fp32, "dynamic"))
    return folder


@pytest.mark.parametrize("name", list(PRETRAINED))
def test_int8_within_its_documented_tolerance(
    name: str, patches, torch_outputs, int8_folder
) -> None:
    # int8 (dynamic quantisation) moves a patch's tag probability by up to 0.064 here
    # (mtt-vgg), the mean over the patches by up to 0.021 (msd-musicnn); 4 or 5 of the
    # mean's top 5 tags stay (benchmarks/onnx_paths.py checks real songs).
    with onnx_runtime.models_in(int8_folder):
        taggram, _ = onnx_runtime.forward(patches, name)
    expected, _ = torch_outputs[name]
    assert np.abs(taggram - expected).max() < 0.2
    assert_close(taggram.mean(axis=0), expected.mean(axis=0), rel=0, abs=0.05)
    top = set(np.argsort(-expected.mean(axis=0))[:5])
    assert len(top & set(np.argsort(-taggram.mean(axis=0))[:5])) >= 4


def test_batches_and_padding_give_each_patch_its_numbers(patches) -> None:
    alone = onnx_runtime.forward(patches[:1], "mtt-musicnn")[0]
    together = onnx_runtime.forward(patches, "mtt-musicnn")[0][:1]
    assert_close(alone, together, rel=0, abs=1e-6)
    with pytest.raises(ValueError, match=r"expected log-mel patches \(batch, 187, 96\)"):
        onnx_runtime.forward(patches[:, :100], "mtt-musicnn")


def test_one_session_per_network_shared(int8_folder) -> None:
    first = onnx_runtime.session("msd-musicnn")
    assert onnx_runtime.session("msd-musicnn") is first
    with onnx_runtime.models_in(int8_folder):
        assert onnx_runtime.session("msd-musicnn") is not first
    assert onnx_runtime.session("msd-musicnn") is first


def test_options_are_checked_in_one_line() -> None:
    with pytest.raises(
        ConfigError, match="`network_backend` must be one of auto, onnx, torch; got 'tf'"
    ) as caught:
        RunOptions(network_backend="tf")
    assert "\n" not in str(caught.value)
    with pytest.raises(ConfigError, match="`model` must be one of"):
        onnx_runtime.session("mtt-resnet")
    with pytest.raises(ConfigError, match="`threads` must be at least 1"):
        onnx_runtime.set_threads(0)


def test_auto_is_onnx_and_falls_back_to_torch_without_onnxruntime(monkeypatch) -> None:
    assert backend.resolve("auto") == backend.DEFAULT_BACKEND == "onnx"
    real = backend.importlib.util.find_spec
    monkeypatch.setattr(
        backend.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "onnxruntime" else real(name, *a),
    )
    assert backend.resolve("auto") == "torch"
    assert backend.resolve("onnx") == "onnx"  # named, it is not replaced
    monkeypatch.setenv("GENRIFLOW_NETWORK_BACKEND", "onnx")
    assert backend.resolve("auto") == "onnx" and backend.resolve("torch") == "torch"
    monkeypatch.setenv("GENRIFLOW_NETWORK_BACKEND", "int8")
    with pytest.raises(
        ConfigError, match="`GENRIFLOW_NETWORK_BACKEND` must be one of onnx, torch; got 'int8'"
    ):
        backend.resolve("auto")


def test_missing_model_is_said(monkeypatch, tmp_path) -> None:
    with onnx_runtime.models_in(tmp_path):
        with pytest.raises(FileNotFoundError, match="mtt-vgg.onnx: the ONNX model is missing"):
            onnx_runtime.session("mtt-vgg")
        (tmp_path / "mtt-vgg.onnx").write_bytes(b"not a model")
        with pytest.raises(ValueError, match="mtt-vgg.onnx: unreadable ONNX model"):
            onnx_runtime.session("mtt-vgg")


def test_shipped_files_match_their_provenance() -> None:
    provenance = json.loads((onnx_runtime.ONNX_DIR / "provenance.json").read_text())
    assert set(provenance["models"]) == set(PRETRAINED)
    for name, entry in provenance["models"].items():
        source = onnx_runtime.ONNX_DIR.parent / "musicnn-weights" / entry["source"]
        assert hashlib.sha256(source.read_bytes()).hexdigest() == entry["source_sha256"]
        path = onnx_runtime.onnx_path(name)
        assert path.name == entry["file"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
    assert provenance["settings"]["precision"] == "fp32"
    shipped = sorted(p.name for p in onnx_runtime.ONNX_DIR.iterdir())
    assert shipped == sorted([*(f"{name}.onnx" for name in PRETRAINED), "provenance.json"])


def test_a_fresh_export_is_the_shipped_file() -> None:
    from export_onnx import export_fp32
    from genriflow.features.pretrained.weights import load_pretrained

    fresh = export_fp32("mtt-vgg")
    assert not load_pretrained("mtt-vgg").training  # the shared network is left as it was
    assert (
        hashlib.sha256(fresh).digest()
        == hashlib.sha256(onnx_runtime.onnx_path("mtt-vgg").read_bytes()).digest()
    )


_NO_TORCH = """
import sys
import numpy as np
import soundfile as sf
from genriflow.features.extract import extract_sets
from genriflow.features.options import RunOptions
from genriflow.features.sets import FeatureConfig
configs = [FeatureConfig(set=name) for name in ("musicnn", "musicnn-tags", "mtt-vgg")]
out = extract_sets([sys.argv[1]], configs, options=RunOptions(n_jobs=1))
assert all(not e.errors and len(e.files) == 1 for e in out.values()), out
print(out["musicnn-tags"].files[0].row().shape, "torch" in sys.modules)
"""


def test_the_onnx_path_never_imports_torch(tmp_path) -> None:
    song = tmp_path / "song.wav"
    sf.write(song, synthesize_clip("disco", 8.0, SR, np.random.default_rng(1)), SR)
    done = subprocess.run(
        [sys.executable, "-c", _NO_TORCH, str(song)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-1] == "False", done.stdout


def test_both_backends_share_the_store_and_agree(tmp_path) -> None:
    from genriflow.features.extract import extract_sets
    from genriflow.features.sets import FeatureConfig

    song = tmp_path / "song.wav"
    sf.write(song, synthesize_clip("metal", 7.0, SR, np.random.default_rng(2)), SR)
    config = FeatureConfig(set="musicnn")
    rows = {}
    for name in ("torch", "onnx"):
        out = extract_sets([song], [config], options=RunOptions(n_jobs=1, network_backend=name))
        rows[name] = out["musicnn"].files[0].row()
    assert_close(rows["onnx"], rows["torch"], rel=1e-4, abs=1e-3)
    stored = extract_sets(
        [song],
        [config],
        options=RunOptions(store=tmp_path / "store", n_jobs=1, network_backend="torch"),
    )
    again = extract_sets(
        [song],
        [config],
        options=RunOptions(store=tmp_path / "store", n_jobs=1, network_backend="onnx"),
    )
    assert stored["musicnn"].computed == 1 and again["musicnn"].computed == 0


CALLER_FLOATS = """
import numpy as np
from genriflow.features.pretrained import onnx_runtime
from genriflow.features.pretrained.preprocessing import N_FRAMES, N_MELS
before = 5e-324 * 1.0
onnx_runtime.forward(np.zeros((2, N_FRAMES, N_MELS), np.float32), "mtt-musicnn")
print(before > 0, 5e-324 * 1.0 > 0)
"""


def test_the_callers_floats_keep_their_subnormals() -> None:
    """Running the networks in the caller's process (one song, the service, a notebook)
    leaves its float mode alone: subnormals as zero is for the engine's own workers."""
    done = subprocess.run([sys.executable, "-c", CALLER_FLOATS], capture_output=True,
                          text=True, timeout=120, check=True)
    assert done.stdout.split() == ["True", "True"]


def test_the_front_end_is_factorised_where_cheaper_with_the_same_outputs(patches) -> None:
    import copy

    import torch

    from export_onnx import FACTOR_MAX_COST, factorise_front_end
    from genriflow.features.pretrained.weights import load_pretrained

    provenance = json.loads((onnx_runtime.ONNX_DIR / "provenance.json").read_text())
    for name in PRETRAINED:
        network = copy.deepcopy(load_pretrained(name))
        ranks = factorise_front_end(network)
        assert provenance["models"][name]["factorised"] == ranks
        for block_name, rank in ranks.items():
            block = network.get_submodule(block_name)
            basis, mix = block.factors
            filters, kernel = block.conv.weight.shape[0], block.conv.weight[0].numel()
            assert basis.shape == (rank, *block.conv.weight.shape[1:])
            assert rank * (kernel + filters) <= FACTOR_MAX_COST * filters * kernel
            assert_close((mix @ basis.reshape(rank, -1)).numpy(),
                         block.conv.weight.detach().reshape(filters, -1).numpy(),
                         rel=0, abs=1e-5)
        with torch.no_grad():
            plain = load_pretrained(name).features(torch.from_numpy(patches))
            factorised = network.features(torch.from_numpy(patches))
        for key, value in plain.items():
            assert_close(factorised[key].numpy(), value.numpy(), rel=1e-5, abs=1e-3)
    # the timbral filters of msd-musicnn have rank 23 and 14 of 204
    assert provenance["models"]["msd-musicnn"]["factorised"]["timbral.1"] < 20
    assert provenance["models"]["msd-vgg"]["factorised"] == {}


def test_onnx_runtime_runs_with_its_telemetry_off(tmp_path) -> None:
    """ONNX Runtime 1.32 on Linux wrote a device identifier and an event store under
    ``~/.cache/Microsoft`` on import, and uploads a process event: genriflow runs offline.
    ``ORT_DISABLE_TELEMETRY=1`` before the import creates and sends nothing."""
    song = tmp_path / "song.wav"
    sf.write(song, synthesize_clip("disco", 8.0, SR, np.random.default_rng(1)), SR)
    home = tmp_path / "home"
    home.mkdir()
    env = {key: value for key, value in os.environ.items()
           if key not in ("ORT_DISABLE_TELEMETRY", "XDG_CACHE_HOME")}
    done = subprocess.run(
        [sys.executable, "-m", "genriflow", "predict", "--model", "zero-shot", "--no-store",
         "-q", str(song)],
        capture_output=True, text=True, timeout=300, check=False,
        env={**env, "HOME": str(home), "GENRIFLOW_NETWORK_BACKEND": "onnx"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "disco" in done.stdout or "%" in done.stdout, done.stdout
    assert [p.relative_to(home).as_posix() for p in home.rglob("*")
            if "Microsoft" in p.as_posix()] == []
