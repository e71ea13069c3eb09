"""Where genriflow keeps what it computes: the feature store.

Nothing here is ever inside a user's music folder.
"""

from __future__ import annotations

import os
from pathlib import Path


def default_store_dir() -> Path:
    """``$GENRIFLOW_STORE``, else ``$XDG_CACHE_HOME/genriflow``, else ``~/.cache/genriflow``."""
    if "GENRIFLOW_STORE" in os.environ:
        return Path(os.environ["GENRIFLOW_STORE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "genriflow"
