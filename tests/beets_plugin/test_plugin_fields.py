"""The beets plugin's logic in this process, on an in-memory beets library, no audio:
the fields it sets from a prediction, the genre policy, plans and undo."""

from __future__ import annotations

import json

import numpy as np
import pytest
from beets import config as beets_config
from beets import ui
from beets.library import Item, Library

from beetsplug import genriflow as plugin
from beetsplug.genriflow import categories
from beetsplug.genriflow.fields import sets
from genriflow.inference.predict import Prediction
from genriflow.inference.tags import SongTags

LABELS = ["blues", "hiphop", "jazz", "rock"]


@pytest.fixture
def beets_plugin():
    beets_config.clear()
    beets_config.read(user=False, defaults=True)
    yield plugin.GenriflowPlugin()
    beets_config.clear()


@pytest.fixture
def lib(tmp_path):
    library = Library(str(tmp_path / "beets.db"), str(tmp_path))
    yield library
    library._close()


def _prediction(path: str, probabilities, unknown=None) -> Prediction:
    p = np.asarray(probabilities, float)
    return Prediction(path, LABELS, p, np.array([0.0]), p[None, :], model="test",
                      unknown=unknown, unknown_score=None if unknown is None else 1.0)


def _tags(path: str, vocal: float) -> SongTags:
    moods = [("party", 0.4), ("happy", 0.3), ("chill", 0.2), ("dark", 0.1), ("sad", 0.05)]
    return SongTags(path, [("msd:rock", 0.5)], "vocal" if vocal >= 0.5 else "instrumental",
                    vocal, moods)


def _item(lib: Library, name: str, **fields) -> Item:
    item = Item(path=f"/music/{name}.flac".encode(), title=name, **fields)
    lib.add(item)
    return item


def test_fields_reuse_the_xtractor_names_with_their_meaning():
    fields = plugin.song_fields(_prediction("a.flac", [0.1, 0.2, 0.6, 0.1], unknown=False),
                                _tags("a.flac", 0.8), "test@1")
    assert fields["genriflow_genre"] == "jazz" and fields["genriflow_genres"] == "jazz"
    assert fields["genriflow_confidence"] == pytest.approx(0.6)
    assert fields["genriflow_model"] == "test@1" and fields["genriflow_unknown"] is False
    assert (fields["mood_party"], fields["mood_happy"], fields["mood_relaxed"],
            fields["mood_sad"], fields["genriflow_mood_dark"]) == (0.4, 0.3, 0.2, 0.05, 0.1)
    assert fields["genriflow_mood"] == "party"
    assert "mood_aggressive" not in fields and "danceable" not in fields  # no honest source
    assert fields["voice_instrumental"] == "voice"  # Essentia's values: voice, instrumental
    assert fields["is_voice"] == pytest.approx(0.8)
    assert fields["is_instrumental"] == pytest.approx(0.2)
    assert all(sets(field) for field in fields)  # so a plan of them is read back
    # a model without a reject rule says nothing about "unknown"
    assert "genriflow_unknown" not in plugin.song_fields(
        _prediction("a", [0.1, 0.2, 0.6, 0.1]), None, "m")


def test_genre_is_written_only_when_configured_and_never_over_the_users(beets_plugin, lib):
    field = "genres" if plugin.has_genres_list() else "genre"
    empty, users = _item(lib, "empty"), _item(lib, "mine")
    users[field] = ["Electronic"] if field == "genres" else "Electronic"
    users.store()
    hiphop = _prediction("x", [0.05, 0.8, 0.1, 0.05], unknown=False)
    assert beets_plugin.genre_of(empty, hiphop) == {}  # write_genre: no (the default)
    beets_plugin.config["write_genre"].set(True)
    expected = ["Hip-Hop"] if field == "genres" else "Hip-Hop"  # the canonical map
    assert beets_plugin.genre_of(empty, hiphop)[field] == expected
    assert beets_plugin.genre_of(users, hiphop) == {}  # the user's genre stays
    # genriflow's own earlier genre may be replaced
    beets_plugin.update(empty, beets_plugin.genre_of(empty, hiphop), write=False,
                        pretend=False)
    rock = _prediction("x", [0.05, 0.1, 0.05, 0.8], unknown=False)
    assert beets_plugin.genre_of(empty, rock)[field] == (["Rock"] if field == "genres"
                                                         else "Rock")
    # below the confidence, outside the whitelist, or none of the model's genres: nothing
    assert beets_plugin.genre_of(empty, _prediction("x", [0.3, 0.4, 0.2, 0.1])) == {}
    assert beets_plugin.genre_of(empty, _prediction("x", [0.05, 0.8, 0.1, 0.05],
                                                    unknown=True)) == {}
    beets_plugin.config["whitelist"].set(["Jazz", "Rock"])
    assert beets_plugin.genre_of(empty, hiphop) == {}
    assert beets_plugin.genre_of(empty, rock) != {}
    beets_plugin.config["force"].set(True)  # analysing again is not replacing
    assert beets_plugin.genre_of(users, rock) == {}
    beets_plugin.config["overwrite_genre"].set(True)
    assert beets_plugin.genre_of(users, rock) != {}


def test_pretend_changes_nothing_and_the_plan_records_old_and_new(beets_plugin, lib):
    item = _item(lib, "a", comments="keep")
    item["mood_happy"] = 0.1
    item.store()
    fields = {"mood_happy": 0.7, "genriflow_genre": "jazz", "comments": "keep"}
    changes = beets_plugin.update(item, fields, write=False, pretend=True)
    assert [(c.field, c.old, c.new, c.old_set) for c in changes] == [
        ("mood_happy", 0.1, 0.7, True), ("genriflow_genre", None, "jazz", False)]
    fresh = lib.get_item(item.id)
    assert float(fresh["mood_happy"]) == 0.1 and "genriflow_genre" not in fresh


def test_every_analysed_item_prints_one_line_also_when_nothing_changed(beets_plugin, lib,
                                                                        capsys):
    field = "genres" if plugin.has_genres_list() else "genre"
    item = _item(lib, "a [bold]")
    fields = {"genriflow_genre": "jazz", "genriflow_confidence": 0.6,
              field: ["Jazz"] if field == "genres" else "Jazz"}
    assert beets_plugin.update(item, fields, write=False, pretend=False)
    assert beets_plugin.update(item, fields, write=False, pretend=False) == []  # --force
    assert capsys.readouterr().out.splitlines() == [
        f"/music/a [bold].flac: jazz 60%, {field}=Jazz",
        f"/music/a [bold].flac: jazz 60%, {field}=Jazz (no change)"]


def test_undo_restores_every_field_and_leaves_what_the_user_changed_since(
        beets_plugin, lib, tmp_path):
    field = "genres" if plugin.has_genres_list() else "genre"
    a, b = _item(lib, "a"), _item(lib, "b")
    b["mood_sad"] = 0.5
    b.store()
    before = {i.id: dict(lib.get_item(i.id)) for i in (a, b)}
    genre = ["Jazz"] if field == "genres" else "Jazz"
    changes = []
    for item in (a, b):
        changes += beets_plugin.update(item, {"mood_sad": 0.25, "genriflow_genre": "jazz",
                                              field: genre}, write=False, pretend=False)
    plan = tmp_path / "plan.json"
    plugin.write_plan(plan, changes)
    read = plugin.read_plan(plan)
    assert [c.as_json() for c in read] == [c.as_json() for c in changes]
    # the user changes one field afterwards: undo leaves it and restores the rest
    later = lib.get_item(b.id)
    later["genriflow_genre"] = "my own"
    later.store()
    lines = []
    done, left = plugin.restore(lib, read, undo=True, write=False, pretend=False,
                                log=lines.append)
    assert (done, left) == (5, 1)
    assert any("genriflow_genre changed since the plan" in line for line in lines)
    after_a = dict(lib.get_item(a.id))
    assert after_a == before[a.id]
    after_b = dict(lib.get_item(b.id))
    assert after_b["genriflow_genre"] == "my own"
    del after_b["genriflow_genre"]
    assert after_b == before[b.id]
    # the plan applied again sets exactly its new values where the old ones still stand
    assert plugin.restore(lib, read, undo=False, write=False, pretend=False,
                          log=lines.append) == (5, 1)
    assert float(lib.get_item(a.id)["mood_sad"]) == 0.25  # untyped: no plugin loaded here
    # a plan of another library (or of moved files) names other paths: nothing is touched
    elsewhere = [plugin.Change(c.id, "/elsewhere/x.flac", c.field, c.old, c.new, c.old_set)
                 for c in read]
    assert plugin.restore(lib, elsewhere, undo=True, write=False, pretend=False,
                          log=lines.append) == (0, 6)
    assert float(lib.get_item(a.id)["mood_sad"]) == 0.25


def test_a_plan_undone_or_applied_twice_reports_no_edit_of_the_users(beets_plugin, lib):
    item = _item(lib, "a")
    changes = beets_plugin.update(item, {"mood_sad": 0.25, "genriflow_genre": "jazz"},
                                  write=False, pretend=False)
    before = dict(lib.get_item(item.id))
    for undo in (True, True, False, False):
        lines = []
        done, left = plugin.restore(lib, changes, undo=undo, write=False, pretend=False,
                                    log=lines.append)
        assert left == 0 and not [line for line in lines if "changed since" in line], lines
    # the second of each is a no-op, said so
    assert (done, lines[-1]) == (0, "apply: 0 fields changed, 2 already so, 0 left alone")
    assert dict(lib.get_item(item.id)) == before


def test_a_file_that_is_not_a_plan_is_refused(tmp_path):
    (tmp_path / "x.json").write_text('{"changes": []}')
    with pytest.raises(ui.UserError, match="not a genriflow plan"):
        plugin.read_plan(tmp_path / "x.json")


GOOD = {"id": 1, "path": "/music/a.flac", "field": "mood_sad", "old": None, "new": 0.5,
        "old_set": False}


@pytest.mark.parametrize(("changes", "said"), [
    (None, "without its list of changes"),
    ({"id": 1}, "without its list of changes"),
    ([GOOD, "mood_sad"], "change 2 is not an object"),
    ([{k: v for k, v in GOOD.items() if k != "field"}], "change 1 has no str 'field'"),
    ([{**GOOD, "id": "1"}], "change 1 has no int 'id'"),
    ([{k: v for k, v in GOOD.items() if k != "old"}], "change 1 has no 'old' value"),
    ([{**GOOD, "old_set": "no"}], "'old_set' is not true or false"),
    ([{**GOOD, "note": "mine"}], "change 1 has unknown keys: note"),
    # a plan names only genriflow's fields: --apply never sets (and writes) the user's
    ([GOOD, {**GOOD, "field": "title"}], "change 2: 'title' is not a field genriflow sets"),
    ([{**GOOD, "field": "path", "new": "/etc/passwd"}], "'path' is not a field genriflow"),
])
def test_a_plan_edited_wrongly_is_one_line_naming_the_entry(tmp_path, changes, said):
    plan = tmp_path / "plan [x].json"
    body = {"format": plugin.PLAN_FORMAT, "version": 1}
    plan.write_text(json.dumps(body if changes is None else {**body, "changes": changes}))
    with pytest.raises(ui.UserError) as refused:
        plugin.read_plan(plan)
    assert str(refused.value).startswith(f"{plan}: ") and said in str(refused.value)
    assert "\n" not in str(refused.value)
    plan.write_text(json.dumps({**body, "changes": [GOOD]}))
    assert [c.as_json() for c in plugin.read_plan(plan)] == [GOOD]


def test_categories_from_a_field_skip_items_without_one_value(beets_plugin, lib):
    field = "genres" if plugin.has_genres_list() else "genre"
    for name, shelf in (("a", "calm"), ("b", "calm"), ("c", "loud"), ("d", ""), ("e", "x/y")):
        _item(lib, name, **({"shelf": shelf} if shelf else {}))
    groups = categories.groups(list(lib.items()), "shelf")
    assert {k: [p.rsplit("/", 1)[1] for p in v] for k, v in groups.items()} == {
        "calm": ["a.flac", "b.flac"], "loud": ["c.flac"]}
    two = _item(lib, "f")
    two[field] = ["Rock", "Jazz"] if field == "genres" else "Rock"
    two.store()
    with pytest.raises(ui.UserError, match="needs at least two"):
        categories.groups(list(lib.items()), field)


def test_the_sampling_comes_from_the_configuration(beets_plugin):
    assert beets_plugin.sampling() == {"excerpts": None, "full": False}  # adaptive
    beets_plugin.config["excerpts"].set(6)
    assert beets_plugin.sampling() == {"excerpts": 6, "full": False}
    beets_plugin.config["excerpts"].set(0)
    beets_plugin.config["full"].set(True)
    assert beets_plugin.sampling() == {"excerpts": None, "full": True}


@pytest.mark.parametrize(("key", "zero"), [("jobs", "every core"), ("excerpts", "adaptive")])
def test_a_negative_count_is_named_as_the_setting_the_user_wrote(beets_plugin, key, zero):
    beets_plugin.config[key].set(-2)
    with pytest.raises(ui.UserError) as refused:
        beets_plugin.options()
        beets_plugin.sampling()
    assert str(refused.value) == f"genriflow.{key}: must be 0 ({zero}) or more; got -2"


def test_a_plan_of_one_field_counts_it_in_the_singular(beets_plugin, lib):
    item = _item(lib, "a")
    changes = beets_plugin.update(item, {"genriflow_genre": "jazz"}, write=False,
                                  pretend=False)
    lines = []
    assert plugin.restore(lib, changes, undo=True, write=False, pretend=False,
                          log=lines.append) == (1, 0)
    assert lines[-2].endswith(": 1 field put back"), lines
    assert lines[-1] == "undo: 1 field changed, 0 left alone"


def test_the_plugin_uses_genriflow_s_public_api_alone():
    """The plugin imported read_playlist and PLAYLIST_SUFFIXES from genriflow.library.labels,
    check_name from genriflow.library.configs, counted from genriflow.progress and
    default_store_dir from genriflow.locations: internals that may move. It is a layer over
    the public API (docs/architecture.md): only names in `genriflow.__all__` and
    `genriflow.library.__all__`."""
    import ast
    import importlib
    from pathlib import Path

    import genriflow

    public = {"genriflow": set(genriflow.__all__),
              "genriflow.library": set(importlib.import_module("genriflow.library").__all__)}
    used = []
    for source in sorted(Path(plugin.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("genriflow"):
                used += [(source.name, node.module, a.name) for a in node.names]
            elif isinstance(node, ast.Import):
                used += [(source.name, a.name, None) for a in node.names
                         if a.name.startswith("genriflow")]
            elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                  and node.value.id == "genriflow"):
                used.append((source.name, "genriflow", node.attr))
    assert {"read_playlist", "PLAYLIST_SUFFIXES", "check_name"} <= {u[2] for u in used}
    private = [u for u in used if u[1] not in public or (u[2] is not None
                                                         and u[2] not in public[u[1]])]
    assert private == []
    for module, names in public.items():  # each public name is there to import
        for name in names:
            assert getattr(importlib.import_module(module), name) is not None, (module, name)
