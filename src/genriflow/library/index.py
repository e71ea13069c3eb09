"""The :class:`Library`: a music collection's index, scanned, classified, listed, exported,
and the user's own categories learnt from it.

Every method turns an SQLite error into one :class:`~genriflow.library.db.LibraryError`
line (a full disk, a damaged index: see :func:`~genriflow.library.db.index_error`), and
the methods that write the index hold its writer lock (:mod:`~genriflow.library.lock`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from genriflow.errors import a_bool, a_path, at_least, paths
from genriflow.features.options import RunOptions, given_options
from genriflow.inference.neighbours import SIMILARITY_FEATURES, NeighbourIndex
from genriflow.library import albums as album_step
from genriflow.library import classify as classify_step
from genriflow.library import query, scan
from genriflow.library.albums import AlbumReport
from genriflow.library.classify import DEFAULT_LIBRARY_MODEL, ClassifyReport
from genriflow.library.configs import (
    ClassifyConfig,
    LearnConfig,
    PlanConfig,
    album_min_tracks,
    guarded,
    model_folder,
    models_dir,
)
from genriflow.library.db import LibraryError, connect, default_db_path
from genriflow.library.lock import writer_lock
from genriflow.library.scan import ScanReport
from genriflow.library.selection import Selection, export_format
from genriflow.training.head_config import HeadConfig

if TYPE_CHECKING:  # learning imports scikit-learn: only when asked to learn
    from genriflow.library.apply import WriteReport
    from genriflow.library.learn import LearnReport
    from genriflow.library.plan import TagPlan
    from genriflow.library.playlists import PlaylistReport


class Library:
    """A music collection's index: one SQLite file, never inside the music folders.

    Parameters
    ----------
    db : path or None
        The index file; ``None``: :func:`~genriflow.library.db.default_db_path`
        (``$GENRIFLOW_LIBRARY_DB``, else the user's data folder).

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np, soundfile as sf
    >>> home = pathlib.Path(tempfile.mkdtemp())
    >>> music = home / "music"; music.mkdir()
    >>> t = np.arange(3 * 22050) / 22050
    >>> sf.write(music / "a.flac", 0.3 * np.sin(2 * np.pi * 440 * t), 22050)
    >>> (music / "notes.mp3").write_text("not a song") and None
    >>> library = Library(home / "library.db")
    >>> print(library.scan([music]))
    new 1, changed 0, moved 0, removed 0, unchanged 0, failed 1
    >>> print(library.scan([music]))          # nothing is read again
    new 0, changed 0, moved 0, removed 0, unchanged 2, failed 0
    >>> list(library.songs(failed=True)["error_kind"])
    ['unsupported']
    >>> report = library.classify(options=RunOptions(store=home / "store"))
    >>> report.analysed, bool(library.songs()["genre"].notna().all())
    (1, True)
    >>> [(Path(p).name, round(s, 3)) for p, s in library.similar(
    ...     music / "a.flac", options=RunOptions(store=home / "store"))]
    [('a.flac', 1.0)]
    >>> library.classify(options=RunOptions(store=home / "store")).analysed
    0
    >>> library.close()
    """

    def __init__(self, db: str | os.PathLike | None = None) -> None:
        self.path = Path(a_path("db", db)) if db is not None else default_db_path()
        self._conn = connect(self.path)
        self._writing_now = False

    def __repr__(self) -> str:
        return f"Library({str(self.path)!r})"

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the index file."""
        self._conn.close()

    @contextmanager
    def writing(self, command: str) -> Iterator[None]:
        """Hold the index's writer lock (see :mod:`~genriflow.library.lock`) for the block;
        taken once, however deep (``learn`` scans and classifies).

        Raises
        ------
        LibraryError
            Another command is writing the index.
        """
        if self._writing_now:
            yield
            return
        with writer_lock(self.path, command):
            self._writing_now = True
            try:
                yield
            finally:
                self._writing_now = False

    @property
    def connection(self):
        """The open :class:`sqlite3.Connection` (autocommit; rows as :class:`sqlite3.Row`)."""
        return self._conn

    @guarded
    def scan(self, dirs: Sequence[str | os.PathLike] | str | os.PathLike, *,
             progress: bool = False) -> ScanReport:
        """Record every audio file below ``dirs``: new, changed, moved and removed ones.

        Unchanged files (same size and modification time) are not read. See
        :mod:`genriflow.library.scan`. Raises
        :class:`~genriflow.library.db.LibraryError` for a folder that does not exist.
        """
        folders = paths("dirs", dirs)
        a_bool("progress", progress)
        with self.writing("library scan"):
            return scan.scan(self._conn, folders, progress=progress, db_path=self.path)

    @guarded
    def classify(self, *, model: str | os.PathLike = DEFAULT_LIBRARY_MODEL,
                 batch_size: int = 16,
                 retry_failed: bool = False, device: str = "auto",
                 excerpts: int | None = None, full: bool = False,
                 options: RunOptions | None = None) -> ClassifyReport:
        """Analyse the songs that are new or changed since ``model`` last ran.

        Genre probabilities, tags, moods, voice and the similarity embedding of each song
        are stored with the model's identity, ``batch_size`` songs per transaction, so a
        killed run resumes. See :mod:`genriflow.library.classify`.

        Parameters
        ----------
        model : str or path
            A built-in model name, a model folder, or the name of a model learnt by
            :meth:`learn` (see :meth:`model_folder`).
        batch_size : int
        retry_failed : bool
            Analyse again the songs that failed before.
        device : str
        excerpts : int or None
            A fixed count of 3 s excerpts a song; ``None``: adaptive (as ``genriflow.classify``).
        full : bool
            Analyse whole songs. With ``excerpts`` or ``full`` the analyses are stored
            under the model's identity with the sampling, so the songs are analysed again,
            and listings show the latest run's.
        options : RunOptions or None
            Feature store, workers and progress bar; ``None``: the command line's store
            (``$GENRIFLOW_STORE``, else ``$XDG_CACHE_HOME/genriflow``, else
            ``~/.cache/genriflow``), every core, no bar.
        """
        folder = self.model_folder(model)
        config = ClassifyConfig(model=folder, batch_size=batch_size,
                                retry_failed=retry_failed, device=device,
                                excerpts=excerpts, full=full)
        with self.writing("library classify"):
            return classify_step.classify(
                self._conn, config, given_options(options),
                name=None if folder is model else str(model))  # a learnt model: its name

    @guarded
    def songs(self, *, genre: str | None = None, mood: str | None = None,
              voice: str | None = None, unsure: bool = False, threshold: float | None = None,
              failed: bool = False, model: str | None = None,
              unknown: bool = False) -> pd.DataFrame:
        """The present songs with their current analyses, filtered; see
        :class:`~genriflow.library.selection.Selection` and :func:`~genriflow.library.query.songs`.

        A model learnt by :meth:`learn` is named in the ``model`` column by its name, as
        ``classify`` reports it (the index keeps its folder).

        Parameters
        ----------
        genre, mood, voice : str or None
            Only songs whose top genre, strongest mood or voice is this one.
        unsure, threshold : bool, float or None
            Only songs not ``unknown`` whose top genre is below ``threshold`` (``None``: a
            learnt model's own min-confidence, else 0.5).
        unknown, failed : bool
            Only songs the model calls none of its genres; instead, the files that failed.
        model : str or None
            Whose analyses: a model name or folder, or a learnt model's name; ``None``:
            the latest run's.

        Returns
        -------
        pandas.DataFrame
            One row per song: path, genre, probability, mood, voice, tags, one ``p_<genre>``
            column per genre, ``unknown``, ``unsure``, ... (``library export``'s columns).
        """
        frame = query.songs(self._conn, Selection(genre=genre, mood=mood, voice=voice,
                                                  unsure=unsure, threshold=threshold,
                                                  failed=failed, model=self._model_name(model),
                                                  unknown=unknown))
        if "model" in frame and frame["model"].notna().any():
            frame["model"] = [self._shown(m) for m in frame["model"]]
        return frame

    def _shown(self, model: object) -> object:
        """A model learnt by :meth:`learn` by its name (the index keeps its folder)."""
        if isinstance(model, str) and os.path.isabs(model) and (
                Path(model).parent.resolve() == self.models_dir.resolve()):
            return Path(model).name
        return model

    @guarded
    def own_min_confidence(self, *, model: str | None = None) -> float | None:
        """``model``'s own min-confidence (``None``: the latest run's model): a learnt
        model's threshold, below which its songs are filed under none of its categories
        (``ls`` shows them as ``unsure``; tag plans and playlists leave them out); ``None``
        for a model without one (the built-ins) or before any run."""
        return query.own_min_confidence(self._conn, self._model_name(model))

    @guarded
    def albums(self, *, model: str | None = None, min_tracks: int = 1) -> AlbumReport:
        """Each album's genre from its tracks' combined probabilities, with its agreement.

        An album is the songs sharing an album tag and an album artist (else track
        artist); see :mod:`genriflow.library.albums`.

        Parameters
        ----------
        model : str or None
            Whose analyses, as for :meth:`songs`; ``None``: the latest run's model.
        min_tracks : int
            Albums with fewer tracks analysed by the model are left out.

        Raises
        ------
        LibraryError
            No model has classified the library, or ``model`` has not.
        ConfigError
            ``min_tracks`` below 1.
        """
        album_min_tracks(min_tracks)  # before the index is read
        return album_step.albums(self.songs(model=model), min_tracks=min_tracks)

    @guarded
    def export(self, path: str | os.PathLike | None, *, format: str | None = None,
               embeddings: bool = False, genre: str | None = None, mood: str | None = None,
               voice: str | None = None, unsure: bool = False, threshold: float | None = None,
               model: str | None = None, unknown: bool = False) -> Path | None:
        """Write :meth:`songs` (filtered alike: ``genre`` ... ``unknown``) as csv, parquet or
        json.

        Parameters
        ----------
        path : path or None
            The file (written atomically; never one of the library's songs); ``None``
            writes csv or json to standard output.
        format : {'csv', 'parquet', 'json'} or None
            ``None``: from ``path``'s ending, else csv.
        embeddings : bool
            Add each song's embedding (a list of floats) as a column ``embedding``.
        """
        format = export_format(a_path("path", path, optional=True), format)
        a_bool("embeddings", embeddings)
        frame = self.songs(genre=genre, mood=mood, voice=voice, unsure=unsure,
                           threshold=threshold, model=model, unknown=unknown)
        if embeddings:
            frame["embedding"] = query.embeddings(self._conn, list(frame["path"]),
                                                  self._model_name(model))
        if path is not None and self._is_song(Path(path)):
            raise LibraryError(f"{path} is one of the library's songs; export elsewhere")
        return query.write_table(frame, path, format)

    @guarded
    def similar(self, song: str | os.PathLike, *, k: int = 5, model: str | None = None,
                options: RunOptions | None = None) -> list[tuple[str, float]]:
        """The ``k`` songs of the index most like ``song`` (any audio file, in the library
        or not), by the cosine of the similarity embeddings :meth:`classify` stored.

        ``song``'s own embedding is computed as :meth:`classify` computes them (the
        ``msd-musicnn`` embedding over the same excerpts); a song of the index given as
        ``song`` is its own nearest (similarity 1).

        Parameters
        ----------
        song : path
        k : int
        model : str or None
            Whose stored embeddings, as for :meth:`songs`; ``None``: the latest run's.
        options : RunOptions or None
            Feature store and workers for ``song``'s embedding.

        Returns
        -------
        list of (str, float)
            Paths and cosine similarities, most similar first; empty when no song has
            been classified.

        Raises
        ------
        AudioError
            ``song`` cannot be used.
        """
        a_path("song", song)
        at_least("k", k, 1, whole=True)
        options = given_options(options)
        index = self.similarity_index(model=model)
        if not len(index):
            return []
        return index.query(song, k, exclude_song=False, options=options)

    @guarded
    def similarity_index(self, *, model: str | None = None) -> NeighbourIndex:
        """The embeddings :meth:`classify` stored, as the nearest-neighbour index
        :meth:`similar` searches (the same index as :func:`genriflow.similar`'s, over the
        library's SQLite file instead of a Parquet file).

        Parameters
        ----------
        model : str or None
            Whose stored embeddings, as for :meth:`songs`; ``None``: the latest run's.
        """
        from genriflow.inference.pipeline import on_genres

        name = self._model_name(model)
        # a song asked about by path is sampled as the run sampled the library: its fixed
        # count, whole, or adaptive on the run's model's genres, so an indexed song's
        # embedding is the one stored and it is its own nearest at similarity 1
        return NeighbourIndex(query.LibraryEmbeddings(self._conn, name),
                              config=SIMILARITY_FEATURES,
                              sampling=on_genres(query.sampling(self._conn, name),
                                                 query.run_model(self._conn, name)))

    @property
    def models_dir(self) -> Path:
        """Where :meth:`learn` saves models: ``models/`` beside the index file."""
        return models_dir(self.path)

    def model_folder(self, model: str | os.PathLike) -> str | os.PathLike:
        """``model`` as a model folder when it names one learnt for this library.

        A model folder given by its path comes first, then a model learnt by :meth:`learn`
        (``models_dir / model``), then a built-in name (returned as it is).
        """
        return model_folder(model, self.path)

    def _model_name(self, model: str | None) -> str | None:
        return None if model is None else str(self.model_folder(model))

    @guarded
    def learn(self, name: str, *, from_folders: str | os.PathLike | None = None,
              from_tag: str | None = None,
              from_playlists: Sequence[str | os.PathLike] | None = None,
              min_confidence: float | None = None, folds: int = 5, min_songs: int = 3,
              suggest: int = 0, save: bool = True,
              options: RunOptions | None = None) -> LearnReport:
        """Learn the user's own categories from the songs they already sorted.

        Give the labels from exactly one source (see :mod:`genriflow.library.labels`). The
        head's input, regularisation and unsure threshold are chosen by grouped
        cross-validation; what that gives unlabelled songs is measured first (nested: the
        share right with unsure songs counted wrong, the share unsure, the sure songs'
        accuracy, each with its 95 % interval, per-category precision and recall), then the
        chosen head is fitted on every labelled song and saved as the model folder
        ``models_dir / name``, which ``classify(model=name)`` applies. See
        :mod:`genriflow.library.learn`.

        Parameters
        ----------
        name : str
            The model's name: letters, digits, ``.``, ``_``, ``-``; not a built-in's.
        from_folders : path or None
            A folder whose sub-folders are the categories; it is scanned first.
        from_tag : {'genre', 'mood'} or None
            The tag the indexed files carry.
        from_playlists : sequence of path or None
            m3u / m3u8 playlists, one per category (named after the file).
        min_confidence : float or None
            Songs whose most probable category is below it are ``unsure``; ``None``:
            chosen by cross-validation (an unsure song costing half a wrong one).
        folds : int
            Grouped cross-validation folds (groups: album, artist, folder; else
            recording: artist and title).
        min_songs : int
            Categories with fewer songs are dropped (listed in the report's ``dropped``).
        suggest : int
            Also list this many unlabelled songs to label next (the report's
            ``suggestions``).
        save : bool
            ``False``: report (and suggest) without saving.
        options : RunOptions or None
            As for :meth:`classify`.

        Raises
        ------
        LibraryError
            No source or several, a missing folder or playlist, a folder without
            sub-folders, fewer than two categories of ``min_songs`` songs.
        ConfigError
            A bad name or option.
        """
        options = given_options(options)
        config = LearnConfig(
            name, from_folders=from_folders, from_tag=from_tag,
            from_playlists=from_playlists,
            head=HeadConfig(folds=folds, min_songs=min_songs, min_confidence=min_confidence),
            suggest=suggest, save=save)
        with self.writing("library learn"):
            return self._learn(config, options)

    def _learn(self, config: LearnConfig, options: RunOptions) -> LearnReport:
        from genriflow.library import labels as own_labels
        from genriflow.library import learn as learn_step

        if config.from_folders is not None:
            if Path(config.from_folders).is_dir():  # its songs in the index (incremental)
                self.scan([config.from_folders])
            labels = own_labels.from_folders(self._conn, config.from_folders)
        elif config.from_tag is not None:
            labels = own_labels.from_tag(self._conn, config.from_tag)
        else:
            labels = own_labels.from_playlists(self._conn, list(config.from_playlists or []))
        return learn_step.learn(self._conn, config, labels,
                                folder=self.models_dir / config.name,
                                options=options)

    # --- into the files and the players ------------------------------------------------

    @guarded
    def plan(self, fields: Sequence[str] = ("genre",), *, policy: str = "keep-existing",
             min_confidence: float = 0.0, model: str | None = None,
             skip_unknown: bool = False, progress: bool = False) -> TagPlan:
        """A reviewable tag plan: per analysed song and field, the value now and the value
        to write (see :mod:`genriflow.library.plan`); save it with ``.write(path)``.

        The default policy never replaces a value the user set. ``skip_unknown``: songs
        the model's reject rule calls none of its genres keep their genre. Nothing is
        written to the music files.

        Parameters
        ----------
        fields : str or sequence of str
            ``genre``, ``mood``, ``voice``.
        policy : {'keep-existing', 'merge', 'overwrite'}
        min_confidence : float
            Fields whose analysis is less sure than this keep their value.
        model, skip_unknown
            Whose analyses (as for :meth:`songs`); leave unknown songs' genre alone.
        progress : bool
            Show a progress bar over the files whose tags are read.

        Returns
        -------
        TagPlan
            ``rows`` (path, field, old, new, confidence, model, content, note) and
            ``left_out`` (songs changed since the scan); ``.write(path)`` saves the CSV.
        """
        from genriflow.library.plan import make_plan

        fields = (fields,) if isinstance(fields, str) else tuple(fields)
        config = PlanConfig(fields=fields, policy=policy,
                            min_confidence=min_confidence, model=self._model_name(model),
                            skip_unknown=skip_unknown)
        a_bool("progress", progress)
        plan = make_plan(self._conn, config, progress=progress)
        # named as ls and export name it, and as GENRIFLOW_MODEL is written: the folder's
        # path would put the user's data folder into every tagged file
        plan.rows = [dataclasses.replace(r, model=str(self._shown(r.model))) if r.model
                     else r for r in plan.rows]
        return plan

    @guarded
    def apply(self, plan: str | os.PathLike, *, dry_run: bool = False,
              keep_mtime: bool = False, id3_version: int | None = None,
              progress: bool = False) -> WriteReport:
        """Write exactly the plan file ``plan`` into the songs, safely and journalled.

        Each file: temporary copy, fsync, tags read back, audio checked unchanged, rename
        (see :mod:`genriflow.library.safewrite`). Files changed since the plan was made,
        read-only or otherwise unwritable are left untouched and listed in the report's
        ``errors``. :meth:`undo` takes the run back.

        Parameters
        ----------
        plan : path
            A plan CSV written by :meth:`plan` (edited or not).
        dry_run : bool
            Count what would change; write nothing, the index neither.
        keep_mtime : bool
            Keep each file's modification time.
        id3_version : {3, 4} or None
            Save ID3 tags as v2.3 or v2.4; ``None``: each file's own, 2.4 for a new tag.
        progress : bool
            Show a progress bar.

        Returns
        -------
        WriteReport
            Counts (written, unchanged, skipped, failed) and ``errors``, a file and why.
        """
        from genriflow.library.apply import WriteOptions, apply_plan
        from genriflow.library.plan import read_plan

        options = WriteOptions(dry_run=dry_run, keep_mtime=keep_mtime,
                               id3_version=id3_version)
        a_bool("progress", progress)
        rows = read_plan(a_path("plan", plan))  # open(3) read (and closed) file descriptor 3
        if dry_run:  # writes nothing, the index neither
            return apply_plan(self._conn, rows, source=str(Path(plan).absolute()),
                              options=options, progress=progress)
        with self.writing("library apply"):
            return apply_plan(self._conn, rows, source=str(Path(plan).absolute()),
                              options=options, progress=progress)

    @guarded
    def undo(self, run: int | None = None, *, dry_run: bool = False,
             keep_mtime: bool = False, progress: bool = False) -> WriteReport:
        """Restore the tags an apply run replaced (default: the latest not undone), exactly;
        files changed since are refused. See :func:`genriflow.library.apply.undo`.

        Parameters
        ----------
        run : int or None
            The apply run's id (:meth:`tag_runs`); ``None``: the latest not undone.
        dry_run, keep_mtime, progress
            As for :meth:`apply`.

        Returns
        -------
        WriteReport
            As for :meth:`apply`.
        """
        from genriflow.library.apply import WriteOptions
        from genriflow.library.apply import undo as undo_run

        options = WriteOptions(dry_run=dry_run, keep_mtime=keep_mtime)
        a_bool("progress", progress)
        with self.writing("library undo"):
            return undo_run(self._conn, run, progress=progress, options=options)

    @guarded
    def tag_runs(self) -> pd.DataFrame:
        """Every apply and undo run, newest first: id, kind, source, undoes, undone_by,
        started_at, finished_at, written, failed, files."""
        from genriflow.library.apply import runs

        rows = runs(self._conn)
        return pd.DataFrame([dict(r) for r in rows],
                            columns=["id", "kind", "source", "undoes", "undone_by",
                                     "started_at", "finished_at", "written", "failed",
                                     "files"])

    @guarded
    def playlists(self, by: str, out: str | os.PathLike, *,
                  model: str | None = None, skip_unknown: bool = False) -> PlaylistReport:
        """One ``.m3u8`` per genre, mood, voice or learnt category in the folder ``out``;
        see :mod:`genriflow.library.playlists`. Playlists genriflow did not make are never
        overwritten.

        Parameters
        ----------
        by : str
            ``genre``, ``mood``, ``voice`` or the name of a model learnt by :meth:`learn`.
        out : path
            The playlists' folder.
        model, skip_unknown
            Whose analyses (as for :meth:`songs`); leave unknown songs out of genres.

        Returns
        -------
        PlaylistReport
            ``written`` (each playlist and its song count), ``removed`` and ``refused``.
        """
        from genriflow.library.playlists import GROUPINGS, write_playlists

        a_bool("skip_unknown", skip_unknown)
        chosen = by if by in GROUPINGS else str(self.model_folder(by))
        return write_playlists(self._conn, chosen, out, model=self._model_name(model),
                               skip_unknown=skip_unknown)

    def _is_song(self, path: Path) -> bool:
        real = os.path.realpath(path)
        return any(os.path.realpath(p) == real for (p,) in
                   self._conn.execute("SELECT path FROM songs WHERE path = ? OR path = ?",
                                      (str(path.absolute()), real)))
