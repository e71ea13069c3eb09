"""Where genriflow keeps what it computes: the feature store.

Nothing here is ever inside a user's music folder.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

#: The environment variable that names the feature store when no ``store`` is given.
STORE_ENVIRONMENT = "GENRIFLOW_STORE"


def default_store_dir() -> Path:
    """The command line's feature store: ``$GENRIFLOW_STORE``, else
    ``$XDG_CACHE_HOME/genriflow``, else ``~/.cache/genriflow``.

    An empty variable counts as unset (``Path("")`` is the current folder, perhaps a music
    folder), a leading ``~`` is the home folder (a notebook's ``%env`` or a ``.env`` file
    sets it unexpanded: it made a folder named ``~`` in the current one), and a relative
    ``$XDG_CACHE_HOME`` is ignored, as the XDG specification says.
    Public as ``genriflow.default_store_dir``: ``RunOptions(store=default_store_dir())``
    shares the command line's store.

    Returns
    -------
    pathlib.Path
        The folder (not made here).
    """
    if os.environ.get(STORE_ENVIRONMENT):
        return Path(os.environ[STORE_ENVIRONMENT]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / "genriflow"


def store_field(root: str | os.PathLike) -> str:
    """The name an error gives the feature store ``root``: ``GENRIFLOW_STORE`` where that
    variable named it (the user gave no ``--store`` to be told about), else ``store``.

    >>> os.environ[STORE_ENVIRONMENT] = "/srv/features"
    >>> store_field("/srv/features"), store_field("/tmp/other")
    ('GENRIFLOW_STORE', 'store')
    >>> del os.environ[STORE_ENVIRONMENT]
    """
    named = os.environ.get(STORE_ENVIRONMENT)
    return STORE_ENVIRONMENT if named and Path(named).expanduser() == Path(root) else "store"


def cannot_write(root: str | os.PathLike) -> str | None:
    """Why files cannot be made in the store folder ``root`` (``"Read-only file
    system"``, ``"Permission denied"``, ...), or ``None`` when they can; the folder is
    made if missing. For a command whose work is to fill the store, to refuse before any."""
    if Path(root).exists() and not Path(root).is_dir():  # mkdir's own word: "File exists"
        return "it is a file, not a folder"
    try:
        Path(root).mkdir(parents=True, exist_ok=True)
        probe = Path(root) / f".probe-{uuid.uuid4().hex[:8]}.tmp"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def fsync_folder(folder: str | os.PathLike) -> None:
    """Flush a folder's entries (a rename or a new file in it) to disk; a no-op where a
    folder cannot be opened (Windows) or flushed."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
