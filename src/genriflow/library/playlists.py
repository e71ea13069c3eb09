"""Playlists from the index: one ``.m3u8`` per genre, mood, voice or own category.

Each playlist is extended M3U in UTF-8: ``#EXTM3U``, genriflow's mark (``#GENRIFLOW:``
with what it groups by and the model, so its own playlists are known again), then per
song ``#EXTINF:<seconds>,<artist> - <title>`` and the path relative to the playlist's
folder, with forward slashes. Writing again regenerates genriflow's own playlists of the
same grouping (removing those of values no song has now) and never overwrites a playlist
it did not make. The playlists read back as labels (``library learn --from-playlist``).
"""

from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from genriflow.errors import a_folder_to_write
from genriflow.library.db import LibraryError
from genriflow.library.labels import PLAYLIST_MARK
from genriflow.library.plan import GENRE_NAMES
from genriflow.library.query import Selection, atomic_output, own_min_confidence, songs
from genriflow.progress import counted
from genriflow.reprs import brief_repr

#: The groupings that are not a learnt model's name.
GROUPINGS = ("genre", "mood", "voice")
#: The line that marks a playlist as genriflow's.
MARK = PLAYLIST_MARK


@dataclass
class PlaylistReport:
    """Playlists written, own ones removed (no song has their value now), and refused."""

    __repr__ = brief_repr  # short in a notebook, whatever the library's size

    by: str
    model: str
    written: dict[Path, int] = field(default_factory=dict)
    removed: list[Path] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        songs_in = sum(self.written.values())
        return (f"{counted(len(self.written), 'playlist')} by {self.by} "
                f"({counted(songs_in, 'song')}, model "
                f"{self.model}); removed {len(self.removed)}; refused {len(self.refused)}")


def _mark(by: str, model: str) -> str:
    return f"{MARK}by={by};model={model}"


def _own(path: Path) -> str | None:
    """The grouping of a playlist genriflow made (``by=...``), else ``None``."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            head = [f.readline().strip() for _ in range(2)]
    except OSError:
        return None
    if head[0] != "#EXTM3U" or not head[1].startswith(MARK):
        return None
    fields = dict(p.split("=", 1) for p in head[1][len(MARK):].split(";") if "=" in p)
    return fields.get("by")


def file_name(value: str) -> str:
    """A safe playlist file name for a value.

    >>> file_name("Hip-Hop"), file_name("rock/pop: live")
    ('Hip-Hop.m3u8', 'rock_pop_ live.m3u8')
    """
    name = re.sub(r'[/\\:*?"<>|\x00-\x1f]', "_", value).strip(" .") or "_"
    return f"{name}.m3u8"


def _value(song, by: str, *, unsure: bool) -> str | None:
    """``unsure``: below a learnt model's own min-confidence, in no playlist of its."""
    if by == "mood":
        return song.mood
    if by == "voice":
        return song.voice
    genre = song.genre
    if not isinstance(genre, str) or unsure:
        return None
    return GENRE_NAMES.get(genre, genre) if by == "genre" else genre


def write_playlists(conn: sqlite3.Connection, by: str, out: str | os.PathLike, *,
                    model: str | None = None, skip_unknown: bool = False) -> PlaylistReport:
    """One playlist per value of ``by`` in ``out``.

    Parameters
    ----------
    by : str
        ``genre``, ``mood``, ``voice``, or the name (or folder) of a model learnt for the
        library (``library learn``), whose categories become the playlists (its unsure
        songs in none).
    out : path
        The folder (created).
    model : str or None
        For ``genre``, ``mood`` and ``voice``: whose analyses; ``None``: the latest run's.
    skip_unknown : bool
        For ``genre`` and a learnt model: songs its reject rule calls none of its genres
        go in no playlist (their best guess would file a podcast under a genre).

    Raises
    ------
    LibraryError
        No model has classified the library, or ``by`` names a model that has not.
    """
    chosen = model if by in GROUPINGS else by
    frame: pd.DataFrame = songs(conn, Selection(model=chosen))
    own_floor = own_min_confidence(conn, chosen) is not None
    analysed = frame[frame["model"].notna()]
    if analysed.empty:
        raise LibraryError("no song has been classified yet; run `genriflow library classify`")
    model_name = str(analysed["model"].iloc[0])
    if by not in GROUPINGS:  # a learnt model by its name, as ls names it: not its folder
        model_name = Path(model_name).name
    folder = a_folder_to_write("out", out)
    folder.mkdir(parents=True, exist_ok=True)
    grouping = by if by in GROUPINGS else f"model:{Path(by).name}"
    groups: dict[str, list] = {}
    for song in analysed.itertuples():
        if skip_unknown and by not in ("mood", "voice") and song.unknown is True:
            continue
        value = _value(song, by if by in GROUPINGS else "category",
                       unsure=own_floor and song.unsure is True)
        if value:
            groups.setdefault(value, []).append(song)
    report = PlaylistReport(grouping, model_name)
    for value, members in sorted(groups.items()):
        target = folder / file_name(value)
        if target.exists() and _own(target) is None:
            report.refused.append((str(target), "not made by genriflow; left as it is"))
            continue
        with atomic_output(target) as tmp:
            lines = ["#EXTM3U", _mark(grouping, model_name), *_entries(members, folder)]
            tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
        report.written[target] = len(members)
    for stale in sorted(folder.glob("*.m3u8")):
        if stale not in report.written and _own(stale) == grouping:
            stale.unlink()
            report.removed.append(stale)
    return report


def _entries(members: list, folder: Path) -> list[str]:
    lines = []
    for song in sorted(members, key=lambda s: s.path):
        artist = song.artist if isinstance(song.artist, str) else None
        title = song.title if isinstance(song.title, str) else Path(song.path).stem
        seconds = int(round(song.duration)) if pd.notna(song.duration) else -1
        lines.append(f"#EXTINF:{seconds},{f'{artist} - ' if artist else ''}{title}")
        try:
            lines.append(Path(os.path.relpath(song.path, folder)).as_posix())
        except ValueError:  # another drive (Windows): no relative path
            lines.append(Path(song.path).as_posix())
    return lines

