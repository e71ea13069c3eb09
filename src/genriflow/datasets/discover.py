"""Find labelled audio: folder-per-genre trees (any depth, both GTZAN layouts), CSV
manifests, MTG-Jamendo's genre TSV and FMA's ``tracks.csv`` (see
:mod:`genriflow.datasets.multilabel`).

A dataset is a :class:`pandas.DataFrame` with one row per file and the columns

``path``   absolute file path (str)
``label``  class name (str)
``group``  what must never cross splits, e.g. an artist or album (str or missing)
``split``  a fixed assignment ``train | valid | test`` given by a manifest (or missing)
``key``    the GTZAN clip key ``genre.NNNNN`` where the name follows GTZAN's pattern

and, for files of several genres, ``labels``: all of them joined with ``;``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from genriflow.audio import AUDIO_EXTENSIONS
from genriflow.audio.errors import AudioError, os_error
from genriflow.audio.formats import shown_name
from genriflow.datasets.frames import (
    DATASET_COLUMNS,
    DatasetError,
    dataset_frame,
    read_table,
)

if TYPE_CHECKING:  # pandas is imported where a frame is built: finding files needs none
    import pandas as pd


def iter_audio_files(root: str | os.PathLike) -> list[Path]:
    """All audio files below ``root`` (recursively, sorted), by file name ending.

    Hidden files and folders (starting with ``.``) are skipped. Symbolic links to folders
    are followed, each real folder visited once (so a link back up the tree, a loop, ends
    there); paths keep the names they were found under. A folder that cannot be listed
    is passed over: :func:`find_audio_files` names it.
    """
    return find_audio_files(root)[0]


def find_audio_files(root: str | os.PathLike) -> tuple[list[Path], list[AudioError]]:
    """:func:`iter_audio_files`, and an error (kind ``unreadable``, the system's reason)
    for each folder below ``root`` (or ``root`` itself) that could not be listed, whose
    songs are therefore not known: not missing, and not to be taken for removed."""
    root = Path(root)
    found = []
    unlisted: list[AudioError] = []
    visited: set[str] = set()

    def cannot_list(exc: OSError) -> None:
        unlisted.append(os_error(exc.filename if exc.filename is not None else root, exc))

    for dirpath, dirnames, filenames in os.walk(root, onerror=cannot_list,
                                                followlinks=True):
        real = os.path.realpath(dirpath)
        if real in visited:
            dirnames[:] = []
            continue
        visited.add(real)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith(".") and Path(name).suffix.lower() in AUDIO_EXTENSIONS:
                found.append(Path(dirpath) / name)
    return found, unlisted


def read_file_list(source: str | os.PathLike | BinaryIO, *, null: bool = False) -> list[Path]:
    """The paths a list of files names, in its order: songs (or folders) for
    :func:`genriflow.analyse` and the others, more than a command line holds.

    One path a line (``find ~/Music -name '*.mp3' > songs.txt``): the line ending (``\\n``
    or ``\\r\\n``) is taken off, blank lines (empty, or spaces alone) are passed over,
    and every other line is a name as it is, its spaces kept. With ``null`` the names end
    with a NUL byte instead (``find -print0``), so any name, one holding a newline too,
    can be listed; empty names are passed over. Bytes that are not UTF-8 are kept as the
    file system's names are (:func:`os.fsdecode`). A relative path stays relative: to the
    current folder, as ``tar --files-from`` and ``rsync --files-from`` take it. Nothing is
    checked to exist: a listed song that is not there is a failed song of the batch, like
    any other.

    Parameters
    ----------
    source : str, PathLike or binary file
        The list's file, or an open file such as ``sys.stdin.buffer``.
    null : bool
        The names are separated by NUL bytes, not by lines.

    Returns
    -------
    list of Path
        The listed paths, at least one.

    Raises
    ------
    DatasetError
        The list cannot be read, or names nothing (empty, or blank lines only).
    ConfigError
        Without ``null``, a list holding NUL bytes (which no name holds): one written by
        ``find -print0``.

    Examples
    --------
    >>> import tempfile
    >>> songs = Path(tempfile.mkdtemp()) / "songs.txt"
    >>> _ = songs.write_bytes(b"Music/01 Intro.mp3\\r\\n\\nMusic/Live/\\n")
    >>> [str(p) for p in read_file_list(songs)]
    ['Music/01 Intro.mp3', 'Music/Live']
    >>> _ = songs.write_bytes(b"two\\nlines.ogg\\0b.flac\\0")
    >>> [str(p) for p in read_file_list(songs, null=True)]
    ['two\\nlines.ogg', 'b.flac']
    """
    from genriflow.errors import ConfigError

    name = _list_name(source)
    try:
        if isinstance(source, str | os.PathLike):
            with open(source, "rb") as file:
                data = file.read()
        else:
            data = source.read()
            if isinstance(data, str):  # a text file (sys.stdin): its names as bytes again
                data = os.fsencode(data)
    except OSError as exc:
        raise DatasetError(f"{name} (the list of files): {_unread(exc)}") from None
    if null:
        names = [entry for entry in data.split(b"\0") if entry]
    else:
        if b"\0" in data:
            raise ConfigError("null", f"is needed to read {name}: it holds NUL bytes, as a "
                              "list from `find -print0` does (no name holds one)")
        if data.startswith(b"\xef\xbb\xbf"):  # the byte order mark Windows editors write
            data = data[3:]
        lines = (line.removesuffix(b"\r") for line in data.split(b"\n"))
        names = [line for line in lines if line.strip()]
    if not names:
        raise DatasetError(f"{name} (the list of files): names no files ("
                           + ("it is empty)" if not data else "blank lines only)"))
    return [Path(os.fsdecode(entry)) for entry in names]


def write_file_list(paths: list[str | os.PathLike], *, out: str | os.PathLike,
                    null: bool = False) -> list[Path]:
    """Write ``paths`` to ``out`` as :func:`read_file_list` reads them: one a line, or with
    ``null`` each ended by a NUL byte; a batch's failed songs, to be run again with
    ``--files-from out``.

    The file is written whole or not at all (a temporary file beside it, renamed over it),
    and always: an empty list makes an empty file. Names are written as the file system
    has them (:func:`os.fsencode`), so one that is not UTF-8 reads back the same. One a
    line cannot hold every name: one holding a newline, ending with a carriage return or
    made of spaces alone would read back as another name or none; those are left out and
    returned (with ``null`` none is).

    Parameters
    ----------
    paths : list of str or PathLike
        The paths, in the order to list them.
    out : str or PathLike
        The list's file; its folder is made if need be.
    null : bool
        End each name with a NUL byte, as ``find -print0`` does, not a newline.

    Returns
    -------
    list of Path
        The paths left out: those one a line cannot hold (none with ``null``).

    Raises
    ------
    ConfigError
        ``out`` is a folder, an audio file's name, or lies where no file can be written
        (checked before anything is written: :func:`a_list_to_write`).
    DatasetError
        The file could not be written (a full disk).

    Examples
    --------
    >>> import tempfile
    >>> listed = Path(tempfile.mkdtemp()) / "failed.txt"
    >>> write_file_list(["a b.mp3", "two\\nlines.ogg"], out=listed)
    [PosixPath('two\\nlines.ogg')]
    >>> [str(p) for p in read_file_list(listed)]
    ['a b.mp3']
    """
    out = a_list_to_write("out", out)
    names = [os.fsencode(os.fspath(p)) for p in paths]
    left_out = [] if null else [Path(os.fsdecode(n)) for n in names if not _one_a_line(n)]
    ending = b"\0" if null else b"\n"
    data = b"".join(n + ending for n in names if null or _one_a_line(n))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, out)
    except OSError as exc:
        raise DatasetError(f"{shown_name(str(out))}: cannot write the list of files: "
                           f"{_unread(exc)}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return left_out


def a_list_to_write(field: str, value: str | os.PathLike) -> Path:
    """``value`` as a ``Path``, if a list of files can be written there (see
    :func:`genriflow.errors.a_file_to_write`) and its name is not an audio file's: a song
    given as the list would be overwritten; else :class:`~genriflow.errors.ConfigError`.

    >>> a_list_to_write("failed", "Music/01 Intro.mp3")
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `failed` Music/01 Intro.mp3 is an audio file's name; \
give a list's (failed.txt)
    """
    from genriflow.errors import ConfigError, a_file_to_write

    out = a_file_to_write(field, value)
    if out.suffix.lower() in AUDIO_EXTENSIONS:
        raise ConfigError(field, f"{shown_name(str(out))} is an audio file's name; give a "
                          "list's (failed.txt)")
    return out


def _one_a_line(name: bytes) -> bool:
    """Whether a list of one name a line reads ``name`` back as it is."""
    return b"\n" not in name and not name.endswith(b"\r") and bool(name.strip())


def _unread(exc: OSError) -> str:
    """Why a list of files could not be read, in the system's words."""
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, IsADirectoryError):
        return "a folder, not a list of files"
    return os_error("", exc).reason  # permission denied, or the system's words


def _list_name(source: str | os.PathLike | BinaryIO) -> str:
    """How an error names a list of files, on one line: its path, or standard input."""
    if isinstance(source, str | os.PathLike):
        return shown_name(os.fsdecode(source))
    name = getattr(source, "name", None)
    if source is getattr(sys.stdin, "buffer", None) or name in ("<stdin>", 0):
        return "standard input"
    return shown_name(name) if isinstance(name, str) else "the list of files"


def discover(root: str | os.PathLike) -> pd.DataFrame:
    """Labelled audio from a folder tree, or from ``root/manifest.csv`` when there is one.

    Each file's label is the name of the folder that holds it, at any depth, so
    ``genres/<genre>/<genre>.00042.au`` and ``genres_original/<genre>/<genre>.00042.wav``
    (the two common GTZAN layouts) and ``My Music/<genre>/<artist>/<song>.mp3`` all work.

    Parameters
    ----------
    root : str or PathLike
        A folder, or a CSV manifest (see :func:`read_manifest`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`DATASET_COLUMNS`, one row per file, sorted by path.

    Raises
    ------
    DatasetError
        If ``root`` does not exist, holds no audio, holds a folder that cannot be listed,
        or files lie directly in ``root``.
    """
    from genriflow.datasets.multilabel import read_jamendo

    root = Path(root)
    if root.is_file() and root.suffix.lower() == ".tsv":  # MTG-Jamendo, audio beside it
        return read_jamendo(root)
    if root.is_file() and root.name == "tracks.csv" and (root.parent / "genres.csv").is_file():
        return _fma(root)
    if root.is_file() and root.suffix.lower() == ".csv":
        return read_manifest(root)
    check_source(root)
    if (root / "manifest.csv").is_file():
        return read_manifest(root / "manifest.csv")
    files, unlisted = find_audio_files(root)
    if unlisted:  # a genre's folder passed over would leave the genre out in silence
        raise DatasetError(f"{unlisted[0]}; its songs would be left out of the dataset")
    if not files:
        raise DatasetError(f"{root}: no audio files found (looked for {_extensions_text()})")
    unlabelled = [f for f in files if f.parent == root]
    if unlabelled:
        raise DatasetError(
            f"{root}: {len(unlabelled)} audio files lie directly in the folder; "
            "put each in a folder named after its genre"
        )
    return dataset_frame([str(f.resolve()) for f in files], [f.parent.name for f in files])


def check_source(root: str | os.PathLike | None) -> None:
    """Refuse ``root`` as labelled audio if it is not there, or is a file other than a
    manifest (``.csv``, ``.tsv``): what :func:`discover_labelled` says first, for a command
    to say it before it claims its run folder (a run that cannot start leaves none).
    ``None`` (no audio given) passes.

    Raises
    ------
    DatasetError
        Naming ``root`` and the reason.
    """
    if root is None:
        return
    root = Path(root)
    if root.is_file() and root.suffix.lower() in (".csv", ".tsv"):
        return
    if root.exists() and not root.is_dir():
        raise DatasetError(f"{root}: not a folder of labelled audio nor a manifest .csv "
                           "(labelled data is a folder per genre, or a CSV of path,label)")
    if not root.is_dir():
        raise DatasetError(f"{root}: no such folder")


def read_manifest(csv_path: str | os.PathLike) -> pd.DataFrame:
    """Labelled audio from a CSV with columns ``path,label[,group][,split]``.

    Relative paths are taken relative to the CSV's folder. A file of several genres has
    them joined with ``;`` (``rock;blues``): then the frame has a ``labels`` column with
    them all, and ``label`` is the first.
    """
    import pandas as pd

    csv_path = Path(csv_path)
    table = read_table(csv_path, dtype=str, keep_default_na=False)
    missing = {"path", "label"} - set(table.columns)
    if missing:
        raise DatasetError(f"{csv_path}: manifest lacks column(s) {', '.join(sorted(missing))}")
    blank = [i + 2 for i, p in enumerate(table["path"]) if not p.strip()]
    if blank:  # it would resolve to the manifest's own folder
        raise DatasetError(f"{csv_path}, line {blank[0]}: no path")
    paths = [str((csv_path.parent / p).resolve()) for p in table["path"]]
    bad = [(i + 2, v) for i, v in enumerate(table.get("split", pd.Series(dtype=str)))
           if v not in ("", "train", "valid", "test")]
    if bad:
        line, value = bad[0]
        more = f" ({len(bad) - 1} more rows like it)" if len(bad) > 1 else ""
        raise DatasetError(f"{csv_path}, line {line}: split {value!r} is none of train, "
                           f"valid, test (or empty){more}")
    labels = [[g.strip() for g in str(v).split(";") if g.strip()] for v in table["label"]]
    empty = [i + 2 for i, g in enumerate(labels) if not g]
    if empty:
        raise DatasetError(f"{csv_path}, line {empty[0]}: no label")
    frame = dataset_frame(paths, [g[0] for g in labels], table.get("group"), table.get("split"))
    if any(len(g) > 1 for g in labels):
        joined = {p: ";".join(g) for p, g in zip(paths, labels, strict=True)}
        frame["labels"] = [joined[p] for p in frame["path"]]
    return frame


def _fma(tracks: Path) -> pd.DataFrame:
    """FMA's metadata with its audio where FMA's archives unpack: ``fma_small`` (or
    medium, large) beside the metadata folder."""
    from genriflow.datasets.multilabel import FMA_SUBSETS, read_fma

    for subset in FMA_SUBSETS:
        audio = tracks.parent.parent / f"fma_{subset}"
        if audio.is_dir():
            return read_fma(tracks, audio, subset=subset)
    raise DatasetError(f"{tracks}: no fma_small, fma_medium or fma_large folder beside "
                       f"{tracks.parent.name}; unpack the audio there")


def _extensions_text() -> str:
    return " ".join(sorted(AUDIO_EXTENSIONS))

def is_feature_table(path: str | os.PathLike) -> bool:
    """A CSV with a ``filename`` column and no ``path``: a Kaggle-style feature table, not
    a manifest of labelled audio.

    >>> is_feature_table("songs/")
    False
    """
    import csv

    if not str(path).lower().endswith(".csv") or not os.path.isfile(path):
        return False
    with open(path, newline="", encoding="utf-8", errors="replace") as file:
        header = next(csv.reader(file), [])
    return "filename" in header and "path" not in header


__all__ = ["DATASET_COLUMNS", "DatasetError", "a_list_to_write", "discover", "is_feature_table",
           "iter_audio_files", "read_file_list", "read_manifest", "write_file_list"]
