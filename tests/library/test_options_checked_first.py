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

