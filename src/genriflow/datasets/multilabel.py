"""The real multi-genre datasets users have: MTG-Jamendo's genre split and FMA's metadata.

Both readers return a dataset frame (see :mod:`genriflow.datasets.discover`) with one more
column, ``labels``: every genre of the track joined with ``";"`` (``label`` is one of them:
FMA's top genre, Jamendo's first-listed genre). ``group`` is the artist, so no artist is
on both sides of a split, and ``split`` the dataset's own where it has one.

MTG-Jamendo (``autotagging_genre.tsv`` and ``splits/split-N/autotagging_genre-*.tsv``)
    Tab-separated, a header, then ``TRACK_ID ARTIST_ID ALBUM_ID PATH DURATION TAG...``
    with one tag per further field (``genre---rock``); ``PATH`` is relative to the audio
    folder (``14/214.mp3``).
FMA (``fma_metadata/tracks.csv``, ``genres.csv``)
    ``tracks.csv`` has three header rows (column group, column name, then ``track_id``);
    ``set/split``, ``set/subset``, ``track/genre_top`` and ``track/genres_all`` (a list of
    genre ids, named in ``genres.csv``) are read; a track's audio is
    ``AUDIO/<first 3 digits>/<6-digit id>.mp3``.

A malformed row is an error naming the file and line.

Three layers say "multilabel" in their module name, each its own side of several genres at
once: reading them here, deciding them in :mod:`genriflow.models.multilabel`, scoring them
in :mod:`genriflow.evaluation.multilabel_metrics`.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pandas as pd

from genriflow.datasets.frames import DatasetError, dataset_frame

#: How several genres of one file are written in the ``labels`` column (and manifests).
LABEL_SEPARATOR = ";"
JAMENDO_COLUMNS = ("TRACK_ID", "ARTIST_ID", "ALBUM_ID", "PATH", "DURATION")
GENRE_PREFIX = "genre---"
FMA_SPLITS = {"training": "train", "validation": "valid", "test": "test"}
FMA_SUBSETS = ("small", "medium", "large")


def read_jamendo(tsv: str | os.PathLike, audio_dir: str | os.PathLike | None = None, *,
                 split_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """MTG-Jamendo's ``autotagging_genre.tsv`` as a multi-genre dataset.

    Parameters
    ----------
    tsv : path
        ``autotagging_genre.tsv`` (or any file of that format).
    audio_dir : path or None
        Where the ``PATH`` column's files are; ``None``: the TSV's folder.
    split_dir : path or None
        A ``split-N`` folder: its ``*-train.tsv``, ``*-validation.tsv`` and ``*-test.tsv``
        give each track's split.

    Raises
    ------
    DatasetError
        A missing file, a wrong header, or a row without its fields or genres (naming
        the line).
    """
    rows = _jamendo_rows(Path(tsv))
    audio = Path(audio_dir) if audio_dir is not None else Path(tsv).parent
    splits: dict[str, str] = {}
    if split_dir is not None:
        for part, name in (("train", "train"), ("valid", "validation"), ("test", "test")):
            found = sorted(Path(split_dir).glob(f"*-{name}.tsv"))
            if not found:
                raise DatasetError(f"{split_dir}: no *-{name}.tsv split file")
            for row in _jamendo_rows(found[0], empty_ok=True):
                splits[row[0]] = part
    return _with_labels(
        [str((audio / r[3]).resolve()) for r in rows], [r[5] for r in rows],
        [r[1] for r in rows], [splits.get(r[0]) for r in rows] if splits else None)


def _jamendo_rows(path: Path, *, empty_ok: bool = False
                  ) -> list[tuple[str, str, str, str, str, list[str]]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file") from None
    if not lines or tuple(lines[0].split("\t")[:5]) != JAMENDO_COLUMNS:
        raise DatasetError(f"{path}, line 1: not an MTG-Jamendo file: the header must start "
                           f"with {' '.join(JAMENDO_COLUMNS)} TAGS")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 6:
            raise DatasetError(f"{path}, line {number}: expected TRACK_ID, ARTIST_ID, "
                               f"ALBUM_ID, PATH, DURATION and tags; got {len(fields)} fields")
        genres = [t[len(GENRE_PREFIX):] for t in fields[5:] if t.startswith(GENRE_PREFIX)]
        if not genres:
            raise DatasetError(f"{path}, line {number}: no {GENRE_PREFIX} tag")
        rows.append((fields[0], fields[1], fields[2], fields[3], fields[4], genres))
    if not rows and not empty_ok:
        raise DatasetError(f"{path}: no tracks")
    return rows


def read_fma(tracks_csv: str | os.PathLike, audio_dir: str | os.PathLike, *,
             subset: str = "small", genres_csv: str | os.PathLike | None = None
             ) -> pd.DataFrame:
    """FMA's metadata as a multi-genre dataset: ``label`` the top genre, ``labels`` all.

    Parameters
    ----------
    tracks_csv : path
        ``fma_metadata/tracks.csv``.
    audio_dir : path
        The audio folder of the subset (``fma_small``, ...).
    subset : {'small', 'medium', 'large'}
        Tracks of this subset (each includes the smaller ones).
    genres_csv : path or None
        ``genres.csv``; ``None``: beside ``tracks.csv``.

    Tracks without a top genre (many in ``medium`` and ``large``) are left out.

    Raises
    ------
    DatasetError
        A missing file or column, or a row whose id, genres or split is malformed (naming
        the line).
    """
    if subset not in FMA_SUBSETS:
        raise DatasetError(f"subset must be one of {', '.join(FMA_SUBSETS)}; got {subset!r}")
    tracks_csv = Path(tracks_csv)
    names = _fma_genres(Path(genres_csv) if genres_csv else tracks_csv.parent / "genres.csv")
    allowed = FMA_SUBSETS[:FMA_SUBSETS.index(subset) + 1]
    paths, labels, groups, splits = [], [], [], []
    for number, record in _fma_records(tracks_csv):
        if record[("set", "subset")] not in allowed or not record[("track", "genre_top")]:
            continue
        track, genres, split = _fma_track(record, names, f"{tracks_csv}, line {number}")
        digits = f"{track:06d}"
        paths.append(str((Path(audio_dir) / digits[:3] / f"{digits}.mp3").resolve()))
        labels.append(genres)
        groups.append(record[("artist", "id")] or None)
        splits.append(split)
    if not paths:
        raise DatasetError(f"{tracks_csv}: no track of the {subset} subset has a top genre")
    return _with_labels(paths, labels, groups, splits)


def _fma_track(record: dict, names: dict[int, str], where: str
               ) -> tuple[int, list[str], str]:
    """A track's id, its genres (the top one first) and split; ``where`` names the line."""
    try:
        track = int(record[("", "track_id")])
        ids = json.loads(record[("track", "genres_all")] or "[]")
    except ValueError:
        raise DatasetError(f"{where}: track_id {record[('', 'track_id')]!r} or genres_all "
                           f"{record[('track', 'genres_all')]!r} is malformed") from None
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise DatasetError(f"{where}: genres_all must be a list of genre ids; got "
                           f"{record[('track', 'genres_all')]!r}")
    unknown = [i for i in ids if i not in names]
    if unknown:
        raise DatasetError(f"{where}: genre id {unknown[0]} is not in genres.csv")
    split = record[("set", "split")]
    if split not in FMA_SPLITS:
        raise DatasetError(f"{where}: split must be training, validation or test; got "
                           f"{split!r}")
    top = record[("track", "genre_top")]
    return track, [top, *(names[i] for i in ids if names[i] != top)], FMA_SPLITS[split]


_FMA_NEEDED = (("", "track_id"), ("set", "split"), ("set", "subset"), ("track", "genre_top"),
               ("track", "genres_all"), ("artist", "id"))


def _fma_records(path: Path):
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        try:
            groups, names, index = next(reader), next(reader), next(reader)
        except StopIteration:
            raise DatasetError(f"{path}: not FMA's tracks.csv (three header rows)") from None
        columns = [("", "track_id") if i == 0 and index[:1] == ["track_id"] else (g, n)
                   for i, (g, n) in enumerate(zip(groups, names, strict=False))]
        missing = [f"{g}/{n}".lstrip("/") for g, n in _FMA_NEEDED if (g, n) not in columns]
        if missing:
            raise DatasetError(f"{path}: not FMA's tracks.csv: no column {', '.join(missing)}")
        where = {c: columns.index(c) for c in _FMA_NEEDED}
        for row in reader:
            if not any(row):
                continue
            if len(row) < len(columns):
                raise DatasetError(f"{path}, line {reader.line_num}: {len(row)} fields, "
                                   f"the header has {len(columns)}")
            yield reader.line_num, {c: row[i].strip() for c, i in where.items()}


def _fma_genres(path: Path) -> dict[int, str]:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file (FMA's genres.csv)") from None
    if not {"genre_id", "title"} <= set(table.columns):
        raise DatasetError(f"{path}: not FMA's genres.csv: needs genre_id and title")
    names = {}
    for number, (gid, title) in enumerate(zip(table["genre_id"], table["title"],
                                              strict=True), start=2):
        if not gid.strip().isdigit() or not title.strip():
            raise DatasetError(f"{path}, line {number}: genre_id {gid!r} / title {title!r}")
        names[int(gid)] = title.strip()
    return names


def _with_labels(paths, labels: list[list[str]], groups, splits) -> pd.DataFrame:
    frame = dataset_frame(paths, [g[0] for g in labels], groups, splits)
    joined = {p: LABEL_SEPARATOR.join(g) for p, g in zip(paths, labels, strict=True)}
    frame["labels"] = [joined[p] for p in frame["path"]]
    return frame
