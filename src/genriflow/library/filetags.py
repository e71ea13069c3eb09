"""The tags a song already carries (title, artist, album, album artist, genre, mood), read
with mutagen.

Files are only ever opened for reading. Every container's own tag format is read (ID3 for
mp3, wav and aiff; Vorbis comments for ogg, opus and flac; MP4 atoms for m4a; ASF for wma);
a file mutagen cannot parse simply has no tags.

The container is known by the file's bytes, not its name (:func:`open_audio`): a FLAC
stream behind a stray ID3v2 block, as some taggers write one, is a FLAC file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import mutagen
from mutagen.asf import ASFTags
from mutagen.flac import FLAC
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


def id3_prefix(path: str | os.PathLike) -> int:
    """The length of the ID3v2 block in front of a FLAC stream (``fLaC`` right after it),
    else 0.

    mutagen takes such a file for an MP3 when its name does not end in ``.flac`` (a
    temporary copy's does not): the audio stream behind the block tells the container.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(10)
            if len(head) < 10 or head[:3] != b"ID3" or any(b & 0x80 for b in head[6:10]):
                return 0
            size = 10 + sum(b << (7 * (3 - i)) for i, b in enumerate(head[6:10]))
            f.seek(size)
            return size if f.read(4) == b"fLaC" else 0
    except OSError:
        return 0


def open_audio(path: str | os.PathLike):
    """mutagen's view of one file, its container known by the audio stream.

    Like :func:`mutagen.File` (``None`` for a file it does not know; its errors raised),
    except that a FLAC stream behind an ID3v2 block opens as FLAC.
    """
    if id3_prefix(path):
        return FLAC(path)
    return mutagen.File(path)


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
        audio = open_audio(path)
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
