"""Which runtime runs the musicnn networks, ONNX Runtime or PyTorch, and where: CPU or CUDA.

Both give the same features within float rounding; they differ in cost
(``benchmarks/onnx_paths.py`` measures both on real music, with their agreement):

``onnx``
    The exported float32 models (:mod:`~genriflow.features.pretrained.onnx_runtime`):
    the default on a CPU, faster, and a process that runs only it never imports torch.
``torch``
    The PyTorch port (:mod:`~genriflow.features.pretrained.musicnn`): training,
    intermediate feature maps, and the fallback where ONNX Runtime is not installed.
``auto``
    The environment variable ``GENRIFLOW_NETWORK_BACKEND`` where it is set (``onnx`` or
    ``torch``: every job of a command line, a service, or a benchmark run, workers
    included), else ``onnx`` where ONNX Runtime is installed, else ``torch``.

int8 models did not hold the agreement checks (the default model's top genre changed on
3 of 105 real songs) and are not offered.

A job names its back end in :class:`~genriflow.features.options.RunOptions`
(``network_backend``); each of its files is computed under :func:`using`, in whichever
process computes it, and :func:`run` reads it there.

The two share the feature store: ONNX Runtime's float32 features differ from PyTorch's
only by float rounding (``tests/features/test_onnx_runtime.py``), as PyTorch's own do
between thread counts and batch positions, and no stored value nor prediction changes
with them.

Where they run
--------------
A job also names its device (``device`` of
:class:`~genriflow.features.options.RunOptions`: ``auto``, ``cpu`` or ``cuda``), and
:func:`placement` decides, on the machine that computes:

* ``torch`` runs on :func:`~genriflow.features.devices.resolve_device`'s device (``auto``:
  CUDA where torch sees it); the networks and each batch of patches move there, and the
  results come back as float32 NumPy arrays on the CPU.
* ``onnx`` runs on the ``CUDAExecutionProvider`` (CPU as fallback) where ``device`` is
  ``cuda`` or ``auto`` and ONNX Runtime has that provider (``onnxruntime-gpu``), else on
  the ``CPUExecutionProvider``: ``auto`` never imports torch to look for a GPU.
* ``cuda`` where ONNX Runtime has no CUDA provider but torch sees CUDA runs ``torch`` on
  CUDA instead, whatever back end was named: the device asked for is the stronger wish.
* ``cuda`` where neither can is a :class:`~genriflow.errors.ConfigError` naming
  ``device``, raised before the first file is computed (the feature engine asks first)
  or when a network is first asked to run: the options are checked where they are made,
  the device on the machine that computes, which for a Ray cluster is not the caller's.
  ``auto`` falls back to the CPU silently.

``auto`` follows the environment variable ``GENRIFLOW_DEVICE`` where it is set (``cpu`` or
``cuda``), as the back end follows ``GENRIFLOW_NETWORK_BACKEND``. On CUDA each pass holds
:data:`CUDA_BATCH_SIZE` patches (a GPU idles on passes of two).
Float32 features computed on CUDA differ from the CPU's by float rounding only (TF32, on
by default for convolutions on recent GPUs, is turned off for the passes: its 10-bit
mantissa would not), as the two back ends' do, and share the feature store with them.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, NamedTuple

from genriflow.errors import ConfigError, one_of
from genriflow.features.devices import DEVICES

if TYPE_CHECKING:  # naming the back ends (RunOptions) imports no numpy
    import numpy as np

    from genriflow.features.pretrained.architectures import MusicnnNet

__all__ = [
    "BACKENDS",
    "CUDA_BATCH_SIZE",
    "DEFAULT_BACKEND",
    "DEVICES",
    "Placement",
    "describe",
    "placement",
    "requested_device",
    "resolve",
    "run",
    "using",
]

#: The back ends a job may name.
BACKENDS = ("auto", "onnx", "torch")
#: What ``auto`` is where ONNX Runtime is installed: the faster path that held the
#: agreement checks (``benchmarks/onnx_paths.py``).
DEFAULT_BACKEND = "onnx"

#: The environment variable ``auto`` follows where it is set.
ENVIRONMENT = "GENRIFLOW_NETWORK_BACKEND"
_CURRENT: ContextVar[str] = ContextVar("network_backend", default="auto")
#: The environment variable a device of ``auto`` follows where it is set.
DEVICE_ENVIRONMENT = "GENRIFLOW_DEVICE"
_DEVICE: ContextVar[str] = ContextVar("device", default="auto")
#: Patches per pass on CUDA (on a CPU, passes of two are fastest: see ``musicnn.forward``).
#: Not yet measured on a GPU in this project: ``benchmarks/library.py --device cuda``.
CUDA_BATCH_SIZE = 32
_ON_DEVICE: dict[tuple[str, str], MusicnnNet] = {}
_LOCK = threading.Lock()


class Placement(NamedTuple):
    """What runs the networks (``onnx`` or ``torch``) and where (``cpu`` or ``cuda``)."""

    runtime: str
    device: str


def resolve(backend: str = "auto") -> str:
    """The back end that runs for ``backend``: ``onnx`` or ``torch``.

    >>> resolve("torch")
    'torch'
    >>> resolve("tensorflow")
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `network_backend` must be one of auto, ...; got 'tensorflow'
    """
    one_of("network_backend", backend, BACKENDS)
    if backend != "auto":
        return backend
    named = os.environ.get(ENVIRONMENT)
    if named:
        return one_of(ENVIRONMENT, named, BACKENDS[1:])
    if DEFAULT_BACKEND == "onnx" and importlib.util.find_spec("onnxruntime") is None:
        return "torch"
    return DEFAULT_BACKEND


def requested_device(device: str = "auto") -> str:
    """The device asked for: ``cpu``, ``cuda``, or ``auto`` where ``GENRIFLOW_DEVICE`` is
    unset (whether CUDA is there is :func:`placement`'s question).

    >>> requested_device("cpu")
    'cpu'
    """
    one_of("device", device, DEVICES)
    named = os.environ.get(DEVICE_ENVIRONMENT)
    if device == "auto" and named:
        return one_of(DEVICE_ENVIRONMENT, named, DEVICES[1:])
    return device


@contextlib.contextmanager
def using(backend: str, device: str = "auto") -> Iterator[str]:
    """Run the networks on ``backend`` (resolved) and ``device`` within this context;
    yields the back end's name. The device is checked against the machine only when a
    network runs (:func:`placement`)."""
    token = _CURRENT.set(resolve(backend))
    device_token = _DEVICE.set(requested_device(device))
    try:
        yield _CURRENT.get()
    finally:
        _DEVICE.reset(device_token)
        _CURRENT.reset(token)


def current() -> str:
    """The back end named here and now (resolved), before the device has its say."""
    return resolve(_CURRENT.get())


def placement(backend: str | None = None, device: str | None = None) -> Placement:
    """What runs the networks, and where, for ``backend`` and ``device`` (``None``: those
    of the current :func:`using` context), by the rules of this module's docstring.

    Raises
    ------
    ConfigError
        For ``cuda`` where neither ONNX Runtime nor torch can use CUDA.

    Examples
    --------
    >>> placement("onnx", "cpu")
    Placement(runtime='onnx', device='cpu')
    """
    runtime = resolve(_CURRENT.get() if backend is None else backend)
    device = requested_device(_DEVICE.get() if device is None else device)
    if runtime == "torch":
        from genriflow.features.devices import resolve_device

        return Placement("torch", resolve_device(device).type)
    from genriflow.features.pretrained import onnx_runtime

    if device != "cpu" and onnx_runtime.has_cuda():
        return Placement("onnx", "cuda")
    if device == "auto":
        return Placement("onnx", "cpu")
    if device == "cuda":
        import torch

        if torch.cuda.is_available():
            return Placement("torch", "cuda")
        raise ConfigError(
            "device",
            "is cuda but CUDA is not available here: ONNX Runtime "
            "has no CUDAExecutionProvider (onnxruntime-gpu) and torch "
            f"{torch.__version__} sees no CUDA device; use cpu or auto",
        )
    return Placement("onnx", "cpu")


def describe(backend: str | None = None, device: str | None = None) -> str:
    """What :func:`placement` chose, in words: the runtime, the device, and ONNX Runtime's
    providers of a session opened on it, or torch's name of the GPU.

    >>> describe("onnx", "cpu")
    'onnx on cpu (CPUExecutionProvider)'
    """
    chosen = placement(backend, device)
    if chosen.runtime == "onnx":
        from genriflow.features.pretrained import onnx_runtime

        providers = onnx_runtime.session("msd-musicnn", device=chosen.device).get_providers()
        return f"onnx on {chosen.device} ({', '.join(providers)})"
    if chosen.device == "cuda":
        import torch

        return f"torch on cuda ({torch.cuda.get_device_name()})"
    return "torch on cpu"


def run(patches: np.ndarray, name: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Taggram and features of log-mel ``patches`` by network ``name`` where
    :func:`placement` says: what :func:`genriflow.features.pretrained.musicnn.forward`
    returns, float32 NumPy arrays on the CPU."""
    chosen = placement()
    batch = {"cuda": CUDA_BATCH_SIZE}.get(chosen.device, 2)
    if chosen.runtime == "onnx":
        from genriflow.features.pretrained import onnx_runtime

        return onnx_runtime.forward(patches, name, batch, device=chosen.device)
    from genriflow.features.pretrained.musicnn import forward

    with _full_float32(chosen.device):
        return forward(patches, _torch_network(name, chosen.device), batch)


@contextlib.contextmanager
def _full_float32(device: str) -> Iterator[None]:
    """No TF32 on CUDA meanwhile: on by default for cuDNN's convolutions from Ampere on, its
    10-bit mantissa would move the features well beyond the CPU's rounding, and the store
    is shared. The flags are the process's; they are put back after."""
    if device != "cuda":
        yield
        return
    import torch

    flags = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = flags


def load(name: str) -> None:
    """Open network ``name`` where :func:`placement` says now (a worker, before its first
    file)."""
    chosen = placement()
    if chosen.runtime == "onnx":
        from genriflow.features.pretrained import onnx_runtime

        onnx_runtime.session(name, device=chosen.device)
    else:
        _torch_network(name, chosen.device)


def _torch_network(name: str, device: str) -> MusicnnNet:
    """The process's network ``name`` on ``device``: the shared one on the CPU, else a
    copy moved there once (``Module.to`` moves in place; the CPU one stays as it is)."""
    from genriflow.features.pretrained.weights import load_pretrained

    if device == "cpu":
        return load_pretrained(name)
    with _LOCK:
        if (name, device) not in _ON_DEVICE:
            import copy

            _ON_DEVICE[name, device] = copy.deepcopy(load_pretrained(name)).to(device)
        return _ON_DEVICE[name, device]
