"""A command line that cannot be parsed is one red line naming what is wrong and where the
options are listed, exit status 2; ``--version`` says the version."""

from __future__ import annotations

import subprocess
import sys

import pytest

from commandline import in_process
from genriflow import __version__

USAGE_ERRORS = [  # the command line, what its line says, how many words name its command
    (("--no-such-option",), "No such option: --no-such-option", 0),
    (("predcit", "song.mp3"), "No such command 'predcit'. Did you mean 'predict'?", 0),
    (("predict", "--topp", "3", "song.mp3"),
     "No such option: --topp (Possible options: --store, --top)", 1),
    (("predict", "--top", "many", "song.mp3"), "Invalid value for '--top'", 1),
    (("predict",), "Missing argument 'PATH'", 1),
    (("library", "lss"), "No such command 'lss'. Did you mean 'ls'?", 1),
    (("library", "classify", "--excerpts", "some"), "Invalid value for '--excerpts'", 2),
]


@pytest.mark.parametrize(("argv", "says", "group"), USAGE_ERRORS)
def test_a_command_line_that_cannot_be_parsed_is_one_line(argv, says, group):
    ran = in_process(*argv)
    assert ran.returncode == 2
    assert ran.stderr.strip().splitlines() == [ran.stderr.strip()]
    assert ran.stderr.startswith("error: ") and says in ran.stderr, ran.stderr
    # the command as it was run (here the test runner's name for it, `root`)
    assert ran.stderr.rstrip().endswith(f"; see `{' '.join(['root', *argv[:group]])} --help`")
    assert "Usage:" not in ran.stderr and "Traceback" not in ran.stderr


def test_a_bare_group_still_shows_its_help():
    ran = in_process("library")
    assert "Usage: root library" in ran.stdout + ran.stderr
    assert "classify" in ran.stdout + ran.stderr


def test_version_is_printed_without_the_heavy_libraries():
    assert in_process("--version").stdout == f"genriflow {__version__}\n"
    heavy = ("import sys\nfrom genriflow.cli import app\ntry:\n    app(['--version'])\n"
             "except SystemExit as exit:\n    assert exit.code in (0, None)\n"
             "print(sorted(m for m in ('numpy', 'torch', 'librosa') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", heavy], capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.splitlines() == [f"genriflow {__version__}", "[]"], done.stderr


@pytest.mark.parametrize(("argv", "says"), [
    (("train", "{table}"), "`--features` takes a feature table such as {table}, which was "
                           "given as labelled audio"),
    (("evaluate", "gtzan-table", "{table}"), "`--features` takes a feature table such as"),
    (("compare", "{table}"), "`--features` takes a feature table such as {table}, which "
                             "was given as labelled audio"),
])
def test_a_feature_table_given_as_audio_is_named_as_such(argv, says, tmp_path):
    table = tmp_path / "features_30_sec.csv"
    table.write_text("filename,length,rms_mean,label\nblues.00000.wav,661794,0.13,blues\n")
    ran = in_process(*(arg.format(table=table) for arg in argv), "--out", tmp_path / "out")
    assert ran.returncode == 2
    assert ran.stderr.strip().splitlines() == [ran.stderr.strip()]
    assert says.format(table=table) in ran.stderr, ran.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("name", "says"), [
    ("-song.mp3", "No such option: -s (a file? write ./-song.mp3, or -- before it)"),
    ("--help.mp3", "No such option: --help.mp3 (Possible options: --help) (a file? write "
                   "./--help.mp3, or -- before it)"),
])
def test_a_file_named_like_an_option_is_told_how_to_give_it(name, says, tmp_path,
                                                            monkeypatch):
    # it was only `No such option: -s`, of an option nobody typed
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_bytes(b"")
    ran = in_process("predict", name)
    assert ran.returncode == 2
    assert ran.stderr.splitlines() == [f"error: {says}; see `root predict --help`"]
    assert "a file?" not in in_process("predict", "-x").stderr  # no such file: no hint
