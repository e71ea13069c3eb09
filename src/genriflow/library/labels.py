"""A user's own categories, as they already sorted their songs: folders, a tag or playlists.

Every source gives a :class:`LabelSet`: indexed songs (by their path in the index) with a
category each, and the entries that could not be used, with the reason.

- **folders** (:func:`from_folders`): each immediate sub-folder of a folder is a category
  (its name), holding its songs at any depth; hidden folders are ignored.
- **a tag** (:func:`from_tag`): the ``genre`` or ``mood`` the files carry, as the scan
  read it; spellings differing only in case are one category (named by its most common
  spelling); a song with several values (``Rock; Pop``) is skipped.
- **playlists** (:func:`from_playlists`): each ``.m3u`` / ``.m3u8`` file is a category (its
  name without the ending); entries are paths absolute or relative to the playlist's
  folder, or ``file://`` addresses; ``#`` lines (``#EXTM3U``, ``#EXTINF``) are comments.
  Playlists genriflow wrote (their ``#GENRIFLOW:`` line names the model) are noted in
  :attr:`LabelSet.written_by`: their categories are that model's answers, so a model
  learnt from them can only be measured agreeing with it.

A song found in two categories is skipped from both. The name ``unsure`` is reserved for
the songs a learnt model is not sure of.

>>> LabelSet("example", {"/m/a.flac": "calm", "/m/b.flac": "calm"}).counts()
{'calm': 2}
"""

from __future__ import annotations

import os
import sqlite3
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from genriflow.datasets.discover import find_audio_files
from genriflow.errors import one_of
from genriflow.library.db import LibraryError

#: The tags a category can be read from.
LABEL_TAGS = ("genre", "mood")
#: The playlist file endings read (:func:`read_playlist`, ``learn``'s ``from_playlists``),
#: lower case: ``(".m3u", ".m3u8")``.
PLAYLIST_SUFFIXES = (".m3u", ".m3u8")
#: The label of a song a learnt model is not sure of; no category may take it.
UNSURE = "unsure"
#: The line that marks a playlist as genriflow's (:mod:`~genriflow.library.playlists`).
PLAYLIST_MARK = "#GENRIFLOW:"


@dataclass
class LabelSet:
    """Songs of the index with the category the user gave each.

    Attributes
    ----------
    source : str
        Where the labels came from, in words.
    songs : dict of str to str
        Path (as in the index) -> category.
    skipped : list of (str, str)
        Entries not used (a file, a playlist line) and why.
    dropped : dict of str to int
        Categories left out for having too few songs, with their counts.
    written_by : dict of str to str
        Playlists genriflow wrote (file name -> the model its mark names, ``""`` if none).
    """

    source: str
    songs: dict[str, str] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)
    written_by: dict[str, str] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Category -> songs, sorted by category."""
        return dict(sorted(Counter(self.songs.values()).items()))

    def keep(self, min_songs: int) -> LabelSet:
        """The categories with at least ``min_songs`` songs; the others in ``dropped``.

        >>> labels = LabelSet("x", {"a": "big", "b": "big", "c": "small"})
        >>> labels.keep(2).counts(), labels.keep(2).dropped
        ({'big': 2}, {'small': 1})
        """
        counts = self.counts()
        small = {k: n for k, n in counts.items() if n < min_songs}
        return LabelSet(self.source, {p: c for p, c in self.songs.items() if c not in small},
                        list(self.skipped), {**self.dropped, **small}, dict(self.written_by))


def _present(conn: sqlite3.Connection) -> dict[str, sqlite3.Row]:
    return {r["path"]: r for r in conn.execute(
        "SELECT path, status, genre, mood FROM songs WHERE status != 'removed'")}


class _Lookup:
    """Index songs by their path, also reached through another name of the same file."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.rows = _present(conn)
        self.real = {os.path.realpath(p): p for p in self.rows}

    def find(self, path: str | os.PathLike) -> tuple[str | None, str]:
        """The song's index path, or ``None`` and why it cannot be used."""
        absolute = os.path.abspath(path)
        found = absolute if absolute in self.rows else self.real.get(os.path.realpath(absolute))
        if found is not None and self.rows[found]["status"] == "ok":
            return found, ""
        if found is not None:
            return None, "not usable audio (see `genriflow library ls --failed`)"
        if not os.path.isfile(absolute):
            return None, "no such file"
        return None, "not in the library index (scan its folder first)"


def _check_names(labels: LabelSet, names: Sequence[str]) -> None:
    for name in names:
        if name.strip().lower() == UNSURE:
            raise LibraryError(f"{labels.source}: the category name {name!r} is reserved for "
                               "songs a learnt model is not sure of; rename it")


def _assign(labels: LabelSet, found: dict[str, set[str]]) -> LabelSet:
    for path, categories in sorted(found.items()):
        if len(categories) == 1:
            labels.songs[path] = next(iter(categories))
        else:
            listed = ", ".join(sorted(categories))
            labels.skipped.append((path, f"in several categories ({listed})"))
    return labels


def from_folders(conn: sqlite3.Connection, folder: str | os.PathLike) -> LabelSet:
    """Categories from the immediate sub-folders of ``folder`` (scan it first).

    Raises
    ------
    LibraryError
        ``folder`` is not a folder, or has no sub-folders.
    """
    root = Path(folder)
    if root.exists() and not root.is_dir():
        raise LibraryError(f"{folder}: not a folder; give the folder whose sub-folders "
                           "are the categories")
    if not root.is_dir():
        raise LibraryError(f"{folder}: no such folder")
    try:
        subs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    except OSError as exc:
        raise LibraryError(f"{folder}: cannot be listed ({exc.strerror or exc})") from None
    if not subs:
        raise LibraryError(f"{folder}: no sub-folders; make one folder per category, each "
                           "holding its songs")
    labels = LabelSet(f"folders of {os.path.abspath(root)}")
    _check_names(labels, [p.name for p in subs])
    lookup, found = _Lookup(conn), {}
    for sub in subs:
        paths, unlisted = find_audio_files(sub)
        # a folder it may not list: its songs are not known, so said, not passed over
        labels.skipped.extend((str(e.path), e.reason) for e in unlisted)
        for path in paths:
            song, why = lookup.find(path)
            if song is None:
                labels.skipped.append((str(path), why))
            else:
                found.setdefault(song, set()).add(sub.name)
    labels = _assign(labels, found)
    labels.dropped.update({p.name: 0 for p in subs if p.name not in labels.counts()})
    return labels


def label_tag(tag: str) -> str:
    """``tag`` if categories can be read from it: one of :data:`LABEL_TAGS`.

    >>> label_tag("mood")
    'mood'
    """
    return one_of("from_tag", tag, LABEL_TAGS)


def from_tag(conn: sqlite3.Connection, tag: str) -> LabelSet:
    """Categories from the ``genre`` or ``mood`` tag of the indexed songs.

    Raises
    ------
    ConfigError
        A tag not in :data:`LABEL_TAGS`.
    """
    label_tag(tag)
    labels = LabelSet(f"the {tag} tag of the indexed songs")
    spellings: dict[str, Counter] = {}
    values: dict[str, str] = {}
    for path, row in _present(conn).items():
        value = (row[tag] or "").strip()
        if row["status"] != "ok" or not value:
            continue
        if ";" in value:
            labels.skipped.append((path, f"several {tag} values ({value})"))
            continue
        spellings.setdefault(value.casefold(), Counter())[value] += 1
        values[path] = value.casefold()
    names = {key: counter.most_common(1)[0][0] for key, counter in spellings.items()}
    _check_names(labels, list(names.values()))
    return _assign(labels, {path: {names[key]} for path, key in values.items()})


def read_playlist(path: str | os.PathLike) -> list[str]:
    """The local paths an m3u/m3u8 playlist lists, absolute, in order.

    Relative entries are relative to the playlist's folder; ``#`` lines and blank lines
    are skipped; ``file://`` addresses are decoded; other addresses (``http://``) are kept
    as they are (no such file). UTF-8 (with or without a byte-order mark), else Latin-1.

    Parameters
    ----------
    path : path
        The playlist (:data:`PLAYLIST_SUFFIXES`; the ending is not checked here).

    Returns
    -------
    list of str
        Its entries, in order, duplicates kept.

    Raises
    ------
    OSError
        The playlist cannot be read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "calm.m3u8").write_text("#EXTM3U\\n#EXTINF:3,A\\nsongs/a.flac\\n\\n")
    >>> [p.endswith("/songs/a.flac") for p in read_playlist(folder / "calm.m3u8")]
    [True]
    """
    path = Path(path)
    entries = []
    for line in _lines(path):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("file://"):
            line = unquote(urlparse(line).path)
        elif "://" in line:
            entries.append(line)
            continue
        entry = Path(line)
        entries.append(os.path.abspath(entry if entry.is_absolute() else path.parent / entry))
    return entries


def _lines(path: Path) -> list[str]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:  # an old .m3u in the system's 8-bit encoding
        text = data.decode("latin-1")
    return text.splitlines()


def playlist_mark(path: str | os.PathLike) -> dict[str, str] | None:
    """What the ``#GENRIFLOW:`` line of a playlist genriflow wrote says (``by``,
    ``model``); ``None`` for a playlist without one.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "rock.m3u8").write_text("#EXTM3U\\n#GENRIFLOW:by=genre;model=gtzan\\n")
    >>> playlist_mark(folder / "rock.m3u8")
    {'by': 'genre', 'model': 'gtzan'}
    """
    for line in _lines(Path(path)):
        line = line.strip()
        if line.startswith(PLAYLIST_MARK):
            return dict(part.split("=", 1) for part in line[len(PLAYLIST_MARK):].split(";")
                        if "=" in part)
    return None


def from_playlists(conn: sqlite3.Connection, playlists: Sequence[str | os.PathLike]
                   ) -> LabelSet:
    """Categories from playlists: each file's name without its ending is a category.

    Raises
    ------
    LibraryError
        A playlist that does not exist or is not an m3u/m3u8 file, or two playlists of the
        same name.
    """
    files = [Path(p) for p in playlists]
    if not files:
        raise LibraryError("name the playlists, one per category")
    for file in files:
        if not file.is_file():
            raise LibraryError(f"{file}: no such playlist")
        if file.suffix.lower() not in PLAYLIST_SUFFIXES:
            raise LibraryError(f"{file}: not an m3u or m3u8 playlist")
    stems = Counter(f.stem for f in files)
    twice = [s for s, n in stems.items() if n > 1]
    if twice:
        raise LibraryError(f"two playlists make the category {twice[0]!r}; give each "
                           "category one playlist")
    labels = LabelSet("playlists " + ", ".join(f.name for f in files))
    _check_names(labels, list(stems))
    lookup, found = _Lookup(conn), {}
    for file in files:
        mark = playlist_mark(file)
        if mark is not None:
            labels.written_by[file.name] = mark.get("model", "")
        for entry in read_playlist(file):
            song, why = lookup.find(entry)
            if song is None:
                labels.skipped.append((f"{file.name}: {entry}", why))
            else:
                found.setdefault(song, set()).add(file.stem)
    labels = _assign(labels, found)
    empty = {s: 0 for s in stems if s not in labels.counts()}
    labels.dropped.update(empty)
    return labels
