"""``beet genriflow`` as beets calls it (the subcommand's parser and function), in this
process on a beets library in a temporary folder: what it refuses before it changes
anything, and in one line."""

from __future__ import annotations

import json
import os
import re
import sys
import threading

import confuse
import pytest
import soundfile as sf
from beets import config as beets_config
from beets import ui
from beets.dbcore import types
from beets.library import Item, Library

from beetsplug import genriflow as plugin
from commandline import beet_genriflow, beets_plugin_in
from genriflow.library.configs import models_dir
from sample_audio import SR, tone


@pytest.fixture
def beets_plugin(tmp_path):
    beets_config.clear()
    beets_config.read(user=False, defaults=True)
    found = beets_plugin_in(tmp_path)
    yield found
    beets_config.clear()


@pytest.fixture
def lib(tmp_path):
    song = tmp_path / "music [x]" / "song [bold].flac"
    song.parent.mkdir()
    sf.write(song, tone(4.0), SR)
    library = Library(str(tmp_path / "beets.db"), str(tmp_path))
    library.add(Item(path=bytes(song), title="song"))
    yield library
    library._close()


def _untouched(lib: Library) -> bool:
    return not any(k.startswith("genriflow_") for item in lib.items() for k in item)


@pytest.mark.parametrize(("where", "said"), [
    ("no such folder/plan.json", "no folder"),
    ("plan folder", "it is a folder"),
])
def test_a_plan_that_cannot_be_written_is_refused_before_the_library_changes(
        beets_plugin, lib, tmp_path, where, said):
    (tmp_path / "plan folder").mkdir()
    plan = tmp_path / where
    with pytest.raises(ui.UserError) as refused:
        beet_genriflow(beets_plugin, lib, "-W", "--plan", str(plan))
    assert str(refused.value).startswith(f"cannot write the plan {plan}: {said}")
    assert _untouched(lib)  # nothing set that no plan could undo


def test_every_learnt_categorys_confidence_is_a_number_for_range_queries(tmp_path):
    beets_config.clear()
    beets_config.read(user=False, defaults=True)
    db = tmp_path / "genriflow" / "library.db"
    for name in ("shelf", "my moods"):  # learnt with --learn, applied with --category
        (models_dir(db) / name).mkdir(parents=True)
        (models_dir(db) / name / "config.json").write_text("{}")
    (models_dir(db) / "half-saved").mkdir()  # no config.json: no model
    beets_config["genriflow"]["library"].set(str(db))
    typed = plugin.GenriflowPlugin().item_types
    beets_config.clear()
    assert isinstance(typed["genriflow_shelf_confidence"], types.Float)
    assert isinstance(typed["genriflow_my_moods_confidence"], types.Float)
    assert "genriflow_half_saved_confidence" not in typed
    assert typed["genriflow_shelf_confidence"].parse("0.75") == pytest.approx(0.75)


@pytest.mark.parametrize("configured", [False, True])
def test_a_category_model_not_learnt_is_refused_before_any_audio_is_analysed(
        beets_plugin, lib, tmp_path, configured):
    if configured:
        beets_plugin.config["categories"].set(["nope"])
    with pytest.raises(ui.UserError, match=r"^no category model 'nope': learn it first"):
        beet_genriflow(beets_plugin, lib, "-W", *([] if configured else ["--category", "nope"]))
    assert _untouched(lib)
    store = tmp_path / "store"
    assert not store.exists() or not any(store.rglob("*.*")), "audio analysed in vain"


@pytest.mark.parametrize(("argv", "said"), [
    (["--undo", "a.json", "--apply", "b.json"], "--undo and --apply do not go together"),
    (["--apply", "a.json", "--learn", "x"], "--apply and --learn do not go together"),
    (["--undo", "a.json", "--plan", "b.json"], "--undo does not take --plan"),
    (["--apply", "a.json", "-f", "artist:x"],
     "--apply does not take --force, a QUERY (the plan names its items)"),
    (["--learn", "x", "--from-field", "shelf", "-p"], "--learn does not take --pretend"),
    (["--learn", "x", "--from-field", "shelf", "-c", "y", "-m", "zero-shot"],
     "--learn does not take --category, --model"),
])
def test_an_option_the_action_would_ignore_is_refused(beets_plugin, lib, tmp_path, argv,
                                                      said, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ui.UserError) as refused:
        beet_genriflow(beets_plugin, lib, *argv)
    assert str(refused.value) == said
    assert not (tmp_path / "b.json").exists() and _untouched(lib)
    assert not (tmp_path / "genriflow").exists()  # nothing learnt


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="a pseudo-terminal: POSIX only")
def test_the_command_shows_genriflows_progress_bar_on_a_terminal(beets_plugin, lib,
                                                                   monkeypatch):
    main, side = os.openpty()
    shown: list[bytes] = []

    def drain() -> None:  # a full terminal would block the bar's writes
        while True:
            try:
                data = os.read(main, 65536)
            except OSError:  # the other side closed
                return
            if not data:
                return
            shown.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    with open(side, "w", encoding="utf-8", closefd=True) as terminal:
        monkeypatch.setattr(sys, "stderr", terminal)
        beet_genriflow(beets_plugin, lib, "-W")
        terminal.flush()
        monkeypatch.undo()
    reader.join(timeout=10)
    os.close(main)
    text = b"".join(shown).decode("utf-8", "replace")
    assert "1/1" in text, text  # the bar's songs done of songs
    assert "song [bold].flac" not in text  # the results go to standard output, not here
    assert not _untouched(lib)


def test_a_mistyped_categories_setting_leaves_the_plugin_loaded_and_is_reported(
        beets_plugin, lib):
    beets_config["genriflow"]["categories"].set(7)
    found = plugin.GenriflowPlugin()  # loaded: every other beet command works
    # beets prints a confuse error as one line: configuration error: ...
    with pytest.raises(confuse.ConfigError, match=r"^genriflow\.categories: must be"):
        beet_genriflow(found, lib, "-W")
    assert _untouched(lib)


@pytest.mark.parametrize(("name", "said"), [
    ("../evil", "model name '../evil': use letters, digits"),
    ("gtzan", "model name 'gtzan' is a built-in model's"),
])
def test_a_category_name_that_cannot_be_saved_is_refused_before_the_scan(
        beets_plugin, lib, tmp_path, name, said):
    song = next(iter(lib.items())).path
    for shelf in ("calm", "loud"):  # two categories: learning would go on to the scan
        lib.add(Item(path=song.replace(b"song", shelf.encode()), shelf=shelf))
    with pytest.raises(ui.UserError, match=re.escape(said)):
        beet_genriflow(beets_plugin, lib, "--learn", name, "--from-field", "shelf")
    assert not (tmp_path / "genriflow").exists()  # no index made, no song scanned


@pytest.mark.parametrize("argv", [
    ["-W", "title:nothing like it", "artist:x"],
    ["--plan", "plan.json", "title:nothing like it", "artist:x"],
    ["--learn", "x", "--from-field", "shelf", "title:nothing like it", "artist:x"],
])
def test_a_query_matching_nothing_says_so_in_one_line(beets_plugin, lib, tmp_path, argv,
                                                      monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    beet_genriflow(beets_plugin, lib, *argv)  # no error: beets' status 0, as for `beet ls`
    assert capsys.readouterr().out == "no items match 'title:nothing like it' artist:x\n"
    assert _untouched(lib) and not (tmp_path / "plan.json").exists()
    assert not (tmp_path / "genriflow").exists()  # nothing learnt


def test_an_empty_library_says_so(beets_plugin, tmp_path, capsys):
    empty = Library(str(tmp_path / "empty.db"), str(tmp_path))
    capsys.readouterr()  # beets' own lines of a new database
    beet_genriflow(beets_plugin, empty, "-W")
    empty._close()
    assert capsys.readouterr().out == "no items in the library\n"


def test_a_plan_that_is_an_undo_is_never_overwritten_but_a_review_may_be(
        beets_plugin, lib, tmp_path, capsys):
    review, plan, notes = tmp_path / "review.json", tmp_path / "plan.json", tmp_path / "n.txt"
    # the documented review loop: --pretend --plan, as often as wanted, then --apply
    for _ in range(2):
        beet_genriflow(beets_plugin, lib, "-W", "--pretend", "--plan", str(review))
    assert _untouched(lib) and json.loads(review.read_text())["pretend"] is True
    beet_genriflow(beets_plugin, lib, "-W", "--apply", str(review))
    assert not _untouched(lib) and json.loads(review.read_text())["applied"]
    # now the undo of that --apply, and a run's plan the undo of its run: both kept
    beet_genriflow(beets_plugin, lib, "-W", "--force", "--plan", str(plan))
    notes.write_text("my notes\n")
    kept = {p: p.read_bytes() for p in (review, plan, notes)}
    for target, said in ((review, "it was applied with --apply ("),
                         (plan, "it is the undo of an earlier run's changes; name another"),
                         (notes, "it exists and is not a genriflow plan")):
        for pretend in ([], ["--pretend"]):
            with pytest.raises(ui.UserError) as refused:
                beet_genriflow(beets_plugin, lib, "-W", "--force", *pretend, "--plan", str(target))
            assert str(refused.value).startswith(f"cannot write the plan {target}: {said}")
    assert {p: p.read_bytes() for p in kept} == kept
    capsys.readouterr()
    beet_genriflow(beets_plugin, lib, "-W", "--undo", str(review))  # and each still undoes
    assert "undo: " in capsys.readouterr().out


def test_help_names_each_options_default_from_the_configuration(beets_plugin):
    # -m and -f said nothing of their defaults, the config's model and force
    beets_plugin.config["model"].set("zero-shot")
    shown = " ".join(beets_plugin.commands()[0].parser.format_help().split())
    assert "a built-in model name or a model folder (default: the config's model, now " \
           "zero-shot)" in shown
    assert "already analysed (default: the config's force, now no)" in shown
    assert "(with write_genre: yes; default: beets' import.write)" in shown
