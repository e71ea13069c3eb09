"""Run folders: where ``evaluate``, ``compare``, ``cluster``, ``plot`` and ``tune`` write.

A run folder is written file by file (``report.md``, ``metrics.json``, pictures), over
files of the same names. Given a folder of the user's own files it wrote its results among
them, overwriting any of the same name, while ``train`` refuses such a folder (see
:mod:`genriflow.workflows.model_folder`). :func:`a_run_folder` takes a new path, an empty
folder, or an earlier run folder of the same command (rerun into it, as ``tune`` resumes
its search); anything else is refused in one line before the work. :func:`claim_run_folder`
makes the folder and marks it (``.genriflow-run``, the command's name) when the writing
begins; a folder written before the mark existed is known by the files it holds.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from pathlib import Path

from genriflow.datasets.discover import check_source
from genriflow.errors import ConfigError, a_folder_to_write

#: The file that says which command's run folder this is.
MARK = ".genriflow-run"


def _read(path: Path) -> str:
    with contextlib.suppress(OSError, UnicodeDecodeError):
        return path.read_text(encoding="utf-8")[:4096]
    return ""


def _scored(folder: Path) -> bool:
    # not a model folder (train writes metrics.json beside config.json)
    return ((folder / "metrics.json").is_file() and (folder / "report.md").is_file()
            and not (folder / "config.json").exists())


def _tuned(folder: Path) -> bool:
    with contextlib.suppress(ValueError, AttributeError):
        return json.loads(_read(folder / "config.json")).get("command") == "tune"
    return False


#: A run folder of each kind written before :data:`MARK`, by the files it always has.
_WRITTEN_BEFORE_THE_MARK: dict[str, Callable[[Path], bool]] = {
    "evaluate": _scored,
    "open-set": _scored,
    "compare": lambda folder: (folder / "comparison.csv").is_file(),
    "cluster": lambda folder: ((folder / "scores.csv").is_file()
                               and (folder / "clusters.csv").is_file()),
    "plot": lambda folder: _read(folder / "report.md").startswith("# genriflow pictures"),
    "tune": _tuned,
}
KINDS = tuple(_WRITTEN_BEFORE_THE_MARK)


def run_kind(folder: str | os.PathLike) -> str | None:
    """Which command's run folder ``folder`` is (``evaluate``, ``open-set``, ``compare``,
    ``cluster``, ``plot``, ``tune``), or ``None``."""
    folder = Path(folder)
    marked = _read(folder / MARK).strip()
    if marked:
        return marked
    return next((kind for kind, known in _WRITTEN_BEFORE_THE_MARK.items() if known(folder)),
                None)


def a_run_folder(field: str, out: str | os.PathLike, *, kind: str) -> Path:
    """``out`` as a ``Path``, if ``kind``'s results may be written there: a new path, an
    empty folder or an earlier run folder of ``kind`` (written over); nothing is made.

    Raises
    ------
    ConfigError
        ``field``: a file, a folder of other files or of another command's run, or a
        place that cannot be written (see :func:`~genriflow.errors.a_folder_to_write`).
    """
    folder = a_folder_to_write(field, out)
    try:
        filled = folder.is_dir() and any(folder.iterdir())
    except OSError as exc:
        raise ConfigError(field, f"cannot list {folder}: {exc.strerror or exc}") from None
    if filled:
        found = run_kind(folder)
        if found != kind:
            what = (f"is a genriflow {found} run folder" if found
                    else "is a genriflow model folder" if (folder / "labels.json").is_file()
                    else "holds files that are not a genriflow run's")
            raise ConfigError(field, f"{folder} {what}; a {kind} run writes only into a new "
                              f"or empty folder or an earlier {kind} run folder")
    return folder


def claim_run_folder(out: str | os.PathLike, *, kind: str,
                     data: str | os.PathLike | None = None) -> Path:
    """Make ``out`` (checked by :func:`a_run_folder`) and mark it as ``kind``'s run folder,
    as its writing begins.

    ``data``, the labelled audio the run reads next (``None``: none, or read already), is
    checked first (:func:`~genriflow.datasets.discover.check_source`): a run that cannot
    start claims no folder, which would turn away another command's run there.
    """
    check_source(data)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    mark = folder / MARK
    if not mark.is_file():
        mark.write_text(kind + "\n", encoding="utf-8")
    return folder
