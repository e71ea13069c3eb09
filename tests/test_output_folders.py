"""An output folder that cannot be written (a file there, a file above it, a read-only
place) is refused in one line naming it and why, before any work: it was a crash
("internal error") from ``mkdir``, or for ``train`` a crash after the whole training."""

from __future__ import annotations

from pathlib import Path

import pytest

import genriflow
from commandline import in_process
from genriflow.datasets.synthetic import make_demo_corpus
from genriflow.errors import ConfigError, a_folder_to_write
from permissions import without_dac_override

#: Each command that writes a run or model folder, with what it needs to reach the check
#: (data that need not exist: the folder is checked first); ``{out}`` is the folder.
COMMANDS = {
    "train": ("train", "--model", "knn", "{data}", "--out", "{out}"),
    "evaluate": ("evaluate", "gtzan-table", "{data}", "--out", "{out}"),
    "compare": ("compare", "--models", "knn", "{data}", "--out", "{out}"),
    "tune": ("tune", "--model", "knn", "{data}", "--out", "{out}"),
    "cluster": ("cluster", "{data}", "--out", "{out}"),
    "plot": ("plot", "{data}", "--out", "{out}"),
    "demo-data": ("demo-data", "{out}"),
}


def _run(command: str, tmp_path: Path, out: Path):
    argv = [a.format(data=tmp_path / "songs", out=out) for a in COMMANDS[command]]
    return in_process(*argv)


def _one_line(ran, *says: str) -> None:
    assert ran.returncode == 2, ran.stderr
    assert ran.stderr.strip().splitlines() == [ran.stderr.strip()], ran.stderr
    assert ran.stderr.startswith("error: ") and "bug" not in ran.stderr, ran.stderr
    for said in says:
        assert said in ran.stderr, ran.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_an_output_folder_that_is_a_file_is_refused_in_one_line(command, tmp_path):
    out = tmp_path / "report.txt"
    out.write_text("mine")
    _one_line(_run(command, tmp_path, out), str(out), "is a file")
    assert out.read_text() == "mine"


@pytest.mark.parametrize("command", COMMANDS)
def test_an_output_folder_below_a_file_is_refused_in_one_line(command, tmp_path):
    (tmp_path / "notes").write_text("mine")
    out = tmp_path / "notes" / "run"
    _one_line(_run(command, tmp_path, out), str(out), f"{tmp_path / 'notes'} is a file")


@pytest.mark.parametrize("command", COMMANDS)
def test_an_output_folder_in_a_read_only_folder_is_refused_in_one_line(command, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with without_dac_override():
            ran = _run(command, tmp_path, locked / "run")
    finally:
        locked.chmod(0o755)
    _one_line(ran, str(locked), "Permission denied")
    assert list(locked.iterdir()) == []


def test_the_python_api_raises_a_config_error_naming_the_folder(tmp_path):
    (tmp_path / "notes").write_text("mine")
    with pytest.raises(ConfigError, match=r"^`out` .*notes is a file, not a folder$"):
        genriflow.cluster(tmp_path / "songs", out=tmp_path / "notes")
    with pytest.raises(ConfigError, match=r"^`out_dir` cannot make .*: .*notes is a file$"):
        make_demo_corpus(tmp_path / "notes" / "corpus", per_genre=1, seconds=0.1)
    with pytest.raises(ConfigError, match="`out` must be a path"):
        genriflow.plot(tmp_path / "song.wav", out=3)


def test_a_writable_folder_is_accepted_and_nothing_is_made_or_left(tmp_path):
    assert a_folder_to_write("out", tmp_path) == tmp_path
    assert a_folder_to_write("out", tmp_path / "new" / "run") == tmp_path / "new" / "run"
    assert list(tmp_path.iterdir()) == []  # no folder made, no probe file left


def test_a_broken_link_is_named_as_such(tmp_path):
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    with pytest.raises(ConfigError, match="loop is a broken link, not a folder"):
        a_folder_to_write("out", tmp_path / "loop")
