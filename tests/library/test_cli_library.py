"""``genriflow library`` as a user meets it: real processes, a real folder left untouched."""

from __future__ import annotations

import json

import pandas as pd

from sample_audio import write_bad_files, write_truncated


def test_scan_classify_ls_export_and_the_music_is_never_written(music, tmp_path,
                                                                feature_cache, write_song,
                                                                checksums, cli):
    write_bad_files(music / "junk")
    write_truncated(music / "downloads")
    write_song(tmp_path / "elsewhere" / "linked.flac", seed=31)
    (music / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    before = checksums(music) | checksums(tmp_path / "elsewhere")
    env = {"GENRIFLOW_LIBRARY_DB": str(tmp_path / "index" / "library.db")}

    scan = cli("library", "scan", music, "-q", env=env)
    assert scan.returncode == 1, scan.stderr  # every good file recorded, the bad ones listed
    assert scan.stdout.startswith("new 7, changed 0, moved 0, removed 0, unchanged 0, "
                                  "failed 4")
    assert "warning:" in scan.stderr and "truncated.mp3" in scan.stderr
    assert "Traceback" not in scan.stderr

    classify = cli("library", "classify", "--store", feature_cache, "-j", "1", "-q",
                         env=env)
    assert classify.returncode == 1, classify.stderr  # one song failed: the status says so
    assert "analysed 6 of 7 songs due with library-genres (0 already up to date, 1 failed)" in (
        classify.stdout)

    listed = cli("library", "ls", env=env)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.strip().splitlines()
    assert len(lines) == 7 and any("linked/linked.flac" in line for line in lines)
    assert [line.split()[0] for line in lines if "blip.wav" in line] == ["-"]  # not analysed
    assert listed.stderr.strip() == "7 songs"
    table = {line.split()[-1]: line.split()[3] for line in lines if line.split()[0] != "-"}
    for voice in ("vocal", "instrumental"):
        chosen = cli("library", "ls", "--voice", voice, env=env)
        assert chosen.returncode == 0, chosen.stderr
        assert {line.split()[-1] for line in chosen.stdout.strip().splitlines()} == {
            path for path, v in table.items() if v == voice}
    failed = cli("library", "ls", "--failed", env=env)
    assert len(failed.stdout.strip().splitlines()) == 5 and "blip.wav" in failed.stdout

    out = tmp_path / "export" / "library.parquet"
    done = cli("library", "export", "--format", "parquet", "--out", out, env=env)
    assert done.returncode == 0, done.stderr
    table = pd.read_parquet(out)
    assert len(table) == 7 and table["genre"].notna().sum() == 6
    piped = cli("library", "export", "-f", "json", "--unsure", "--threshold", "1",
                      env=env)
    assert len(json.loads(piped.stdout)) == 6

    assert checksums(music) | checksums(tmp_path / "elsewhere") == before
    assert not (music / "library.db").exists()


def test_every_library_command_writing_a_file_takes_o_for_out(tmp_path, cli):
    # `plan -o` and `playlists -o` worked, `export -o` was "No such option: -o"
    db = tmp_path / "library.db"
    (tmp_path / "music").mkdir()
    assert cli("library", "scan", tmp_path / "music", "--db", db).returncode == 0
    done = cli("library", "export", "-o", tmp_path / "songs.csv", "--db", db)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "songs.csv").read_text().startswith("path,")
    for command in ("plan", "playlists", "export"):
        shown = cli("library", command, "--help").stdout
        assert "-o, --out" in shown, command


def test_ls_before_a_scan_or_a_classify_says_what_to_run_on_stderr(music, tmp_path, cli):
    # an empty index said "0 songs" and nothing more; unclassified songs were rows of "-"
    db = tmp_path / "my index.db"
    (tmp_path / "empty").mkdir()
    assert cli("library", "scan", tmp_path / "empty", "--db", db, "-q").returncode == 0
    listed = cli("library", "ls", "--db", db)
    assert listed.returncode == 0 and listed.stdout == ""  # stdout stays the songs alone
    assert listed.stderr.splitlines() == [
        "0 songs", f"hint: the index holds no songs; `genriflow library scan FOLDER --db "
                   f"'{db}'` adds a folder's songs"]
    assert cli("library", "scan", music, "--db", db, "-q").returncode == 0
    listed = cli("library", "ls", "--db", db)
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 4
    assert listed.stderr.splitlines() == [
        "4 songs", f"hint: no song is classified yet; `genriflow library classify --db "
                   f"'{db}'` analyses them"]
    env = {"GENRIFLOW_LIBRARY_DB": str(db)}  # no --db given: none in the hint
    assert "`genriflow library classify` analyses" in cli("library", "ls", env=env).stderr


def test_ls_whose_filter_matches_nothing_gives_no_hint(music, tmp_path, feature_cache, cli):
    # a filter matching no song said "hint: the index holds no songs" of a full index
    db = tmp_path / "library.db"
    assert cli("library", "scan", music, "--db", db, "-q").returncode == 0
    assert cli("library", "classify", "--db", db, "--store", feature_cache, "-j", "1",
               "-q").returncode == 0
    listed = cli("library", "ls", "--db", db)
    assert len(listed.stdout.splitlines()) == 4 and "hint" not in listed.stderr
    genres = {line.split()[0].rstrip("?") for line in listed.stdout.splitlines()}
    absent = next(g for g in ("blues", "jazz", "rock", "pop", "metal") if g not in genres)
    listed = cli("library", "ls", "--db", db, "--genre", absent)
    assert listed.returncode == 0 and listed.stdout == ""
    assert listed.stderr.splitlines() == ["0 songs"]


def test_user_errors_are_one_line(tmp_path, cli):
    env = {"GENRIFLOW_LIBRARY_DB": str(tmp_path / "library.db")}
    for args in (("scan", tmp_path / "nowhere"), ("export", "--format", "xml"),
                 ("ls", "--mood", "grumpy"), ("ls", "--voice", "humming"),
                 ("classify", "--model", tmp_path / "no-model"),
                 ("classify", "--excerpts", "6", "--full"), ("classify", "--excerpts", "0")):
        out = cli("library", *args, env=env)
        assert out.returncode == 2, (args, out.stderr)
        assert "Traceback" not in out.stderr
        assert len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_a_song_the_user_may_not_read_is_unreadable_at_scan_and_at_classify(
        music, tmp_path, feature_cache, cli, unreadable):
    env = {"GENRIFLOW_LIBRARY_DB": str(tmp_path / "library.db")}
    unreadable(music / "rock" / "one.flac")
    scan = cli("library", "scan", music, "-q", env=env)
    assert scan.returncode == 1, scan.stderr
    assert "failed 1" in scan.stdout
    assert f"{music / 'rock' / 'one.flac'}: cannot be read: permission denied" in scan.stderr
    unreadable(music / "jazz" / "three.ogg")  # after the scan: classify meets it
    classify = cli("library", "classify", "--store", feature_cache, "-j", "1", "-q", env=env)
    assert classify.returncode == 1, classify.stderr
    assert "(0 already up to date, 1 failed)" in classify.stdout
    assert f"{music / 'jazz' / 'three.ogg'}: cannot be read: permission denied" in (
        classify.stderr)
    failed = cli("library", "ls", "--failed", env=env)
    rows = sorted(line.split(None, 2) for line in failed.stdout.strip().splitlines())
    assert rows == [
        ["classify", "unreadable", f"{music / 'jazz' / 'three.ogg'}: cannot be read: "
                                   "permission denied"],
        ["scan", "unreadable", f"{music / 'rock' / 'one.flac'}: cannot be read: "
                               "permission denied"]]
    exported = json.loads(cli("library", "export", "-f", "json", env=env).stdout)
    assert not any("one.flac" in row["path"] for row in exported)
    assert "Traceback" not in scan.stderr + classify.stderr + failed.stderr
