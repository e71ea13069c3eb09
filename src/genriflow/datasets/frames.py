"""The dataset frame every reader returns, and the error a reader raises."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from genriflow.audio.formats import is_text_name, shown_name
from genriflow.datasets.gtzan import clip_key
from genriflow.errors import GenriflowError

if TYPE_CHECKING:  # pandas is imported where a frame is built: finding files needs none
    import pandas as pd

#: The columns of a dataset frame (see :mod:`genriflow.datasets.discover`).
DATASET_COLUMNS = ("path", "label", "group", "split", "key")


class DatasetError(GenriflowError, ValueError):
    """A dataset folder or manifest that cannot be used, with the reason."""


#: The table formats a file's ending names (``.csv``, ``.parquet``).
TABLE_FORMATS = ("csv", "parquet")


def table_format(path: str | os.PathLike, formats: Sequence[str] = TABLE_FORMATS) -> str | None:
    """The one of ``formats`` that ``path``'s ending names, in any case (``x.PARQUET`` is
    parquet), else ``None``: the one rule for every command that reads or writes a table.

    >>> table_format("x.PARQUET"), table_format("x.csv"), table_format("x.txt")
    ('parquet', 'csv', None)
    >>> table_format("songs.Json", ("csv", "parquet", "json"))
    'json'
    """
    ending = Path(path).suffix.lower().lstrip(".")
    return ending if ending in formats else None


def read_table(path: str | Path, **options) -> pd.DataFrame:
    """``pandas.read_csv(path, **options)`` (``read_parquet`` for a ``.parquet``), with
    what a user's file can do to it (empty, not text, not CSV, unreadable) as a
    :class:`DatasetError` naming the file.

    >>> import tempfile
    >>> empty = Path(tempfile.mkdtemp()) / "features.csv"
    >>> _ = empty.write_bytes(b"")
    >>> read_table(empty)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    genriflow.datasets.frames.DatasetError: /...features.csv: not a table: the file is empty
    """
    import pandas as pd

    path = Path(path)
    try:
        if table_format(path) == "parquet":
            return pd.read_parquet(path, **options)
        return pd.read_csv(path, **options)
    except pd.errors.EmptyDataError:
        raise DatasetError(f"{path}: not a table: the file is empty") from None
    except UnicodeDecodeError:
        raise DatasetError(f"{path}: not a table: not UTF-8 text (an audio or binary "
                           "file?)") from None
    except pd.errors.ParserError as exc:
        raise DatasetError(f"{path}: not a table: {' '.join(str(exc).split())}") from None
    except IsADirectoryError:
        raise DatasetError(f"{path}: a folder, not a table file") from None
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file") from None
    except OSError as exc:  # permission denied, an I/O error; parquet's own errors
        raise DatasetError(f"{path}: cannot be read: "
                           f"{(getattr(exc, 'strerror', None) or str(exc)).lower()}") from None


def dataset_frame(paths, labels, groups=None, splits=None) -> pd.DataFrame:
    """The frame of :data:`DATASET_COLUMNS` (sorted by path) for files and their labels.

    >>> dataset_frame(["/m/b.wav", "/m/a.wav"], ["jazz", "rock"])["label"].tolist()
    ['rock', 'jazz']
    """
    import pandas as pd

    paths = [str(p) for p in paths]
    unnamed = [p for p in paths if not is_text_name(p)]
    if unnamed:
        raise DatasetError(f"{len(unnamed)} file name(s) are not UTF-8 text, e.g. "
                           f"{shown_name(unnamed[0])}; "
                           "rename them (e.g. `convmv -f latin1 -t utf-8 -r --notest "
                           "FOLDER`) and run again")
    frame = pd.DataFrame({"path": paths, "label": [str(x) for x in labels]})
    frame["group"] = _optional(groups, len(frame))
    frame["split"] = _optional(splits, len(frame))
    frame["key"] = [clip_key(Path(p).name) for p in paths]
    return frame.sort_values("path", ignore_index=True)


def _optional(values, n: int) -> pd.Series:
    import pandas as pd

    if values is None:
        return pd.Series([None] * n, dtype=object)
    return pd.Series([v if v not in ("", None) else None for v in values], dtype=object)


def label_sets(frame: pd.DataFrame) -> list[list[str]]:
    """Each row's genres: its ``labels`` column split at ``;`` when the frame has one (a
    multi-genre dataset), else its one ``label``.

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"label": ["rock", "jazz"], "labels": ["rock;blues", "jazz"]})
    >>> label_sets(frame)
    [['rock', 'blues'], ['jazz']]
    """
    column = frame["labels"] if "labels" in frame else frame["label"]
    return [[g for g in str(value).split(";") if g] for value in column]
