"""Which songs a listing or an export asks for, checked without NumPy or pandas.

:class:`Selection` is what :func:`genriflow.library.query.songs` filters by, and
:func:`export_format` the format :meth:`genriflow.library.Library.export` writes; the command
line builds both before it opens the index, so that ``library ls --mood grumpy`` is refused
at once, and the query builds the same ones again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from genriflow.datasets.frames import table_format
from genriflow.errors import ConfigError, a_bool, fraction, one_of
from genriflow.models.answers import DEFAULT_MIN_CONFIDENCE

#: What :meth:`~genriflow.library.Library.export` writes.
EXPORT_FORMATS = ("csv", "parquet", "json")
#: What ``--voice`` can ask for: the taggers' call on each song.
VOICES = ("vocal", "instrumental")
#: What ``--mood`` can ask for: the moods of
#: :data:`genriflow.models.zero_shot.MOOD_TAGS`, in its order (kept here so that a listing
#: checks them without NumPy; ``tests/library`` checks the two agree).
MOODS = ("happy", "sad", "mellow", "party", "chill", "beautiful", "energetic", "calm", "dark")
#: What ``--unsure`` means for a model without a threshold of its own (the one default of
#: :func:`genriflow.models.answers.min_confidence_of`).
DEFAULT_THRESHOLD = DEFAULT_MIN_CONFIDENCE


@dataclass(frozen=True)
class Selection:
    """Which songs :func:`~genriflow.library.query.songs` lists, checked once.

    Attributes
    ----------
    genre : str or None
        Only songs whose most probable genre (by ``model``) is this one; for a learnt
        model also ``unsure``: its songs below its ``min_confidence``. Checked against the
        model's genres when the index is read.
    mood : str or None
        Only songs whose strongest mood is this one (one of :data:`MOODS`).
    voice : {'vocal', 'instrumental'} or None
        Only songs the taggers call so (``vocal_probability`` at least 0.5: vocal).
    unsure : bool
        Only songs whose most probable genre has a probability below ``threshold`` and that
        the model's reject rule did not call ``unknown`` (the one meaning of ``unsure``:
        :func:`genriflow.models.answers.is_unsure`).
    unknown : bool
        Only songs the model's reject rule calls none of its genres (noise, speech, music
        unlike all it learnt; the built-in models have such a rule).
    threshold : float or None
        In [0, 1]; ``None``: the model's own ``min_confidence`` (a learnt model, see
        ``library learn``), else :data:`DEFAULT_THRESHOLD`.
    failed : bool
        Instead: the files that could not be read, or that ``model`` could not analyse,
        with the reasons.
    model : str or None
        Whose analyses: a model name as it classified the library; ``None``: the model of
        the latest classify run.

    Examples
    --------
    >>> Selection(mood="calm", voice="instrumental").mood
    'calm'
    >>> Selection(mood="grumpy")
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `mood` must be one of happy, sad, mellow, party, \
chill, beautiful, energetic, calm, dark; got 'grumpy'
    >>> Selection(threshold=2)
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `threshold` must be between 0 and 1; got 2
    """

    genre: str | None = None
    mood: str | None = None
    unsure: bool = False
    unknown: bool = False
    threshold: float | None = None
    failed: bool = False
    model: str | None = None
    voice: str | None = None

    def __post_init__(self) -> None:
        for name in ("unsure", "failed", "unknown"):
            a_bool(name, getattr(self, name))
        for name in ("genre", "model"):
            if not isinstance(getattr(self, name), str | None):
                raise ConfigError(name, f"must be a name (a str) or None; got "
                                  f"{type(getattr(self, name)).__name__}")
        if self.voice is not None:
            one_of("voice", self.voice, VOICES)
        fraction("threshold", self.threshold, optional=True)
        if self.mood is not None:
            one_of("mood", self.mood, MOODS)


def export_format(out: str | os.PathLike | None, format: str | None = None) -> str:
    """The format an export to ``out`` is written in, checked once: ``format``, else
    ``out``'s ending when it is one of :data:`EXPORT_FORMATS`, else csv.

    Parameters
    ----------
    out : path or None
        The file; ``None``: standard output, where parquet (binary) cannot go.
    format : {'csv', 'parquet', 'json'} or None

    Raises
    ------
    ConfigError
        An unknown format, or parquet without ``out``.

    Examples
    --------
    >>> export_format("songs.json"), export_format("songs.txt"), export_format(None, "json")
    ('json', 'csv', 'json')
    >>> export_format(None, "parquet")
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `out` is needed for parquet (a binary format)
    """
    if format is None:
        format = (out is not None and table_format(out, EXPORT_FORMATS)) or "csv"
    one_of("format", format, EXPORT_FORMATS)
    if out is None and format == "parquet":
        raise ConfigError("out", "is needed for parquet (a binary format)")
    return format
