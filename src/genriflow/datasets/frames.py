"""The dataset frame every reader returns, and the error a reader raises."""

from __future__ import annotations

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
