"""``train --out DIR`` over an existing model: DIR holds the old model or the new one,
complete, whatever stops the run (an exception, Ctrl-C, SIGKILL while the new one is
being written)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from commandline import in_process
from genriflow.datasets.splits import SplitConfig
from genriflow.errors import ConfigError
from genriflow.features.dataset import FeatureDataset
from genriflow.features.sets import FeatureConfig
from genriflow.models.folder import load_model
from genriflow.training.classical import TrainConfig
from genriflow.workflows.experiment import train_to_folder
from genriflow.workflows.model_folder import replacing

CONFIG = TrainConfig(model="logreg", split=SplitConfig(method="manifest"))


def _dataset(labels: tuple[str, ...], seed: int) -> FeatureDataset:
    """30 rows per label around separated means; the manifest's split: 20/5/5."""
    rng = np.random.default_rng(seed)
    y = np.repeat(labels, 30)
    parts = np.tile(["train"] * 20 + ["valid"] * 5 + ["test"] * 5, len(labels))
    X = rng.normal(0, 1, (len(y), 6)) + 3 * np.searchsorted(sorted(labels), y)[:, None]
    frame = pd.DataFrame({"path": [f"/x/{i}.wav" for i in range(len(y))], "label": y,
                          "group": None, "split": parts, "key": None})
    return FeatureDataset(frame, X, FeatureConfig(set="msd-musicnn"), "made-up.csv")


OLD, NEW = ("blues", "jazz", "rock"), ("country", "disco", "metal", "pop")

# A child that trains the new model into the folder and stops, half-way through writing
# its weights, until it is killed.
KILLED_SAVE = """
import sys, time
from pathlib import Path
sys.path[:0] = [sys.argv[2], str(Path(sys.argv[2]).parent)]  # this file, tests/
from test_model_folder import CONFIG, NEW, _dataset
from genriflow.models.classical import ClassicalGenreModel
from genriflow.workflows.experiment import train_to_folder

def stuck(self, path):
    path.write_bytes(b"PK half a skops file")
    print("writing", flush=True)
    time.sleep(600)

ClassicalGenreModel.write_weights = stuck
train_to_folder(_dataset(NEW, 1), sys.argv[1], CONFIG)
"""


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def old_model(tmp_path):
    out = tmp_path / "model"
    train_to_folder(_dataset(OLD, 0), out, CONFIG)
    return out, _snapshot(out)


@pytest.mark.subprocess
def test_sigkill_while_the_new_model_is_written_leaves_the_old_one(old_model):
    out, before = old_model
    child = subprocess.Popen([sys.executable, "-c", KILLED_SAVE, str(out),
                              str(Path(__file__).parent)],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "writing"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    assert _snapshot(out) == before  # every file, byte for byte: no mix of old and new
    model = load_model(out)
    assert model.labels == list(OLD)
    # the next run clears what the killed one left and writes the new model whole
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".model.")]
    train_to_folder(_dataset(NEW, 1), out, CONFIG)
    assert load_model(out).labels == list(NEW)
    assert sorted(p.name for p in out.parent.iterdir()) == ["model"]
    assert json.loads((out / "metrics.json").read_text())["test"]["n"] == 20


def test_an_exception_while_writing_leaves_the_old_model_and_no_trace(old_model,
                                                                      monkeypatch):
    from genriflow.models.classical import ClassicalGenreModel

    out, before = old_model

    def interrupted(self, path):
        path.write_bytes(b"PK half")
        raise KeyboardInterrupt

    monkeypatch.setattr(ClassicalGenreModel, "write_weights", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train_to_folder(_dataset(NEW, 1), out, CONFIG)
    assert _snapshot(out) == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["model"]


def test_a_replaced_model_keeps_none_of_the_old_files(old_model):
    out, _ = old_model
    (out / "curves.png").write_bytes(b"an old network's curves")
    train_to_folder(_dataset(NEW, 1), out, CONFIG)
    assert not (out / "curves.png").exists()
    assert load_model(out).labels == list(NEW)


def test_an_old_model_set_aside_by_a_killed_swap_comes_back(tmp_path):
    """Where the exchange is two renames, a kill between them leaves no DIR: the next
    run puts the old model back before anything else."""
    out = tmp_path / "model"
    aside = tmp_path / ".model.old-999999999"  # a pid no process has
    aside.mkdir()
    (aside / "config.json").write_text("{}")
    with pytest.raises(RuntimeError), replacing(out):
        raise RuntimeError("stopped")
    assert (out / "config.json").read_text() == "{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_a_folder_holding_anything_but_a_model_is_refused_before_training(tmp_path):
    songs = tmp_path / "Music"
    songs.mkdir()
    (songs / "song.ogg").write_bytes(b"not to be lost")
    with pytest.raises(ConfigError, match="holds files but no genriflow model"):
        train_to_folder(_dataset(OLD, 0), songs, CONFIG)
    assert (songs / "song.ogg").read_bytes() == b"not to be lost"
    table = tmp_path / "t.csv"
    table.write_text("filename,label\n")
    ran = in_process("train", "--features", table, "--out", songs, "--model", "logreg")
    assert ran.returncode == 2 and ran.stdout == ""
    assert ran.stderr.count("\n") == 1 and "`--out`" in ran.stderr and "Music" in ran.stderr
    assert (songs / "song.ogg").read_bytes() == b"not to be lost"


def test_without_an_atomic_exchange_two_renames_replace_the_model(old_model, monkeypatch):
    import genriflow.workflows.model_folder as model_folder

    out, _ = old_model
    monkeypatch.setattr(model_folder, "_exchange", lambda a, b: False)
    train_to_folder(_dataset(NEW, 1), out, CONFIG)
    assert load_model(out).labels == list(NEW)
    assert sorted(p.name for p in out.parent.iterdir()) == ["model"]
