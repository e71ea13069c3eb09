"""An output folder that cannot be written (a file there, a file above it, a read-only
place) is refused in one line naming it and why, before any work: it was a crash
("internal error") from ``mkdir``, or for ``train`` a crash after the whole training.

A run folder (evaluate, compare, cluster, plot, tune) is a new or empty folder or an
earlier run folder of the same command: given a folder of the user's own files, these
wrote report.md, metrics.json and the rest among them, over any of the same name."""

from __future__ import annotations

from pathlib import Path

import pytest

import genriflow
from commandline import in_process
from genriflow.datasets.synthetic import make_demo_corpus
from genriflow.errors import ConfigError, a_folder_to_write
from genriflow.workflows.run_folder import MARK, a_run_folder, claim_run_folder
from permissions import without_dac_override

#: Each command that writes a run or model folder, with what it needs to reach the check
#: (data that need not exist: the folder is checked first); ``{out}`` is the folder.
COMMANDS = {
    "train": ("train", "--model", "knn", "{data}", "--out", "{out}"),
    "evaluate": ("evaluate", "gtzan-table", "{data}", "--out", "{out}"),
    "open-set": ("evaluate", "--open-set", "gtzan-table", "{data}", "--out", "{out}"),
    "compare": ("compare", "--models", "knn", "{data}", "--out", "{out}"),
    "tune": ("tune", "--model", "knn", "{data}", "--out", "{out}"),
    "cluster": ("cluster", "{data}", "--out", "{out}"),
    "plot": ("plot", "{data}", "--out", "{out}"),
    "demo-data": ("demo-data", "{out}"),
    "demo": ("demo", "--per-genre", "10", "--seconds", "1", "--out", "{out}"),
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


def test_the_demo_names_its_own_option_and_starts_nothing(tmp_path):
    """``genriflow demo`` in a folder it cannot write (a pip user's first command, run
    wherever the shell is) named ``out_dir``, a parameter of a function inside it, after
    announcing step 1/4."""
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with without_dac_override():
            ran = _run("demo", tmp_path, locked / "demo-output")
    finally:
        locked.chmod(0o755)
    _one_line(ran, f"`--out` cannot make {locked / 'demo-output'} in {locked}")
    assert ran.stdout == ""


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


#: The commands whose --out is a run folder, by the kind each marks it with.
RUNS = {"evaluate": "evaluate", "open-set": "open-set", "compare": "compare",
        "tune": "tune", "cluster": "cluster", "plot": "plot"}


@pytest.mark.parametrize("command", RUNS)
def test_a_folder_of_the_users_own_files_is_not_a_run_folder(command, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "report.md").write_text("my own notes")
    _one_line(_run(command, tmp_path, out), str(out), "not a genriflow run",
              "new or empty folder")
    assert sorted(p.name for p in out.iterdir()) == ["report.md"]
    assert (out / "report.md").read_text() == "my own notes"


@pytest.mark.parametrize("command", RUNS)
def test_another_commands_run_folder_is_refused(command, tmp_path):
    out = tmp_path / "run"
    other = "plot" if command != "plot" else "cluster"
    claim_run_folder(out, kind=other)
    (out / "report.md").write_text("the other run's")
    _one_line(_run(command, tmp_path, out), f"{out} is a genriflow {other} run folder")
    assert (out / "report.md").read_text() == "the other run's"


def test_a_model_folder_is_not_an_evaluation_run_folder(demo_model):
    before = (demo_model / "metrics.json").read_bytes()
    ran = in_process("evaluate", str(demo_model), str(demo_model), "--out", str(demo_model))
    _one_line(ran, f"{demo_model} is a genriflow model folder")
    assert (demo_model / "metrics.json").read_bytes() == before


def test_a_run_folder_is_written_again_by_its_own_command(demo_corpus, tmp_path):
    out = tmp_path / "run"
    first = genriflow.cluster(demo_corpus, out=out, methods=["kmeans"])
    assert (out / MARK).read_text().strip() == "cluster"
    again = genriflow.cluster(demo_corpus, out=out, methods=["kmeans"])
    assert again.folder == first.folder and (out / "clusters.csv").is_file()
    with pytest.raises(ConfigError, match=r"is a genriflow cluster run folder; a plot run"):
        genriflow.plot(demo_corpus, out=out)


def test_run_folders_written_before_the_mark_are_known_by_their_files(tmp_path):
    legacy = {"evaluate": {"metrics.json": "{}", "report.md": "# run"},
              "compare": {"comparison.csv": "model\n"},
              "cluster": {"scores.csv": "", "clusters.csv": ""},
              "plot": {"report.md": "# genriflow pictures: song\n"},
              "tune": {"config.json": '{"command": "tune"}'}}
    for kind, files in legacy.items():
        folder = tmp_path / kind
        folder.mkdir()
        for name, text in files.items():
            (folder / name).write_text(text)
        assert a_run_folder("out", folder, kind=kind) == folder
    assert a_run_folder("out", tmp_path / "new", kind="plot") == tmp_path / "new"
    assert not (tmp_path / "new").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert a_run_folder("out", empty, kind="evaluate") == empty


@pytest.mark.parametrize("command", ["evaluate", "compare", "tune", "cluster", "open-set",
                                     "plot"])
def test_a_run_whose_data_is_missing_claims_no_folder(command, tmp_path):
    # it marked out as its run folder first, and a later run of another command there
    # was refused
    out = tmp_path / "run"
    says = "file not found" if command == "plot" else "no such folder"
    _one_line(_run(command, tmp_path, out), str(tmp_path / "songs"), says)
    assert not out.exists()
    assert a_run_folder("out", out, kind="cluster" if command == "plot" else "plot") == out


def test_the_data_is_checked_before_the_folder_is_claimed(tmp_path):
    song = tmp_path / "song.wav"
    song.write_bytes(b"RIFF")
    with pytest.raises(genriflow.DatasetError, match="not a folder of labelled audio"):
        claim_run_folder(tmp_path / "run", kind="tune", data=song)
    assert not (tmp_path / "run").exists()
    assert claim_run_folder(tmp_path / "run", kind="tune", data=None) == tmp_path / "run"
