"""Ctrl-C during ``beet genriflow``: the items analysed so far stay stored (with their plan,
whose undo puts them back), one line says so, and a run again analyses only the rest.

In this process, the interruption raised from genriflow's analysis of the second batch;
the last test sends a real SIGINT to a real ``beet``."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import soundfile as sf
from beets import config as beets_config
from beets.library import Item, Library

import genriflow.api
from beetsplug.genriflow import plugin as plugin_module
from beetsplug.genriflow.fields import sets
from commandline import beet_genriflow, beets_plugin_in
from sample_audio import SR, tone

SONGS = 5


@pytest.fixture
def beets_plugin(tmp_path, monkeypatch):
    beets_config.clear()
    beets_config.read(user=False, defaults=True)
    found = beets_plugin_in(tmp_path)
    # its fields' types, as beets registers a loaded plugin's (genriflow_unknown a bool)
    monkeypatch.setattr(Item, "_types", {**Item._types, **found.item_types})
    # two items a batch (one worker: the batch is no larger), so five make three batches;
    # not raising: the code before batches had no such setting
    monkeypatch.setattr(plugin_module, "BATCH", 2, raising=False)
    yield found
    beets_config.clear()


@pytest.fixture
def lib(tmp_path):
    music = tmp_path / "music [x]"
    music.mkdir()
    library = Library(str(tmp_path / "beets.db"), str(tmp_path))
    for n in range(SONGS):
        song = music / f"{n} [bold].flac"
        sf.write(song, tone(4.0, freq=220.0 * (n + 1), seed=n), SR)
        library.add(Item(path=bytes(song), title=f"song {n}"))
    yield library
    library._close()


def _fields(lib: Library) -> dict[int, dict]:
    """Every item's fields that genriflow sets, as stored."""
    return {i.id: {k: i[k] for k in i if sets(k)} for i in lib.items()}


def _analysed(lib: Library) -> set[str]:
    return {os.fsdecode(i.path) for i in lib.items() if "genriflow_model" in i}


def _stopping_at(monkeypatch, songs: int) -> list[str]:
    """genriflow's analysis, interrupted (as by Ctrl-C) when asked for more than ``songs``
    songs in all; returns the list of the songs it analysed."""
    real, asked = genriflow.api.analyse, []

    def analyse(paths, **kwargs):
        if len(asked) + len(paths) > songs:
            raise KeyboardInterrupt
        asked.extend(paths)
        return real(paths, **kwargs)

    monkeypatch.setattr(genriflow, "analyse", analyse)
    return asked


def test_ctrl_c_keeps_what_was_stored_its_plan_undoes_it_and_a_rerun_does_the_rest(
        beets_plugin, lib, tmp_path, monkeypatch, capsys):
    before = _fields(lib)
    plan = tmp_path / "plan.json"
    first = _stopping_at(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):  # beets' own handling of Ctrl-C takes it
        beet_genriflow(beets_plugin, lib, "-W", "--plan", str(plan))
    said = capsys.readouterr().out.splitlines()
    assert len(first) == 2 and _analysed(lib) == set(first)
    assert said[-2] == ("interrupted: 2 items analysed and stored; run it again to analyse "
                        "only the rest"), said
    recorded = json.loads(plan.read_text())
    assert recorded["pretend"] is False
    assert said[-1] == f"plan: {len(recorded['changes'])} changes recorded in {plan}"
    assert {c["path"] for c in recorded["changes"]} == set(first)

    rest = _stopping_at(monkeypatch, SONGS)
    beet_genriflow(beets_plugin, lib, "-W")
    assert capsys.readouterr().out.splitlines()[0] == (
        "2 items already analysed by gtzan@genriflow-0.1.0 (--force analyses them again)")
    assert len(rest) == SONGS - 2 and not set(rest) & set(first)
    assert len(_analysed(lib)) == SONGS
    done = _fields(lib)

    beet_genriflow(beets_plugin, lib, "-W", "--undo", str(plan))
    undone = _fields(lib)
    for item in lib.items():  # the interrupted run's items as before it, the others kept
        assert undone[item.id] == (before if os.fsdecode(item.path) in first
                                   else done)[item.id]


def test_ctrl_c_while_pretending_stores_nothing_and_writes_no_plan(beets_plugin, lib,
                                                                    tmp_path, monkeypatch,
                                                                    capsys):
    plan = tmp_path / "plan.json"
    _stopping_at(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        beet_genriflow(beets_plugin, lib, "-p", "--plan", str(plan))
    said = capsys.readouterr().out.splitlines()
    assert said[-1] == "interrupted: 2 items analysed, nothing stored (--pretend)", said
    assert not _analysed(lib) and not plan.exists()


def test_ctrl_c_of_a_forced_run_says_to_run_it_again_without_force(beets_plugin, lib,
                                                                   monkeypatch, capsys):
    _stopping_at(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        beet_genriflow(beets_plugin, lib, "-W", "-f")
    assert capsys.readouterr().out.splitlines()[-1] == (
        "interrupted: 2 items analysed and stored; run it again without --force to analyse "
        "only the rest")


def test_ctrl_c_while_a_batch_is_stored_stores_the_whole_batch_first(
        beets_plugin, lib, monkeypatch, capsys):
    """beets commits what a store cut halfway had written: an item with some of its
    fields, not counted as stored. Ctrl-C while a batch is stored waits for the batch."""
    real, calls = Item.store, []

    def store(item, *args, **kwargs):
        calls.append(item.id)
        if len(calls) == 1:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C as the first item is stored
        return real(item, *args, **kwargs)

    monkeypatch.setattr(Item, "store", store)
    with pytest.raises(KeyboardInterrupt):
        beet_genriflow(beets_plugin, lib, "-W")
    said = capsys.readouterr().out.splitlines()
    assert len(calls) == 2 and len(_analysed(lib)) == 2
    assert said[-1].startswith("interrupted: 2 items analysed and stored;"), said


def test_sigint_to_beet_keeps_the_batches_stored_and_exits_as_beets_does(tmp_path):
    """A real ``beet genriflow`` in a subprocess, sent SIGINT once its first batch is
    stored: the interrupted line, the batch kept, and beets' exit for an interruption."""
    src = Path(__file__).resolve().parents[2] / "src"
    music, beetsdir = tmp_path / "music", tmp_path / "beets"
    music.mkdir()
    beetsdir.mkdir()
    (beetsdir / "config.yaml").write_text(
        f"directory: {music}\nlibrary: {beetsdir / 'library.db'}\nplugins: genriflow\n"
        f"import:\n  write: no\n  copy: no\ngenriflow:\n  store: {tmp_path / 'store'}\n"
        "  jobs: 1\n")
    batch = plugin_module.BATCH if hasattr(plugin_module, "BATCH") else 16
    songs = 4 * batch
    for n in range(songs):
        sf.write(music / f"{n:02d}.wav", tone(3.0, freq=110.0 * (n + 1), seed=n), SR)
    env = {**os.environ, "BEETSDIR": str(beetsdir),
           "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")])}
    beet = [sys.executable, "-m", "beets"]
    subprocess.run([*beet, "import", "-A", "-q", str(music)], env=env, check=True,
                   capture_output=True, timeout=300)
    running = subprocess.Popen([*beet, "genriflow", "-W"], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def stored() -> int:
        with sqlite3.connect(beetsdir / "library.db") as db:
            return db.execute("SELECT COUNT(*) FROM item_attributes WHERE key = "
                              "'genriflow_model'").fetchone()[0]

    deadline = time.monotonic() + 300
    while stored() == 0 and running.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    running.send_signal(signal.SIGINT)
    out, err = running.communicate(timeout=120)
    kept = stored()
    assert 0 < kept < songs and kept % batch == 0, (out, err)  # whole batches
    assert f"interrupted: {kept} items analysed and stored; run it again to analyse only " \
           "the rest" in out.splitlines(), (out, err)
    assert "Traceback" not in err, err
    assert running.returncode == 0, err  # as beets ends on Ctrl-C (silently, status 0)
