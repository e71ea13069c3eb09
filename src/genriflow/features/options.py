"""How a batch job runs: where features are kept, which engine and how many workers,
whether to show progress."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from genriflow.errors import ConfigError, a_bool, a_path, at_least, one_of
from genriflow.features.devices import DEVICES
from genriflow.features.pretrained.backend import BACKENDS, requested_device, resolve
from genriflow.locations import default_store_dir

#: Where the per-song work runs: ``local`` worker processes on this machine
#: (:mod:`~genriflow.features.workers`), or ``ray`` tasks on a Ray cluster
#: (:mod:`~genriflow.features.ray_engine`, the optional extra ``genriflow[ray]``).
ENGINES = ("local", "ray")


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    """The options every batch job shares (extraction, training, prediction, tagging).

    Attributes
    ----------
    store : path or None
        Feature store folder; ``None`` computes everything afresh and keeps nothing.
        The command line defaults to :func:`genriflow.locations.default_store_dir`.
    n_jobs : int or None
        Worker processes (``local``), or Ray tasks running at once (``ray``); ``None``
        uses every core (of the cluster, for ``ray``).
    progress : bool
        Show a progress bar (files per second, time left) on long work.
    engine : {'local', 'ray'}
        Where each song is computed (see :data:`ENGINES`); both run the same per-song
        function and the results are written the same way.
    address : str or None
        ``ray`` only: the cluster to join, ``auto`` (the one this machine belongs to) or
        ``ray://HOST:PORT`` (Ray Client); ``None`` joins the instance this process already
        started, else starts one on this machine.
    network_backend : {'auto', 'onnx', 'torch'}
        What runs the pretrained networks (see
        :mod:`~genriflow.features.pretrained.backend`): ``onnx`` (ONNX Runtime, float32:
        the faster CPU path, no torch import), ``torch`` (PyTorch), ``auto``
        (``GENRIFLOW_NETWORK_BACKEND`` where set, else ``onnx`` where ONNX Runtime is
        installed). A misspelt variable is a ConfigError here, before any work. Both
        give the same features within float rounding and share the feature store.
    device : {'auto', 'cpu', 'cuda'}
        Where the pretrained networks run (see
        :mod:`~genriflow.features.pretrained.backend`): ``auto`` on CUDA where the back
        end can use it (``GENRIFLOW_DEVICE`` where set), else on the CPU, silently;
        ``cuda`` without CUDA is a :class:`~genriflow.errors.ConfigError` when the
        networks first run, on the machine that computes. CUDA's features differ from the
        CPU's by float rounding only and share the feature store.

    Examples
    --------
    >>> RunOptions(n_jobs=2)
    RunOptions(store=None, n_jobs=2, progress=False, engine='local', address=None, \
network_backend='auto', device='auto')
    >>> RunOptions(device="gpu")
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `device` must be one of auto, cpu, cuda; got 'gpu'
    >>> RunOptions(address="auto")
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `address` is for the ray engine (engine='ray'); got 'auto'
    """

    store: str | os.PathLike | None = None
    n_jobs: int | None = None
    progress: bool = False
    engine: str = "local"
    address: str | None = None
    network_backend: str = "auto"
    device: str = "auto"

    def __post_init__(self) -> None:
        at_least("n_jobs", self.n_jobs, 1, optional=True, whole=True)
        a_bool("progress", self.progress)
        one_of("engine", self.engine, ENGINES)
        one_of("network_backend", self.network_backend, BACKENDS)
        one_of("device", self.device, DEVICES)
        # `auto` follows GENRIFLOW_NETWORK_BACKEND and GENRIFLOW_DEVICE: a misspelt one is
        # said here, before any work, not by the first file whose features miss the store
        resolve(self.network_backend)
        requested_device(self.device)
        a_path("store", self.store, optional=True)
        if self.store is not None and not os.fspath(self.store):  # Path("") is the cwd
            raise ConfigError("store", "must be a folder's path, not empty (None: no store)")
        if self.address is not None and not isinstance(self.address, str):
            raise ConfigError("address", "must be auto, HOST:PORT or ray://HOST:PORT (a str); "
                              f"got {type(self.address).__name__}")
        if self.address is not None and self.engine != "ray":
            raise ConfigError("address", "is for the ray engine (engine='ray'); got "
                              f"{self.address!r}")
        if self.address is not None and not (self.address == "auto" or self.address
                                             .removeprefix("ray://").rpartition(":")[2]
                                             .isdigit()):
            raise ConfigError("address", "must be auto, HOST:PORT or ray://HOST:PORT; got "
                              f"{self.address!r}")
        if self.store is not None:
            object.__setattr__(self, "store", Path(self.store))


def default_options(store: str | os.PathLike | None = None, *, keep: bool = True,
                    n_jobs: int | None = None, progress: bool = False, engine: str = "local",
                    address: str | None = None, network_backend: str = "auto",
                    device: str = "auto") -> RunOptions:
    """The options of a job that names none: the one place the default is built.

    The public API and the library call it with no arguments; the command line passes its
    flags; :func:`genriflow.workflows.train_any.train_any` passes ``keep=False``.

    Parameters
    ----------
    store : path or None
        Feature store folder; ``None``: :func:`genriflow.locations.default_store_dir`.
    keep : bool
        Keep features in a store; ``False`` (``--no-store``) computes everything afresh and
        keeps nothing, whatever ``store`` says.
    n_jobs, progress, engine, address, network_backend, device
        As :class:`RunOptions`: every core, no progress bar, the ``local`` engine, the
        networks on ``auto`` back end and device.

    Returns
    -------
    RunOptions

    Examples
    --------
    >>> default_options(keep=False)
    RunOptions(store=None, n_jobs=None, progress=False, engine='local', address=None, \
network_backend='auto', device='auto')
    >>> default_options("/tmp/store", n_jobs=2).store
    PosixPath('/tmp/store')
    """
    a_bool("keep", keep)
    return RunOptions(store=(store or default_store_dir()) if keep else None, n_jobs=n_jobs,
                      progress=progress, engine=engine, address=address,
                      network_backend=network_backend, device=device)


def given_options(options: RunOptions | None) -> RunOptions:
    """The options a public function was given, or :func:`default_options` for ``None``;
    anything else is a :class:`~genriflow.errors.ConfigError`, raised before any work.

    >>> given_options({"n_jobs": 2})
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `options` must be a genriflow.RunOptions or None; got dict
    """
    if options is None:
        return default_options()
    if not isinstance(options, RunOptions):
        raise ConfigError("options", "must be a genriflow.RunOptions or None; got "
                          f"{type(options).__name__}")
    return options
