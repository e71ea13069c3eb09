"""Tag writes on older or unusual containers: an ID3v2.2 mp3 is refused untouched, a file
that had no tag gets back its exact bytes from undo, a FLAC behind a stray ID3v2 block is
tagged in its Vorbis comment with the block left byte-identical."""

from __future__ import annotations

import hashlib
from pathlib import Path

import mutagen
import numpy as np
import pytest
from mutagen.flac import FLAC
from mutagen.id3 import ID3, TIT2

from genriflow.features.store import content_hash
from genriflow.library import Library
from genriflow.library.filetags import read_tags
from genriflow.library.plan import PlanRow, TagPlan


def _plan(rows: list[tuple[Path, str, str, str]], out: Path) -> Path:
    return TagPlan([PlanRow(str(p), field, old, new, "0.870", "gtzan", content_hash(p))
                    for p, field, old, new in rows]).write(out)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _id3v22(path: Path, audio: bytes) -> Path:
    """An mp3 with an ID3v2.2 tag, as old iTunes rips have (3-letter frames)."""
    def frame(name: bytes, text: str) -> bytes:
        data = b"\x00" + text.encode("latin-1")
        return name + len(data).to_bytes(3, "big") + data

    frames = frame(b"TT2", "Old rip") + frame(b"TP1", "Someone") + frame(b"TCO", "Rock")
    size = len(frames) + 64  # with padding
    synchsafe = bytes((size >> (7 * (3 - i))) & 0x7F for i in range(4))
    path.write_bytes(b"ID3\x02\x00\x00" + synchsafe + frames + b"\x00" * 64 + audio)
    return path


def test_an_id3v2_2_mp3_is_refused_in_one_line_and_left_byte_identical(tmp_path, write_song,
                                                                        cli):
    music = tmp_path / "music"
    plain = write_song(music / "plain.mp3", seed=1)
    old = _id3v22(music / "Old Rip (iTunes).mp3", write_song(tmp_path / "raw.mp3").read_bytes())
    assert ID3(old).version[:2] == (2, 2)
    before = _sha(old)
    plan = _plan([(old, "genre", "Rock", "Jazz"), (plain, "genre", "", "Jazz")],
                 tmp_path / "plan.csv")
    db = tmp_path / "library.db"
    dry = cli("library", "apply", plan, "-n", "--db", db)
    assert dry.returncode == 1 and f"{old}: has an ID3v2.2 tag" in dry.stderr
    result = cli("library", "apply", plan, "-q", "--db", db)
    assert result.returncode == 1, result.stderr
    failed = [line for line in result.stderr.splitlines() if "failed:" in line]
    assert failed == [f"failed: {old}: has an ID3v2.2 tag (as old iTunes rips do): writing "
                      "would upgrade it to v2.4, which undo could not take back exactly; "
                      "left untouched (convert its tag to v2.3 or v2.4 with a tag editor "
                      "first)"]
    assert "written 1, unchanged 0, skipped 0, failed 1" in result.stdout
    assert _sha(old) == before
    assert mutagen.File(plain).tags.getall("TCON")[0].text == ["Jazz"]


@pytest.mark.parametrize("name", ["a.wav", "b.aiff", "c.mp3"])
def test_undo_removes_the_tag_apply_added_to_a_file_that_had_none(name, tmp_path, write_song):
    song = write_song(tmp_path / "music" / name)
    assert mutagen.File(song).tags is None
    before = _sha(song)
    plan = _plan([(song, "genre", "", "Jazz"), (song, "mood", "", "calm")],
                 tmp_path / "plan.csv")
    with Library(tmp_path / "library.db") as library:
        assert library.apply(plan).written == 1
        assert mutagen.File(song).tags.getall("TCON")[0].text == ["Jazz"]
        undone = library.undo()
        assert (undone.written, undone.failed) == (1, 0), undone.errors
    assert mutagen.File(song).tags is None
    assert _sha(song) == before  # not even an empty "id3 " chunk left


def test_undo_keeps_the_tag_a_file_had_even_when_it_held_only_genriflow_s_fields(
        tmp_path, write_song):
    song = write_song(tmp_path / "music" / "a.wav", genre="Rock")
    before = _sha(song)
    plan = _plan([(song, "genre", "Rock", "")], tmp_path / "plan.csv")  # removes the genre
    with Library(tmp_path / "library.db") as library:
        assert library.apply(plan).written == 1
        assert library.undo().written == 1
    assert _sha(song) == before


def _flac_behind_id3(path: Path, write_song) -> tuple[Path, bytes]:
    write_song(path.with_suffix(".flac"), seed=3, title="Behind", genre="Rock").rename(path)
    stray = ID3()
    stray.add(TIT2(encoding=3, text=["a stray ID3 title"]))
    block_file = path.with_name("block.id3")
    stray.save(block_file)
    block = block_file.read_bytes()
    block_file.unlink()
    path.write_bytes(block + path.read_bytes())
    return path, block


@pytest.mark.parametrize("name", ["Behind (ID3).flac", "behind.fla"])
def test_a_flac_behind_an_id3v2_block_is_tagged_in_its_vorbis_comment(name, tmp_path,
                                                                        write_song, decoded):
    song, block = _flac_behind_id3(tmp_path / "music" / name, write_song)
    before, audio = _sha(song), decoded(song)
    assert read_tags(song).container == "flac" and read_tags(song).title == "Behind"
    plan = _plan([(song, "genre", "Rock", "Jazz"), (song, "mood", "", "calm")],
                 tmp_path / "plan.csv")
    with Library(tmp_path / "library.db") as library:
        report = library.apply(plan)
        assert (report.written, report.failed) == (1, 0), report.errors
        assert song.read_bytes()[:len(block)] == block
        flac = FLAC(song)
        assert flac["GENRE"] == ["Jazz"] and flac["MOOD"] == ["calm"]
        assert flac["TITLE"] == ["Behind"]
        assert np.array_equal(decoded(song), audio)
        undone = library.undo()
        assert (undone.written, undone.failed) == (1, 0), undone.errors
    assert song.read_bytes()[:len(block)] == block
    assert FLAC(song)["GENRE"] == ["Rock"] and "MOOD" not in FLAC(song)
    assert _sha(song) == before
