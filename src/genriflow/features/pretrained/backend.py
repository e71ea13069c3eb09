"""Which runtime runs the musicnn networks: ONNX Runtime on a CPU, or PyTorch.

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
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING

from genriflow.errors import one_of

if TYPE_CHECKING:  # naming the back ends (RunOptions) imports no numpy
    import numpy as np

__all__ = ["BACKENDS", "DEFAULT_BACKEND", "resolve", "run", "using"]

#: The back ends a job may name.
BACKENDS = ("auto", "onnx", "torch")
#: What ``auto`` is where ONNX Runtime is installed: the faster path that held the
#: agreement checks (``benchmarks/onnx_paths.py``).
DEFAULT_BACKEND = "onnx"

#: The environment variable ``auto`` follows where it is set.
ENVIRONMENT = "GENRIFLOW_NETWORK_BACKEND"
_CURRENT: ContextVar[str] = ContextVar("network_backend", default="auto")


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


@contextlib.contextmanager
def using(backend: str) -> Iterator[str]:
    """Run the networks on ``backend`` (resolved) within this context; yields its name."""
    token = _CURRENT.set(resolve(backend))
    try:
        yield _CURRENT.get()
    finally:
        _CURRENT.reset(token)


def current() -> str:
    """The back end :func:`run` uses here and now (resolved)."""
    return resolve(_CURRENT.get())


def run(patches: np.ndarray, name: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Taggram and features of log-mel ``patches`` by network ``name`` on the current
    back end: what :func:`genriflow.features.pretrained.musicnn.forward` returns."""
    if current() == "onnx":
        from genriflow.features.pretrained import onnx_runtime

        return onnx_runtime.forward(patches, name)
    from genriflow.features.pretrained.musicnn import forward
    from genriflow.features.pretrained.weights import load_pretrained

    return forward(patches, load_pretrained(name))


def load(name: str) -> None:
    """Open network ``name`` on the current back end now (a worker, before its first file)."""
    if current() == "onnx":
        from genriflow.features.pretrained import onnx_runtime

        onnx_runtime.session(name)
    else:
        from genriflow.features.pretrained.weights import load_pretrained

        load_pretrained(name)
