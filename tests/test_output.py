"""What the command line prints: user data exactly as it is (never read as markup), an
error printer that cannot fail, and tables that keep every column through a pipe."""

from __future__ import annotations

import csv
import errno
import io
import os

import pandas as pd
import pytest
import soundfile as sf
import typer
from rich.console import Console
from rich.text import Text
from typer.testing import CliRunner

from commandline import in_process
from genriflow.cli.common import GenriflowGroup
from genriflow.errors import ConfigError, GenriflowError
from genriflow.progress import print_table, progress_bar
from sample_audio import SR, tone

#: A model folder as `library learn` saves it: in brackets, it reads as a closing tag.
MODEL = "/music/[FLAC]/models/mine"


def _drawn(description: str, columns: int, monkeypatch) -> str:
    """A progress bar's line, drawn on a forced terminal ``columns`` wide."""
    monkeypatch.setenv("COLUMNS", str(columns))  # what the bar's own console reads
    terminal = Console(file=io.StringIO(), force_terminal=True, width=columns)
    with progress_bar(False) as bar:  # drawn below, on a forced terminal
        job = bar.add_task(description, total=1200)
        bar.advance(job, 600)
        terminal.print(bar.get_renderable())
    return Text.from_ansi(terminal.file.getvalue()).plain


def test_a_progress_bar_shows_any_path_in_its_description(monkeypatch):
    assert f"classify [{MODEL}] " in _drawn(f"classify [{MODEL}]", 200, monkeypatch)


def test_a_long_description_leaves_the_count_on_an_80_column_terminal(monkeypatch):
    # it used to take the whole line: no bar, no count, no time left
    line = _drawn(f"features [musicnn, musicnn-tags] on {MODEL} " * 3, 80, monkeypatch)
    assert "600/1200" in line and "ETA" in line and "…" in line
    assert len(line.rstrip("\n")) <= 80


@pytest.mark.parametrize("columns", [30, 40, 50, 60, 70])
def test_a_narrow_terminal_keeps_the_count_and_the_time_left_on_one_line(columns,
                                                                          monkeypatch):
    # on 40 columns the count was cut (`600/…`), the rate wrapped onto a second line
    lines = _drawn(f"classify [{MODEL}]", columns, monkeypatch).rstrip("\n").splitlines()
    assert len(lines) == 1 and len(lines[0]) <= columns, lines
    assert " 600/1200 " in lines[0] and lines[0].rstrip().endswith("ETA -:--:--")


def _app(raises: BaseException) -> typer.Typer:
    app = typer.Typer(cls=GenriflowGroup, pretty_exceptions_enable=False)

    @app.command()
    def fail(engine: str = "local") -> None:  # a ConfigError's field is shown as its option
        raise raises

    @app.command()
    def other() -> None:  # a group of two: `fail` is a command name
        pass

    return app


class _Unprintable(GenriflowError):
    def __str__(self) -> str:
        raise RuntimeError("no message")


@pytest.mark.parametrize(("raised", "status", "line"), [
    (ConfigError("engine", 'ray needs its extra: pip install "genriflow[ray]"'), 2,
     'error: `--engine` ray needs its extra: pip install "genriflow[ray]"'),
    (GenriflowError(f"`{MODEL}`: [/bold] is not [red]a model[/red] :fire:"), 2,
     f"error: `{MODEL}`: [/bold] is not [red]a model[/red] :fire:"),
    (_Unprintable(), 2, "error: (its message could not be made: RuntimeError)"),
    (KeyboardInterrupt(), 130, "interrupted"),
])
def test_the_error_printer_prints_every_message_whole_and_never_raises(raised, status, line):
    result = CliRunner().invoke(_app(raised), ["fail"])
    assert result.exit_code == status, result.output
    assert result.stderr.splitlines() == [line]


def test_a_bug_is_one_line_with_its_message_whole(tmp_path, monkeypatch):
    monkeypatch.setenv("GENRIFLOW_LOG_DIR", str(tmp_path / "logs"))
    result = CliRunner().invoke(_app(RuntimeError(f"[/{MODEL}]")), ["fail"])
    assert result.exit_code == 70
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"bug: internal error (a bug in genriflow): RuntimeError: [/{MODEL}]. "
                           "The traceback is in ")
    # with no folder to log in, the bug is still one line
    monkeypatch.setenv("GENRIFLOW_LOG_DIR", str(tmp_path / "not-a-folder"))
    (tmp_path / "not-a-folder").write_text("a file where the log folder should be")
    result = CliRunner().invoke(_app(RuntimeError("[bold]")), ["fail"])
    assert result.exit_code == 70
    (line,) = result.stderr.splitlines()
    assert "RuntimeError: [bold]. Its traceback could not be logged" in line


def test_a_table_keeps_every_cell_through_a_pipe_and_on_a_narrow_terminal():
    header = ["path", "genre", "note"]
    rows = [["/music/Album [Deluxe] [2020]/02 Outro [bold].mp3" * 3, "Röck [Live]",
             "tab\there"]]
    piped = Console(file=io.StringIO(), width=40)
    print_table(piped, header, rows, title="songs [all]")
    title, *lines = piped.file.getvalue().splitlines()
    assert title == "songs [all]"
    assert lines == ["path\tgenre\tnote", f"{rows[0][0]}\tRöck [Live]\ttab\\there"]
    assert pd.read_csv(io.StringIO("\n".join(lines)), sep="\t").shape == (1, 3)
    narrow = Console(file=io.StringIO(), width=40, force_terminal=True, color_system=None)
    print_table(narrow, header, rows)
    shown = narrow.file.getvalue()
    assert "…" not in shown and "Röck [Live]" in shown  # wrapped, never cut
    folded = "".join(line.split("│")[1] for line in shown.splitlines()[3:-1])
    assert folded.replace(" ", "") == rows[0][0].replace(" ", "")


def test_compare_through_a_pipe_keeps_the_interval_and_mcnemar_columns(tmp_path,
                                                                        monkeypatch):
    import genriflow.api_training
    from genriflow.cli import app

    table = pd.DataFrame({
        "model": ["svm", "logreg [l2]", "auto"], "chosen": ["svm", "logreg", "knn@kaggle"],
        "input": ["kaggle"] * 3, "train": [0.99, 0.9, 0.9], "valid": [0.8, 0.7, None],
        "valid_n": [20, 20, None], "valid_low": [0.584, 0.481, None],
        "valid_high": [0.919, 0.855, None],
        "test": [0.812, 0.7, 0.7], "test_low": [0.73, 0.61, 0.61],
        "test_high": [0.87, 0.78, 0.78], "test_balanced": [0.8, 0.69, 0.69],
        "test_balanced_low": [0.71, 0.6, None], "test_balanced_high": [0.88, 0.77, None],
        "split": ["test (stratified, 100 items)"] * 3, "folder": ["a", "b", "c"],
        "vs_best": ["svm"] * 3, "mcnemar_p": [None, 0.0213, 0.0213]})
    monkeypatch.setattr(genriflow.api_training, "compare", lambda *args, **kwargs: table)
    result = CliRunner().invoke(app, ["compare", str(tmp_path), "--out", str(tmp_path / "run"),
                                      "-q"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "split: test (stratified, 100 items)"
    assert lines[1].split("\t") == ["model", "input", "train", "valid", "valid 95 % interval",
                                    "test", "test 95 % interval", "balanced",
                                    "balanced 95 % interval", "McNemar p vs best"]
    assert lines[2].split("\t") == ["svm", "kaggle", "0.990", "0.800", "0.584-0.919", "0.812",
                                    "0.730-0.870", "0.800", "0.710-0.880", "best"]
    assert lines[3].split("\t") == ["logreg [l2]", "kaggle", "0.900", "0.700", "0.481-0.855",
                                    "0.700", "0.610-0.780", "0.690", "0.600-0.770", "0.021"]
    auto = lines[4].split("\t")
    assert auto[0] == "auto → knn@kaggle"  # what auto chose, beside it
    assert auto[3:5] == ["-", "-"] and auto[8] == "-"  # no figure: no interval


@pytest.mark.parametrize("multi_label", [False, True])
def test_train_lists_the_heads_a_classical_auto_scored_on_valid(multi_label, capsys):
    from genriflow.cli.train import print_selection

    metrics = {"split": {"counts": {"train": 70, "valid": 20, "test": 10}}, "chosen": "svm",
               "selection_valid_accuracy": {"knn": 0.55, "svm": 0.9}}
    if multi_label:
        metrics["multi_label"] = {"labels": ["a", "b"]}
    print_selection(metrics)
    title, header, knn, svm = capsys.readouterr().out.splitlines()
    assert title == "candidates on valid (test never used)"
    if multi_label:  # a mean average precision has no count or interval behind it
        assert header.split("\t")[1] == "valid mean AP"
        assert svm.split("\t") == ["svm", "0.900", "", "chosen"]
    else:
        assert knn.split("\t") == ["knn", "0.550 (11/20)", "0.342-0.742", ""]
        assert svm.split("\t") == ["svm", "0.900 (18/20)", "0.699-0.972", "chosen"]
    print_selection({**metrics, "selection_valid_accuracy": {"svm": 0.9}})  # one named model
    assert capsys.readouterr().out == ""


def test_a_files_warning_names_it_exactly(capsys, monkeypatch):
    from genriflow.audio.errors import AudioWarning
    from genriflow.cli import common
    from genriflow.cli.common import show_warning

    monkeypatch.setattr(common, "_SHOWN", set())
    song = "/music/Album [Deluxe] [2020]/Cut [bold] :fire:.mp3"
    show_warning(AudioWarning(song, "truncated (decoded 2.1 s of 4.0 s)"), AudioWarning,
                 __file__, 1)
    assert capsys.readouterr().err == (f"warning: {song}: truncated (decoded 2.1 s of "
                                       "4.0 s)\n")


def test_a_warning_is_one_line_said_once_and_another_librarys_is_named(capsys, monkeypatch):
    from genriflow.cli import common
    from genriflow.errors import GenriflowWarning

    monkeypatch.setattr(common, "_SHOWN", set())
    sklearn = "/venv/lib/python3.11/site-packages/sklearn/model_selection/_split.py"
    for _ in range(2):  # the second time, nothing: Python's own memory of it can be wiped
        common.show_warning(UserWarning("The least populated class in y has only 1\n"
                                        "members."), UserWarning, sklearn, 812)
        common.show_warning(GenriflowWarning("fewer files than [bold]5[/bold] folds"),
                            GenriflowWarning, "/src/genriflow/datasets/splits.py", 9)
    assert capsys.readouterr().err.splitlines() == [
        "warning: The least populated class in y has only 1 members. (sklearn UserWarning)",
        "warning: fewer files than [bold]5[/bold] folds"]
    common.show_warning(RuntimeWarning("overflow"), RuntimeWarning, "/x/own_script.py", 3)
    assert capsys.readouterr().err == "warning: overflow (own_script.py RuntimeWarning)\n"


def test_unsure_is_one_column_in_every_format_and_never_when_unknown():
    import csv
    import json

    import numpy as np

    from genriflow.inference.output import _table as table
    from genriflow.inference.output import predictions_to_csv, songs_to_records
    from genriflow.inference.predict import Prediction

    def song(path, p, unknown, floor):
        return Prediction(path, ["jazz", "rock"], np.array(p), np.array([0.0]),
                          np.array([p]), unknown=unknown, min_confidence=floor)

    songs = [song("sure.wav", [0.2, 0.8], False, 0.5), song("torn.wav", [0.45, 0.55], False, 0.6),
             song("noise.wav", [0.5, 0.5], True, 0.6), song("plain.wav", [0.4, 0.6], None, 0.0)]
    assert [s.unsure for s in songs] == [False, True, False, False]
    records = json.loads(json.dumps(songs_to_records(songs)))
    assert [(r["unsure"], r["min_confidence"]) for r in records] == [
        (False, 0.5), (True, 0.6), (False, 0.6), (False, 0.0)]
    rows = list(csv.DictReader(io.StringIO(predictions_to_csv(songs))))
    assert [r["unsure"] for r in rows] == ["false", "true", "false", "false"]
    assert [r["genre"] for r in rows] == ["rock", "rock", "jazz", "rock"]  # the best guess
    header, cells = table(songs, (), 2)
    column = header.index("unsure")
    assert [row[column] for row in cells] == ["", "yes (< 0.6)", "", ""]


def test_the_epoch_bar_keeps_its_count_on_an_80_column_terminal(monkeypatch, capsys):
    # the scores (70 characters) used to take the line: no count, no bar
    from types import SimpleNamespace

    from genriflow.training.loop import _progress_bar

    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("FORCE_COLOR", "1")
    history = SimpleNamespace(train_loss=[0.1234], train_acc=[0.923], valid_loss=[0.3456],
                              valid_acc=[0.812], lr=[0.001])
    with _progress_bar(True, 50) as advance:
        advance(history)
    drawn = capsys.readouterr()
    assert drawn.out == ""  # bars are drawn on stderr
    last = Text.from_ansi(drawn.err).plain.rstrip("\n").splitlines()[-1]
    assert last.startswith("epoch  1/50 ") and "train loss 0.1234" in last
    assert len(last) <= 80


def test_json_timeline_starts_are_seconds_to_the_millisecond():
    import numpy as np

    from genriflow.inference.output import songs_to_records
    from genriflow.inference.predict import Prediction

    offsets = np.arange(4) * 2.992  # the musicnn patch grid: 8.975999999999999 unrounded
    song = Prediction("a.ogg", ["jazz", "rock"], np.array([0.4, 0.6]), offsets,
                      np.tile([0.4, 0.6], (4, 1)))
    starts = [w["start"] for w in songs_to_records([song])[0]["timeline"]]
    assert [repr(s) for s in starts] == ["0.0", "2.992", "5.984", "8.976"]


def test_a_files_warning_during_a_progress_bar_is_printed_above_it(monkeypatch, capsys):
    # it was written after the bar's line, on it: "... ETA -:--:--warning: cut.mp3: ..."
    from genriflow.audio.errors import AudioWarning
    from genriflow.cli.common import show_warning

    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("FORCE_COLOR", "1")  # a terminal: the bar is live
    with progress_bar(True, unit="files") as bar:
        job = bar.add_task("features [musicnn]", total=3)
        bar.advance(job)
        bar.refresh()
        show_warning(AudioWarning("/music/cut [bold].mp3", "truncated"), AudioWarning,
                     __file__, 1)
        bar.advance(job, 2)
    drawn = capsys.readouterr()
    assert drawn.out == ""
    lines = [Text.from_ansi(line).plain.rpartition("\r")[2]
             for line in drawn.err.split("\n")]
    assert "warning: /music/cut [bold].mp3: truncated" in lines
    assert sum("warning:" in line for line in lines) == 1


def test_many_unknown_songs_point_to_the_model_that_names_more_genres(capsys):
    from types import SimpleNamespace

    from genriflow.cli.predict import note_unknown_songs

    songs = [SimpleNamespace(unknown=u) for u in (True, True, False, None, False)]
    note_unknown_songs(songs, "gtzan")
    note = capsys.readouterr().err
    assert note.startswith("note: 2 of 5 songs are unknown to gtzan") and note.count("\n") == 1
    assert "--model library-genres also names electronic, ambient, folk" in note
    for few, model in ((songs[1:], "gtzan"), (songs, "library-genres"), (songs, "models/x")):
        note_unknown_songs(few, model)  # one unknown, or a model that already names them
        assert capsys.readouterr().err == ""


def test_json_is_the_song_record_and_csv_and_table_are_flat_views_of_it():
    """predict's JSON is each song's path and its one record (the service's too): every
    label's probability unrounded (it was rounded to 4 decimals), the song's genres (a
    multi-label model's above their thresholds), every label in each window (it was the
    top one's only); the CSV and the table show the same values, rounded for reading."""
    import csv
    import json

    import numpy as np

    from genriflow import SongAnswer, SongTags
    from genriflow.inference.output import THRESHOLD_HEADER, songs_to_csv, songs_to_records
    from genriflow.inference.output import _table as table
    from genriflow.inference.predict import Prediction
    from genriflow.inference.record import GENRE_KEYS, TAG_KEYS

    labels = ["blues", "jazz", "rock"]
    multi = Prediction("multi.wav", labels, np.array([0.412345678, 0.1, 0.912345678]),
                       np.array([0.0, 2.992]),
                       np.array([[0.3, 0.2, 0.95], [0.824691356, 0.0, 0.574691356]]),
                       thresholds=np.array([0.3, 0.3, 0.5]), unknown=False,
                       unknown_score=1.23456789, min_confidence=0.5)
    single = Prediction("single.wav", labels, np.array([0.2, 0.45, 0.35]), np.array([0.0]),
                        np.array([[0.2, 0.45, 0.35]]), min_confidence=0.5)
    tags = [SongTags("multi.wav", [("msd:rock", 0.612345678), ("mtt:guitar", 0.5)], "vocal",
                     0.734567891, [("happy", 0.812345678), ("sad", 0.2)]),
            SongTags("tags-only.wav", [("msd:jazz", 0.4)], "instrumental", 0.1,
                     [("sad", 0.7)])]
    records = json.loads(json.dumps(songs_to_records([multi, single], tags)))
    assert records == [{"path": "multi.wav", **SongAnswer("multi.wav", multi, tags[0]).record()},
                       {"path": "single.wav", **SongAnswer("single.wav", single).record()},
                       {"path": "tags-only.wav", **SongAnswer("tags-only.wav", None,
                                                              tags[1]).record()}]
    first = records[0]
    assert list(first) == ["path", *GENRE_KEYS, *TAG_KEYS]
    assert first["genres"] == [{"genre": "rock", "probability": 0.912345678},
                               {"genre": "blues", "probability": 0.412345678}]
    assert first["probabilities"] == {"blues": 0.412345678, "jazz": 0.1, "rock": 0.912345678}
    # unrounded (the table rounds to 4 decimals; the record never does)
    assert first["unknown_score"] == pytest.approx(1.23456789, rel=1e-12)
    assert first["vocal_probability"] == pytest.approx(0.734567891, rel=1e-12)
    assert first["timeline"][1] == {"start": 2.992, "genre": "blues", "probabilities": {
        "blues": 0.824691356, "jazz": 0.0, "rock": 0.574691356}}
    assert records[1]["genres"] == [{"genre": "jazz", "probability": 0.45}]
    assert records[1]["unsure"] is True and records[1]["unknown"] is None
    assert set(records[2]) == {"path", *TAG_KEYS}

    rows = list(csv.DictReader(io.StringIO(songs_to_csv([multi, single], tags, 2))))
    for record, row in zip(records, rows, strict=True):
        assert row["path"] == record["path"]
        if "genre" in record:
            ranked = sorted(record["probabilities"].items(), key=lambda kv: -kv[1])
            assert row["genre"] == record["genre"]
            for i, (genre, p) in enumerate(ranked[:2], start=1):
                assert row[f"genre_{i}"] == genre
                assert float(row[f"probability_{i}"]) == pytest.approx(p, abs=5e-5)
            assert row["genres"] == ";".join(g["genre"] for g in record["genres"])
            assert row["unsure"] == str(record["unsure"]).lower()
            assert row["unknown"] == ("" if record["unknown"] is None
                                      else str(record["unknown"]).lower())
        if "voice" in record:
            assert row["voice"] == record["voice"]
            assert float(row["vocal_probability"]) == pytest.approx(
                record["vocal_probability"], abs=5e-5)
            assert row["mood_1"] == record["moods"][0]["mood"]
            assert row["tag_1"] == record["tags"][0]["tag"]
    header, cells = table([multi, single], tags, 2)
    assert [str(c) for c in cells[0][1:3]] == ["rock 91%", "blues 41%"]
    assert str(cells[0][header.index(THRESHOLD_HEADER)]) == "rock, blues"


class _Full(io.StringIO):
    """Standard output on a disk that is full (``> genres.csv`` on a full disk)."""

    def __init__(self, code: int) -> None:
        super().__init__()
        self.code = code

    def write(self, text: str) -> int:
        raise OSError(self.code, os.strerror(self.code))


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_an_output_that_cannot_be_written_is_one_line_not_a_bug(fmt, tmp_path, monkeypatch):
    # it was "internal error (a bug in genriflow): OSError: [Errno 28]", status 70, a log
    from genriflow.cli.common import console

    song = tmp_path / "song.wav"
    sf.write(song, tone(4.0), SR)
    monkeypatch.setattr(console, "_file", _Full(errno.ENOSPC))
    out = in_process("predict", song, "-f", fmt, "-q", "--no-store")
    assert (out.returncode, out.stderr) == (2, (
        "error: standard output could not be written (No space left on device); free some "
        "space and run this again\n"))
    monkeypatch.setattr(console, "_file", _Full(errno.EIO))
    out = in_process("models")
    assert (out.returncode, out.stderr) == (
        2, "error: standard output could not be written (Input/output error)\n")


def test_a_piped_table_reads_back_every_name_exactly():
    # a backslash was written as it is, so `back\nslash.mp3` and a name holding a line
    # break were the same cell; and a name opening with a quote lost its quotes to a reader
    from genriflow.progress import unescape

    names = ["back\\nslash.mp3", "new\nline.mp3", "tab\tand\rreturn\\.mp3", '"live" set.mp3',
             "\\", "plain.mp3"]
    piped = Console(file=io.StringIO(), width=40)
    print_table(piped, ["file", "genre"], [[name, "rock"] for name in names])
    lines = piped.file.getvalue().splitlines()
    assert len(lines) == 1 + len(names) and len(set(lines)) == len(lines)
    table = pd.read_csv(io.StringIO(piped.file.getvalue()), sep="\t", quoting=csv.QUOTE_NONE)
    assert table["file"].map(unescape).tolist() == names
    rows = list(csv.reader(io.StringIO(piped.file.getvalue(), newline=""), delimiter="\t",
                           quoting=csv.QUOTE_NONE))
    assert [unescape(row[0]) for row in rows[1:]] == names
