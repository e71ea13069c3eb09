"""Which files are audio, and which decoder reads each first: names only, no decoder.

Kept apart from :mod:`genriflow.audio.decode` so that scanning a folder, or telling a
model's name from a song's on the command line, imports neither decoder.
"""

from __future__ import annotations

#: File name endings genriflow treats as audio when it scans folders.
AUDIO_EXTENSIONS = frozenset(
    {
        ".wav",
        ".flac",
        ".ogg",
        ".oga",
        ".opus",
        ".mp3",
        ".au",
        ".snd",
        ".aif",
        ".aiff",
        ".m4a",
        ".aac",
        ".mp4",
        ".wma",
        ".webm",
        ".mka",
    }
)

#: Containers decoded by PyAV (FFmpeg) first; soundfile (libsndfile) reads the others
#: (see :mod:`genriflow.audio.decode`).
PYAV_FIRST = frozenset({".mp3", ".m4a", ".aac", ".mp4", ".wma", ".webm", ".mka"})
