"""Fixtures of the library tests: tagged songs in every container, checksums, the CLI.

The helpers come as fixtures (``write_song``, ``checksums``, ``cli``, ``cli_process``),
not as an importable module: ``tests`` is on the path, and a ``library`` package there
would shadow ``benchmarks/library.py``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf
from mutagen.flac import FLAC
from mutagen.id3 import ID3, TALB, TCON, TIT2, TMOO, TPE1, TPE2
from mutagen.mp4 import MP4, MP4FreeForm
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from commandline import in_a_process, in_process
from sample_audio import SR, tone


def write_m4a(path: Path, y: np.ndarray, sr: int = SR) -> None:
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=sr)
        frame = av.AudioFrame.from_ndarray(y[None, :].astype(np.float32), format="flt",
                                           layout="mono")
        frame.sample_rate = sr
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)


def write_song(path: Path, seconds: float = 3.0, seed: int = 0, **tags: str) -> Path:
    """A tone (its pitch from ``seed``) in the container of ``path``'s ending, with tags."""
    path.parent.mkdir(parents=True, exist_ok=True)
    y = tone(seconds, freq=180.0 + 37.0 * seed, seed=seed)
    if path.suffix == ".m4a":
        write_m4a(path, y)
    elif path.suffix == ".opus":  # Opus runs at 48 kHz
        y48 = tone(seconds, freq=180.0 + 37.0 * seed, sr=48000, seed=seed)
        sf.write(path, y48, 48000, format="OGG", subtype="OPUS")
    else:
        sf.write(path, y, SR)
    if tags:
        _tag(path, tags)
    return path


def _tag(path: Path, tags: dict[str, str]) -> None:
    if path.suffix in (".mp3", ".wav"):
        frames = {"title": TIT2, "artist": TPE1, "album": TALB, "album_artist": TPE2,
                  "genre": TCON, "mood": TMOO}
        audio = WAVE(path) if path.suffix == ".wav" else None  # wav: an "id3 " chunk
        id3 = ID3() if audio is None else (audio.add_tags() or audio.tags)
        for name, value in tags.items():
            id3.add(frames[name](encoding=3, text=[value]))
        if audio is None:
            id3.save(path)
        else:
            audio.save()
    elif path.suffix == ".m4a":
        keys = {"title": "\xa9nam", "artist": "\xa9ART", "album": "\xa9alb", "genre": "\xa9gen",
                "album_artist": "aART"}
        mp4 = MP4(path)
        for name, value in tags.items():
            if name == "mood":
                mp4["----:com.apple.iTunes:MOOD"] = [MP4FreeForm(value.encode())]
            else:
                mp4[keys[name]] = [value]
        mp4.save()
    else:
        vorbis = {".flac": FLAC, ".opus": OggOpus}.get(path.suffix, OggVorbis)(path)
        for name, value in tags.items():
            vorbis["albumartist" if name == "album_artist" else name] = value
        vorbis.save()


def checksums(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file below ``folder`` (links not followed): SHA-256 and modification time."""
    found = {}
    for dirpath, _, names in os.walk(folder):
        for name in names:
            path = Path(dirpath) / name
            if path.is_symlink():
                continue
            found[str(path)] = (hashlib.sha256(path.read_bytes()).hexdigest(),
                                path.stat().st_mtime_ns)
    return found




@pytest.fixture(scope="session", name="write_song")
def write_song_fixture():
    """:func:`write_song`: a tagged tone in the container of the path's ending."""
    return write_song


@pytest.fixture(scope="session")
def tag_song():
    """Write tags (title, artist, album, album_artist, genre, mood) into a generated file."""
    return _tag


def decoded(path: Path) -> np.ndarray:
    """Every sample of a file's audio, decoded with FFmpeg (PyAV)."""
    with av.open(str(path)) as container:
        frames = [f.to_ndarray().reshape(-1) for f in container.decode(audio=0)]
    return np.concatenate(frames)


@pytest.fixture(scope="session", name="decoded")
def decoded_fixture():
    """:func:`decoded`: a file's decoded samples."""
    return decoded


@pytest.fixture(scope="session", name="checksums")
def checksums_fixture():
    """:func:`checksums`: every file below a folder, SHA-256 and mtime."""
    return checksums


@pytest.fixture(scope="session")
def cli():
    """:func:`commandline.in_process`: ``genriflow ARGS...`` in this process (typer's
    CliRunner), ``env=`` added to the environment."""
    return in_process


@pytest.fixture(scope="session")
def cli_process():
    """:func:`commandline.in_a_process`: ``genriflow ARGS...`` in a real child process, for
    what only one shows (a forced terminal, signals, locks between processes)."""
    return in_a_process


@pytest.fixture
def music(tmp_path: Path) -> Path:
    """Four tagged songs in three containers, in two folders."""
    root = tmp_path / "music"
    write_song(root / "rock" / "one.flac", seed=1, title="One", artist="A", album="X",
               genre="Rock", mood="energetic")
    write_song(root / "rock" / "two.mp3", seed=2, title="Two", artist="B", genre="Rock",
               mood="dark")
    write_song(root / "jazz" / "three.ogg", seed=3, title="Three", genre="Jazz")
    write_song(root / "jazz" / "four.flac", seed=4)
    return root
