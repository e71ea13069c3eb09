"""Another tagger (MusicBrainz Picard, a player) editing songs between scans: a song whose
tags or cover art changed, but not its audio, keeps its analyses, also when it is renamed
or moved on the way."""

from __future__ import annotations

import base64
from pathlib import Path

import mutagen
import pytest
from mutagen.flac import Picture
from mutagen.id3 import APIC, TIT2
from mutagen.mp4 import MP4Cover

from genriflow.features.options import RunOptions
from genriflow.features.store import content_hash
from genriflow.library import Library
from genriflow.library.db import connect
from genriflow.library.plan import PlanRow, TagPlan
from genriflow.library.tagformats import TagFile

COVER = bytes(range(256)) * 400  # 100 kB of "JPEG": grows the tag past any padding


def _retag(path: Path, title: str) -> None:
    """What a tagger does: a new title and a front cover, saved in place."""
    song = mutagen.File(path)
    if path.suffix in (".mp3", ".wav"):
        if song.tags is None:
            song.add_tags()
        song.tags.add(TIT2(encoding=3, text=[title]))
        song.tags.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="", data=COVER))
    elif path.suffix == ".m4a":
        song["\xa9nam"] = [title]
        song["covr"] = [MP4Cover(COVER)]
    else:
        picture = Picture()
        picture.data, picture.type, picture.mime = COVER, 3, "image/jpeg"
        song["title"] = [title]
        if path.suffix == ".flac":
            song.add_picture(picture)
        else:
            song["metadata_block_picture"] = [base64.b64encode(picture.write()).decode()]
    song.save()


def _title(path: Path) -> str:
    tags = mutagen.File(path, easy=path.suffix != ".wav").tags
    return tags["title"][0]


def _analyses(library: Library) -> dict[str, tuple[int, float]]:
    """Per path: the song's id and when its current content was analysed."""
    return {r[0]: (r[1], r[2]) for r in library.connection.execute(
        "SELECT s.path, s.id, a.analysed_at FROM analyses a JOIN songs s ON s.id = "
        "a.song_id WHERE a.content = s.content AND s.status = 'ok'")}


@pytest.mark.parametrize("suffix", [".flac", ".mp3", ".ogg", ".opus", ".m4a", ".wav"])
def test_a_song_retagged_by_another_program_keeps_its_analyses(suffix, tmp_path,
                                                                feature_cache, write_song):
    music = tmp_path / "music"
    song = write_song(music / f"song{suffix}", seed=1, title="Old", artist="A")
    write_song(music / f"other{suffix}", seed=2, title="Other")
    options = RunOptions(store=feature_cache, n_jobs=1)
    with Library(tmp_path / "library.db") as library:
        library.scan([music])
        library.classify(options=options)
        before = _analyses(library)
        old_bytes = song.read_bytes()
        _retag(song, "New title")
        assert song.read_bytes() != old_bytes
        report = library.scan([music])
        # it said: changed 1, and classify analysed the song again
        assert (report.changed, report.retagged, report.unchanged) == (0, 1, 1)
        assert "changed 1 (1 in their tags only: analyses kept)" in str(report)
        title = library.connection.execute("SELECT title FROM songs WHERE path = ?",
                                           (str(song),)).fetchone()[0]
        assert title == "New title"
        again = library.classify(options=options)
        assert (again.due, again.analysed) == (0, 0)
        assert _analyses(library) == before


def test_a_song_retagged_and_renamed_into_another_folder_is_moved(tmp_path, feature_cache,
                                                                  write_song):
    music = tmp_path / "music"
    song = write_song(music / "incoming" / "track.flac", seed=3, title="t")
    write_song(music / "incoming" / "copy.flac", seed=4)
    options = RunOptions(store=feature_cache, n_jobs=1)
    with Library(tmp_path / "library.db") as library:
        library.scan([music])
        library.classify(options=options)
        before = _analyses(library)
        _retag(song, "Track")
        renamed = music / "Artist" / "Album" / "01 Track.flac"
        renamed.parent.mkdir(parents=True)
        song.rename(renamed)
        report = library.scan([music])
        # it said: new 1, removed 1, and the song's analyses stayed with the old path
        assert (report.new, report.moved, report.removed) == (0, 1, 0)
        assert report.moves == [(str(song), str(renamed))]
        assert library.classify(options=options).due == 0
        assert _analyses(library)[str(renamed)] == before[str(song)]


def test_a_new_audio_under_old_tags_is_analysed_again(tmp_path, feature_cache, write_song):
    music = tmp_path / "music"
    song = write_song(music / "a.ogg", seed=5, title="Same")
    options = RunOptions(store=feature_cache, n_jobs=1)
    with Library(tmp_path / "library.db") as library:
        library.scan([music])
        library.classify(options=options)
        write_song(song, seed=6, title="Same")  # a re-encode: other audio, same tags
        report = library.scan([music])
        assert (report.changed, report.retagged) == (1, 0)
        assert library.classify(options=options).analysed == 1


def test_songs_scanned_before_schema_8_are_analysed_again_once_then_followed(
        tmp_path, feature_cache, write_song):
    music = tmp_path / "music"
    song = write_song(music / "a.mp3", seed=7, title="x")
    db = tmp_path / "library.db"
    options = RunOptions(store=feature_cache, n_jobs=1)
    with Library(db) as library:
        library.scan([music])
        library.classify(options=options)
    old = connect(db)  # as an older genriflow left it: no audio hash
    old.execute("UPDATE songs SET audio = NULL")
    old.close()
    with Library(db) as library:
        _retag(song, "y")
        assert library.scan([music]).changed == 1
        assert library.classify(options=options).analysed == 1
        _retag(song, "z")
        assert library.scan([music]).retagged == 1
        assert library.classify(options=options).analysed == 0


def _apply_genre(songs: list[Path], tmp_path: Path) -> Library:
    """Apply the genre 'Pop' to ``songs`` (tagged 'Rock') through a plan; the library."""
    plan = TagPlan([PlanRow(str(s), "genre", "Rock", "Pop", "0.870", "gtzan", content_hash(s))
                    for s in songs]).write(tmp_path / "plan.csv")
    library = Library(tmp_path / "library.db")
    report = library.apply(plan)
    assert (report.written, report.failed) == (len(songs), 0), report.errors
    return library


@pytest.mark.parametrize("suffix", [".flac", ".mp3", ".ogg", ".m4a"])
def test_undo_restores_the_genre_of_a_song_retagged_since_and_keeps_the_new_title(
        suffix, tmp_path, write_song):
    music = tmp_path / "music"
    song = write_song(music / f"a{suffix}", seed=1, title="Old", genre="Rock")
    with _apply_genre([song], tmp_path) as library:
        _retag(song, "New title")  # Picard, after the apply
        undone = library.undo()
    # it said: failed 1, "changed since run 1; left as it is", the genre stayed Pop
    assert (undone.written, undone.failed) == (1, 0), undone.errors
    tags = TagFile(song)
    assert (tags.get("genre"), tags.get("genriflow_genre")) == (["Rock"], [])
    assert _title(song) == "New title"


def test_undo_follows_a_song_retagged_and_moved_since_and_refuses_a_new_genre(
        tmp_path, write_song):
    music = tmp_path / "music"
    moved, hand = (write_song(music / f"{n}.ogg", seed=i, title=n, genre="Rock")
                   for i, n in enumerate(("moved", "hand")))
    with _apply_genre([moved, hand], tmp_path) as library:
        library.scan([music])
        _retag(moved, "Moved")
        target = music / "Artist" / "01 Moved.ogg"
        target.parent.mkdir()
        moved.rename(target)
        library.scan([music])
        song = mutagen.File(hand)
        song["genre"] = ["Jazz"]
        song.save()
        undone = library.undo()
    # it said of the moved song: "no longer exists, nor does the index know it"
    assert undone.errors == [(str(hand), "its genre was changed since run 1 (now 'Jazz'), "
                                         "by another program or by hand; left as it is")]
    assert undone.written == 1
    assert (TagFile(target).get("genre"), _title(target)) == (["Rock"], "Moved")
    assert TagFile(hand).get("genre") == ["Jazz"]


def test_undo_refuses_a_song_whose_audio_changed_since(tmp_path, write_song):
    music = tmp_path / "music"
    song = write_song(music / "a.flac", seed=1, genre="Rock")
    with _apply_genre([song], tmp_path) as library:
        other = write_song(tmp_path / "other.flac", seed=9)
        tags = TagFile(song)
        other_tags = mutagen.File(other)
        for key, values in mutagen.File(song).tags.items():  # a re-encode, tags copied
            other_tags[key] = values
        other_tags.save()
        assert TagFile(other).get("genre") == tags.get("genre")
        other.replace(song)
        undone = library.undo()
    assert undone.errors == [(str(song), "changed since run 1; left as it is")]


def test_an_apply_gives_a_song_scanned_before_schema_8_its_audio_hash(tmp_path, write_song):
    music = tmp_path / "music"
    song = write_song(music / "a.flac", seed=1, genre="Rock")
    with Library(tmp_path / "library.db") as library:
        library.scan([music])
        library.connection.execute("UPDATE songs SET audio = NULL")  # as before schema 8
    with _apply_genre([song], tmp_path) as library:
        _retag(song, "Later")
        assert library.scan([music]).retagged == 1


def test_of_two_copies_the_one_renamed_in_its_folder_is_the_one_moved(tmp_path, write_song):
    music = tmp_path / "music"
    kept = write_song(music / "x" / "song.ogg", seed=1, title="t")
    copy = music / "y" / "song copy.ogg"
    copy.parent.mkdir()
    copy.write_bytes(kept.read_bytes())
    with Library(tmp_path / "library.db") as library:
        library.scan([music])
        ids = {r[0]: r[1] for r in library.connection.execute("SELECT path, id FROM songs")}
        kept.unlink()
        _retag(copy, "Copy")
        renamed = copy.with_name("02 Copy.ogg")
        copy.rename(renamed)
        report = library.scan([music / "y"])
        # it said: moved x/song.ogg -> y/02 Copy.ogg (the other copy's history)
        assert report.moves == [(str(copy), str(renamed))]
        assert library.connection.execute("SELECT id FROM songs WHERE path = ?",
                                          (str(renamed),)).fetchone()[0] == ids[str(copy)]


def test_undo_after_a_tagger_saved_id3v2_3_keeps_that_version(tmp_path, write_song):
    from mutagen.id3 import ID3

    music = tmp_path / "music"
    song = write_song(music / "a.mp3", seed=1, title="Old", genre="Rock")
    with _apply_genre([song], tmp_path) as library:
        tags = ID3(song)
        tags.add(TIT2(encoding=1, text=["Picard's title"]))
        tags.save(song, v2_version=3)  # as Picard's "ID3v2.3" option saves
        undone = library.undo()
    assert (undone.written, undone.failed) == (1, 0), undone.errors
    after = ID3(song)
    # it wrote the tag back as ID3v2.4, the version at the apply
    assert after.version[:2] == (2, 3)
    assert (str(after["TCON"]), str(after["TIT2"])) == ("Rock", "Picard's title")
