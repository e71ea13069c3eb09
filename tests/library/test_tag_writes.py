"""Writing tags into the songs: the frames each container expects, the user's values kept,
audio untouched, every write undoable exactly, refusals, and a SIGKILL mid-run."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import mutagen
import numpy as np
import pytest
from mutagen.id3 import ID3, TDRC, TSOP
from mutagen.mp4 import MP4

from genriflow.features.store import content_hash
from genriflow.library import Library, LibraryError
from genriflow.library.plan import PlanRow, TagPlan, read_plan
from genriflow.library.safewrite import WriteRefused, rewrite_tags

#: name -> (file name, pre-existing tags, ID3 version to store them in)
SONGS = {
    "mp3-v2.4": ("a.mp3", {"title": "A", "artist": "X", "genre": "Rock"}, 4),
    "mp3-v2.3": ("b.mp3", {"title": "B", "artist": "X", "genre": "Rock"}, 3),
    "m4a": ("c.m4a", {"title": "C", "artist": "Y", "genre": "Rock", "mood": "dark"}, None),
    "flac": ("d.flac", {"title": "D", "genre": "Rock", "album": "Z"}, None),
    "ogg": ("e.ogg", {"title": "E", "genre": "Rock"}, None),
    "opus": ("f.opus", {"title": "F", "genre": "Rock"}, None),
    "wav": ("g.wav", {"title": "G", "genre": "Rock"}, None),
}


def _make(folder: Path, write_song, name: str, seed: int = 0) -> Path:
    file_name, tags, version = SONGS[name]
    path = write_song(folder / file_name, seed=seed, **tags)
    if version == 3:
        id3 = ID3(path)
        id3.save(path, v2_version=3)
    return path


def _tags(path: Path) -> str:
    """Every tag entry of a file, as mutagen prints them (the undo must give these back)."""
    return mutagen.File(path).tags.pprint()


def _plan(rows: list[tuple[Path, str, str, str]], out: Path) -> Path:
    """A plan file as `library plan` writes one: path, field, old, new, ..., content."""
    return TagPlan([PlanRow(str(p), field, old, new, "0.870", "gtzan", content_hash(p))
                    for p, field, old, new in rows]).write(out)


@pytest.mark.parametrize("name", list(SONGS))
def test_apply_writes_each_container_s_own_frames_and_undo_restores_them_exactly(
        name, tmp_path, write_song, decoded):
    song = _make(tmp_path / "music", write_song, name)
    before_tags, before_audio = _tags(song), decoded(song)
    plan = _plan([(song, "genre", "Rock", "Electronic; Ambient"), (song, "mood", "", "calm"),
                  (song, "voice", "", "instrumental")], tmp_path / "plan.csv")
    with Library(tmp_path / "library.db") as library:
        report = library.apply(plan)
        assert (report.written, report.failed) == (1, 0)
        audio = mutagen.File(song)
        tags = audio.tags
        if name.startswith("mp3") or name == "wav":
            if name == "mp3-v2.3":
                assert ID3(song).version[:2] == (2, 3)
                assert tags.getall("TCON")[0].text == ["Electronic; Ambient"]
                assert tags.getall("TXXX:MOOD")[0].text == ["calm"] and not tags.getall("TMOO")
            else:
                assert tags.getall("TCON")[0].text == ["Electronic", "Ambient"]
                assert tags.getall("TMOO")[0].text == ["calm"]
            assert tags.getall("TXXX:GENRIFLOW_MODEL")[0].text == ["gtzan"]
            assert tags.getall("TXXX:GENRIFLOW_CONFIDENCE")[0].text == ["0.870"]
            assert tags.getall("TXXX:GENRIFLOW_VOICE")[0].text == ["instrumental"]
            assert tags.getall("TIT2")[0].text == [SONGS[name][1]["title"]]
        elif name == "m4a":
            assert tags["\xa9gen"] == ["Electronic", "Ambient"] and "gnre" not in tags
            assert bytes(tags["----:com.apple.iTunes:MOOD"][0]) == b"calm"
            assert bytes(tags["----:com.apple.iTunes:GENRIFLOW_GENRE"][0]) == b"Electronic"
            assert tags["\xa9nam"] == ["C"]
        else:
            assert tags["GENRE"] == ["Electronic", "Ambient"]
            assert tags["MOOD"] == ["calm"] and tags["GENRIFLOW_VOICE"] == ["instrumental"]
            assert tags["TITLE"] == [SONGS[name][1]["title"]]
        assert np.array_equal(decoded(song), before_audio)
        undone = library.undo()
        assert (undone.written, undone.failed) == (1, 0)
    assert _tags(song) == before_tags
    assert np.array_equal(decoded(song), before_audio)
    if name == "mp3-v2.3":
        assert ID3(song).version[:2] == (2, 3)


def test_a_read_only_file_and_one_changed_after_planning_are_refused_the_rest_written(
        tmp_path, write_song, checksums, cli):
    music = tmp_path / "music"
    songs = [write_song(music / f"{i}.flac", seed=i, title=f"T{i}") for i in range(4)]
    plan = _plan([(s, "genre", "", "Jazz") for s in songs], tmp_path / "plan.csv")
    songs[0].chmod(stat.S_IRUSR | stat.S_IRGRP)
    write_song(songs[1], seed=9, title="edited by the user")  # after the plan was made
    kept = {p: checksums(music)[str(p)] for p in songs[:2]}
    result = cli("library", "apply", plan, "-q", "--db", tmp_path / "library.db")
    assert result.returncode == 1, result.stderr
    assert f"{songs[0]}: is read-only; left untouched" in result.stderr
    assert f"{songs[1]}: changed since the plan was made; plan again" in result.stderr
    assert len([line for line in result.stderr.splitlines() if "failed:" in line]) == 2
    assert "written 2, unchanged 0, skipped 0, failed 2" in result.stdout
    now = checksums(music)
    assert all(now[str(p)] == kept[p] for p in songs[:2])
    assert all(mutagen.File(p)["GENRE"] == ["Jazz"] for p in songs[2:])
    assert not [p for p in music.iterdir() if p.name.startswith(".")]  # no copies left


def test_a_dry_run_prints_the_changes_and_touches_nothing(tmp_path, write_song, checksums, cli):
    music = tmp_path / "music"
    songs = [write_song(music / f"{i}.ogg", seed=i) for i in range(2)]
    plan = _plan([(songs[0], "genre", "", "Blues"), (songs[1], "genre", "", "")],
                 tmp_path / "plan.csv")
    before = checksums(music)
    result = cli("library", "apply", plan, "-n", "--db", tmp_path / "library.db",
                 env={"FORCE_COLOR": "1"})  # its progress bar drawn
    assert result.returncode == 0, result.stderr
    assert f"{songs[0]}: genre '' -> 'Blues'" in result.stdout
    assert "would write 1, unchanged 0, skipped 1, failed 0" in result.stdout
    # the bar said "writing tags" while nothing was written
    assert "dry run (nothing written)" in result.stderr and "writing" not in result.stderr
    assert checksums(music) == before


def test_a_plan_applied_again_with_another_index_is_unchanged_not_changed_since_the_plan(
        tmp_path, write_song, checksums, cli):
    # every file was "changed since the plan was made; plan again" (status 1): the plan's
    # own write, journalled in the index it was applied with, not in this new one
    music = tmp_path / "music"
    songs = [write_song(music / f"{i}.flac", seed=i, title=f"T{i}") for i in range(2)]
    plan = _plan([(s, "genre", "", "Jazz") for s in songs], tmp_path / "plan.csv")
    first, other = tmp_path / "library.db", tmp_path / "new index.db"
    assert cli("library", "apply", plan, "-q", "--db", first).returncode == 0
    written = checksums(music)
    again = cli("library", "apply", plan, "-q", "--db", other)
    assert again.returncode == 0, again.stderr
    assert "written 0, unchanged 2, skipped 0, failed 0" in again.stdout
    assert "changed since" not in again.stderr and checksums(music) == written
    write_song(songs[0], seed=9, title="edited by the user")  # the genre no longer Jazz
    edited = cli("library", "apply", plan, "-q", "--db", other)
    assert edited.returncode == 1
    assert f"{songs[0]}: changed since the plan was made; plan again" in edited.stderr
    assert "written 0, unchanged 1, skipped 0, failed 1" in edited.stdout
    undone = cli("library", "undo", "-q", "--db", first)  # the journal stayed in the first
    assert undone.returncode == 1 and "written 1," in undone.stdout  # songs[0]: refused


def test_apply_on_a_new_index_names_it_for_undo_and_a_dry_run_makes_none(
        tmp_path, write_song, cli):
    music = tmp_path / "music"
    song = write_song(music / "a.ogg", seed=1)
    plan = _plan([(song, "genre", "", "Blues")], tmp_path / "plan.csv")
    db = tmp_path / "elsewhere" / "new.db"
    dry = cli("library", "apply", plan, "-n", "-q", "--db", db)
    assert dry.returncode == 0 and "would write 1," in dry.stdout
    assert not db.exists() and not db.parent.exists()  # "writes nothing, the index neither"
    real = cli("library", "apply", plan, "-q", "--db", db)
    assert real.returncode == 0, real.stderr
    assert real.stderr.startswith(f"note: {db} is a new library index: it holds this run's "
                                  f"journal, so `genriflow library undo --db {db}` takes it")
    assert "note:" not in cli("library", "apply", plan, "-q", "--db", db).stderr
    assert cli("library", "undo", "-q", "--db", db).returncode == 0
    assert mutagen.File(song).get("GENRE") is None


@pytest.mark.parametrize("name", ["[bold]mine[/bold].flac", "it's [red]x[/red].mp3"])
def test_a_dry_run_of_undo_says_each_field_s_value_now_and_the_one_it_puts_back(
        name, tmp_path, write_song, checksums, cli):
    # It printed "genre '' -> '(as before)'" for every field the run had written, down to
    # "genriflow_model '' -> '(as before)'": neither the value now nor the one undo gives.
    music, db = tmp_path / "music", tmp_path / "library.db"
    song = write_song(music / name, genre="[i]Rock[/i]")
    plan = _plan([(song, "genre", "[i]Rock[/i]", "Pop; Jazz"), (song, "mood", "", "calm")],
                 tmp_path / "plan.csv")
    assert cli("library", "apply", plan, "-q", "--db", db).returncode == 0
    written = checksums(music)
    dry = cli("library", "undo", "-n", "-q", "--db", db)
    assert dry.returncode == 0, dry.stderr
    lines = [line.strip() for line in dry.stdout.splitlines() if line.startswith("  ")]
    assert lines == [f"{song}: genre 'Pop; Jazz' -> '[i]Rock[/i]'",
                     f"{song}: genriflow_genre 'Pop; Jazz' -> removed",
                     f"{song}: genriflow_confidence '0.870' -> removed",
                     f"{song}: genriflow_model 'gtzan' -> removed",
                     f"{song}: mood 'calm' -> removed",
                     f"{song}: genriflow_mood 'calm' -> removed"]
    assert "would write 1, unchanged 0, skipped 0, failed 0" in dry.stdout
    assert checksums(music) == written


def test_a_dry_run_foresees_the_read_only_files_the_run_will_refuse(tmp_path, write_song,
                                                                     checksums, cli):
    # The dry run said "would write 3, ..., failed 0"; the run then failed on the read-only
    # song, which the dry run is there to show before anything is written.
    music, db = tmp_path / "music", tmp_path / "library.db"
    songs = [write_song(music / f"{i}.flac", seed=i, title=f"T{i}") for i in range(3)]
    plan = _plan([(s, "genre", "", "Jazz") for s in songs], tmp_path / "plan.csv")
    songs[0].chmod(stat.S_IRUSR | stat.S_IRGRP)
    before = checksums(music)
    dry = cli("library", "apply", plan, "-n", "-q", "--db", db)
    assert dry.returncode == 1, dry.stderr
    assert f"{songs[0]}: is read-only; left untouched" in dry.stderr
    assert "would write 2, unchanged 0, skipped 0, failed 1" in dry.stdout
    assert checksums(music) == before
    real = cli("library", "apply", plan, "-q", "--db", db)
    assert "written 2, unchanged 0, skipped 0, failed 1" in real.stdout
    songs[1].chmod(stat.S_IRUSR | stat.S_IRGRP)  # read-only since: undo would refuse it
    written = checksums(music)
    dry_undo = cli("library", "undo", "-n", "-q", "--db", db)
    assert dry_undo.returncode == 1, dry_undo.stderr
    assert f"{songs[1]}: is read-only; left untouched" in dry_undo.stderr
    assert "would write 1, unchanged 0, skipped 0, failed 1" in dry_undo.stdout
    assert checksums(music) == written


def test_a_dry_undo_refuses_a_read_only_file_with_unreadable_tags_as_the_undo_does(
        tmp_path, write_song):
    # The dry run checked read-only first ("is read-only; left untouched"), the undo opens
    # the tags first ("its tags cannot be read ..."): one file, two different reasons.
    song = write_song(tmp_path / "music" / "a.flac", title="A")
    db = tmp_path / "library.db"
    with Library(db) as library:
        assert library.apply(_plan([(song, "genre", "", "Jazz")], tmp_path / "plan.csv")
                             ).written == 1
    song.write_bytes(b"fLaC" + bytes(64))  # damaged since, with tags mutagen cannot parse
    with sqlite3.connect(db) as conn:  # ... and the bytes the journal says the run wrote
        conn.execute("UPDATE tag_changes SET new_content = ?", (content_hash(song),))
    song.chmod(stat.S_IRUSR | stat.S_IRGRP)
    with Library(db) as library:
        dry, real = library.undo(dry_run=True), library.undo()
    assert dry.errors == real.errors and len(real.errors) == 1
    assert real.errors[0][1].startswith("its tags cannot be read"), real.errors
    assert (dry.written, dry.failed) == (real.written, real.failed) == (0, 1)


def test_an_id3v2_3_song_keeps_its_v2_3_frames_and_its_v2_4_only_ones(tmp_path, write_song):
    song = _make(tmp_path / "music", write_song, "mp3-v2.3")
    id3 = ID3(song)
    id3.add(TDRC(encoding=1, text=["2019-05-17"]))
    id3.update_to_v23()  # a true v2.3 tag: the date as TYER and TDAT
    id3.add(TSOP(encoding=1, text=["Artist, The"]))  # ID3v2.4's, but players put it in v2.3
    id3.save(song, v2_version=3)
    raw = set(ID3(song, translate=False))
    plan = _plan([(song, "genre", "Rock", "Jazz")], tmp_path / "plan.csv")
    with Library(tmp_path / "library.db") as library:
        assert library.apply(plan).written == 1
    after = ID3(song, translate=False)
    assert after.version[:2] == (2, 3)
    assert {"TYER", "TDAT", "TSOP"} <= set(after) and "TDRC" not in after
    assert set(after) == raw | {"TXXX:GENRIFLOW_GENRE", "TXXX:GENRIFLOW_MODEL",
                                "TXXX:GENRIFLOW_CONFIDENCE"}


def test_a_write_that_would_change_other_tags_is_refused_before_the_song_is_touched(
        tmp_path, write_song, checksums):
    song = _make(tmp_path / "music", write_song, "flac")
    before = checksums(tmp_path / "music")

    def careless(tags):  # sets the genre, and (a bug) the title too
        tags.set("genre", ["Jazz"])
        tags.tags["TITLE"] = ["oops"]
        return {"genre": ["Jazz"]}

    with pytest.raises(WriteRefused, match=r"saving would change other tags \(title\)"):
        rewrite_tags(song, careless)
    assert checksums(tmp_path / "music") == before


def test_undo_refuses_a_file_changed_since_the_run_and_restores_the_rest(tmp_path, write_song,
                                                                         cli):
    music = tmp_path / "music"
    songs = [write_song(music / f"{i}.m4a", seed=i, genre="Rock") for i in range(3)]
    plan = _plan([(s, "genre", "Rock", "Pop") for s in songs], tmp_path / "plan.csv")
    db = tmp_path / "library.db"
    assert cli("library", "apply", plan, "-q", "--db", db).returncode == 0
    mp4 = MP4(songs[0])
    mp4["\xa9gen"] = ["Chosen by hand"]
    mp4.save()
    result = cli("library", "undo", "-q", "--db", db)
    assert result.returncode == 1
    assert (f"{songs[0]}: its genre was changed since run 1 (now 'Chosen by hand'), by "
            "another program or by hand; left as it is") in result.stderr
    assert MP4(songs[0])["\xa9gen"] == ["Chosen by hand"]
    assert [MP4(s)["\xa9gen"] for s in songs[1:]] == [["Rock"], ["Rock"]]
    listed = cli("library", "undo", "--list", "--db", db)
    assert "apply" in listed.stdout and "undo" in listed.stdout


def test_undo_follows_songs_the_index_saw_move_after_the_run(tmp_path, write_song, cli):
    # The user applies a plan, then moves the music folder and renames a song; a scan
    # recognises both by their content. Before, undo still looked at the journalled paths
    # and failed both as "no longer exists", so that run could never be undone.
    music = tmp_path / "music"
    songs = [write_song(music / f"{i}.ogg", seed=i, genre="Rock") for i in range(2)]
    db = tmp_path / "library.db"
    assert cli("library", "scan", music, "-q", "--db", db).returncode == 0
    plan = _plan([(s, "genre", "Rock", "Pop") for s in songs], tmp_path / "plan.csv")
    assert cli("library", "apply", plan, "-q", "--db", db).returncode == 0
    moved = tmp_path / "moved"
    music.rename(moved)
    (moved / "1.ogg").rename(moved / "01 renamed.ogg")
    unscanned = cli("library", "undo", "-n", "--db", db)
    assert unscanned.returncode == 1
    assert f"{songs[0]}: no longer exists, nor does the index know it under another name " \
           "(if you moved it, `genriflow library scan` its new folder" in unscanned.stderr
    assert cli("library", "scan", moved, "-q", "--db", db).returncode == 0
    result = cli("library", "undo", "-q", "--db", db)
    assert result.returncode == 0, result.stderr
    assert "written 2, unchanged 0, skipped 0, failed 0" in result.stdout + result.stderr
    for song in (moved / "0.ogg", moved / "01 renamed.ogg"):
        assert mutagen.File(song)["genre"] == ["Rock"]
        assert "genriflow_genre" not in mutagen.File(song)
    assert "no apply run to undo" in cli("library", "undo", "--db", db).stderr


def test_a_plan_file_without_its_columns_is_refused_in_one_line(tmp_path):
    bad = tmp_path / "plan.csv"
    bad.write_text("path,genre\n/music/a.mp3,Rock\n")
    with pytest.raises(LibraryError, match=r"plan.csv: not a tag plan: no column field"):
        read_plan(bad)
    bad.write_text("path,field,old,new,content\n/music/a.mp3,colour,,red,abc\n")
    with pytest.raises(LibraryError, match=r"line 2: field must be one of genre, mood"):
        read_plan(bad)


def _state(path: Path, original: bytes, original_audio: np.ndarray, decoded) -> str:
    data = path.read_bytes()
    if data == original:
        return "old"
    assert mutagen.File(path)["GENRE"] == ["Jazz"], f"{path}: neither old nor new"
    assert np.array_equal(decoded(path), original_audio), f"{path}: audio changed"
    return "new"


@pytest.mark.slow
def test_sigkill_mid_apply_leaves_every_file_old_or_new_and_a_rerun_finishes(
        tmp_path, write_song, decoded):
    music = tmp_path / "music"
    songs = [write_song(music / f"{i:02d}.flac", seconds=20.0, seed=i, genre="Rock")
             for i in range(50)]
    originals = {p: p.read_bytes() for p in songs}
    audio = {p: decoded(p) for p in songs}
    plan = _plan([(s, "genre", "Rock", "Jazz") for s in songs], tmp_path / "plan.csv")
    db = tmp_path / "library.db"
    command = [sys.executable, "-m", "genriflow", "library", "apply", str(plan), "-q",
               "--db", str(db)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    written = 0
    while time.monotonic() < deadline and process.poll() is None:
        written = sum(p.read_bytes() != originals[p] for p in songs[:8])
        if written >= 3:
            break
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert written >= 3, "the run ended before it could be killed"
    states = [_state(p, originals[p], audio[p], decoded) for p in songs]
    assert 0 < states.count("new") < len(songs)
    again = subprocess.run(command, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert f"unchanged {states.count('new')}" in again.stdout
    assert [_state(p, originals[p], audio[p], decoded) for p in songs] == ["new"] * 50
    assert not [p for p in music.iterdir() if p.name.startswith(".")]
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM tag_changes WHERE state = 'done'"
                        ).fetchone()[0] == 50
    conn.close()
    with Library(db) as library:  # the rerun, then the killed run
        assert library.undo().written + library.undo().written == 50
    assert all(p.read_bytes() != b"" and mutagen.File(p)["GENRE"] == ["Rock"] for p in songs)
    assert all(np.array_equal(decoded(p), audio[p]) for p in songs)


def test_keep_mtime_keeps_the_modification_time_and_the_mode(tmp_path, write_song):
    music = tmp_path / "music"
    kept, moved = (write_song(music / f"{name}.opus", seed=i) for i, name in enumerate("ab"))
    for song in (kept, moved):
        song.chmod(0o640)
        os.utime(song, ns=(10**18, 10**18))
    with Library(tmp_path / "library.db") as library:
        library.apply(_plan([(kept, "mood", "", "calm")], tmp_path / "kept.csv"),
                      keep_mtime=True)
        library.apply(_plan([(moved, "mood", "", "calm")], tmp_path / "moved.csv"))
    assert kept.stat().st_mtime_ns == 10**18 and moved.stat().st_mtime_ns != 10**18
    assert stat.S_IMODE(kept.stat().st_mode) == stat.S_IMODE(moved.stat().st_mode) == 0o640
    assert mutagen.File(kept)["MOOD"] == mutagen.File(moved)["MOOD"] == ["calm"]


def test_a_song_that_cannot_be_read_is_said_so_not_called_gone(tmp_path, write_song,
                                                                unreadable):
    # apply (and undo) said "no longer exists" of a song the user may not read
    music = tmp_path / "music"
    songs = [write_song(music / f"{i}.flac", seed=i, title=f"T{i}") for i in range(2)]
    plan = _plan([(s, "genre", "", "Jazz") for s in songs], tmp_path / "plan.csv")
    unreadable(songs[0])
    with Library(tmp_path / "library.db") as library:
        report = library.apply(plan)
    assert report.failed == 1
    assert report.errors == [(str(songs[0]), "cannot be read (Permission denied); left "
                                             "untouched")]
    songs[0].chmod(0o644)
    assert "GENRE" not in mutagen.File(songs[0]) and mutagen.File(songs[1])["GENRE"] == ["Jazz"]
