"""More songs than a command line holds: ``predict --files-from FILE`` (``-``: standard
input; ``--null``: ``find -print0``'s names) and :func:`genriflow.read_file_list` under it.

Tens of thousands of paths passed the kernel's argument-length limit, and ``xargs`` cut
them into several runs: several CSV headers, several JSON arrays in one output.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import soundfile as sf

import genriflow
from commandline import in_process, store_env
from sample_audio import SR, tone


@pytest.fixture
def songs(tmp_path: Path, monkeypatch) -> list[Path]:
    """Three short songs with awkward names, relative to the current folder (tmp_path)."""
    monkeypatch.chdir(tmp_path)
    names = [Path(" spaced  name .wav"), Path("two\nlines.wav"), Path("Müsic") / "plain.wav"]
    names[2].parent.mkdir()
    for i, name in enumerate(names):
        sf.write(name, tone(4.0, freq=220.0 * (i + 1), seed=i), SR)
    return names


def predict(*args: object, cache: Path, stdin: bytes | None = None):
    return in_process("predict", "-j", "1", "-q", *args, env=store_env(cache), stdin=stdin)


# -- the library: read_file_list ---------------------------------------------------------

def test_a_list_is_its_lines_as_written_blank_ones_passed_over(tmp_path):
    listed = tmp_path / "songs.txt"
    listed.write_bytes(b"\xef\xbb\xbf a b .mp3\r\n\n  \r\nrel/c.ogg\n/abs/Caf\xe9.flac\nlast.wav")
    assert genriflow.read_file_list(listed) == [
        Path(" a b .mp3"), Path("rel/c.ogg"), Path(os.fsdecode(b"/abs/Caf\xe9.flac")),
        Path("last.wav")]
    # a name that is not UTF-8 is the same bytes again, as the file system has it
    assert os.fsencode(genriflow.read_file_list(listed)[2]) == b"/abs/Caf\xe9.flac"
    assert genriflow.read_file_list(io.StringIO("x.wav\n")) == [Path("x.wav")]  # text too


def test_null_separated_names_keep_newlines_and_spaces(tmp_path):
    listed = tmp_path / "songs.list"
    listed.write_bytes(b"two\nlines.wav\0 \0\0./x\r.wav\0")
    assert genriflow.read_file_list(listed, null=True) == [
        Path("two\nlines.wav"), Path(" "), Path("x\r.wav")]
    with pytest.raises(genriflow.ConfigError, match=r"^`null` is needed to read .*songs\.list"):
        genriflow.read_file_list(listed)  # a find -print0 list taken for lines


@pytest.mark.parametrize(("content", "says"), [
    (None, "no such file"), (b"", "names no files (it is empty)"),
    (b"\n \r\n\n", "names no files (blank lines only)")])
def test_a_list_that_cannot_be_read_or_names_nothing_is_one_error_naming_it(
        tmp_path, content, says):
    listed = tmp_path / "new\nsongs.txt"
    if content is not None:
        listed.write_bytes(content)
    with pytest.raises(genriflow.DatasetError) as raised:
        genriflow.read_file_list(listed)
    assert str(raised.value) == f"{tmp_path}/new\\nsongs.txt (the list of files): {says}"
    with pytest.raises(genriflow.DatasetError, match="a folder, not a list of files"):
        genriflow.read_file_list(tmp_path)


# -- the command line --------------------------------------------------------------------

def test_predict_reads_the_list_from_a_file_one_table_in_its_order(songs, tmp_path,
                                                                  feature_cache):
    listed = tmp_path / "songs.txt"
    listed.write_text(f"{songs[2]}\r\n\n{songs[0]}\n")
    ran = predict("-f", "csv", "--files-from", listed, cache=feature_cache)
    assert ran.returncode == 0, ran.stderr
    table = pd.read_csv(io.StringIO(ran.stdout), keep_default_na=False)
    assert list(table["path"]) == [str(songs[2]), str(songs[0])]  # relative, spaces kept
    assert ran.stdout.count("path,genre") == 1


def test_paths_on_the_command_line_come_first_and_each_song_is_analysed_once(
        songs, feature_cache):
    listed = f"{songs[0]}\n{songs[2]}\n{songs[2].parent}\n".encode()
    ran = predict("-f", "json", songs[2], "--files-from", "-", stdin=listed,
                  cache=feature_cache)
    assert ran.returncode == 0, ran.stderr
    assert [song["path"] for song in json.loads(ran.stdout)] == [str(songs[2]), str(songs[0])]


def test_null_names_from_standard_input_hold_a_newline(songs, feature_cache):
    stdin = b"".join(os.fsencode(song) + b"\0" for song in songs)
    ran = predict("-f", "json", "--files-from", "-", "-0", stdin=stdin, cache=feature_cache)
    assert ran.returncode == 0, ran.stderr
    assert [song["path"] for song in json.loads(ran.stdout)] == [str(s) for s in songs]
    # the same list read as lines: refused, naming the option it needs, nothing analysed
    as_lines = predict("--files-from", "-", stdin=stdin, cache=feature_cache)
    assert as_lines.returncode == 2 and as_lines.stdout == ""
    assert as_lines.stderr == ("error: `--null` is needed to read standard input: it holds "
                               "NUL bytes, as a list from `find -print0` does (no name holds "
                               "one)\n")


@pytest.mark.parametrize(("content", "says"), [
    (None, "missing.txt (the list of files): no such file"),
    (b"", "missing.txt (the list of files): names no files (it is empty)"),
    (b"\n\n", "missing.txt (the list of files): names no files (blank lines only)")])
def test_a_list_that_cannot_be_used_is_one_line_and_status_2(tmp_path, monkeypatch,
                                                             content, says):
    monkeypatch.chdir(tmp_path)
    if content is not None:
        Path("missing.txt").write_bytes(content)
    ran = in_process("predict", "--files-from", "missing.txt", "--no-store")
    assert (ran.returncode, ran.stdout, ran.stderr) == (2, "", f"error: {says}\n")


def test_an_empty_standard_input_is_named_as_such(tmp_path):
    ran = in_process("predict", "--files-from", "-", "--no-store", stdin=b"")
    assert (ran.returncode, ran.stderr) == (
        2, "error: standard input (the list of files): names no files (it is empty)\n")


def test_a_missing_song_in_the_list_fails_alone(songs, tmp_path, feature_cache):
    listed = tmp_path / "songs.txt"
    # `gtzan` is a song here (the list holds songs only): never taken for the model
    listed.write_text(f"gone.wav\n{songs[0]}\ngtzan\n")
    ran = predict("-f", "csv", "--files-from", listed, cache=feature_cache)
    assert ran.returncode == 1, ran.stderr
    assert list(pd.read_csv(io.StringIO(ran.stdout))["path"]) == [str(songs[0])]
    assert "2 files could not be used:\n  gone.wav: file not found\n  gtzan: file not found\n" \
        in ran.stderr


def test_null_without_a_list_and_no_songs_at_all_are_usage_errors():
    ran = in_process("predict", "--null", "song.wav")
    assert (ran.returncode, ran.stderr) == (
        2, "error: `--null` reads the list `--files-from` names; give --files-from FILE too\n")
    bare = in_process("predict")
    assert bare.returncode == 2
    assert bare.stderr.startswith("error: Missing argument 'PATH' (songs or folders), or "
                                  "--files-from FILE; see `")


def test_help_names_the_list_and_null_options():
    out = " ".join(in_process("predict", "--help").stdout.split())
    assert "--files-from FILE Also the songs (or folders) FILE lists, one path a line" in out
    assert "-0, --null --files-from's names end with a NUL byte" in out


def test_a_piped_list_with_progress_bars_on_a_terminal_gives_one_table(songs, feature_cache):
    """The batch job as docs/scaling.md writes it, in a real process with the bars drawn
    (rich reads FORCE_COLOR when its console is made): the bars on stderr, one CSV."""
    stdin = b"".join(os.fsencode(song) + b"\0" for song in songs)
    done = subprocess.run(
        [sys.executable, "-m", "genriflow", "predict", "--files-from", "-", "--null",
         "-f", "csv", "-j", "1"], input=stdin, capture_output=True, timeout=900,
        env={**os.environ, **store_env(feature_cache), "FORCE_COLOR": "1", "TERM": "xterm",
             "COLUMNS": "80"})
    stderr = done.stderr.decode()
    assert done.returncode == 0, stderr
    assert "features [" in stderr and "3/3" in stderr
    table = pd.read_csv(io.BytesIO(done.stdout), keep_default_na=False)
    assert list(table["path"]) == [str(song) for song in songs]
    assert b"\x1b" not in done.stdout  # no colour or bar in the table


# -- --failed: the songs that could not be used, as a list to run again -------------------

def test_a_written_list_reads_back_the_same_names_and_replaces_the_file_whole(tmp_path):
    names = [Path(" spaced .wav"), Path(os.fsdecode(b"Caf\xe9.flac")), Path("two\nlines.ogg"),
             Path("ends.wav\r"), Path(" ")]
    listed = tmp_path / "made" / "failed.list"
    assert genriflow.write_file_list(names, out=listed, null=True) == []
    assert genriflow.read_file_list(listed, null=True) == names
    assert os.fsencode(genriflow.read_file_list(listed, null=True)[1]) == b"Caf\xe9.flac"
    # one a line: the names a line cannot hold are left out, and returned
    lines = tmp_path / "failed.txt"
    lines.write_text("old contents\n")
    assert genriflow.write_file_list(names, out=lines) == names[2:]
    assert genriflow.read_file_list(lines) == names[:2]
    assert genriflow.write_file_list([], out=lines) == [] and lines.read_bytes() == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["failed.txt", "made"]  # no temp
    with pytest.raises(genriflow.ConfigError, match=r"^`out` .*song\.mp3 is an audio file"):
        genriflow.write_file_list(names, out=tmp_path / "song.mp3")


@pytest.fixture
def broken(songs: list[Path]) -> list[Path]:
    """The songs, then one that is not audio (its name holds a newline) and one missing."""
    bad = Path("not\nreally: audio.wav")
    bad.write_bytes(b"no audio here " * 100)
    return [*songs, bad, Path("gone: song.wav")]


def test_failed_songs_round_trip_through_failed_and_files_from_with_null(broken, tmp_path,
                                                                        feature_cache):
    listed = tmp_path / "songs.list"
    listed.write_bytes(b"".join(os.fsencode(song) + b"\0" for song in broken))
    failed = tmp_path / "failed.list"
    ran = predict("-f", "csv", "--files-from", listed, "-0", "--failed", failed,
                  cache=feature_cache)
    assert ran.returncode == 1, ran.stderr
    assert failed.read_bytes() == b"not\nreally: audio.wav\0gone: song.wav\0"
    assert "2 files could not be used:\n  not\\nreally: audio.wav: " in ran.stderr  # as was
    # the retry reads and rewrites the same list: just the failed songs, failing again
    again = predict("-f", "csv", "--files-from", failed, "-0", "--failed", failed,
                    cache=feature_cache)
    assert again.returncode == 1 and again.stdout.count("\n") == 1  # the header only
    assert genriflow.read_file_list(failed, null=True) == broken[3:]
    # mended, the retry uses them, and the list is left empty
    for song in broken[3:]:
        sf.write(song, tone(4.0, freq=330.0, seed=7), SR)
    mended = predict("-f", "csv", "--files-from", failed, "-0", "--failed", failed,
                     cache=feature_cache)
    assert mended.returncode == 0, mended.stderr
    table = pd.read_csv(io.StringIO(mended.stdout), keep_default_na=False)
    assert list(table["path"]) == [str(song) for song in broken[3:]]
    assert failed.read_bytes() == b""


def test_failed_one_a_line_leaves_out_a_name_with_a_newline_and_says_so(broken, tmp_path,
                                                                        feature_cache):
    failed = tmp_path / "failed.txt"
    ran = predict("-f", "csv", *broken, "--failed", failed, cache=feature_cache)
    assert ran.returncode == 1
    assert failed.read_text() == "gone: song.wav\n"
    assert (f"warning: 1 failed file left out of {failed}, which lists one name a line: "
            "not\\nreally: audio.wav; with --null any name is listed\n") in ran.stderr


def test_failed_is_written_empty_when_nothing_failed(songs, tmp_path, feature_cache):
    failed = tmp_path / "failed.txt"
    failed.write_text("yesterday's.wav\n")
    ran = predict("-f", "csv", songs[0], "--failed", failed, cache=feature_cache)
    assert ran.returncode == 0, ran.stderr
    assert failed.read_bytes() == b"" and ran.stderr == ""


@pytest.mark.parametrize(("given", "says"), [
    ("-", "`--failed` cannot be - (standard output holds the results); give a file"),
    (".", "`--failed` . is a folder; give a file"),
    ("song.wav/failed.txt", "`--failed` song.wav is a file, not a folder"),
    ("song.wav", "`--failed` song.wav is an audio file's name; give a list's (failed.txt)")])
def test_a_failed_file_that_cannot_be_written_is_one_line_before_any_work(
        tmp_path, monkeypatch, given, says):
    monkeypatch.chdir(tmp_path)
    sf.write("song.wav", tone(4.0, freq=220.0, seed=0), SR)
    ran = in_process("predict", "song.wav", "--failed", given, "--store", "store")
    assert (ran.returncode, ran.stdout, ran.stderr) == (2, "", f"error: {says}\n")
    assert sorted(os.listdir()) == ["song.wav"]  # no store, the song untouched
    assert sf.info("song.wav").frames == 4 * SR


def test_help_names_the_failed_option_and_the_retry():
    out = " ".join(in_process("predict", "--help").stdout.split())
    assert "--failed FILE After the run, write the paths of the songs that could not be " \
           "used to FILE" in out
    assert "genriflow predict --files-from failed.txt --failed failed.txt" in out
