"""The command line as a user meets it: real files, no tracebacks.

Most commands run in this process (:func:`commandline.in_process`, typer's CliRunner); the
tests whose point is a real process (a decoder's chatter on file descriptor 2, a shell
pipe) start one and are in the ``subprocess`` tier (tests/conftest.py).
"""

import ast
import csv
import io
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from commandline import Ran, in_a_process, in_process, store_env
from permissions import drop_dac_override_in_child
from sample_audio import SR, tone, write_bad_files, write_truncated


def genriflow(*args: object, cache: Path | None = None) -> Ran:
    """``genriflow ARGS...`` in this process, its feature store ``cache``."""
    return in_process(*args, env=store_env(cache))


def genriflow_process(*args: object, cache: Path | None = None
                      ) -> subprocess.CompletedProcess:
    """``genriflow ARGS...`` in a child process, its feature store ``cache``."""
    return in_a_process(*args, env=store_env(cache))


def test_help_lists_every_command():
    out = genriflow("--help")
    assert out.returncode == 0
    for command in ("demo-data", "features", "train", "evaluate", "predict", "compare",
                    "cluster", "plot", "demo", "library"):
        assert command in out.stdout


def _commands() -> list[list[str]]:
    from genriflow.cli import app
    from genriflow.cli import library as library_cli

    top = [[c.name or c.callback.__name__] for c in app.registered_commands]
    return top + [["library", c.name or c.callback.__name__]
                  for c in library_cli.app.registered_commands]


@pytest.mark.parametrize("command", _commands(), ids=" ".join)
def test_help_text_flows_as_paragraphs_and_is_not_markup(command):
    """Each description paragraph is rewrapped to the terminal, not broken where the
    docstring's lines were (a line of one word in mid-sentence), and help text is printed
    as written (no markup parser: ``[SONG]`` and ``genriflow[ray]`` stay)."""
    out = in_process(*command, "--help")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    end = next(i for i, line in enumerate(lines) if line.rstrip().endswith(":")
               and line.strip() in ("Options:", "Arguments:", "Commands:"))
    description = lines[1:end]
    for line, after in zip(description, description[1:], strict=False):
        if line.strip() and after.strip():
            assert len(line.rstrip()) >= 40, (line, after)
    assert max(len(line) for line in lines) <= 200
    assert "\\[" not in out.stdout and "[/" not in out.stdout


@pytest.mark.parametrize("command", _commands(), ids=" ".join)
def test_help_names_no_file_that_only_the_repository_has(command):
    """A ``pip install`` user has no checkout: help that points at ``examples/`` (or
    ``tools/``, ``benchmarks/``, ...) points at nothing."""
    out = " ".join(in_process(*command, "--help").stdout.split())
    for folder in ("examples/", "tools/", "benchmarks/", "tests/", "shared/", "docs/"):
        assert folder not in out, (folder, out)


def test_help_keeps_brackets_as_written():
    assert "[SONG] LIBRARY_DIR" in in_process("similar", "--help").stdout
    assert "pip install genriflow[ray]" in " ".join(in_process("predict", "--help").stdout.split())


def test_train_on_audio_then_evaluate(demo_corpus, feature_cache, tmp_path):
    model = tmp_path / "model"
    out = genriflow("train", demo_corpus, "--model", "svm", "--out", model, "-q",
                    cache=feature_cache)
    assert out.returncode == 0, out.stderr
    assert "stratified" in out.stdout and "accuracy" in out.stdout
    assert (model / "report.md").is_file()
    run = tmp_path / "run"
    out = genriflow("evaluate", model, demo_corpus, "--out", run, "-q", cache=feature_cache)
    assert out.returncode == 0, out.stderr
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test"]["part"].startswith("test (stratified")
    assert (run / "confusion.png").stat().st_size > 1000


def test_train_from_the_kaggle_table(kaggle_table, tmp_path):
    out = genriflow("train", "--features", kaggle_table, "--model", "logreg",
                    "--out", tmp_path / "m")
    assert out.returncode == 0, out.stderr
    assert "gtzan-fault-filtered, 290 items" in out.stdout


def test_features_command_writes_a_kaggle_style_table(demo_corpus, feature_cache, tmp_path):
    out = genriflow("features", demo_corpus, "--out", tmp_path / "f.csv", "-q",
                    cache=feature_cache)
    assert out.returncode == 0, out.stderr
    header = (tmp_path / "f.csv").read_text().splitlines()[0].split(",")
    assert header[:3] == ["filename", "length", "chroma_stft_mean"] and header[-1] == "label"
    assert len(header) == 60


def test_train_help_names_the_at_input_forms_train_takes():
    # it said only "network@feature-set", though auto@SET and head@SET are documented forms
    text = " ".join(in_process("train", "--help").stdout.split())
    assert "any of them @feature-set for another input (auto@kaggle: the heads on one " \
        "input, svm@msd-musicnn, cs229-ffnn@cs229-raw)" in text


def test_features_refuses_an_out_or_png_its_sets_cannot_fill(demo_corpus, tmp_path):
    # Both were silently ignored, exit 0: the table or the pictures asked for never appeared.
    out = genriflow("features", demo_corpus, "--sets", "mel-image", "--out",
                    tmp_path / "f.csv")
    assert out.returncode == 2 and not (tmp_path / "f.csv").exists()
    assert out.stderr.strip().splitlines() == [
        "error: `--out` writes a table of a vector set, and none of mel-image is one; add "
        "one to --sets (kaggle, spectral-summary, ...)"]
    out = genriflow("features", demo_corpus, "--sets", "kaggle", "--png", tmp_path / "pics")
    assert out.returncode == 2 and not (tmp_path / "pics").exists()
    assert out.stderr.strip() == ("error: `--png` exports the mel-image set; add mel-image "
                                  "to --sets")


def _mixed_folder(tmp_path: Path, long_seconds: float) -> tuple[Path, list[str], dict]:
    folder = tmp_path / "library"
    bad = write_bad_files(folder)
    good = [write_truncated(folder).name]  # a partly downloaded song: used, with a warning
    for i, ext in enumerate(("wav", "flac", "ogg", "mp3")):
        sf.write(folder / f"good-{i}.{ext}", tone(12.0, freq=220 * (i + 1), seed=i), SR)
        good.append(f"good-{i}.{ext}")
    rng = np.random.default_rng(0)
    with sf.SoundFile(folder / "long.ogg", "w", SR, 1) as f:
        for _ in range(int(long_seconds // 60)):
            f.write((0.1 * rng.standard_normal(60 * SR)).astype(np.float32))
    good.append("long.ogg")
    return folder, good, bad


def _check_mixed_predictions(out, good, bad):
    assert out.returncode == 1
    assert "Traceback" not in out.stdout + out.stderr
    records = {Path(r["path"]).name: r for r in json.loads(out.stdout)}
    assert sorted(records) == sorted(good)
    for name in bad:
        lines = [line for line in out.stderr.splitlines() if name in line]
        assert len(lines) == 1, (name, out.stderr)
    # A model on 30 s clips takes a long song's central clip, as its training did.
    timeline = records["long.ogg"]["timeline"]
    assert len(timeline) == 1 and timeline[0]["start"] > 0


def test_predict_on_a_folder_with_broken_files(demo_model, tmp_path):
    folder, good, bad = _mixed_folder(tmp_path, long_seconds=180)
    out = genriflow_process("predict", demo_model, folder, "--format", "json", "-q",
                            "--no-store")
    _check_mixed_predictions(out, good, bad)
    assert "too short" in out.stderr
    warned = [line for line in out.stderr.splitlines() if "truncated.mp3" in line]
    assert len(warned) == 1 and warned[0].startswith("warning:") and "truncated" in warned[0]
    # One line per bad file and nothing else: no decoder chatter (mpg123's resync notes).
    assert "Note:" not in out.stderr and "MPEG" not in out.stderr
    full = genriflow("predict", demo_model, folder / "long.ogg", "--full", "-f", "json", "-q",
                     "--no-store")
    assert full.returncode == 0, full.stderr
    assert [w["start"] for w in json.loads(full.stdout)[0]["timeline"]] == pytest.approx([
        0.0, 30.0, 60.0, 90.0, 120.0, 150.0])  # --full: clips tiling the song


@pytest.mark.slow
def test_predict_handles_a_sixty_minute_ogg(demo_model, tmp_path):
    folder, good, bad = _mixed_folder(tmp_path, long_seconds=3600)
    out = genriflow_process("predict", demo_model, folder, "--format", "json", "-q",
                            "--no-store")
    _check_mixed_predictions(out, good, bad)


def test_predict_lists_a_folder_without_audio_as_failed(demo_model, demo_corpus, tmp_path):
    # an empty folder among the inputs printed nothing at all and exited 0
    empty = tmp_path / "Album [empty]"
    empty.mkdir()
    song = sorted(demo_corpus.glob("jazz/*"))[0]
    out = genriflow("predict", demo_model, empty, song, "-f", "csv", "-q", "--no-store")
    assert out.returncode == 1, out.stderr
    assert len(out.stdout.strip().splitlines()) == 2  # the song's row is still given
    assert f"  {empty}: no audio files in this folder" in out.stderr.splitlines()


def test_predict_names_a_folder_it_may_not_list_and_goes_on_with_the_rest(tmp_path,
                                                                         unreadable):
    # a folder below the one given was passed over in silence, exit status 0; a folder
    # given itself was "no audio files in this folder", or inside it, a crash
    music = tmp_path / "music"
    for name in ("open/a.flac", "locked/b.flac"):
        (music / name).parent.mkdir(parents=True)
        sf.write(music / name, tone(5.0), SR)
    unreadable(music / "locked")
    for given in ([music], [music / "open", music / "locked"],
                  [music / "open", music / "locked" / "b.flac"]):
        out = genriflow("predict", *given, "-f", "csv", "-q", cache=tmp_path)
        assert out.returncode == 1, out.stderr
        assert [row.split(",")[0] for row in out.stdout.splitlines()[1:]] == [
            str(music / "open" / "a.flac")]
        shown = given[-1] if given[-1].suffix else music / "locked"
        assert out.stderr.splitlines()[-2:] == [
            "1 file could not be used:", f"  {shown}: cannot be read: permission denied"]


def test_predict_table_and_csv(demo_model, demo_corpus):
    songs = sorted(demo_corpus.glob("jazz/*"))[:2]
    table = genriflow("predict", demo_model, *songs, "-q", "--no-store")
    assert table.returncode == 0 and songs[0].name in table.stdout
    csv = genriflow("predict", demo_model, *songs, "-f", "csv", "-q", "--no-store")
    lines = csv.stdout.strip().splitlines()
    assert lines[0].startswith("path,genre,genre_1,probability_1") and len(lines) == 3


@pytest.mark.parametrize("tags", [False, True])
def test_predict_keeps_its_csv_columns_when_no_song_can_be_used(tmp_path, tags):
    # a day of only bad files gave a CSV of one column, `path`
    (tmp_path / "good").mkdir()
    sf.write(tmp_path / "good" / "song.flac", tone(5.0), SR)
    write_bad_files(tmp_path / "bad")
    asked = ("--tags",) if tags else ()
    good = genriflow("predict", tmp_path / "good", "-f", "csv", "-q", *asked, cache=tmp_path)
    assert good.returncode == 0, good.stderr
    header = good.stdout.splitlines()[0]
    assert ("tag_1" in header) == tags and "genre_1" in header
    bad = genriflow("predict", tmp_path / "bad", "-f", "csv", "-q", *asked, cache=tmp_path)
    assert bad.returncode == 1 and bad.stdout.splitlines() == [header]


def test_predict_names_a_song_it_may_not_read_and_goes_on_with_the_rest(tmp_path, unreadable):
    # it was called corrupt ("cannot be read: Permission denied", kind corrupt)
    songs = [tmp_path / "music" / name for name in ("a.flac", "b.flac", "c.flac")]
    songs[0].parent.mkdir()
    for song in songs:
        sf.write(song, tone(5.0), SR)
    unreadable(songs[0])
    for given in (songs, [songs[0].parent]):
        out = genriflow("predict", *given, "-f", "csv", "-q", cache=tmp_path)
        assert out.returncode == 1, out.stderr
        assert [row.split(",")[0] for row in out.stdout.splitlines()[1:]] == [
            str(s) for s in songs[1:]]
        assert out.stderr.splitlines()[-2:] == [
            "1 file could not be used:", f"  {songs[0]}: cannot be read: permission denied"]


def test_a_song_named_that_the_user_may_not_read_does_not_stop_the_others(tmp_path):
    # a usage error stopped them all: "Invalid value for 'PATH': path ... is not readable",
    # status 2 (click's own check, which root passes: hence a child without root's powers)
    songs = [tmp_path / name for name in ("a.flac", "b.flac")]
    for song in songs:
        sf.write(song, tone(5.0), SR)
    songs[0].chmod(0)
    try:
        out = subprocess.run([sys.executable, "-m", "genriflow", "predict", *map(str, songs),
                              "-f", "csv", "-q"], capture_output=True, text=True, timeout=600,
                             env={**os.environ, **store_env(tmp_path)},
                             preexec_fn=drop_dac_override_in_child)
    except subprocess.SubprocessError as error:  # root without CAP_SETPCAP (a container)
        pytest.skip(f"cannot drop root's read-any-file capabilities in a child: {error}")
    assert out.returncode == 1, out.stderr
    assert [row.split(",")[0] for row in out.stdout.splitlines()[1:]] == [str(songs[1])]
    assert out.stderr.splitlines()[-1] == f"  {songs[0]}: cannot be read: permission denied"


def test_predict_help_describes_the_default_model_as_genriflow_models_does():
    # it said "gtzan (the default: gtzan-table and zero-shot averaged)": gtzan-fusion
    import genriflow

    shown = " ".join(in_process("predict", "--help").stdout.split())
    gtzan = next(m for m in genriflow.describe_models() if m.name == "gtzan")
    assert f"gtzan (the default: {gtzan.summary.split(' (')[0]}, " in shown


def test_a_store_that_cannot_be_a_folder_is_a_user_error_not_a_bug(tmp_path):
    # it was status 70, "internal error (a bug in genriflow): NotADirectoryError"
    sf.write(tmp_path / "song.flac", tone(3.0), SR)
    (tmp_path / "cache").write_text("a file where the store should be")
    out = genriflow("predict", tmp_path / "song.flac", "-q", "--store", tmp_path / "cache")
    assert out.returncode == 2 and out.stdout == ""
    (line,) = out.stderr.splitlines()
    # and named the store's own sub-folder: "(Not a directory: .../cache/musicnn-9dda...)"
    assert line == (f"error: `--store` {tmp_path / 'cache'}: cannot be used as the feature "
                    "store (it is a file, not a folder)")


def test_user_errors_are_one_line(tmp_path):
    for args in (("train", tmp_path / "nowhere"), ("predict", tmp_path, "x.wav"),
                 ("train", "--split", "random", "--features", "x.csv")):
        out = genriflow(*args)
        assert out.returncode == 2
        assert "Traceback" not in out.stderr
        assert len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_plot_a_song_writes_seven_pictures_and_a_report(tmp_path):
    song = tmp_path / "song.flac"
    sf.write(song, tone(6.0), SR)
    out = genriflow("plot", song, "--out", tmp_path / "pics")
    assert out.returncode == 0, out.stderr
    pictures = sorted((tmp_path / "pics").glob("*.png"))
    assert [p.name.removeprefix("song-") for p in pictures] == sorted(
        f"{k}.png" for k in ("waveform", "spectrogram", "mel-spectrogram", "chroma",
                             "tonnetz", "mfcc", "zcr"))
    assert "data:image/png;base64," in (tmp_path / "pics" / "report.html").read_text()
    bad = genriflow("plot", tmp_path / "missing.mp3")
    assert bad.returncode == 2 and "missing.mp3" in bad.stderr and "Traceback" not in bad.stderr


def test_cluster_the_kaggle_table(kaggle_table, tmp_path):
    out = genriflow("cluster", "--features", kaggle_table, "--out", tmp_path / "run")
    assert out.returncode == 0, out.stderr
    for method in ("pca-gmm", "kmeans"):
        assert method in out.stdout
    assert "1000 items" in out.stdout
    assert (tmp_path / "run" / "pca-scatter.png").is_file()


def test_similar_songs_and_precision_on_a_labelled_library(demo_corpus, feature_cache,
                                                           tmp_path):
    library = tmp_path / "library"  # 3 songs of each of the 10 genres: 30 embedded, not 100
    for genre in sorted(p.name for p in demo_corpus.iterdir() if p.is_dir()):
        (library / genre).mkdir(parents=True)
        for clip in sorted((demo_corpus / genre).iterdir())[:3]:
            shutil.copy(clip, library / genre / clip.name)
    song = sorted(library.glob("jazz/*"))[0]
    out = genriflow("similar", song, library, "-k", "5", "-q", cache=feature_cache)
    assert out.returncode == 0, out.stderr
    assert "index: 30 songs" in out.stdout and "precision@5" in out.stdout
    assert "(95 % bootstrap 0." in out.stdout  # the figure with its interval
    ranked = [line for line in out.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert len(ranked) == 5 and not any(str(song) in line for line in ranked)


def test_a_name_with_a_line_break_stays_one_line_in_similar_and_in_the_failed_list(
        tmp_path):
    # similar printed it raw over two lines; so did every error naming such a file
    library = tmp_path / "library"
    library.mkdir()
    sf.write(library / "one.flac", tone(4.0), SR)
    sf.write(library / "two\nlines.flac", tone(4.0, freq=330.0), SR)
    (library / "empty\tand\nbroken.mp3").write_bytes(b"")
    out = genriflow("similar", library / "one.flac", library, "-k", "1", "-q",
                    cache=tmp_path / "store")
    assert out.returncode == 1, out.stderr  # a file could not be used: listed, status 1
    index, first = out.stdout.splitlines()  # the index's line, then one per song
    assert first.startswith("  1  ") and first.endswith(f"  {library}/two\\nlines.flac")
    assert out.stderr.splitlines() == [
        "1 file could not be used:",
        f"  {library}/empty\\tand\\nbroken.mp3: empty file (0 bytes)"]


def test_an_unexpected_exception_is_reported_as_a_bug_with_a_log(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    import genriflow.api
    from genriflow.cli import app

    def broken(*args, **kwargs):
        raise RuntimeError("boom inside the library")

    monkeypatch.setattr(genriflow.api, "analyse", broken)
    monkeypatch.setenv("GENRIFLOW_LOG_DIR", str(tmp_path / "logs"))
    song = tmp_path / "song.wav"
    sf.write(song, tone(4.0), SR)
    result = CliRunner().invoke(app, ["predict", "--model", "zero-shot", str(song), "-q"])
    assert result.exit_code == 70
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "internal error" in lines[0] and "boom" in lines[0]
    logs = list((tmp_path / "logs").glob("crash-*.log"))
    assert len(logs) == 1 and str(logs[0]) in " ".join(result.stderr.split())
    assert "Traceback" in logs[0].read_text() and "RuntimeError" in logs[0].read_text()


def test_bad_file_and_bad_option_are_one_line_and_status_2(tmp_path):
    bad = genriflow("predict", "--model", "zero-shot", "--aggregation", "median",
                    tmp_path / "x.wav")
    assert bad.returncode == 2
    assert bad.stderr.strip() == ("error: `--aggregation` must be one of mean, vote; "
                                  "got 'median'")
    missing = genriflow("evaluate", tmp_path / "no-model", tmp_path)
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1
    assert "no-model" in missing.stderr and "Traceback" not in missing.stderr


def test_a_piped_table_keeps_every_path_whole(demo_model, tmp_path):
    deep = tmp_path / ("a-folder-with-a-long-name-" * 4) / "real-gtzan-like-song-name.00042.wav"
    deep.parent.mkdir(parents=True)
    sf.write(deep, tone(5.0), SR)
    out = in_process("predict", demo_model, deep, "-q", "--no-store", env={"COLUMNS": "80"})
    assert out.returncode == 0, out.stderr
    header, row = out.stdout.strip().splitlines()
    assert header.split("\t") == ["file", "#1", "#2", "#3", "unsure"]
    assert Path(row.split("\t")[0]).resolve() == deep.resolve()


def _album(tmp_path: Path) -> Path:
    folder = tmp_path / "Album [Live] Ünïcødé"
    folder.mkdir()
    for i in range(2):
        sf.write(folder / f"0{i} Song [{i}].wav", tone(5.0, freq=220.0 * (i + 1), seed=i), SR)
    return folder


def test_predict_with_tags_piped_into_pandas_genres_first(tmp_path, feature_cache):
    folder = _album(tmp_path)
    # progress bars on, drawn as on a terminal: they go to stderr, the table alone to the pipe
    env = {**os.environ, "GENRIFLOW_STORE": str(feature_cache), "COLUMNS": "80",
           "FORCE_COLOR": "1"}
    # the check, as a user types it: one CSV table that any reader loads
    read = "import pandas, sys; print(list(pandas.read_csv(sys.stdin).columns))"
    piped = subprocess.run(
        f"{shlex.quote(sys.executable)} -m genriflow predict --tags --format csv -j 1 "
        f"{shlex.quote(str(folder))} | {shlex.quote(sys.executable)} -c {shlex.quote(read)}",
        shell=True, capture_output=True, text=True, env=env, timeout=900)
    assert piped.returncode == 0, piped.stderr
    assert "features [" in piped.stderr and "2/2" in piped.stderr  # the bar, on stderr
    columns = ast.literal_eval(piped.stdout.strip())
    assert columns[:3] == ["path", "genre", "genre_1"]  # the default model's genres first
    assert {"voice", "vocal_probability", "mood_1", "mood_score_1", "tag_1",
            "tag_probability_1"} <= set(columns)


def test_progress_bars_never_mix_into_a_table_or_json(tmp_path, feature_cache):
    # without -q: the bar is drawn on stderr, and stdout holds the results alone
    folder = _album(tmp_path)
    as_json = genriflow("predict", "-f", "json", "-j", "1", folder, cache=feature_cache)
    assert as_json.returncode == 0, as_json.stderr
    assert len(json.loads(as_json.stdout)) == 2
    assert "features [" in as_json.stderr
    as_csv = genriflow("predict", "-f", "csv", "-j", "1", folder, cache=feature_cache)
    assert list(pd.read_csv(io.StringIO(as_csv.stdout))["path"]) == \
        [str(p) for p in sorted(folder.iterdir())]


def test_predict_with_tags_is_one_table_genres_first_in_every_format(tmp_path, feature_cache):
    folder = _album(tmp_path)
    csv_text = genriflow("predict", "--tags", "-f", "csv", "-q", "-j", "1", folder,
                         cache=feature_cache)
    table = pd.read_csv(io.StringIO(csv_text.stdout))
    assert sorted(table["path"]) == sorted(str(p) for p in folder.iterdir())
    genres_only = genriflow("predict", "-f", "csv", "-q", "-j", "1", folder, cache=feature_cache)
    alone = pd.read_csv(io.StringIO(genres_only.stdout)).set_index("path")
    # --tags adds columns and never changes or removes the genres
    pd.testing.assert_frame_equal(table.set_index("path")[alone.columns], alone)
    records = json.loads(genriflow("predict", "--tags", "-f", "json", "-q", "-j", "1", folder,
                                   cache=feature_cache).stdout)
    assert len(records) == 2
    assert {"genre", "genres", "probabilities", "tags", "voice", "moods"} <= set(records[0])
    text = genriflow("predict", "--tags", "-q", "-j", "1", folder, cache=feature_cache)
    header, *rows = text.stdout.splitlines()  # piped: tab-separated, nothing cut
    assert header.split("\t") == ["file", "#1", "#2", "#3", "unsure", "voice", "moods",
                                   "top tags"]
    assert sorted(Path(row.split("\t")[0]).resolve() for row in rows) == sorted(
        p.resolve() for p in folder.iterdir())


@pytest.mark.parametrize("command", [("features", "--sets", "kaggle"), ("similar",)])
def test_a_batch_that_skipped_files_says_so_in_its_exit_status(command, tmp_path,
                                                               feature_cache):
    # Every command that goes on past a file it cannot use lists it, then exits with 1,
    # as predict and the library do (0 would tell a script that all went well).
    for genre in ("jazz", "rock"):
        (tmp_path / "songs" / genre).mkdir(parents=True)
        for i in range(2):
            sf.write(tmp_path / "songs" / genre / f"{genre}{i}.wav",
                     tone(4.0, freq=220.0 * (i + 1), seed=i), SR)
    write_bad_files(tmp_path / "songs" / "rock")
    ran = in_process(*command, tmp_path / "songs", "-q", "-j", "1", "--store", feature_cache)
    assert ran.returncode == 1, ran.stderr
    assert "5 files could not be used:" in ran.stderr and "garbled.flac" in ran.stderr


def test_a_missing_first_song_fails_alone_as_anywhere_else_in_the_batch(tmp_path):
    # first, it was taken for a mistyped model: status 2, no song of the batch analysed
    song = tmp_path / "song.wav"
    sf.write(song, tone(4.0), SR)
    gone = tmp_path / "gone.mp3"
    runs = [in_process("predict", *paths, "-f", "csv", "-q", "--no-store")
            for paths in ((gone, song), (song, gone))]
    for out in runs:
        assert out.returncode == 1, out.stderr
        assert out.stderr.splitlines() == ["1 file could not be used:",
                                           f"  {gone}: file not found"]
        assert [row["path"] for row in csv.DictReader(io.StringIO(out.stdout))] == [str(song)]
    assert runs[0].stdout == runs[1].stdout
