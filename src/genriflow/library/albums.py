"""Albums of the index: each album's genre from its tracks' combined probabilities, and how
far its tracks agree with it.

An album is the songs that share an album tag and an artist: the album artist tag where a
song has one, else its track artist (so two albums called "Greatest Hits" by different
artists stay apart). Songs without an album tag belong to no album. Only the songs a model
analysed count, each with the genre probabilities the index stores for it:

- the album's **genre** is the most probable genre of the mean of its tracks'
  probabilities, and its **probability** that mean's value;
- its **agreement** is the share of its tracks whose own most probable genre is the
  album's; the other tracks **disagree** with their album.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from genriflow.library.configs import album_min_tracks
from genriflow.library.db import LibraryError
from genriflow.progress import counted
from genriflow.reprs import brief_repr

#: The columns of :attr:`AlbumReport.albums`.
ALBUM_COLUMNS = ("album", "artist", "tracks", "genre", "probability", "agreement", "agreeing")
#: The columns of :attr:`AlbumReport.disagreeing`.
TRACK_COLUMNS = ("path", "album", "artist", "genre", "probability", "album_genre",
                 "album_probability")


@dataclass
class AlbumReport:
    """The albums of a library by one model's analyses.

    Attributes
    ----------
    model : str
        Whose analyses.
    albums : pandas.DataFrame
        One row per album of at least ``min_tracks`` analysed tracks, columns
        :data:`ALBUM_COLUMNS` (``tracks`` and ``agreeing`` are counts, ``agreement`` their
        ratio in [0, 1]), sorted by album then artist.
    disagreeing : pandas.DataFrame
        The tracks of those albums whose own genre is not their album's, columns
        :data:`TRACK_COLUMNS`, sorted by album, artist and path.
    untagged : int
        Analysed songs without an album tag.
    unanalysed : int
        Songs with an album tag that the model has not analysed (not counted).
    """

    __repr__ = brief_repr  # short in a notebook, whatever the library's size

    model: str
    albums: pd.DataFrame
    disagreeing: pd.DataFrame
    untagged: int = 0
    unanalysed: int = 0

    def __str__(self) -> str:
        disagree = "disagrees" if len(self.disagreeing) == 1 else "disagree"
        return (f"{counted(len(self.albums), 'album')} by {self.model}: "
                f"{counted(len(self.disagreeing), 'track')} {disagree} with their album "
                f"({counted(self.untagged, 'analysed song')} without an album tag, "
                f"{counted(self.unanalysed, 'album track')} not analysed)")


def _text(value) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def albums(songs: pd.DataFrame, *, min_tracks: int = 1) -> AlbumReport:
    """Group the songs of :func:`~genriflow.library.query.songs` into albums.

    Parameters
    ----------
    songs : pandas.DataFrame
        The index's songs with one model's analyses (its ``p_<genre>`` columns).
    min_tracks : int
        Albums with fewer analysed tracks are left out.

    Returns
    -------
    AlbumReport

    Raises
    ------
    LibraryError
        No model has analysed the songs.
    ConfigError
        ``min_tracks`` below 1.

    Examples
    --------
    >>> songs = pd.DataFrame({"path": ["/m/1.flac", "/m/2.flac", "/m/3.flac", "/m/4.flac"],
    ...     "album": ["Hits", "Hits", "Hits", None], "album_artist": [None] * 4,
    ...     "artist": ["A", "A", "A", "A"], "model": ["m"] * 4,
    ...     "p_jazz": [0.8, 0.7, 0.1, 0.9], "p_rock": [0.2, 0.3, 0.9, 0.1]})
    >>> report = albums(songs)
    >>> report.albums[["album", "artist", "tracks", "genre", "agreeing"]].values.tolist()
    [['Hits', 'A', 3, 'jazz', 2]]
    >>> report.disagreeing[["path", "genre", "album_genre"]].values.tolist()
    [['/m/3.flac', 'rock', 'jazz']]
    """
    album_min_tracks(min_tracks)
    columns = [c for c in songs.columns if c.startswith("p_")]
    if not columns:
        raise LibraryError("no model has classified this library yet; run "
                           "`genriflow library classify`")
    genres = [c[2:] for c in columns]
    album = songs["album"].map(_text)
    artist = songs["album_artist"].map(_text).fillna(songs["artist"].map(_text))
    tagged = album.notna()
    done = songs["model"].notna()
    frame = pd.DataFrame({"path": songs["path"], "album": album, "artist": artist})
    frame = frame[tagged & done]
    probabilities = songs.loc[frame.index, columns].to_numpy(dtype=float)
    frame["genre"] = [genres[i] for i in probabilities.argmax(axis=1)] if len(frame) else []
    frame["probability"] = probabilities.max(axis=1) if len(frame) else []
    rows, tracks = [], []
    keys = frame[["album", "artist"]].fillna("\0").apply(tuple, axis=1)
    for _, members in frame.groupby(keys, sort=False) if len(frame) else []:
        if len(members) < min_tracks:
            continue
        mean = probabilities[frame.index.get_indexer(members.index)].mean(axis=0)
        best = int(np.argmax(mean))
        agree = members["genre"] == genres[best]
        first = members.iloc[0]
        rows.append({"album": first["album"], "artist": _text(first["artist"]),
                     "tracks": len(members), "genre": genres[best],
                     "probability": float(mean[best]),
                     "agreement": float(agree.mean()), "agreeing": int(agree.sum())})
        tracks += [{"path": t.path, "album": t.album, "artist": _text(t.artist),
                    "genre": t.genre,
                    "probability": float(t.probability), "album_genre": genres[best],
                    "album_probability": float(mean[best])}
                   for t in members[~agree].itertuples()]
    order = ["album", "artist"]
    table = pd.DataFrame(rows, columns=list(ALBUM_COLUMNS))
    table = table.sort_values(order, ignore_index=True, na_position="first")
    disagreeing = pd.DataFrame(tracks, columns=list(TRACK_COLUMNS))
    disagreeing = disagreeing.sort_values([*order, "path"], ignore_index=True,
                                          na_position="first")
    model = songs.loc[done, "model"]
    return AlbumReport(str(model.iloc[0]) if len(model) else "", table, disagreeing,
                       untagged=int((done & ~tagged).sum()),
                       unanalysed=int((tagged & ~done).sum()))
