"""`undo` gives back each song byte for byte: the tag's padding as it was (none, as many
Ogg encoders leave it, or a little), whichever container; an Ogg file's header pages as
they lay; an ID3v2.4 tag written as v2.3 with its frames' encodings. A journal from
before these were recorded still undoes the tags."""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from pathlib import Path

import mutagen
import numpy as np
import pytest
from mutagen.id3 import ID3, TDRC
from mutagen.ogg import OggPage
from mutagen.oggvorbis import OggVorbis

from genriflow.features.store import content_hash
from genriflow.library import Library
from genriflow.library.plan import PlanRow, TagPlan

#: Containers genriflow writes through mutagen's padding API (soundfile writes mp3 too).
SUFFIXES = (".ogg", ".opus", ".flac", ".mp3", ".wav", ".m4a")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _song(folder: Path, write_song, suffix: str, padding: int) -> Path:
    """A tagged tone whose tag has exactly ``padding`` bytes of room after it."""
    song = write_song(folder / f"Song{suffix}", title="Chimes", artist="X", genre="Rock")
    audio = mutagen.File(song)
    audio.save(padding=lambda info: padding)
    return song


def _apply_and_undo(song: Path, tmp_path: Path, *, old_journal: bool = False) -> int:
    """Apply genre, mood and voice to ``song``, undo; the size it had in between."""
    rows = [PlanRow(str(song), field, "", new, "0.870", "gtzan", content_hash(song))
            for field, new in (("genre", "Electronic; Ambient"), ("mood", "calm"),
                               ("voice", "instrumental"))]
    plan = TagPlan(rows).write(tmp_path / "plan.csv")
    with Library(tmp_path / "library.db") as library:
        report = library.apply(plan)
        assert (report.written, report.failed) == (1, 0), report.errors
        size = song.stat().st_size
    if old_journal:  # as an older genriflow journalled it: no padding, no pages
        with closing(sqlite3.connect(tmp_path / "library.db")) as conn, conn:
            conn.execute("UPDATE tag_changes SET old_tags = json_remove(old_tags, "
                         "'$.padding', '$.ogg_pages')")
    with Library(tmp_path / "library.db") as library:
        undone = library.undo()
        assert (undone.written, undone.failed) == (1, 0), undone.errors
    return size


@pytest.mark.parametrize("padding", [0, 40])
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_undo_gives_back_the_original_bytes_whatever_the_tag_s_padding(
        suffix, padding, tmp_path, write_song, decoded):
    song = _song(tmp_path / "music", write_song, suffix, padding)
    before, audio = _sha(song), decoded(song)
    size = song.stat().st_size
    assert _apply_and_undo(song, tmp_path) > size  # the tag grew beyond its padding
    assert song.stat().st_size == size
    assert _sha(song) == before
    assert np.array_equal(decoded(song), audio)


def test_an_ogg_whose_comment_outgrows_its_page_comes_back_byte_for_byte(tmp_path,
                                                                        write_song):
    """A long comment (lyrics) shares the first page with the setup header; grown past a
    page by the apply, it takes a page of its own, and undo puts both back on one."""
    song = _song(tmp_path / "music", write_song, ".ogg", 0)
    ogg = OggVorbis(song)
    ogg["LYRICS"] = "la " * 1100
    ogg.save(padding=lambda info: 0)
    layout = _header_pages(song)
    assert len(layout) == 1 and len(layout[0]) == 2  # comment and setup on one page
    before = _sha(song)
    assert _apply_and_undo(song, tmp_path) and _header_pages(song) == layout
    assert _sha(song) == before


def test_an_ogg_with_audio_on_its_last_header_page_comes_back_byte_for_byte(tmp_path,
                                                                           write_song):
    """Some encoders start the audio on the setup header's page (as several Debian
    tracks have it): the page comes back with its audio packet."""
    song = _song(tmp_path / "music", write_song, ".ogg", 0)
    with open(song, "rb+") as f:
        OggPage(f)
        header, audio = OggPage(f), OggPage(f)
        merged, rest = OggPage(), OggPage()
        merged.packets, rest.packets = header.packets + audio.packets[:1], audio.packets[1:]
        merged.position, rest.position = 0, audio.position
        OggPage.replace(f, [header, audio], [merged, rest])
    layout = _header_pages(song)
    assert len(layout) == 1 and len(layout[0]) == 3
    before = _sha(song)
    _apply_and_undo(song, tmp_path)
    assert _sha(song) == before


def _header_pages(path: Path) -> list[list[int]]:
    """The packet pieces (their sizes) on each page of the comment and setup headers."""
    with open(path, "rb") as f:
        OggPage(f)  # the identification header's page
        pages: list[OggPage] = []
        ended = 0
        while ended < 2:
            pages.append(OggPage(f))
            ended += len(pages[-1].packets) - (not pages[-1].complete)
    return [[len(p) for p in page.packets] for page in pages]


def test_a_journal_without_the_padding_still_undoes_the_tags(tmp_path, write_song):
    song = _song(tmp_path / "music", write_song, ".ogg", 0)
    before = mutagen.File(song).tags.pprint()
    _apply_and_undo(song, tmp_path, old_journal=True)
    assert mutagen.File(song).tags.pprint() == before


def test_an_id3v2_4_song_written_as_v2_3_comes_back_byte_for_byte(tmp_path, write_song):
    """`apply --id3v2.3` re-encodes every frame of a v2.4 tag (v2.3 has no UTF-8): undo
    gives each frame its own encoding back."""
    song = write_song(tmp_path / "music" / "Song.mp3", title="Ágætis byrjun",
                      artist="Sigur Rós", genre="Rock")
    tags = ID3(song)
    tags.add(TDRC(encoding=3, text=["1999"]))
    tags.save(song, v2_version=4, padding=lambda info: 0)
    before = _sha(song)
    plan = TagPlan([PlanRow(str(song), "genre", "Rock", "Post-Rock", "0.870", "gtzan",
                            content_hash(song))]).write(tmp_path / "plan.csv")
    with Library(tmp_path / "library.db") as library:
        assert library.apply(plan, id3_version=3).written == 1
        assert ID3(song).version[:2] == (2, 3)
        assert library.undo().written == 1
    assert ID3(song).version[:2] == (2, 4)
    assert _sha(song) == before
