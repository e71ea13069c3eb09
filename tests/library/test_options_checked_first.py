"""The library's options are checked before the index is read or written, each in one place
(:mod:`genriflow.library.selection`, :mod:`genriflow.library.configs`), without NumPy."""

from __future__ import annotations

import pytest

from genriflow.errors import ConfigError
from genriflow.library import Library
from genriflow.library.configs import ClassifyConfig, model_folder, models_dir
from genriflow.library.selection import MOODS
from genriflow.models.base import ModelError


def test_the_light_mood_list_is_the_taggers_moods():
    from genriflow.models.zero_shot import MOOD_TAGS

    assert tuple(MOOD_TAGS) == MOODS


def test_learn_refuses_a_bad_suggest_before_it_scans_the_folders(tmp_path, write_song):
    """``suggest`` used to be checked after the labelled folders were scanned into the index."""
    write_song(tmp_path / "sorted" / "calm" / "a.flac", seed=1)
    write_song(tmp_path / "sorted" / "loud" / "b.flac", seed=2)
    with Library(tmp_path / "index" / "library.db") as library:
        with pytest.raises(ConfigError, match="`suggest` must be at least 0"):
            library.learn("mine", from_folders=tmp_path / "sorted", suggest=-1)
        assert library.songs().empty


def test_a_learnt_model_is_found_beside_the_index_without_opening_it(tmp_path):
    db = tmp_path / "index" / "library.db"
    (models_dir(db) / "mine").mkdir(parents=True)
    (models_dir(db) / "mine" / "config.json").write_text("{}")
    assert ClassifyConfig(model=model_folder("mine", db)).model == models_dir(db) / "mine"
    assert not db.exists()
    with pytest.raises(ModelError, match="`theirs`"):
        ClassifyConfig(model=model_folder("theirs", db))


@pytest.mark.parametrize(("call", "message"), [
    (lambda library: library.songs(threshold="x"),
     "`threshold` must be a number between 0 and 1; got 'x'"),
    (lambda library: library.plan(min_confidence="0.5"),
     "`min_confidence` must be a number between 0 and 1; got '0.5'"),
    (lambda library: library.learn("mine", from_folders="sorted", min_confidence="high"),
     "`min_confidence` must be a number between 0 and 1; got 'high'"),
    (lambda library: library.classify(model=3), "`model` must be a built-in name, .* got int"),
])
def test_a_wrong_type_is_one_config_error_naming_the_option(tmp_path, call, message):
    """A string threshold or a number for a model used to be a TypeError from deep inside."""
    with Library(tmp_path / "library.db") as library, pytest.raises(ConfigError, match=message):
        call(library)


@pytest.mark.parametrize(("call", "message"), [
    (lambda library, music: library.scan(music, progress="no"), "`progress` .* got 'no'"),
    (lambda library, music: library.classify(retry_failed="yes"), "`retry_failed` .* 'yes'"),
    (lambda library, music: library.classify(full=1), "`full` .* got 1"),
    (lambda library, music: library.songs(unsure="yes"), "`unsure` .* got 'yes'"),
    (lambda library, music: library.songs(failed=1), "`failed` .* got 1"),
    (lambda library, music: library.songs(unknown="no"), "`unknown` .* got 'no'"),
    (lambda library, music: library.export(None, embeddings="yes"), "`embeddings` .* 'yes'"),
    (lambda library, music: library.plan(skip_unknown=1), "`skip_unknown` .* got 1"),
    (lambda library, music: library.learn("mine", from_folders=music, save="no"),
     "`save` .* got 'no'"),
    (lambda library, music: library.apply("plan.csv", dry_run=0), "`dry_run` .* got 0"),
    (lambda library, music: library.apply("plan.csv", keep_mtime="no"), "`keep_mtime` .*"),
    (lambda library, music: library.undo(dry_run="yes"), "`dry_run` .* got 'yes'"),
    (lambda library, music: library.playlists("genre", music, skip_unknown="no"),
     "`skip_unknown` .* got 'no'"),
])
def test_a_switch_that_is_not_a_bool_is_refused_before_the_index_is_touched(
        tmp_path, music, call, message):
    """``dry_run=0`` would have written the songs; ``save="no"`` saved the model: a switch
    given as a string or a number was taken for its truth. Nothing is read or written."""
    with Library(tmp_path / "library.db") as library:
        with pytest.raises(ConfigError, match=f"{message}") as caught:
            call(library, music)
        assert "must be True or False" in str(caught.value)
        assert library.songs().empty

