"""Readers of the real multi-genre datasets, on small files in exactly their formats."""

from __future__ import annotations

import pytest

from genriflow.datasets.discover import DatasetError
from genriflow.datasets.multilabel import read_fma, read_jamendo

JAMENDO = (
    "TRACK_ID\tARTIST_ID\tALBUM_ID\tPATH\tDURATION\tTAGS\n"
    "track_0000214\tartist_000014\talbum_000031\t14/214.mp3\t124.6\tgenre---punkrock\n"
    "track_0000215\tartist_000014\talbum_000031\t15/215.mp3\t167.2\tgenre---metal\t"
    "genre---rock\tinstrument---guitar\n"
    "track_0000219\tartist_000007\talbum_000052\t19/219.mp3\t179.1\tgenre---electronic\t"
    "genre---techno\n"
)


def _split(folder, name: str, rows: list[int]) -> None:
    lines = JAMENDO.splitlines()
    (folder / f"autotagging_genre-{name}.tsv").write_text(
        "\n".join([lines[0], *(lines[i] for i in rows)]) + "\n")


def test_jamendo_tracks_with_every_genre_the_artist_as_group_and_the_split(tmp_path):
    tsv = tmp_path / "autotagging_genre.tsv"
    tsv.write_text(JAMENDO)
    splits = tmp_path / "split-0"
    splits.mkdir()
    _split(splits, "train", [1, 2])
    _split(splits, "validation", [])
    _split(splits, "test", [3])
    frame = read_jamendo(tsv, tmp_path / "audio", split_dir=splits)
    assert [p.split("/audio/")[1] for p in frame["path"]] == ["14/214.mp3", "15/215.mp3",
                                                             "19/219.mp3"]
    assert list(frame["labels"]) == ["punkrock", "metal;rock", "electronic;techno"]
    assert list(frame["label"]) == ["punkrock", "metal", "electronic"]
    assert list(frame["group"]) == ["artist_000014", "artist_000014", "artist_000007"]
    assert list(frame["split"]) == ["train", "train", "test"]


@pytest.mark.parametrize(("text", "message"), [
    ("PATH\tTAGS\n14/214.mp3\tgenre---rock\n", r"line 1: not an MTG-Jamendo file"),
    (JAMENDO + "track_0000300\tartist_000001\t31/300.mp3\n",
     r"autotagging_genre.tsv, line 5: expected TRACK_ID, .*; got 3 fields"),
    (JAMENDO + "track_0000301\tartist_000001\talbum_1\t1/301.mp3\t60.0\tmood---happy\n",
     r"line 5: no genre--- tag"),
])
def test_a_malformed_jamendo_file_names_the_line(tmp_path, text, message):
    tsv = tmp_path / "autotagging_genre.tsv"
    tsv.write_text(text)
    with pytest.raises(DatasetError, match=message):
        read_jamendo(tsv)


# FMA's tracks.csv: three header rows (group, name, then the index's name), a quoted field
# over several lines, lists of genre ids as text; genres.csv as FMA ships it.
TRACKS = (
    ",album,artist,artist,set,set,track,track,track,track\n"
    ",title,id,bio,split,subset,genre_top,genres,genres_all,title\n"
    "track_id,,,,,,,,,\n"
    '2,AWOL - A Way Of Life,1,"A bio\nover two lines",training,small,Hip-Hop,[21],"[21]",Food\n'
    "3,AWOL - A Way Of Life,1,,validation,medium,Hip-Hop,[21],[21],Electric Ave\n"
    '140,Constant Hitmaker,6,,test,small,Folk,[17],"[17, 103]",Queen Of The Wires\n'
    "141,Constant Hitmaker,6,,training,small,,[17],[17],Ohio\n"
    '1482,Zoe Keating,77,,training,large,Rock,"[12, 25]","[12, 25]",Tetris\n'
)
GENRES = ("genre_id,#tracks,parent,title,top_level\n12,32923,0,Rock,12\n17,12706,0,Folk,17\n"
          "21,8389,0,Hip-Hop,21\n25,9261,12,Punk,12\n103,5137,17,Singer-Songwriter,17\n")


def _fma(tmp_path, tracks: str = TRACKS):
    metadata = tmp_path / "fma_metadata"
    metadata.mkdir(exist_ok=True)
    (metadata / "tracks.csv").write_text(tracks)
    (metadata / "genres.csv").write_text(GENRES)
    return metadata / "tracks.csv"


def test_fma_top_genre_all_genres_subsets_and_splits(tmp_path):
    tracks = _fma(tmp_path)
    small = read_fma(tracks, tmp_path / "fma_small")
    assert [p.split("/fma_small/")[1] for p in small["path"]] == ["000/000002.mp3",
                                                                "000/000140.mp3"]
    assert list(small["label"]) == ["Hip-Hop", "Folk"]
    assert list(small["labels"]) == ["Hip-Hop", "Folk;Singer-Songwriter"]
    assert list(small["split"]) == ["train", "test"] and list(small["group"]) == ["1", "6"]
    large = read_fma(tracks, tmp_path / "fma_large", subset="large")
    assert len(large) == 4  # track 141 has no top genre
    assert large.set_index("label").loc["Rock", "labels"] == "Rock;Punk"


@pytest.mark.parametrize(("row", "message"), [
    ('9,X,1,,training,small,Rock,[12],"[12, x]",T\n', r"tracks.csv, line 10: .*genres_all"),
    ("9,X,1,,training,small,Rock,[12],[99],T\n", r"line 10: genre id 99 is not in genres.csv"),
    ("9,X,1,,train,small,Rock,[12],[12],T\n", r"line 10: split must be training, validation"),
    ("9,X,1\n", r"line 10: 3 fields, the header has 10"),
])
def test_a_malformed_fma_row_names_the_line(tmp_path, row, message):
    tracks = _fma(tmp_path, TRACKS + row)
    with pytest.raises(DatasetError, match=message):
        read_fma(tracks, tmp_path / "fma_small")


def test_an_fma_file_without_its_columns_says_which(tmp_path):
    tracks = _fma(tmp_path, ",track\n,title\ntrack_id,\n2,Food\n")
    with pytest.raises(DatasetError, match=r"not FMA's tracks.csv: no column set/split"):
        read_fma(tracks, tmp_path / "fma_small")


def test_a_manifest_takes_several_labels_per_file_and_discover_reads_the_real_formats(
        tmp_path):
    from genriflow.datasets.discover import discover

    manifest = tmp_path / "manifest.csv"
    manifest.write_text("path,label\na.wav,rock;blues\nb.wav,jazz\n")
    frame = discover(manifest)
    assert list(frame["label"]) == ["rock", "jazz"]
    assert list(frame["labels"]) == ["rock;blues", "jazz"]
    manifest.write_text("path,label\na.wav,rock\nb.wav, ; \n")
    with pytest.raises(DatasetError, match=r"manifest.csv, line 3: no label"):
        discover(manifest)
    manifest.write_text("path,label,split\na.wav,rock,train\nb.wav,jazz,validation\n"
                        "c.wav,pop,dev\n")
    with pytest.raises(DatasetError, match=r"manifest.csv, line 3: split 'validation' is "
                                           r"none of train, valid, test \(or empty\) \(1 more"):
        discover(manifest)
    manifest.write_text("path,label\na.wav,rock\n  ,jazz\n")  # not the manifest's folder
    with pytest.raises(DatasetError, match=r"manifest.csv, line 3: no path$"):
        discover(manifest)
    (tmp_path / "autotagging_genre.tsv").write_text(JAMENDO)
    assert len(discover(tmp_path / "autotagging_genre.tsv")) == 3
    tracks = _fma(tmp_path)
    with pytest.raises(DatasetError, match=r"no fma_small, fma_medium or fma_large folder"):
        discover(tracks)
    (tmp_path / "fma_small").mkdir()
    assert list(discover(tracks)["label"]) == ["Hip-Hop", "Folk"]
