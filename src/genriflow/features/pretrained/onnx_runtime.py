"""The musicnn taggers through ONNX Runtime: the CPU path, without torch.

``tools/export_onnx.py`` exported the shipped networks (through the PyTorch port, from the
safetensors of :mod:`~genriflow.features.pretrained.weights`) into ``musicnn-onnx/``
beside this module: ``<name>.onnx``, float32, with their ``provenance.json``. Each holds
the graph only: its weights are read from the shipped safetensors
(``musicnn-weights/<name>.safetensors``, ONNX external data by offset), so genriflow ships
them once.
:func:`forward` runs them and returns what
:func:`genriflow.features.pretrained.musicnn.forward` returns (within float rounding),
importing neither torch nor the port's modules. No int8 model ships: quantised, the
default model's top genre changed on 3 of 105 real songs (``benchmarks/onnx_paths.py``
measures them from models it quantises itself; :func:`models_in` runs such a folder).

Each process opens one :class:`onnxruntime.InferenceSession` per model file and device,
the first time it is asked for, and shares it between threads (``run`` is thread-safe).
On ``cpu`` it runs on the ``CPUExecutionProvider``; on ``cuda``, the
``CUDAExecutionProvider`` first and the CPU's for what it lacks (``onnxruntime-gpu``;
:func:`~genriflow.features.pretrained.backend.placement` asks for ``cuda`` only where
ONNX Runtime has that provider).
Its intra-op threads are fixed then: :func:`set_threads` (the feature engine's workers
ask for one; a caller analysing alone gets every core), as
:func:`torch.set_num_threads` was for the PyTorch path.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from genriflow.errors import at_least, one_of
from genriflow.features.pretrained.preprocessing import N_FRAMES, N_MELS
from genriflow.features.pretrained.weights import PRETRAINED, WEIGHTS_DIR

if TYPE_CHECKING:
    from onnxruntime import InferenceSession

__all__ = [
    "ONNX_DIR",
    "OUTPUTS",
    "PROVIDERS",
    "forward",
    "has_cuda",
    "models_in",
    "onnx_path",
    "session",
    "set_threads",
    "threads",
]

#: The folder of the exported models and their provenance.
ONNX_DIR = Path(__file__).with_name("musicnn-onnx")
#: The models' outputs by architecture, in order: what ``MusicnnNet.features`` returns.
OUTPUTS: dict[str, tuple[str, ...]] = {
    "musicnn": ("taggram", "max_pool", "mean_pool", "penultimate"),
    "vgg": ("taggram", "pool5"),
}
#: The execution providers of each device, in order of preference.
PROVIDERS = {
    "cpu": ("CPUExecutionProvider",),
    "cuda": ("CUDAExecutionProvider", "CPUExecutionProvider"),
}
_SESSIONS: dict[tuple[Path, str], InferenceSession] = {}
#: ONNX Runtime's full telemetry opt-out, set (where the user has not) before its import.
TELEMETRY_OPT_OUT = "ORT_DISABLE_TELEMETRY"
_LOCK = threading.Lock()
_THREADS: list[int | None] = [None]
_DENORMALS_AS_ZERO: list[bool] = [False]
_FOLDER: list[Path] = [ONNX_DIR]


def onnx_path(name: str) -> Path:
    """The ONNX model of network ``name`` (the shipped one, unless :func:`models_in`).

    >>> onnx_path("mtt-musicnn").name
    'mtt-musicnn.onnx'
    """
    one_of("model", name, sorted(PRETRAINED))
    return _FOLDER[0] / f"{name}.onnx"


@contextlib.contextmanager
def models_in(folder: str | os.PathLike) -> Iterator[None]:
    """Run the models of ``folder`` (``<name>.onnx``, as ``tools/export_onnx.py --out``
    writes them) instead of the shipped ones within this context: another export or
    quantisation, checked against the shipped models by a benchmark."""
    previous = _FOLDER[0]
    _FOLDER[0] = Path(folder)
    try:
        yield
    finally:
        _FOLDER[0] = previous


def set_threads(threads: int | None, *, denormals_as_zero: bool | None = None) -> None:
    """Intra-op threads of the sessions this process opens from now on (``None``: every
    core). Sessions already open keep theirs: a process runs the networks on one setting.

    ``denormals_as_zero`` (``None``: unchanged; off until set) has those sessions compute
    subnormal floats as zero, faster on quiet passages; ONNX Runtime then sets that mode
    for the whole thread that runs them, so only the feature engine's own workers ask for
    it: a caller's process (a script, a notebook, the service) keeps IEEE floats.
    """
    at_least("threads", threads, 1, optional=True)
    _THREADS[0] = threads
    if denormals_as_zero is not None:
        _DENORMALS_AS_ZERO[0] = denormals_as_zero


@contextlib.contextmanager
def threads(count: int | None) -> Iterator[None]:
    """:func:`set_threads` within this context, the previous setting after it."""
    previous = _THREADS[0]
    set_threads(count)
    try:
        yield
    finally:
        _THREADS[0] = previous


def _onnxruntime():
    """``onnxruntime``, imported with its telemetry off unless the user chose otherwise.

    Since 1.2x ONNX Runtime on Linux and macOS writes a device identifier under
    ``~/.cache/Microsoft`` and uploads a process event when it is imported; genriflow
    runs offline and sends nothing, and ``ORT_DISABLE_TELEMETRY=1`` before the import
    is its full opt-out (nothing created, nothing sent). A value the user set is kept.
    """
    os.environ.setdefault(TELEMETRY_OPT_OUT, "1")
    import onnxruntime

    return onnxruntime


def has_cuda() -> bool:
    """Whether this ONNX Runtime has the ``CUDAExecutionProvider`` (``onnxruntime-gpu``)."""
    onnxruntime = _onnxruntime()

    return PROVIDERS["cuda"][0] in onnxruntime.get_available_providers()


def session(name: str, device: str = "cpu") -> InferenceSession:
    """The process's session of network ``name`` (:func:`onnx_path`) on ``device`` (``cpu``
    or ``cuda``), opened once and shared.

    Raises
    ------
    ValueError
        For an unknown network, or an unreadable model file.
    FileNotFoundError
        If the model is missing from the installation.
    """
    path = onnx_path(name)
    key = (path, one_of("device", device, ("cpu", "cuda")))
    found = _SESSIONS.get(key)
    if found is not None:
        return found
    with _LOCK:
        if key not in _SESSIONS:
            _SESSIONS[key] = _open(path, device)
        return _SESSIONS[key]


def _open(path: Path, device: str) -> InferenceSession:
    onnxruntime = _onnxruntime()

    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: the ONNX model is missing from this installation of genriflow; reinstall it"
        )
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = _THREADS[0] or os.cpu_count() or 1
    options.inter_op_num_threads = 1
    # No memory pattern: planned per input shape, it kept ~70 MiB more per process for
    # the two musicnn networks (259 against 191 MiB resident) at the same speed.
    options.enable_mem_pattern = False
    # Threads that spin between passes would take the cores of the feature engine's other
    # processes, and of the decoding between two songs.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # Subnormal floats as zero, as the PyTorch path's workers: they arise on quiet
    # passages and cost x86 cores a hundred times a normal operation. Only where asked
    # (set_threads): it changes the float mode of the calling thread too.
    if _DENORMALS_AS_ZERO[0]:
        options.add_session_config_entry("session.set_denormal_as_zero", "1")
    # The shipped models' weights are external data in the safetensors' folder; a model
    # opened from bytes reads them from there (and only from there).
    options.add_session_config_entry(
        "session.model_external_initializers_file_folder_path", str(WEIGHTS_DIR)
    )
    options.log_severity_level = 3
    # Full float32 on CUDA: TF32 (10-bit mantissa, on by default from Ampere on) would move
    # the features well beyond the CPU's rounding, and the store is shared.
    provider_options = [
        {"use_tf32": "0"} if p == PROVIDERS["cuda"][0] else {} for p in PROVIDERS[device]
    ]
    try:
        return onnxruntime.InferenceSession(
            path.read_bytes(),
            options,
            providers=list(PROVIDERS[device]),
            provider_options=provider_options,
        )
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own unrelated types
        raise ValueError(f"{path}: unreadable ONNX model ({exc})") from None


def forward(
    patches: np.ndarray, name: str, batch_size: int = 2, *, device: str = "cpu"
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Taggram and features of log-mel patches through ONNX Runtime, one row per patch.

    As :func:`genriflow.features.pretrained.musicnn.forward` (without intermediate maps).

    Parameters
    ----------
    patches : numpy.ndarray
        (n_patches, 187, 96), as :func:`~genriflow.features.pretrained.preprocessing.to_patches`
        makes.
    name : str
        One of :data:`~genriflow.features.pretrained.weights.PRETRAINED`.
    batch_size : int
        Patches per pass; every pass has this many (a short last one is padded), so a
        patch's numbers do not depend on how many others came with it.
    device : {'cpu', 'cuda'}
        The session's (:func:`session`); the results come back to the CPU either way.

    Returns
    -------
    taggram : numpy.ndarray
        (n_patches, n_tags) tag probabilities, float32.
    features : dict[str, numpy.ndarray]
        MusiCNN: ``max_pool``, ``mean_pool`` (n_patches, 753), ``penultimate``
        (n_patches, 200); VGG: ``pool5`` (n_patches, 256); float32.

    Examples
    --------
    >>> import numpy as np
    >>> taggram, features = forward(np.zeros((3, 187, 96), np.float32), "mtt-musicnn")
    >>> taggram.shape, features["penultimate"].shape
    ((3, 50), (3, 200))
    """
    patches = np.asarray(patches, np.float32)
    if patches.ndim != 3 or patches.shape[1:] != (N_FRAMES, N_MELS):
        raise ValueError(
            f"expected log-mel patches (batch, {N_FRAMES}, {N_MELS}), got {patches.shape}"
        )
    run = session(name, device)
    names = OUTPUTS[PRETRAINED[name].architecture]
    n = len(patches)
    patches = np.concatenate([patches, np.zeros((-n % batch_size, N_FRAMES, N_MELS), np.float32)])
    chunks = [
        run.run(names, {"patches": np.ascontiguousarray(patches[i : i + batch_size])})
        for i in range(0, len(patches), batch_size)
    ]
    outputs = {key: np.concatenate([c[k] for c in chunks])[:n] for k, key in enumerate(names)}
    return outputs.pop("taggram"), outputs
