"""The one check of the song-answering options, without NumPy.

:class:`~genriflow.inference.pipeline.Pipeline` calls :func:`check_options` once per call
of :func:`genriflow.classify`, :func:`~genriflow.tag` and :func:`~genriflow.analyse`; the
command line calls it too, before it imports anything heavy, so that ``predict --top 0``
is refused at once.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from genriflow.errors import ConfigError, a_bool, at_least, one_of
from genriflow.models.answers import AGGREGATIONS, min_confidence_of

if TYPE_CHECKING:
    from genriflow.models.base import GenreClassifier


def check_options(
    model: GenreClassifier | str | os.PathLike | None,
    *,
    tags: bool,
    k: int,
    k_tags: int,
    aggregation: str = "mean",
    min_confidence: float | None = None,
    names: dict[str, str] | None = None,
) -> None:
    """The one check of the song-answering options, before any file is read.

    ``model`` is a loaded model (its own min-confidence is checked too), a name or folder
    not loaded yet, or ``None`` (tags alone). ``names`` maps an option to the name the
    caller gave it (``tag``'s ``k`` is the pipeline's ``k_tags``), so that the message
    names what the user wrote.

    >>> check_options("gtzan", tags=False, k=0, k_tags=5)
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `k` must be at least 1; got 0
    """
    named = {"k": "k", "k_tags": "k_tags", **(names or {})}
    a_bool("tags", tags)
    if model is None and not tags:
        raise ConfigError("model", "or tags must be asked for: nothing to analyse")
    one_of("aggregation", aggregation, AGGREGATIONS)
    at_least(named["k"], k, 1, whole=True)
    at_least(named["k_tags"], k_tags, 1, whole=True)
    min_confidence_of(getattr(model, "config", {}), min_confidence)
