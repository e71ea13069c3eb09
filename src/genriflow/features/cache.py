"""Per-file feature cache keyed by file content and feature configuration.

Entries are plain ``.npy`` files (loaded with ``allow_pickle=False``), written to a
temporary name and renamed into place, so an interrupted run never leaves a corrupt entry.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np


def default_cache_dir() -> Path:
    """``$GENRIFLOW_CACHE``, else ``$XDG_CACHE_HOME/genriflow``, else ``~/.cache/genriflow``."""
    if "GENRIFLOW_CACHE" in os.environ:
        return Path(os.environ["GENRIFLOW_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "genriflow"


def content_hash(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    """BLAKE2b digest (16 hex characters) of a file's bytes."""
    digest = hashlib.blake2b(digest_size=8)
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


class FeatureCache:
    """Feature arrays on disk under ``root/<config digest>/<content hash>-<window>.npy``.

    Parameters
    ----------
    root : str or PathLike or None
        Cache folder; ``None`` disables caching.
    """

    def __init__(self, root: str | os.PathLike | None) -> None:
        self.root = Path(root) if root is not None else None

    def _path(self, config_digest: str, content: str, window: str) -> Path | None:
        if self.root is None:
            return None
        return self.root / config_digest / f"{content}-{window}.npy"

    def get(self, config_digest: str, content: str, window: str) -> np.ndarray | None:
        path = self._path(config_digest, content, window)
        if path is None or not path.is_file():
            return None
        try:
            return np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            return None

    def put(self, config_digest: str, content: str, window: str, value: np.ndarray) -> None:
        path = self._path(config_digest, content, window)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            np.save(f, value, allow_pickle=False)
        os.replace(tmp, path)
