"""``beet genriflow`` with own categories, as beets calls it in this process, on six
generated songs in a beets library in a temporary folder: what a run with ``--category``
says, category names whose fields would collide, and the songs of ``--from-playlist``."""

from __future__ import annotations

import pytest
import soundfile as sf
from beets import config as beets_config
from beets import ui
from beets.library import Item, Library

from commandline import beet_genriflow, beets_plugin_in
from sample_audio import SR, tone


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """Six songs (three ``calm``, three ``loud`` in the field ``shelf``), genriflow's store
    and index, and the category model ``my-shelf`` learnt from them: made once."""
    root = tmp_path_factory.mktemp("categories")
    music = root / "music [x]"
    music.mkdir()
    for n, (shelf, freq) in enumerate([("calm", 220.0), ("calm", 247.0), ("calm", 262.0),
                                       ("loud", 880.0), ("loud", 988.0), ("loud", 1047.0)]):
        sf.write(music / f"{shelf} {n}.flac", tone(4.0, freq, seed=n), SR)
    beets_config.clear()
    beets_config.read(user=False, defaults=True)
    found = beets_plugin_in(root)
    library = _library(root, root / "learn.db")
    beet_genriflow(found, library, "--learn", "my-shelf", "--from-field", "shelf")
    library._close()
    beets_config.clear()
    return root


def _library(root, db) -> Library:
    library = Library(str(db), str(root))
    for song in sorted((root / "music [x]").glob("*.flac")):
        library.add(Item(path=bytes(song), title=song.stem, shelf=song.stem.split()[0]))
    return library


@pytest.fixture
def beets_plugin(shared):
    beets_config.clear()
    beets_config.read(user=False, defaults=True)
    yield beets_plugin_in(shared)
    beets_config.clear()


@pytest.fixture
def lib(shared, tmp_path):
    library = _library(shared, tmp_path / "beets.db")
    yield library
    library._close()


def test_a_category_run_says_nothing_of_the_genre_analysis_it_did_not_make(
        beets_plugin, lib, capsys):
    beet_genriflow(beets_plugin, lib, "-W")  # the genre analysis of every item
    capsys.readouterr()
    beet_genriflow(beets_plugin, lib, "-W", "--category", "my-shelf")
    out = capsys.readouterr().out
    assert "already analysed" not in out, out
    assert len([line for line in out.splitlines() if "genriflow_my_shelf=" in line]) == 6, out
    assert all(item.get("genriflow_my_shelf") in {"calm", "loud", "unsure"}
               for item in lib.items())
    # the runs that are asked for the genre analysis still say what it skipped
    beet_genriflow(beets_plugin, lib, "-W")
    assert "6 items already analysed by gtzan@" in capsys.readouterr().out
    beet_genriflow(beets_plugin, lib, "-W", "--category", "my-shelf")
    assert capsys.readouterr().out == (
        "6 items already in categories by my-shelf (--force applies it again)\n")


def _untouched(lib: Library) -> bool:
    return not any(k.startswith("genriflow_") for item in lib.items() for k in item)


@pytest.mark.parametrize(("name", "said"), [
    ("my_shelf", "category name 'my_shelf' would set the field genriflow_my_shelf, as the "
                 "learnt category 'my-shelf' does; choose another name"),
    ("My.Shelf", "category name 'My.Shelf' would set the field genriflow_My_Shelf, as the "
                 "learnt category 'my-shelf' does; choose another name"),
    ("my-shelf_model", "category name 'my-shelf_model' would set the field "
                       "genriflow_my_shelf_model, as the learnt category 'my-shelf' does; "
                       "choose another name"),
    ("mood_calm", "category name 'mood_calm' is taken by a genriflow field"),
])
def test_a_category_name_whose_field_is_taken_is_refused_before_it_is_learnt(
        beets_plugin, lib, shared, name, said):
    with pytest.raises(ui.UserError) as refused:
        beet_genriflow(beets_plugin, lib, "--learn", name, "--from-field", "shelf")
    assert str(refused.value) == said
    assert sorted(p.name for p in (shared / "genriflow" / "models").iterdir()) == [
        "my-shelf"]


def test_two_categories_setting_one_field_are_refused_before_any_analysis(
        beets_plugin, lib, shared):
    with pytest.raises(ui.UserError) as refused:
        beet_genriflow(beets_plugin, lib, "-W", "--category", "my-shelf", "--category", "my_shelf")
    assert str(refused.value) == ("categories 'my-shelf' and 'my_shelf' would both set "
                                  "the field genriflow_my_shelf; apply one of them at a time")
    assert _untouched(lib)


def test_a_playlists_songs_that_are_not_items_are_named_and_left_out(
        beets_plugin, lib, shared, tmp_path, capsys):
    music = shared / "music [x]"
    stray = music / "stray.wav"  # beside the items, so genriflow's scan indexes it
    sf.write(stray, tone(4.0, 500.0, seed=9), SR)
    elsewhere = tmp_path / "elsewhere.flac"
    sf.write(elsewhere, tone(4.0, 600.0, seed=8), SR)
    for shelf, extra in (("calm", [stray, elsewhere]), ("loud", [])):
        (tmp_path / f"{shelf}.m3u8").write_text("\n".join(
            [*(str(p) for p in sorted(music.glob(f"{shelf} *.flac"))),
             *(str(p) for p in extra)]) + "\n")
    try:
        beet_genriflow(beets_plugin, lib, "--learn", "lists", "--from-playlist",
             str(tmp_path / "calm.m3u8"), "--from-playlist", str(tmp_path / "loud.m3u8"))
    finally:
        stray.unlink()
    out = capsys.readouterr().out
    assert f"{tmp_path / 'calm.m3u8'}: 2 songs not in the beets library, left out: " \
           f"{stray}, {elsewhere}\n" in out, out
    assert "lists: 2 categories, 6 songs; cross-validated" in out, out  # not 7
    assert "loud.m3u8: " not in out
    # with a QUERY, the songs of other items are not among them either
    with pytest.raises(ui.UserError):  # one category left: too few to learn
        beet_genriflow(beets_plugin, lib, "--learn", "lists2", "--from-playlist",
             str(tmp_path / "calm.m3u8"), "--from-playlist", str(tmp_path / "loud.m3u8"),
             "shelf:loud")
    assert f"{tmp_path / 'calm.m3u8'}: 5 songs not items of the query shelf:loud, left " \
           "out: " in capsys.readouterr().out
