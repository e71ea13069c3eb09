"""What the library's commands ask for, each checked once, without NumPy or pandas.

:class:`ClassifyConfig` (``library classify``), :class:`PlanConfig` (``library plan``),
:class:`LearnConfig` (``library learn``) and :func:`album_min_tracks` (``library albums``)
are built by :class:`~genriflow.library.Library`'s methods; the command line builds the
same ones before it opens the index, so that a bad option is refused at once, before the
index is created or anything heavy is imported (what songs a listing asks for is
:mod:`~genriflow.library.selection`'s). :mod:`~genriflow.library.classify`,
:mod:`~genriflow.library.plan` and :mod:`~genriflow.library.learn` re-export theirs.
"""

from __future__ import annotations

import functools
import inspect
import os
import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from genriflow.errors import ConfigError, a_bool, at_least, fraction, one_of, paths
from genriflow.features.sampling import Sampling
from genriflow.library.db import LibraryError, index_error
from genriflow.library.labels import label_tag
from genriflow.models.ref import check_model
from genriflow.models.registry import DEFAULT_LIBRARY_MODEL, available_models
from genriflow.training.head_config import HeadConfig

#: The fields a tag plan can set.
FIELDS = ("genre", "mood", "voice")
#: What a tag plan does to a value already in a file (see :mod:`~genriflow.library.plan`).
POLICIES = ("keep-existing", "merge", "overwrite")
#: What a learnt model may be called: it names a folder.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def models_dir(db: str | os.PathLike) -> Path:
    """Where ``library learn`` saves the models of the index ``db``: ``models/`` beside it.

    >>> models_dir("/music/library.db")
    PosixPath('/music/models')
    """
    return Path(db).parent / "models"


def model_folder(model: str | os.PathLike, db: str | os.PathLike) -> str | os.PathLike:
    """``model`` as a model folder when it names one learnt for the index ``db``.

    A model folder given by its path comes first, then a model learnt by ``library learn``
    (``models_dir(db) / model``), then a built-in name (returned as it is).

    >>> import tempfile, pathlib
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "library.db"
    >>> (models_dir(db) / "mine").mkdir(parents=True)
    >>> _ = (models_dir(db) / "mine" / "config.json").write_text("{}")
    >>> model_folder("mine", db) == models_dir(db) / "mine", model_folder("gtzan", db)
    (True, 'gtzan')
    """
    if not isinstance(model, str | os.PathLike):
        raise ConfigError("model", "must be a built-in name, a model folder or a learnt "
                          f"model's name; got {type(model).__name__}")
    if (Path(model) / "config.json").is_file():
        return model
    learnt = models_dir(db) / str(model)
    if Path(str(model)).name == str(model) and (learnt / "config.json").is_file():
        return learnt
    return model


def as_given(message: str, models: Iterable[object], db: str | os.PathLike) -> str:
    """``message`` naming each of ``models`` as the user gave it, where it says the folder
    :func:`model_folder` found for it (``--model mine``, not ``--model .../models/mine``).

    >>> import tempfile, pathlib
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "library.db"
    >>> (models_dir(db) / "mine").mkdir(parents=True)
    >>> _ = (models_dir(db) / "mine" / "config.json").write_text("{}")
    >>> as_given(f"run `classify --model {models_dir(db) / 'mine'}`", ["mine", None], db)
    'run `classify --model mine`'
    """
    for model in models:
        if isinstance(model, str | os.PathLike):
            folder = str(model_folder(model, db))
            if folder != str(model):
                message = message.replace(folder, str(model))
    return message


@dataclass(frozen=True)
class ClassifyConfig:
    """What :func:`~genriflow.library.classify.classify` runs, checked once.

    Attributes
    ----------
    model : str or path
        A built-in model name or a model folder (a learnt model's name resolved by
        :func:`model_folder`).
    batch_size : int
        Songs analysed and committed together: a killed run loses at most one batch.
    retry_failed : bool
        Analyse again the songs the model could not analyse before (unchanged files fail
        again, so by default they are left alone).
    device : str
        Where networks run: ``auto``, ``cpu`` or ``cuda``.
    excerpts : int or None
        A fixed count of 3 s excerpts a song; ``None``: the default adaptive sampling.
    full : bool
        Analyse whole songs.

    An analysis made with other than the default sampling is stored under another identity
    (:meth:`~genriflow.models.ref.ModelRef.sampled`), so changing the sampling analyses
    the library again.

    Raises
    ------
    ConfigError
        A bad batch size or sampling.
    ModelError
        A model that is neither a model folder nor a built-in name.

    Examples
    --------
    >>> ClassifyConfig(batch_size=0)
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `batch_size` must be at least 1; got 0
    >>> str(ClassifyConfig(excerpts=24).sampling), str(ClassifyConfig(full=True).sampling)
    ('24 excerpts', 'full')
    >>> ClassifyConfig(model="no-such-model")
    Traceback (most recent call last):
    ...
    genriflow.models.answers.ModelError: `no-such-model`: not a genriflow model folder ...
    """

    model: str | os.PathLike = DEFAULT_LIBRARY_MODEL
    batch_size: int = 16
    retry_failed: bool = False
    device: str = "auto"
    excerpts: int | None = None
    full: bool = False

    def __post_init__(self) -> None:
        at_least("batch_size", self.batch_size, 1)
        a_bool("retry_failed", self.retry_failed)
        Sampling.of(self.excerpts, full=self.full)  # refuses a count below 1, or with full
        check_model(self.model)

    @property
    def sampling(self) -> Sampling:
        """What of each song is analysed."""
        return Sampling.of(self.excerpts, full=self.full)


@dataclass(frozen=True)
class PlanConfig:
    """What a tag plan asks for, checked once (see :mod:`~genriflow.library.plan`).

    Attributes
    ----------
    fields : tuple of {'genre', 'mood', 'voice'}
    policy : {'keep-existing', 'merge', 'overwrite'}
    min_confidence : float
        In [0, 1]: fields whose analysis is less sure keep their value.
    model : str or None
        Whose analyses (as for ``library ls``); ``None``: the latest run's model.
    skip_unknown : bool
        Songs the model's reject rule calls none of its genres keep their genre (a
        podcast is not given one); their mood and voice are planned as usual.

    Examples
    --------
    >>> PlanConfig(fields=("genre", "mood")).policy
    'keep-existing'
    >>> PlanConfig(fields=("genre", "colour"))
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `fields` must be one of genre, mood, voice; got 'colour'
    """

    fields: tuple[str, ...] = ("genre",)
    policy: str = "keep-existing"
    min_confidence: float = 0.0
    model: str | None = None
    skip_unknown: bool = False

    def __post_init__(self) -> None:
        if not self.fields:
            raise ConfigError("fields", "must name at least one of " + ", ".join(FIELDS))
        for name in self.fields:
            one_of("fields", name, FIELDS)
        one_of("policy", self.policy, POLICIES)
        fraction("min_confidence", self.min_confidence)
        a_bool("skip_unknown", self.skip_unknown)


def album_min_tracks(min_tracks: int) -> int:
    """``min_tracks`` if albums can be asked for with it: at least 1.

    >>> album_min_tracks(3)
    3
    >>> album_min_tracks(0)
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `min_tracks` must be at least 1; got 0
    """
    return at_least("min_tracks", min_tracks, 1)


def check_name(name: str) -> str:
    """``name`` if it can name a learnt model: a folder name, not a built-in model's.

    :meth:`Library.learn <genriflow.library.Library.learn>` checks it too; check it
    yourself to refuse a name before any scan or analysis.

    Parameters
    ----------
    name : str
        Letters, digits, ``.``, ``_`` or ``-``, at most 64, starting with a letter or
        digit; not a built-in model's name (:func:`genriflow.available_models`).

    Returns
    -------
    str
        ``name``.

    Raises
    ------
    LibraryError
        Naming it and the reason.

    Examples
    --------
    >>> check_name("my-three")
    'my-three'
    >>> check_name("../x")
    Traceback (most recent call last):
    ...
    genriflow.library.db.LibraryError: model name '../x': use letters, digits, '.', '_' or \
'-' (at most 64, starting with a letter or digit)
    """
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise LibraryError(
            f"model name {name!r}: use letters, digits, '.', '_' or '-' (at "
            "most 64, starting with a letter or digit)"
        )
    if name in available_models():
        raise LibraryError(f"model name {name!r} is a built-in model's; choose another")
    return name


@dataclass(frozen=True)
class LearnConfig:
    """What ``library learn`` learns, and from where, checked once.

    Attributes
    ----------
    name : str
        The model's name (see :func:`check_name`).
    from_folders : path or None
        A folder whose sub-folders are the categories.
    from_tag : {'genre', 'mood'} or None
        The tag the indexed files carry.
    from_playlists : tuple of path or None
        m3u / m3u8 playlists, one per category (given as one path or any iterable).
    head : HeadConfig
        Its folds, fewest songs a category and ``min_confidence`` (``None``: chosen).
    suggest : int
        How many unlabelled songs to suggest labelling next (0 or more).
    save : bool
        ``False``: measure (and suggest) only.

    Exactly one of ``from_folders``, ``from_tag`` and ``from_playlists`` is given.

    Raises
    ------
    LibraryError
        A bad name, or not exactly one source.
    ConfigError
        A bad tag, head option or ``suggest``.

    Examples
    --------
    >>> LearnConfig("mine", from_tag="genre").head.folds
    5
    >>> LearnConfig("mine", from_tag="artist")
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `from_tag` must be one of genre, mood; got 'artist'
    >>> LearnConfig("mine", from_tag="genre", suggest=-1)
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `suggest` must be at least 0; got -1
    """

    name: str
    from_folders: str | os.PathLike | None = None
    from_tag: str | None = None
    from_playlists: tuple[str | os.PathLike, ...] | None = None
    head: HeadConfig = field(default_factory=HeadConfig)
    suggest: int = 0
    save: bool = True

    def __post_init__(self) -> None:
        check_name(self.name)
        given = [
            s for s in (self.from_folders, self.from_tag, self.from_playlists) if s is not None
        ]
        if len(given) != 1:
            raise LibraryError(
                "give the labels from exactly one source: folders, a tag or "
                "playlists (`from_folders`, `from_tag`, `from_playlists`)"
            )
        if self.from_tag is not None:
            label_tag(self.from_tag)
        if self.from_playlists is not None:  # one playlist is one, not its letters
            object.__setattr__(self, "from_playlists",
                               tuple(paths("from_playlists", self.from_playlists)))
        at_least("suggest", self.suggest, 0)
        a_bool("save", self.save)


def guarded(method: Callable) -> Callable:
    """A :class:`~genriflow.library.Library` method, with SQLite's errors as one
    :class:`LibraryError` line (:func:`~genriflow.library.db.index_error`), and a learnt
    model named in its errors as the caller named it (:func:`as_given`)."""

    @functools.wraps(method)
    def run(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            raise index_error(self.path, exc) from None
        except LibraryError as exc:  # a learnt model named as given, not by its folder
            given = inspect.signature(method).bind_partial(self, *args, **kwargs).arguments
            text = as_given(str(exc), (given.get("model"), given.get("by")), self.path)
            if text == str(exc):
                raise
            raise LibraryError(text) from None

    return run
