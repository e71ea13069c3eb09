"""Writing the demo corpus: GTZAN's folder layout, rotating containers, a manifest."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from genriflow.datasets.gtzan import GTZAN_GENRES
from genriflow.errors import ConfigError, a_folder_to_write, at_least, one_of

if TYPE_CHECKING:
    import numpy as np

# NumPy, soundfile and the synthesiser are imported where clips are made, so that
# make_demo_corpus refuses a bad option (``genriflow demo-data --per-genre 0``) at once.

#: File extension -> (soundfile format, subtype) used by :func:`make_demo_corpus`.
FORMATS: dict[str, tuple[str, str]] = {
    "wav": ("WAV", "PCM_16"),
    "flac": ("FLAC", "PCM_16"),
    "ogg": ("OGG", "VORBIS"),
    "mp3": ("MP3", "MPEG_LAYER_III"),
    "au": ("AU", "PCM_16"),
}


def clip_rng(seed: int, genre_index: int, clip_index: int) -> np.random.Generator:
    """The generator of one clip, independent of how many clips the corpus has."""
    import numpy as np

    return np.random.default_rng(np.random.SeedSequence([seed, genre_index, clip_index]))


def _write(path: Path, y: np.ndarray, sr: int, ext: str) -> None:
    """Write one clip in the container named by ``ext`` (see :data:`FORMATS`)."""
    import soundfile as sf

    fmt, subtype = FORMATS[ext]
    # In blocks: libsndfile's Vorbis encoder crashes on single writes of several minutes.
    block = 10 * sr
    with sf.SoundFile(str(path), "w", sr, 1, format=fmt, subtype=subtype) as f:
        for start in range(0, y.size, block):
            f.write(y[start:start + block])


def clip_name(genre: str, index: int, ext: str) -> str:
    """File name of a demo clip, e.g. ``synth-jazz.00003.flac``.

    The ``synth-`` prefix keeps the names from being taken for GTZAN clips (``jazz.00003``),
    which would make ``--split auto`` choose the GTZAN fault-filtered split.
    """
    return f"synth-{genre}.{index:05d}.{ext}"


#: The two kinds of two-genre clip: one genre then the other, or both over the whole clip.
MULTI_KINDS = ("sequence", "blend")
#: The folder of the two-genre clips, beside the genres' folders.
MULTI_FOLDER = "multi"


def two_genre_clip(genres: tuple[str, str], kind: str, seconds: float, sr: int,
                   rng: np.random.Generator) -> np.ndarray:
    """A clip of two genres: ``sequence`` plays the first genre, then the second (half the
    clip each); ``blend`` mixes both over the whole clip at equal loudness.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> two_genre_clip(("jazz", "metal"), "blend", 2.0, 8000, rng).shape
    (16000,)
    """
    import numpy as np

    from genriflow.datasets.synthetic.arrange import synthesize_clip

    one_of("kind", kind, MULTI_KINDS)
    if kind == "sequence":
        first = synthesize_clip(genres[0], seconds / 2, sr, rng)
        second = synthesize_clip(genres[1], seconds - first.size / sr, sr, rng)
        y = np.concatenate([first, second])
    else:
        a, b = (synthesize_clip(g, seconds, sr, rng) for g in genres)
        y = a / (np.sqrt(np.mean(a ** 2)) + 1e-9) + b / (np.sqrt(np.mean(b ** 2)) + 1e-9)
    return (0.9 * y / max(float(np.max(np.abs(y))), 1e-9)).astype(np.float32)


def check_corpus(*, per_genre: int, seconds: float, seed: int = 0, sr: int = 22050,
                 formats: Sequence[str] = ("wav",), multi: int = 0) -> list[str]:
    """Check :func:`make_demo_corpus`'s options before anything is made or written; return
    the formats as it names them (lower case, no dot).

    >>> check_corpus(per_genre=0, seconds=10.0)
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `per_genre` must be at least 1; got 0
    """
    formats = [f.lower().lstrip(".") for f in formats]
    if not formats:
        raise ConfigError("formats", f"must name at least one of {', '.join(FORMATS)}")
    for name in formats:
        one_of("formats", name, FORMATS)
    at_least("per_genre", per_genre, 1)
    at_least("multi", multi, 0)
    at_least("seed", seed, 0)  # NumPy's seed sequences are not negative
    at_least("sr", sr, 1)
    at_least("seconds", seconds, 0)
    if round(seconds * sr) <= 0:  # as synthesize_clip says it, before anything is written
        raise ConfigError("seconds", f"must give at least one sample; got {seconds!r}")
    return formats


def make_demo_corpus(
    out_dir: str | Path,
    per_genre: int = 20,
    seconds: float = 10.0,
    seed: int = 0,
    sr: int = 22050,
    formats: Sequence[str] = ("wav", "flac", "ogg", "mp3", "au"),
    multi: int = 0,
) -> list[Path]:
    """Write a labelled synthetic corpus in GTZAN's layout, with a manifest.

    Files are ``out_dir/<genre>/synth-<genre>.00000.<ext>``, ...; clip ``i`` of each genre
    uses the container ``formats[i % len(formats)]`` so every decoder gets exercised.
    ``manifest.csv`` (columns ``path,label,kind``, paths relative to ``out_dir``) lists them
    all. Clip ``i`` of a genre is the same audio whatever ``per_genre`` is.

    With ``multi``, that many two-genre clips go to ``out_dir/multi/``
    (``synth-jazz+metal.00003.blend.flac``), alternating the two :data:`MULTI_KINDS`, each
    pair of distinct genres drawn at random; their manifest label is ``genre;genre`` (see
    :func:`~genriflow.datasets.discover.read_manifest`).

    Parameters
    ----------
    out_dir : str or Path
        Folder to write into (created if needed).
    per_genre : int
        Clips per genre.
    seconds : float
        Length of every clip.
    seed : int
        Corpus seed; each clip's generator comes from ``(seed, genre index, clip index)``.
    sr : int
        Sample rate in Hz.
    formats : sequence of str
        Containers to rotate through, from :data:`FORMATS`.
    multi : int
        Two-genre clips to add.

    Returns
    -------
    list of Path
        The written audio files, genre by genre.

    Raises
    ------
    ConfigError
        For an unknown format, an empty format list, ``per_genre`` under 1, a negative
        ``multi`` or ``seed``, ``seconds`` shorter than one sample, or an ``out_dir``
        that cannot be written (a file, a read-only place).
    """
    formats = check_corpus(per_genre=per_genre, seconds=seconds, seed=seed, sr=sr,
                           formats=formats, multi=multi)
    from genriflow.datasets.synthetic.arrange import synthesize_clip

    out_dir = a_folder_to_write("out_dir", out_dir)
    written: list[Path] = []
    labels: dict[Path, tuple[str, str]] = {}
    for g, genre in enumerate(GTZAN_GENRES):
        (out_dir / genre).mkdir(parents=True, exist_ok=True)
        for i in range(per_genre):
            ext = formats[i % len(formats)]
            path = out_dir / genre / clip_name(genre, i, ext)
            _write(path, synthesize_clip(genre, seconds, sr, clip_rng(seed, g, i)), sr, ext)
            written.append(path)
    if multi:
        (out_dir / MULTI_FOLDER).mkdir(parents=True, exist_ok=True)
    for i in range(multi):
        rng = clip_rng(seed, len(GTZAN_GENRES), i)  # a stream no single-genre clip uses
        first, second = rng.choice(len(GTZAN_GENRES), size=2, replace=False)
        pair = (GTZAN_GENRES[first], GTZAN_GENRES[second])
        kind, ext = MULTI_KINDS[i % 2], formats[i % len(formats)]
        path = out_dir / MULTI_FOLDER / f"synth-{pair[0]}+{pair[1]}.{i:05d}.{kind}.{ext}"
        _write(path, two_genre_clip(pair, kind, seconds, sr, rng), sr, ext)
        written.append(path)
        labels[path] = pair
    _write_manifest(out_dir, written, labels)
    return written


def _write_manifest(out_dir: Path, paths: Sequence[Path],
                    multi: dict[Path, tuple[str, str]]) -> None:
    """``out_dir/manifest.csv``: one ``path,label,kind`` row per clip, paths relative and
    POSIX; a two-genre clip's label is ``genre;genre``."""
    with open(out_dir / "manifest.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "label", "kind"])
        for path in paths:
            kind = path.suffixes[-2].lstrip(".") if path in multi else "single"
            label = ";".join(multi[path]) if path in multi else path.parent.name
            writer.writerow([path.relative_to(out_dir).as_posix(), label, kind])
