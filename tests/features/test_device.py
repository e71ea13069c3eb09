"""Where the musicnn networks run: the device option, its checks and fallback, and the
choice of runtime and device, on a machine without a GPU.

CUDA itself is never used here: ``torch.cuda.is_available`` and ONNX Runtime's providers
are replaced, and what would reach the GPU (the network's move, the session's providers)
is recorded instead. ``benchmarks/library.py --device cuda`` measures the real thing where
a GPU is lent.
"""

from __future__ import annotations

import numpy as np
import onnxruntime
import pytest
import soundfile as sf
import torch
from tests.close import assert_close

from commandline import in_process
from genriflow.datasets.synthetic import synthesize_clip
from genriflow.errors import ConfigError
from genriflow.features import workers
from genriflow.features.extract import extract_sets
from genriflow.features.options import RunOptions
from genriflow.features.pretrained import backend, musicnn, onnx_runtime
from genriflow.features.pretrained.backend import Placement, placement
from genriflow.features.pretrained.preprocessing import SR, musicnn_log_mel, to_patches
from genriflow.features.sampling import DEFAULT_SAMPLING
from genriflow.features.sets import FeatureConfig

CUDA_PROVIDERS = ["CUDAExecutionProvider", "CPUExecutionProvider"]
TAGS = FeatureConfig(set="musicnn-tags")


@pytest.fixture
def no_cuda(monkeypatch):
    """A machine where neither torch nor ONNX Runtime can use CUDA (whatever this one has)."""
    monkeypatch.delenv(backend.DEVICE_ENVIRONMENT, raising=False)
    monkeypatch.delenv(backend.ENVIRONMENT, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: ["CPUExecutionProvider"])


@pytest.fixture
def song(tmp_path):
    path = tmp_path / "rock" / "song.wav"
    path.parent.mkdir()
    sf.write(path, synthesize_clip("rock", 6.0, SR, np.random.default_rng(4)), SR)
    return path


@pytest.fixture(scope="module")
def patches() -> np.ndarray:
    rng = np.random.default_rng(5)
    return to_patches(musicnn_log_mel(synthesize_clip("jazz", 7.0, SR, rng)))


def test_device_names_are_checked_in_one_line(monkeypatch) -> None:
    with pytest.raises(
        ConfigError, match="`device` must be one of auto, cpu, cuda; got 'gpu'"
    ) as caught:
        RunOptions(device="gpu")
    assert "\n" not in str(caught.value)
    assert RunOptions(device="cuda").device == "cuda"  # CUDA is looked for when it runs
    monkeypatch.setenv(backend.DEVICE_ENVIRONMENT, "gpu")
    with pytest.raises(ConfigError, match="`GENRIFLOW_DEVICE` must be one of cpu, cuda"):
        placement("onnx", "auto")


@pytest.mark.parametrize("network_backend", ["onnx", "torch"])
def test_cuda_without_cuda_is_one_line_before_any_file(no_cuda, song, network_backend) -> None:
    options = RunOptions(n_jobs=1, network_backend=network_backend, device="cuda")
    with pytest.raises(ConfigError, match="`device` is cuda but CUDA is not available") as caught:
        extract_sets([song], [TAGS], options=options)
    assert "\n" not in str(caught.value)
    # a worker's task says so too, rather than calling it the file's error
    task = workers.Task(
        str(song), (TAGS,), DEFAULT_SAMPLING, network_backend=network_backend, device="cuda"
    )
    with pytest.raises(ConfigError, match="`device` is cuda"):
        workers.compute(task, {})


def test_the_command_line_says_it_in_one_line(no_cuda, song) -> None:
    data = song.parent.parent
    ran = in_process(
        "features", data, "--sets", "musicnn-tags", "--device", "cuda", "--no-store", "-q"
    )
    assert ran.returncode == 2, ran.stderr
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in ran.stderr, ran.stderr
    assert "`--device` is cuda but CUDA is not available" in lines[0]
    ran = in_process("features", data, "--device", "gpu", "--no-store", "-q")
    assert ran.returncode == 2
    assert "`--device` must be one of auto, cpu, cuda; got 'gpu'" in ran.stderr


def test_predict_with_bars_on_refuses_cuda_before_its_bar_starts(no_cuda, song) -> None:
    ran = in_process("predict", "--device", "cuda", "--no-store", song,
                     env={"FORCE_COLOR": "1", "TERM": "xterm"})
    assert ran.returncode == 2, ran.stderr
    assert "features [" not in ran.stderr, ran.stderr  # no bar drawn for a run refused
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1 and "`--device` is cuda but CUDA is not available" in lines[0]



@pytest.mark.parametrize(("variable", "value"), [("GENRIFLOW_NETWORK_BACKEND", "onxx"),
                                                 ("GENRIFLOW_DEVICE", "gpu")])
def test_a_misspelt_variable_is_said_before_any_work(song, tmp_path, variable, value) -> None:
    """Before, the store's songs were served with the variable unread (exit 0), and a table
    model's run failed only at its first file: the variable was read where a network ran."""
    store = tmp_path / "store"
    assert in_process("predict", "--store", store, "-q", song).returncode == 0
    for model in ("gtzan", "gtzan-table"):  # a store hit; features with no network
        ran = in_process("predict", "--model", model, "--store", store, song,
                         env={variable: value, "FORCE_COLOR": "1", "TERM": "xterm"})
        assert ran.returncode == 2, (model, ran.stdout, ran.stderr)
        assert ran.stdout == "" and "features [" not in ran.stderr, ran.stderr
        names = "onnx, torch" if variable.endswith("BACKEND") else "cpu, cuda"
        assert ran.stderr.strip().splitlines() == [
            f"error: `{variable}` must be one of {names}; got {value!r}"]


@pytest.mark.parametrize("network_backend", ["onnx", "torch"])
def test_auto_falls_back_to_the_cpu_with_the_same_features(no_cuda, song, network_backend) -> None:
    assert placement(network_backend, "auto") == Placement(network_backend, "cpu")
    rows = {}
    for device in ("auto", "cpu"):
        options = RunOptions(n_jobs=1, network_backend=network_backend, device=device)
        out = extract_sets([song], [TAGS], options=options)["musicnn-tags"]
        assert not out.errors
        rows[device] = out.files[0].row()
    assert rows["auto"].dtype == np.float32
    assert_close(rows["auto"], rows["cpu"], rel=1e-5, abs=1e-6)


def test_torch_is_chosen_on_cuda_where_torch_sees_it(no_cuda, monkeypatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert placement("torch", "auto") == Placement("torch", "cuda")
    assert placement("torch", "cuda") == Placement("torch", "cuda")
    assert placement("torch", "cpu") == Placement("torch", "cpu")
    # cuda without ONNX Runtime's CUDA provider: torch on CUDA, whichever back end was named
    assert placement("onnx", "cuda") == Placement("torch", "cuda")
    assert placement("auto", "cuda") == Placement("torch", "cuda")
    # auto with ONNX Runtime on the CPU stays there (it never imports torch to look)
    assert placement("onnx", "auto") == Placement("onnx", "cpu")
    monkeypatch.setenv(backend.DEVICE_ENVIRONMENT, "cpu")
    assert placement("torch", "auto") == Placement("torch", "cpu")


def test_the_torch_network_is_moved_to_cuda_once(no_cuda, monkeypatch, patches) -> None:
    """On ``cuda``, :func:`backend.run` asks for a copy of the network moved there (once),
    leaves the shared CPU network alone, and passes CUDA-sized batches."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(backend, "_ON_DEVICE", {})
    moved, batches, tf32 = [], [], []
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", True)  # torch's default

    def to(self, device):  # the move, recorded; the copy stays on the CPU here
        moved.append(str(device))
        return self

    real_forward = musicnn.forward

    def forward(patches, model, batch_size=2, intermediate=False):
        batches.append(batch_size)
        tf32.append(torch.backends.cudnn.allow_tf32 or torch.backends.cuda.matmul.allow_tf32)
        return real_forward(patches, model, batch_size, intermediate)

    monkeypatch.setattr(musicnn.MusiCNN, "to", to)
    monkeypatch.setattr(musicnn, "forward", forward)
    with backend.using("torch", "cuda"):
        taggram, features = backend.run(patches, "mtt-musicnn")
        backend.run(patches, "mtt-musicnn")
    assert moved == ["cuda"] and batches == [backend.CUDA_BATCH_SIZE] * 2
    assert tf32 == [False, False] and torch.backends.cudnn.allow_tf32  # full float32, then back
    assert backend._ON_DEVICE["mtt-musicnn", "cuda"] is not musicnn.load_pretrained("mtt-musicnn")
    with backend.using("torch", "cpu"):
        expected, _ = backend.run(patches, "mtt-musicnn")
    assert moved == ["cuda"] and batches[-1] == 2
    assert taggram.dtype == np.float32 and isinstance(features["penultimate"], np.ndarray)
    assert_close(taggram, expected, rel=0, abs=1e-5)


class _Elsewhere(torch.nn.Module):
    """A network whose weights lie on the ``meta`` device: it records where its batches
    come from (a CPU-only machine's stand-in for a GPU)."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1, device="meta"))
        self.seen: list[str] = []

    def features(self, batch, intermediate=False):
        self.seen.append(batch.device.type)
        return {"taggram": torch.ones(len(batch), 50)}


def test_the_batches_go_where_the_network_is(patches) -> None:
    net = _Elsewhere()
    taggram, _ = musicnn.forward(patches, net, batch_size=2)
    assert net.seen == ["meta"] * -(-len(patches) // 2)
    assert taggram.shape == (len(patches), 50) and taggram.dtype == np.float32


def test_onnx_asks_for_cuda_where_onnxruntime_has_it(no_cuda, monkeypatch, patches) -> None:
    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: CUDA_PROVIDERS)
    assert placement("onnx", "auto") == Placement("onnx", "cuda")
    assert placement("onnx", "cuda") == Placement("onnx", "cuda")
    assert placement("onnx", "cpu") == Placement("onnx", "cpu")
    asked, cuda_options = [], []
    real = onnxruntime.InferenceSession

    def spy(model, options, providers, provider_options):  # asked for; a CPU session here
        asked.append(list(providers))
        cuda_options.extend(
            o for p, o in zip(providers, provider_options, strict=True) if "CUDA" in p
        )
        return real(model, options, providers=["CPUExecutionProvider"])

    monkeypatch.setattr(onnxruntime, "InferenceSession", spy)
    monkeypatch.setattr(onnx_runtime, "_SESSIONS", {})
    with backend.using("onnx", "auto"):
        taggram, _ = backend.run(patches, "msd-musicnn")
        backend.run(patches, "msd-musicnn")  # the session is opened once
    assert asked == [CUDA_PROVIDERS] and cuda_options == [{"use_tf32": "0"}]
    # the providers the session really has, not those asked for
    assert backend.describe("onnx", "auto") == "onnx on cuda (CPUExecutionProvider)"
    with backend.using("onnx", "cpu"):
        expected, _ = backend.run(patches, "msd-musicnn")
    assert asked == [CUDA_PROVIDERS, ["CPUExecutionProvider"]]
    assert_close(taggram, expected, rel=0, abs=1e-5)


def test_the_device_reaches_the_workers(no_cuda, song, monkeypatch) -> None:
    """The local engine's workers load their networks on the job's device
    (``prepare_process``'s arguments), and each task computes under its own."""

    class Started(Exception):
        pass

    def pool(**kwargs):
        started.append(kwargs["initargs"])
        raise Started

    started: list[tuple] = []
    from joblib.externals import loky

    monkeypatch.setattr(loky, "get_reusable_executor", pool)
    tasks = [workers.Task(str(song), (TAGS,), DEFAULT_SAMPLING, device="cpu")] * 3
    with pytest.raises(Started):
        next(workers.results(tasks, 2, {}, ["msd-musicnn"], "torch", "cpu"))
    assert started == [(("msd-musicnn",), "torch", "cpu")]

    def computed_under(*args, **kwargs):
        return backend.current(), backend.placement()

    monkeypatch.setattr(workers, "compute_file", computed_under)
    task = workers.Task(str(song), (TAGS,), DEFAULT_SAMPLING, network_backend="torch", device="cpu")
    assert workers.compute(task, {}) == ("torch", Placement("torch", "cpu"))


def _cuda_runtimes() -> list[str]:
    return [
        runtime
        for runtime, usable in (
            ("torch", torch.cuda.is_available()),
            ("onnx", onnx_runtime.has_cuda()),
        )
        if usable
    ]


@pytest.mark.skipif(not _cuda_runtimes(), reason="no CUDA here (torch or onnxruntime-gpu)")
@pytest.mark.parametrize("runtime", ["torch", "onnx"])
def test_cuda_features_match_the_cpu(runtime, patches) -> None:
    """On a GPU only: the same features as the CPU's within float32 rounding (the bounds of
    ONNX Runtime against PyTorch, tests/features/test_onnx_runtime.py)."""
    if runtime not in _cuda_runtimes():
        pytest.skip(f"{runtime} cannot use CUDA here")
    for name in ("msd-musicnn", "mtt-vgg"):
        with backend.using(runtime, "cuda"):
            assert backend.placement() == Placement(runtime, "cuda")
            taggram, features = backend.run(patches, name)
        with backend.using(runtime, "cpu"):
            expected_tags, expected = backend.run(patches, name)
        assert taggram.dtype == np.float32
        assert_close(taggram, expected_tags, rel=0, abs=1e-5)
        assert_close(features, expected, rel=1e-4, abs=1e-3)


@pytest.mark.parametrize("command", [["similar"], ["evaluate", "gtzan"], ["cluster"]])
def test_every_command_that_runs_the_networks_takes_device(no_cuda, song, command) -> None:
    data = song.parent.parent
    assert "--device" in in_process(*command, "--help").stdout
    ran = in_process(*command, data, "--device", "gpu", "-q")
    assert ran.returncode == 2, ran.stderr
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in ran.stderr, ran.stderr
    assert "`--device` must be one of auto, cpu, cuda; got 'gpu'" in lines[0]


def test_similar_on_cuda_without_cuda_is_one_line(no_cuda, song, tmp_path) -> None:
    ran = in_process("similar", song.parent.parent, "--device", "cuda", "--store",
                     tmp_path / "store", "-q")
    assert ran.returncode == 2, ran.stderr
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1 and "`--device` is cuda but CUDA is not available" in lines[0]
