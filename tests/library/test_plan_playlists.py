"""Tag plans from the index (policies, the user's values kept) and playlists from it."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import mutagen
import pandas as pd
import pytest

from genriflow.errors import ConfigError
from genriflow.features.options import RunOptions
from genriflow.library import Library, LibraryError
from genriflow.library.labels import from_playlists
from genriflow.library.plan import GENRE_NAMES, read_plan


@pytest.fixture
def classified(tmp_path, write_song, feature_cache):
    """Four songs, two with the user's own genre, scanned and classified."""
    music = tmp_path / "music"
    write_song(music / "rock" / "one.flac", seed=1, title="One", artist="A", genre="Rock")
    write_song(music / "rock" / "two.mp3", seed=2, title="Two", artist="B")
    write_song(music / "jazz" / "three.m4a", seed=3, title="Three", mood="dark")
    write_song(music / "jazz" / "four.ogg", seed=4, genre="Blues")
    library = Library(tmp_path / "library.db")
    library.scan([music])
    library.classify(options=RunOptions(store=feature_cache, n_jobs=1))
    yield library, music
    library.close()


def _rows(plan) -> dict[tuple[str, str], object]:
    return {(Path(r.path).name, r.field): r for r in plan.rows}


def _predicted(library) -> dict[str, str]:
    return {Path(p).name: GENRE_NAMES.get(g, g)
            for p, g in zip(library.songs()["path"], library.songs()["genre"], strict=True)}


def test_the_default_plan_keeps_the_user_s_genres_and_fills_the_empty_ones(classified):
    library, _ = classified
    predicted = _predicted(library)
    rows = _rows(library.plan(["genre", "mood", "voice"]))
    assert len(rows) == 12
    kept = rows[("one.flac", "genre")]
    assert (kept.old, kept.new, kept.note) == ("Rock", "Rock",
                                               "kept: your value (policy keep-existing)")
    assert (rows[("two.mp3", "genre")].old, rows[("two.mp3", "genre")].new) == (
        "", predicted["two.mp3"])
    assert rows[("three.m4a", "mood")].new == "dark"  # the user's mood kept
    assert rows[("two.mp3", "voice")].new in ("vocal", "instrumental")
    songs = library.songs().set_index("path")
    for row in rows.values():
        assert row.content == songs.loc[row.path, "content"] and row.model == "library-genres"
        assert 0.0 <= float(row.confidence) <= 1.0


def test_merge_adds_to_the_user_s_values_and_overwrite_replaces_them(classified):
    library, _ = classified
    predicted = _predicted(library)
    merged = _rows(library.plan(["genre"], policy="merge"))[("four.ogg", "genre")]
    expected = "Blues" if predicted["four.ogg"] == "Blues" else f"Blues; {predicted['four.ogg']}"
    assert merged.new == expected
    replaced = _rows(library.plan(["genre"], policy="overwrite"))[("four.ogg", "genre")]
    assert replaced.new == predicted["four.ogg"]
    unsure = _rows(library.plan(["genre"], policy="overwrite", min_confidence=1.0))
    assert all(r.new == r.old and r.note.startswith("kept: confidence") for r in unsure.values())


def test_an_applied_plan_is_recognised_as_genriflow_s_own_values_and_the_index_follows(
        classified, tmp_path, feature_cache):
    library, music = classified
    plan = library.plan(["genre"]).write(tmp_path / "plan.csv")
    with open(plan, newline="") as f:
        assert next(csv.reader(f)) == ["path", "field", "old", "new", "confidence", "model",
                                       "content", "note"]
    assert library.apply(plan).written == 2  # two.mp3 and three.m4a had no genre
    # The next plan knows these values are genriflow's: they are not "your value".
    again = _rows(library.plan(["genre"]))
    assert again[("two.mp3", "genre")].note == ""
    assert again[("one.flac", "genre")].note.startswith("kept: your value")
    m4a = mutagen.File(music / "jazz" / "three.m4a").tags
    assert bytes(m4a["----:com.apple.iTunes:GENRIFLOW_GENRE"][0]).decode() == m4a["\xa9gen"][0]
    # The index follows the files: nothing to scan or analyse again.
    scan = library.scan([music])
    assert (scan.new, scan.changed, scan.unchanged) == (0, 0, 4)
    assert library.classify(options=RunOptions(store=feature_cache, n_jobs=1)).analysed == 0
    assert library.songs()["genre"].notna().all()


def test_a_plan_is_written_over_nothing_but_an_earlier_plan(classified, tmp_path, cli,
                                                             checksums):
    # `library plan -o song.mp3` replaced one of the library's songs with the CSV, and
    # `-o FOLDER` crashed with IsADirectoryError (exit status 70)
    library, music = classified
    song = music / "rock" / "two.mp3"
    notes = tmp_path / "notes.csv"
    notes.write_text("title,comment\nTwo,my favourite\n")
    before = checksums(music), notes.read_bytes()
    plan = library.plan(["genre"])
    for target, why in [(song, "exists and is not a tag plan"), (notes, "is not a tag plan"),
                        (music / "rock", "is a folder; give the plan a file name")]:
        with pytest.raises(LibraryError, match=why):
            plan.write(target)
        result = cli("library", "plan", "-o", target, "--db", tmp_path / "library.db")
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith(f"error: {target}: ") and why in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""
    assert (checksums(music), notes.read_bytes()) == before
    assert mutagen.File(song)["TIT2"].text == ["Two"]
    first = plan.write(tmp_path / "plan.csv")
    again = library.plan(["genre", "mood"]).write(first)  # an earlier plan is replaced
    assert {r.field for r in read_plan(again)} == {"genre", "mood"}


def test_playlists_into_a_file_are_one_line_and_the_file_kept(classified, tmp_path, cli):
    # `library playlists --by genre -o song.mp3` crashed (FileExistsError, exit 70)
    library, music = classified
    song = music / "rock" / "two.mp3"
    before = song.read_bytes()
    with pytest.raises(ConfigError, match=" is a file, not a folder"):
        library.playlists("genre", song)
    result = cli("library", "playlists", "--by", "genre", "-o", song / "lists",
                 "--db", tmp_path / "library.db")
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"error: `--out` cannot make {song / 'lists'}: {song} is a file\n"
    assert song.read_bytes() == before


def test_playlists_per_genre_relative_regenerated_and_never_over_a_foreign_one(classified,
                                                                               tmp_path):
    library, music = classified
    out = tmp_path / "playlists"
    predicted = _predicted(library)
    report = library.playlists("genre", out)
    assert {p.name for p in report.written} == {f"{g}.m3u8" for g in predicted.values()}
    some = next(iter(report.written))
    lines = some.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "#EXTM3U" and lines[1].startswith("#GENRIFLOW:by=genre;model=library-genres")
    entries = lines[2:]
    for info, entry in zip(entries[::2], entries[1::2], strict=True):
        assert info.startswith("#EXTINF:3,")
        assert "\\" not in entry and not entry.startswith("/")
        assert (out / entry).resolve().is_file()
    one = next(p for p in report.written if "one.flac" in p.read_text())
    assert "#EXTINF:3,A - One" in one.read_text()
    # Read back as labels: each playlist is a category of its songs.
    labels = from_playlists(library.connection, sorted(report.written))
    assert {Path(p).name: c for p, c in labels.songs.items()} == predicted
    # known as genriflow's own (learning from them measures agreement with library-genres)
    assert labels.written_by == {p.name: "library-genres" for p in sorted(report.written)}
    # Regenerated: a song gone, its playlist (if it was alone there) goes too; a playlist
    # the user made is never overwritten.
    foreign = out / "Mine.m3u8"
    foreign.write_text("#EXTM3U\nmusic/one.flac\n")
    os.remove(music / "rock" / "one.flac")
    library.scan([music])
    second = library.playlists("genre", out)
    assert foreign.read_text() == "#EXTM3U\nmusic/one.flac\n"
    alone = list(predicted.values()).count(predicted["one.flac"]) == 1
    assert (out / f"{predicted['one.flac']}.m3u8").exists() != alone
    assert len(second.removed) == int(alone)
    victim = next(iter(second.written))
    victim.write_text("#EXTM3U\nmy own list\n")  # now the user's: left alone
    third = library.playlists("genre", out)
    assert [Path(p).name for p, _ in third.refused] == [victim.name]
    assert victim.read_text() == "#EXTM3U\nmy own list\n"


def test_playlists_by_voice_and_plan_errors_on_the_command_line(classified, tmp_path, cli):
    library, _ = classified
    report = library.playlists("voice", tmp_path / "voice")
    assert {p.stem for p in report.written} <= {"vocal", "instrumental"}
    assert sum(report.written.values()) == 4
    result = cli("library", "plan", "--fields", "genre,colour", "-o", tmp_path / "p.csv",
                 "--db", library.path)
    assert result.returncode == 2
    assert "error: `--fields` must be one of genre, mood, voice; got 'colour'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_song_the_model_calls_none_of_its_genres_can_keep_its_genre(tmp_path, shared_data,
                                                                      feature_cache, cli):
    """The default model's reject rule reaches the index: noise is ``unknown`` (a real
    GTZAN clip is not), ``ls --unknown`` lists it, ``plan --skip-unknown`` gives it no
    genre while planning the real song's."""
    import shutil

    from genriflow.datasets.synthetic.farout import write_far_out

    music = tmp_path / "music"
    music.mkdir()
    real = shared_data / "gtzan-sample" / "genres_original" / "rock" / "rock.00001.wav"
    shutil.copy(real, music / "rock.00001.wav")
    noise = write_far_out(music, per_kind=1, seconds=12.0, seed=4, kinds=("white-noise",))[0]
    db = tmp_path / "library.db"
    with Library(db) as library:
        library.scan([music])
        # gtzan refuses noise; library-genres calls white noise electronic (docs/models.md)
        library.classify(model="gtzan", options=RunOptions(store=feature_cache, n_jobs=1))
        songs = library.songs(model="gtzan").set_index("path")
        assert songs.loc[str(noise), "unknown"] == True  # noqa: E712 (a numpy bool)
        assert songs.loc[str(music / "rock.00001.wav"), "unknown"] == False  # noqa: E712
        assert songs.loc[str(noise), "unknown_score"] > songs.loc[
            str(music / "rock.00001.wav"), "unknown_score"]
        assert list(library.songs(unknown=True)["path"]) == [str(noise)]
        rows = _rows(library.plan(["genre", "voice"], skip_unknown=True))
        kept = rows[(noise.name, "genre")]
        assert kept.new == kept.old == "" and "none of the model's genres" in kept.note
        assert rows[(noise.name, "voice")].new in ("vocal", "instrumental")
        assert rows[("rock.00001.wav", "genre")].new in GENRE_NAMES.values()
        assert rows[(noise.name, "genre")].new == ""
        assert _rows(library.plan(["genre"]))[(noise.name, "genre")].new != ""  # default
        listed = library.playlists("genre", tmp_path / "lists", skip_unknown=True).written
        assert len(listed) == 1 and noise.name not in next(iter(listed)).read_text()
        by_voice = library.playlists("voice", tmp_path / "voices", skip_unknown=True)
        assert sum(by_voice.written.values()) == 2   # mood and voice are not genres
    listed = cli("library", "ls", "--unknown", "--db", str(db))
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.count("\n") == 1 and "?" in listed.stdout and noise.name in listed.stdout
    # export takes ls's filters, --unknown included (docs/library.md: "same filters")
    exported = cli("library", "export", "--unknown", "--db", str(db))
    assert exported.returncode == 0, exported.stderr
    assert list(pd.read_csv(io.StringIO(exported.stdout))["path"]) == [str(noise)]
    with Library(db) as library:
        written = library.export(tmp_path / "unknown.json", unknown=True)
    assert [row["path"] for row in json.loads(written.read_text())] == [str(noise)]


def test_plan_takes_one_field_as_a_string(classified):
    """``plan("genre")`` used to iterate the string: "`fields` must be one of ...; got 'g'"."""
    library, _ = classified
    assert library.plan("genre").rows == library.plan(["genre"]).rows != []


def test_plan_shows_a_bar_over_the_files_it_reads_and_quiet_hides_it(classified, tmp_path,
                                                                     cli):
    """`library plan` reads every song's tags (minutes on a large collection) with no bar,
    and had no `-q/--quiet`, unlike apply and undo."""
    library, _ = classified
    shown = cli("library", "plan", "-o", tmp_path / "a.csv", "--db", library.path)
    assert shown.returncode == 0, shown.stderr
    assert "reading tags" in shown.stderr and "4/4" in shown.stderr
    for flag in ("-q", "--quiet"):
        quiet = cli("library", "plan", "-o", tmp_path / "b.csv", flag, "--db", library.path)
        assert quiet.returncode == 0, quiet.stderr
        assert "reading tags" not in quiet.stderr and quiet.stdout == shown.stdout.replace(
            "a.csv", "b.csv")
    assert read_plan(tmp_path / "a.csv") == read_plan(tmp_path / "b.csv")


def test_an_output_that_cannot_be_written_is_one_line_before_anything_is_written(
        classified, tmp_path, cli):
    # each was "internal error (a bug)": IsADirectoryError, FileExistsError, PermissionError
    from permissions import without_dac_override

    library, _ = classified
    (tmp_path / "a folder").mkdir()
    (tmp_path / "notes").write_text("mine")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    cases = [  # command, its output, what the one line says
        (("plan",), tmp_path / "a folder", "is a folder; give the plan a file name"),
        (("export",), tmp_path / "a folder", "is a folder; give a file"),
        (("plan",), tmp_path / "notes" / "plan.csv", f"{tmp_path / 'notes'} is a file"),
        (("playlists", "--by", "genre"), tmp_path / "notes", "is a file, not a folder"),
        (("plan",), locked / "plan.csv", f"cannot write into {locked}: Permission denied"),
        (("export",), locked / "songs.csv", f"cannot write into {locked}: Permission denied"),
        (("playlists", "--by", "genre"), locked / "lists",
         f"cannot make {locked / 'lists'} in {locked}: Permission denied"),
    ]
    try:
        with without_dac_override():
            ran = [cli("library", *command, "--out", out, "--db", library.path)
                   for command, out, _ in cases]
    finally:
        locked.chmod(0o755)
    for (command, out, says), result in zip(cases, ran, strict=True):
        assert result.returncode == 2, (command, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (command, lines)
        assert lines[0].startswith(("error: `--out` ", f"error: {out}: ")), (command, lines)
        assert says in lines[0], (command, lines)
    assert list(locked.iterdir()) == [] and (tmp_path / "notes").read_text() == "mine"


def test_learning_from_folders_names_a_category_folder_it_may_not_list(tmp_path, unreadable,
                                                                      write_song):
    # a sub-folder it could not list was passed over in silence, as if it held no songs
    from genriflow.library.labels import from_folders

    sorted_ = tmp_path / "sorted"
    for category in ("rock", "jazz"):
        write_song(sorted_ / category / "inner" / f"{category}.flac", seed=len(category))
    library = Library(tmp_path / "library.db")
    library.scan([sorted_])
    unreadable(sorted_ / "jazz" / "inner")
    labels = from_folders(library.connection, sorted_)
    assert labels.songs == {str(sorted_ / "rock" / "inner" / "rock.flac"): "rock"}
    assert labels.skipped == [(str(sorted_ / "jazz" / "inner"),
                               "cannot be read: permission denied")]
    unreadable(sorted_)
    with pytest.raises(LibraryError, match=r"sorted: cannot be listed \(Permission denied\)"):
        from_folders(library.connection, sorted_)
    sorted_.chmod(0o755)  # before the fixture puts back the folder inside it
    library.close()
