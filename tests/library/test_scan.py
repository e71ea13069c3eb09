"""Scanning music folders: what is recorded, and what a rescan reads again."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest
import soundfile as sf

from genriflow.datasets.discover import discover
from genriflow.library import Library, LibraryError
from genriflow.library import scan as scan_module
from sample_audio import SR, tone, write_bad_files, write_truncated


def _rows(library: Library) -> dict[str, dict]:
    return {r["path"]: dict(r) for r in library.connection.execute("SELECT * FROM songs")}


def _count_reads(monkeypatch) -> list[str]:
    reads: list[str] = []
    real = scan_module.read_file

    def counting(path):
        reads.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(scan_module, "read_file", counting)
    return reads


def test_a_scan_records_stat_hash_length_container_and_the_files_own_tags(music, tmp_path,
                                                                          write_song):
    write_song(music / "pop" / "five.m4a", seed=5, title="Five", genre="Pop", mood="happy")
    with Library(tmp_path / "library.db") as library:
        report = library.scan([music])
        rows = _rows(library)
    assert (report.new, report.failed) == (5, 0)
    one = rows[str(music / "rock" / "one.flac")]
    assert one["size"] == (music / "rock" / "one.flac").stat().st_size
    assert one["mtime_ns"] == (music / "rock" / "one.flac").stat().st_mtime_ns
    assert len(one["content"]) == 16 and one["status"] == "ok"
    assert one["duration"] == pytest.approx(3.0, abs=0.01)
    assert (one["container"], one["title"], one["artist"], one["album"], one["genre"],
            one["mood"]) == ("flac", "One", "A", "X", "Rock", "energetic")
    two = rows[str(music / "rock" / "two.mp3")]
    assert (two["container"], two["title"], two["mood"]) == ("mp3", "Two", "dark")
    assert rows[str(music / "jazz" / "three.ogg")]["container"] == "ogg/vorbis"
    assert rows[str(music / "jazz" / "three.ogg")]["genre"] == "Jazz"
    assert rows[str(music / "jazz" / "four.flac")]["title"] is None
    five = rows[str(music / "pop" / "five.m4a")]
    assert (five["container"], five["genre"], five["mood"]) == ("mp4", "Pop", "happy")


def test_a_rescan_reads_only_new_and_changed_files(music, tmp_path, monkeypatch, write_song):
    library = Library(tmp_path / "library.db")
    library.scan([music])
    reads = _count_reads(monkeypatch)
    assert str(library.scan([music])) == ("new 0, changed 0, moved 0, removed 0, "
                                          "unchanged 4, failed 0")
    assert reads == []
    before = _rows(library)
    write_song(music / "rock" / "one.flac", seed=11)        # new content
    st = (music / "jazz" / "four.flac").stat()               # touched: same bytes
    os.utime(music / "jazz" / "four.flac", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    write_song(music / "new.flac", seed=12)
    report = library.scan([music])
    assert sorted(reads) == ["four.flac", "new.flac", "one.flac"]
    assert (report.new, report.changed, report.touched, report.unchanged) == (1, 1, 1, 2)
    after = _rows(library)
    one = str(music / "rock" / "one.flac")
    assert after[one]["id"] == before[one]["id"]
    assert after[one]["content"] != before[one]["content"]
    four = str(music / "jazz" / "four.flac")
    assert after[four]["content"] == before[four]["content"]
    library.close()


def test_moved_files_keep_their_row_and_removed_ones_are_marked(music, tmp_path):
    library = Library(tmp_path / "library.db")
    library.scan([music])
    before = _rows(library)
    old, new = music / "rock" / "two.mp3", music / "elsewhere" / "deux.mp3"
    new.parent.mkdir()
    old.rename(new)
    deleted = (music / "jazz" / "three.ogg").read_bytes()
    (music / "jazz" / "three.ogg").unlink()
    report = library.scan([music])
    assert (report.moved, report.removed, report.new, report.unchanged) == (1, 1, 0, 2)
    assert report.moves == [(str(old), str(new))]
    after = _rows(library)
    assert after[str(new)]["id"] == before[str(old)]["id"] and str(old) not in after
    assert after[str(music / "jazz" / "three.ogg")]["status"] == "removed"
    again = library.scan([music])
    assert (again.removed, again.unchanged) == (0, 3)
    (music / "back.ogg").write_bytes(deleted)  # a deleted song comes back elsewhere
    assert library.scan([music]).moved == 1
    assert _rows(library)[str(music / "back.ogg")]["status"] == "ok"
    library.close()


def test_bad_files_are_recorded_with_their_reason_and_never_stop_a_scan(music, tmp_path):
    bad = write_bad_files(music / "junk")
    cut = write_truncated(music)
    with Library(tmp_path / "library.db") as library:
        report = library.scan([music])
        rows = _rows(library)
        failed = library.songs(failed=True)
    assert report.new == 4 + 2  # the songs, the cut song, and blip.wav (audio, if short)
    expected_at_scan = {k: v for k, v in bad.items() if v != "too-short"}
    assert report.failed == len(expected_at_scan)
    assert {e.path.name: e.kind.value for e in report.errors} == expected_at_scan
    for name, kind in expected_at_scan.items():
        row = rows[str(music / "junk" / name)]
        assert (row["status"], row["error_kind"]) == ("failed", kind) and row["error"]
    assert sorted(failed["path"].map(lambda p: Path(p).name)) == sorted(expected_at_scan)
    row = rows[str(cut)]
    assert row["status"] == "ok" and row["declared_duration"] == pytest.approx(20.0, abs=0.1)
    assert 4.0 < row["duration"] < 9.0 and "truncated" in row["warning"]
    assert report.warnings == [(str(cut), row["warning"])]


def test_symlinked_folders_are_followed_and_loops_cut(music, tmp_path):
    links = tmp_path / "links"
    links.mkdir()
    for genre in ("rock", "jazz"):
        (links / genre).symlink_to(music / genre, target_is_directory=True)
    (links / "rock" / "again").symlink_to(links, target_is_directory=True)  # a loop
    table = discover(links)
    assert sorted(table["label"]) == ["jazz", "jazz", "rock", "rock"]
    with Library(tmp_path / "library.db") as library:
        report = library.scan([links])
        paths = sorted(_rows(library))
    assert report.new == 4
    assert paths == sorted(str(links / g / n) for g, n in (
        ("rock", "one.flac"), ("rock", "two.mp3"), ("jazz", "three.ogg"),
        ("jazz", "four.flac")))
    (music / "rock" / "alias.flac").symlink_to(music / "jazz" / "four.flac")
    with Library(tmp_path / "other.db") as library:  # one song, however many names
        assert library.scan([links, music]).new == 4


def test_a_missing_folder_or_an_index_inside_the_music_is_refused(music, tmp_path):
    with Library(tmp_path / "library.db") as library:
        library.scan([music])
        with pytest.raises(LibraryError, match="no such folder"):
            library.scan([tmp_path / "unplugged-drive"])
        song = next(p for p in music.rglob("*") if p.is_file())
        with pytest.raises(LibraryError, match="not a folder; scan the folder that holds"):
            library.scan([song])  # it said "no such folder" of a song that is there
        assert {r["status"] for r in _rows(library).values()} == {"ok"}
    with Library(music / "library.db") as inside, pytest.raises(LibraryError, match="inside"):
        inside.scan([music])


def test_scanning_never_writes_to_the_music(music, tmp_path, checksums):
    sf.write(music / "extra.wav", tone(2.0), SR)
    before = checksums(music)
    with Library(tmp_path / "library.db") as library:
        library.scan([music])
        library.scan([music])
    assert checksums(music) == before


def test_a_folder_that_cannot_be_listed_fails_and_its_songs_are_not_removed(music, tmp_path):
    from permissions import without_dac_override

    with Library(tmp_path / "library.db") as library:
        library.scan([music])
        (music / "jazz").chmod(0)
        try:
            with without_dac_override():
                with contextlib.suppress(PermissionError):
                    os.listdir(music / "jazz")
                    pytest.skip("the folder can still be listed after chmod 000")
                report = library.scan([music])
        finally:
            (music / "jazz").chmod(0o755)
        # it said: removed 2, failed 0, and the two jazz songs were marked removed
        assert (report.removed, report.unchanged, report.failed) == (0, 2, 1)
        assert [(e.path, e.kind.value, e.reason) for e in report.errors] == [
            (music / "jazz", "unreadable", "cannot be read: permission denied")]
        assert {r["status"] for r in _rows(library).values()} == {"ok"}
        assert library.scan([music]).unchanged == 4
