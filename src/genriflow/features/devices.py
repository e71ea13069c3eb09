"""Where networks run: the device names, and the device a name stands for here.

The names are checked where options are made (:class:`~genriflow.features.options.RunOptions`,
a training configuration) without importing torch; :func:`resolve_device` imports it, when
a network is about to run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from genriflow.errors import ConfigError, one_of

if TYPE_CHECKING:  # naming the devices imports no torch
    import torch

__all__ = ["DEVICES", "resolve_device"]

#: Device names: ``auto`` is CUDA when available, else the CPU.
DEVICES = ("auto", "cpu", "cuda")


def resolve_device(name: str | torch.device) -> torch.device:
    """``auto`` -> ``cuda`` when available else ``cpu``; a ``torch.device`` as it is.

    Raises
    ------
    ConfigError
        For a name not in :data:`DEVICES`, or ``cuda`` without CUDA.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    >>> resolve_device("gpu")
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `device` must be one of auto, cpu, cuda; got 'gpu'
    """
    import torch

    if isinstance(name, torch.device):
        return name
    one_of("device", name, DEVICES)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            "device",
            f"is cuda but CUDA is not available (torch {torch.__version__}); use cpu or auto",
        )
    return torch.device(name)
