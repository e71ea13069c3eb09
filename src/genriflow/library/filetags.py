"""The tags a song already carries (title, artist, album, album artist, genre, mood), read
with mutagen.

Files are only ever opened for reading. Every container's own tag format is read (ID3 for
mp3, wav and aiff; Vorbis comments for ogg, opus and flac; MP4 atoms for m4a; ASF for wma);
a file mutagen cannot parse simply has no tags.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import mutagen
from mutagen.asf import ASFTags
from mutagen.id3 import ID3
from mutagen.mp4 import MP4Tags

#: The tags kept, by the names the index uses.
TAG_NAMES = ("title", "artist", "album", "album_artist", "genre", "mood")

_ID3_FRAMES = {"title": "TIT2", "artist": "TPE1", "album": "TALB", "album_artist": "TPE2",
               "genre": "TCON", "mood": "TMOO"}
_MP4_KEYS = {"title": "\xa9nam", "artist": "\xa9ART", "album": "\xa9alb",
             "album_artist": "aART", "genre": "\xa9gen", "mood": "----:com.apple.iTunes:MOOD"}
_ASF_KEYS = {"title": "Title", "artist": "Author", "album": "WM/AlbumTitle",
             "album_artist": "WM/AlbumArtist", "genre": "WM/Genre", "mood": "WM/Mood"}
#: Vorbis comment names, where they differ from the index's.
_VORBIS_KEYS = {"album_artist": "albumartist"}
_CONTAINERS = {"MP3": "mp3", "EasyMP3": "mp3", "FLAC": "flac", "OggVorbis": "ogg/vorbis",
               "OggOpus": "ogg/opus", "OggFLAC": "ogg/flac", "OggSpeex": "ogg/speex",
               "MP4": "mp4", "EasyMP4": "mp4", "WAVE": "wav", "AIFF": "aiff", "ASF": "asf",
               "AAC": "aac", "MonkeysAudio": "ape", "WavPack": "wavpack"}


@dataclass(frozen=True)
class FileTags:
    """A file's container and its own tags (``None`` where it has none).

    >>> FileTags("mp3", title="Intro").genre is None
    True
    """

    container: str
    title: str | None = None
    artist: str | None = None
    album: str | None = None
    album_artist: str | None = None
    genre: str | None = None
    mood: str | None = None


def read_tags(path: str | os.PathLike) -> FileTags:
    """The container and the tags of :data:`TAG_NAMES` of one file, read-only.

    Several values of one tag are joined with ``"; "``. A file mutagen cannot parse gives
    its name's ending as the container and no tags; this never raises for a bad file.

    >>> import tempfile, pathlib
    >>> notes = pathlib.Path(tempfile.mkdtemp()) / "notes.mp3"
    >>> _ = notes.write_text("not a song")
    >>> read_tags(notes)  # doctest: +NORMALIZE_WHITESPACE
    FileTags(container='mp3', title=None, artist=None, album=None, album_artist=None,
             genre=None, mood=None)
    """
    fallback = FileTags(Path(path).suffix.lower().lstrip(".") or "unknown")
    try:
        audio = mutagen.File(path)
    except (mutagen.MutagenError, OSError, ValueError, EOFError):
        return fallback
    if audio is None:
        return fallback
    name = type(audio).__name__
    values = _values(audio.tags) if audio.tags is not None else {}
    return FileTags(_CONTAINERS.get(name, name.lower()), **values)


def _values(tags) -> dict[str, str | None]:
    if isinstance(tags, ID3):
        raw = {k: [str(t) for f in tags.getall(frame) for t in _id3_text(f)]
               for k, frame in _ID3_FRAMES.items()}
    elif isinstance(tags, MP4Tags):
        raw = {k: [_text(v) for v in tags.get(key, [])] for k, key in _MP4_KEYS.items()}
    elif isinstance(tags, ASFTags):
        raw = {k: [_text(v.value) for v in tags.get(key, [])] for k, key in _ASF_KEYS.items()}
    else:  # Vorbis comments and the like: case-insensitive names
        raw = {k: [_text(v) for v in _get(tags, _VORBIS_KEYS.get(k, k))] for k in TAG_NAMES}
    return {k: "; ".join(v for v in (s.strip() for s in raw[k]) if v) or None for k in raw}


def _id3_text(frame) -> list[str]:
    return list(frame.genres) if hasattr(frame, "genres") else list(frame.text)


def _get(tags, key: str) -> list:
    try:
        found = tags.get(key) or tags.get(key.upper())
    except (KeyError, ValueError, TypeError):
        return []
    if found is None:
        return []
    return list(found) if isinstance(found, list | tuple) else [found]


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)
