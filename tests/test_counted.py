"""Counts in messages: one thing in the singular, any other number in the plural, the same
way (:func:`genriflow.progress.counted`) in every summary a command prints."""

from __future__ import annotations

import pandas as pd

from genriflow.library.albums import AlbumReport
from genriflow.library.check import IndexCheck
from genriflow.library.classify import ClassifyReport
from genriflow.library.playlists import PlaylistReport
from genriflow.progress import counted


def test_counted_is_singular_for_one_alone():
    assert [counted(n, "song") for n in (0, 1, 2)] == ["0 songs", "1 song", "2 songs"]
    assert counted(1, "category", "categories") == "1 category"
    assert counted(3, "category", "categories") == "3 categories"


def test_library_summaries_count_one_thing_in_the_singular():
    one_row = pd.DataFrame({"path": ["a.flac"]})
    albums = AlbumReport(model="mine", albums=one_row, disagreeing=one_row, untagged=1,
                         unanalysed=1)
    assert str(albums) == ("1 album by mine: 1 track disagrees with their album (1 analysed "
                           "song without an album tag, 1 album track not analysed)")
    two = AlbumReport(model="mine", albums=one_row, disagreeing=pd.concat([one_row] * 2),
                      untagged=2, unanalysed=0)
    assert "2 tracks disagree" in str(two) and "2 analysed songs without" in str(two)
    assert "0 album tracks not analysed" in str(two)
    playlists = PlaylistReport(by="genre", model="mine", written={"a.m3u": 1})
    assert str(playlists).startswith("1 playlist by genre (1 song, model mine)")
    assert "analysed 1 of 1 song due" in str(ClassifyReport(model="mine", identity="x", due=1,
                                                                  analysed=1))
    check = IndexCheck(path="library.db", schema=7,
                       counts={"songs": 1, "analyses": 1, "tag runs": 2,
                               "pending journal entries": 1})
    assert str(check) == ("library.db: ok (schema 7; 1 song, 1 analysis, 2 tag runs, "
                          "1 pending journal entry)")
