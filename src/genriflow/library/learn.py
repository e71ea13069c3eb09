"""Learning a user's own categories from the songs they already sorted.

:func:`learn` takes a :class:`~genriflow.library.labels.LabelSet` (folders, a tag or
playlists), reads each labelled song's ``musicnn`` analysis window by window
(:data:`ANALYSIS`: both taggers' embeddings and tags, the analysis ``library classify``
stores, served by the feature store when the songs were analysed before), and groups the
songs by album (else artist, else folder: :func:`song_groups`, every song its own group when
most unlabelled songs are of the labelled songs' albums). It measures what choosing and
fitting a head gives songs it never saw (nested grouped cross-validation,
:mod:`genriflow.evaluation.crossval`), then chooses the head's input, regularisation and
unsure threshold on every labelled song (:func:`genriflow.training.head_select.choose`),
fits it and saves it as an ordinary model folder
(:class:`~genriflow.models.classical.ClassicalGenreModel`: ``config.json`` with the chosen
``min_confidence`` and :class:`~genriflow.training.head.HeadConfig`, ``labels.json``,
``metrics.json`` with the cross-validated figures and the choice's table, ``model.skops``),
which ``library classify --model NAME`` and ``genriflow predict FOLDER`` apply.

With ``suggest``, the unlabelled songs whose labels would help most are listed: those the
new head is least sure between two categories (the smallest margin between its two most
probable categories: uncertainty sampling).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from genriflow.audio import AudioError
from genriflow.evaluation.crossval import CrossValidation, cross_validate_head
from genriflow.features.extract import extract
from genriflow.features.options import RunOptions
from genriflow.features.sampling import DEFAULT_SAMPLING
from genriflow.features.sets import FeatureConfig
from genriflow.library.configs import (  # noqa: F401 (re-exported: their home before)
    NAME_PATTERN,
    LearnConfig,
    check_name,
)
from genriflow.library.db import LibraryError
from genriflow.library.labels import LabelSet
from genriflow.models.classical import ClassicalGenreModel
from genriflow.progress import counted
from genriflow.reprs import brief_repr
from genriflow.training.head import HeadConfig, fit_head, song_probabilities
from genriflow.training.head_select import Choice, choose

#: What a learnt head reads: the combined ``musicnn`` analysis of each window.
ANALYSIS = FeatureConfig(set="musicnn")

@dataclass(frozen=True)
class Suggestion:
    """An unlabelled song whose label would teach the head most.

    Attributes
    ----------
    path : str
    category : str
        The head's most probable category for it.
    probability : float
        Of that category.
    margin : float
        Between its two most probable categories (small: torn between them).
    """

    path: str
    category: str
    probability: float
    margin: float


@dataclass
class LearnReport:
    """What :func:`learn` measured and saved.

    Attributes
    ----------
    name : str
    folder : Path or None
        The saved model folder; ``None`` when not saved.
    source : str
        Where the labels came from.
    evaluation : CrossValidation
        Measured before the head was fitted on all songs and saved.
    dropped : dict of str to int
        Categories left out for having too few songs.
    skipped : list of (str, str)
        Labelled entries not used, and why.
    errors : list of AudioError
        Labelled songs whose embedding could not be computed.
    suggestions : list of Suggestion
        Best first (smallest margin).
    choice : Choice or None
        The head chosen on every labelled song (what was saved).
    ungrouped : list of str
        Categories whose songs the folds took one by one, nothing telling which belong
        together (:func:`ungrouped`): pieces of one recording among them would make the
        figures optimistic.
    own_playlists : dict of str to str
        Label playlists genriflow wrote, by file name, with the model whose answers they
        hold: the figures then measure agreement with that model (:attr:`circular`).
    """

    __repr__ = brief_repr  # short in a notebook, whatever the library's size

    name: str
    folder: Path | None
    source: str
    evaluation: CrossValidation
    dropped: dict[str, int] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    errors: list[AudioError] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    choice: Choice | None = None
    ungrouped: list[str] = field(default_factory=list)
    own_playlists: dict[str, str] = field(default_factory=dict)

    @property
    def circular(self) -> str | None:
        """Why the figures say little when the labels came from genriflow's own playlists,
        in one line naming them; ``None`` when none did."""
        if not self.own_playlists:
            return None
        models = sorted({m for m in self.own_playlists.values() if m})
        by = f"model {', '.join(models)}" if models else "a genriflow model"
        return (f"{', '.join(self.own_playlists)}: written by genriflow ({by}), so these "
                f"categories are that model's answers, not your sorting: the cross-validated "
                f"figures only measure how well {self.name} agrees with it, not how right "
                "either is")

    def __str__(self) -> str:
        e = self.evaluation
        low, high = e.right_interval
        text = (f"{self.name}: {counted(len(e.labels), 'category', 'categories')}, "
                f"{counted(e.n, 'song')}; cross-validated "
                f"right {e.right_rate:.3f} (unsure counted wrong, 95 % interval "
                f"{low:.3f}-{high:.3f}, {e.folds} folds)")
        return text + (f"; saved to {self.folder}" if self.folder is not None else
                       "; not saved")


def _windows(paths: list[str], options: RunOptions
             ) -> tuple[dict[str, np.ndarray], list[AudioError]]:
    """Each song's embedding, one row per analysed window (from the store when there)."""
    if not paths:
        return {}, []
    from genriflow.inference.pipeline import on_genres  # the default model's excerpts

    result = extract(paths, ANALYSIS, options=options, sampling=on_genres(DEFAULT_SAMPLING))
    return ({f.path: np.asarray(f.values, dtype=np.float64) for f in result.files},
            list(result.errors))


def learn(conn: sqlite3.Connection, config: LearnConfig, labels: LabelSet, *, folder: Path,
          options: RunOptions) -> LearnReport:
    """Measure, choose, fit and save a head on the analyses of the labelled songs.

    Parameters
    ----------
    conn : sqlite3.Connection
        The index (for the unlabelled songs of ``config.suggest``).
    config : LearnConfig
        The model's name, its head (``min_confidence`` ``None``: the threshold is chosen
        too), how many unlabelled songs to suggest labelling next, and whether to save.
    labels : LabelSet
        Read from ``config``'s source.
    folder : Path
        Where the model folder goes; a former one is replaced whole, only once the new one
        is written.
    options : RunOptions
        Feature store, workers and progress bar of the embeddings.

    Raises
    ------
    LibraryError
        Fewer than two categories with ``config.head.min_songs`` songs each.
    """
    name, suggest, save = config.name, config.suggest, config.save
    head_config = config.head
    _enough(labels.keep(head_config.min_songs), head_config)  # before any song is analysed
    labelled = set(labels.songs)
    windows, errors = _windows(sorted(labelled), options)
    usable = LabelSet(labels.source, {p: c for p, c in labels.songs.items() if p in windows},
                      labels.skipped, labels.dropped).keep(head_config.min_songs)
    counts = _enough(usable, head_config)
    paths = sorted(usable.songs)
    songs = [windows[p] for p in paths]
    y = [usable.songs[p] for p in paths]
    groups, shared = song_groups(conn, paths, y)
    alone = ungrouped(groups, y)
    evaluation = cross_validate_head(songs, y, head_config, groups)
    choice = choose(songs, y, groups, head_config)
    head = fit_head(songs, y, choice.config)
    chosen = choice.config
    model = ClassicalGenreModel(head, ANALYSIS, {
        "model": name, "head": f"standard scaling, then logistic regression (C {chosen.c:g}, "
        f"categories balanced by songs) on the {chosen.input} of each 3 s window's musicnn "
        "analysis, chosen by grouped cross-validation",
        "min_confidence": chosen.min_confidence, "train": chosen.to_dict(),
        "data": {"source": labels.source, "songs": len(paths), "counts": counts,
                 "groups": len(set(groups)), "unlabelled_in_labelled_groups": shared,
                 "ungrouped": alone}})
    saved = _save(model, folder, {"cross_validation": evaluation.to_dict(),
                                  "choice": {"folds": choice.folds, "table": choice.table},
                                  "dropped": usable.dropped}) if save else None
    report = LearnReport(name, saved, labels.source, evaluation, usable.dropped,
                         usable.skipped, errors, choice=choice,
                         ungrouped=alone, own_playlists=dict(labels.written_by))
    if suggest:
        report.suggestions = _suggest(conn, head, labelled, suggest, options)
    return report


def _group_keys(conn: sqlite3.Connection
                ) -> dict[str, tuple[str, str | None, str, str | None]]:
    """Every indexed song's album (with its artist), else artist, else folder; its
    recording (artist and title) when it has a title; its content hash and its audio
    hash (a copy tagged otherwise, as on an album and a compilation, has the same)."""
    return {r["path"]: (f"album:{r['artist'] or ''}/{r['album']}" if r["album"] else
                        f"artist:{r['artist']}" if r["artist"] else
                        f"folder:{Path(r['path']).parent}",
                        f"track:{r['artist'] or ''}/{r['title']}" if r["title"] else None,
                        r["content"], r["audio"])
            for r in conn.execute("SELECT path, album, artist, title, content, audio FROM "
                                  "songs WHERE status = 'ok'")}


def _joined(groups: list[str], contents: list[str | None]) -> list[str]:
    """``groups`` with every two groups holding the same bytes made one (copies of a
    song, in two folders or named twice, must not sit on both sides of a fold).

    >>> _joined(["a", "b", "c", "d"], ["x", "y", "x", None])
    ['a', 'b', 'a', 'd']
    """
    parent: dict[str, str] = {}

    def root(group: str) -> str:
        while parent.get(group, group) != group:
            group = parent[group]
        return group

    first: dict[str, str] = {}
    for group, content in zip(groups, contents, strict=True):
        if content is None:
            continue
        if content in first and root(group) != root(first[content]):
            parent[root(group)] = root(first[content])
        first.setdefault(content, group)
    return [root(g) for g in groups]


def song_groups(conn: sqlite3.Connection, paths: list[str], labels: list[str]
                ) -> tuple[list[str], float | None]:
    """Each labelled song's group for cross-validation, and the share of the unlabelled
    songs of the index whose group is among the labelled songs'.

    A song's group is its album (with its artist), else its artist, else its folder. When
    most unlabelled songs share a group with labelled ones (the user sorted part of each
    album), the songs to classify resemble the labelled ones as songs of one album do, and
    the groups are recordings instead; otherwise (the rest of the library is other albums)
    the folds keep a group on one side, so that the printed figure is what songs of albums
    never labelled get. A category all of one group (nothing to keep apart at that level)
    is grouped by recording: pieces cut from one track, or copies of it, share its artist
    and title, else (untitled) its folder, so that they never sit on both sides of a fold.
    Only a category that none of these split is grouped song by song (``song:`` keys;
    see :func:`ungrouped`). Songs of the same bytes or the same audio (copies, also tagged
    otherwise) are always one group. The share is ``None`` when nothing is unlabelled.
    """
    keys = _group_keys(conn)
    coarse = [keys[p][0] if p in keys else f"folder:{Path(p).parent}" for p in paths]
    labelled = set(paths)
    rest = [key[0] for path, key in keys.items() if path not in labelled]
    shared = float(np.mean([group in set(coarse) for group in rest])) if rest else None
    own = shared is not None and shared > 0.5
    # the album folder is no recording: when songs of one album are compared, an untitled
    # song is only its own
    fine = [(keys.get(p, (None, None))[1]
             or (f"song:{p}" if own else f"folder:{Path(p).parent}")) for p in paths]
    levels = ([] if own else [coarse]) + [fine, [f"song:{p}" for p in paths]]
    by_category: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_category.setdefault(label, []).append(i)
    groups = list(levels[-1])
    for members in by_category.values():
        level = next(level for level in levels if len({level[i] for i in members}) > 1
                     or level is levels[-1])
        for i in members:
            groups[i] = level[i]
    for copies in (2, 3):  # the same bytes, then the same audio under other tags
        groups = _joined(groups, [keys[p][copies] if p in keys else None for p in paths])
    return groups, shared


def ungrouped(groups: list[str], labels: list[str]) -> list[str]:
    """The categories of several songs that :func:`song_groups` left song by song: nothing
    (album, artist, title, sub-folder) said which of their songs belong together, so
    pieces of one recording may sit on both sides of a fold.

    >>> ungrouped(["song:a", "song:b", "track:x/t", "track:x/u"], ["p", "p", "q", "q"])
    ['p']
    """
    categories: dict[str, list[str]] = {}
    for group, label in zip(groups, labels, strict=True):
        categories.setdefault(label, []).append(group)
    return sorted(c for c, keys in categories.items()
                  if len(keys) > 1 and all(k.startswith("song:") for k in keys))


def _enough(labels: LabelSet, config: HeadConfig) -> dict[str, int]:
    counts = labels.counts()
    if len(counts) < 2:
        raise LibraryError(
            f"{labels.source}: need at least two categories of at least {config.min_songs} "
            f"usable songs each; got {_listed(counts) or 'none'}"
            + (f" (too few: {_listed(labels.dropped)})" if labels.dropped else ""))
    return counts


def _listed(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {n}" for k, n in counts.items())


def _save(model: ClassicalGenreModel, folder: Path, metrics: dict) -> Path:
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    fresh = folder.with_name(f".{folder.name}.new-{os.getpid()}")
    old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
    shutil.rmtree(fresh, ignore_errors=True)
    model.save(fresh, metrics=metrics)
    if folder.exists():
        folder.rename(old)
    fresh.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    return folder


def _suggest(conn: sqlite3.Connection, head, labelled: set[str], n: int,
             options: RunOptions) -> list[Suggestion]:
    rows = conn.execute("SELECT path, content, audio FROM songs WHERE status = 'ok' "
                        "ORDER BY path").fetchall()
    indexed = {r["path"]: r["content"] for r in rows}
    audio = {r["path"]: r["audio"] for r in rows}
    # A copy of a labelled song (sorted folders are often copies of the collection) would
    # teach nothing new: the same bytes, or the same audio tagged otherwise, are left out,
    # wherever they lie.
    copies = {indexed.get(p) or _content(p) for p in labelled} - {None}
    copies |= {audio.get(p) for p in labelled} - {None}
    candidates = [p for p, content in indexed.items() if p not in labelled
                  and content not in copies and audio[p] not in copies]
    windows, _ = _windows(candidates, options)
    paths = [p for p in candidates if p in windows]
    if not paths:
        return []
    probabilities = song_probabilities(head, [windows[p] for p in paths])
    ranked = np.sort(probabilities, axis=1)
    margins = ranked[:, -1] - ranked[:, -2]
    best = probabilities.argmax(axis=1)
    order = np.argsort(margins, kind="stable")[:n]
    return [Suggestion(paths[i], str(head.classes_[best[i]]), float(ranked[i, -1]),
                       float(margins[i])) for i in order]


def _content(path: str) -> str | None:
    """The content hash the index keys songs by, or ``None`` for a file gone since."""
    from genriflow.features.store import content_hash

    try:
        return content_hash(path)
    except OSError:
        return None
