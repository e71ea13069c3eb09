"""An error names a parameter as its caller spells it: the Python API's keyword
(``multi_label``) from Python, the option (``--multi-label``) from the command line, which
respells the API's names (:func:`genriflow.cli.common.as_given`)."""

from __future__ import annotations

import pytest

import genriflow
from commandline import in_process
from genriflow.errors import ConfigError
from genriflow.library import Library, LibraryError
from genriflow.models.answers import ModelError


def test_the_api_names_its_keywords_not_the_options(tmp_path):
    with pytest.raises(ConfigError) as raised:
        genriflow.train(tmp_path, model="auto", multi_label=True, out=tmp_path / "run")
    text = str(raised.value)
    assert "name a model for `multi_label` or `calibration`" in text and "--" not in text
    with Library(tmp_path / "library.db") as library, pytest.raises(LibraryError) as raised:
        library.learn("mine")
    assert "(`from_folders`, `from_tag`, `from_playlists`)" in str(raised.value)
    assert "--" not in str(raised.value)


@pytest.mark.parametrize(("argv", "says"), [
    (("train", "DATA", "--model", "auto", "--multi-label"),
     "`--model` is auto, which chooses among single-genre models as they are; name a model "
     "for `--multi-label` or `--calibration` (e.g. logreg, shortchunk-cnn)"),
    (("library", "learn", "mine", "--db", "DB"),
     "give the labels from exactly one source: folders, a tag or playlists "
     "(`--from-folders`, `--from-tag`, `--from-playlist`)"),
])
def test_the_command_line_spells_them_as_its_options(argv, says, tmp_path):
    argv = [str(tmp_path / a) if a in ("DATA", "DB") else a for a in argv]
    ran = in_process(*argv)
    assert ran.returncode == 2 and ran.stderr == f"error: {says}\n", ran.stderr


def test_only_errors_that_name_fields_are_respelt():
    from typer.main import get_command

    from genriflow.cli import app
    from genriflow.cli.common import as_given

    learn = get_command(app).commands["library"].commands["learn"]
    tune = get_command(app).commands["tune"]
    assert as_given(ConfigError("out", "give another `out` or `storage`"), tune) == \
        "`--out` give another `--out` or `--storage`"
    assert as_given(LibraryError("(`from_playlists`, `min_songs`, `no_such`)"), learn) == \
        "(`--from-playlist`, `--min-songs`, `no_such`)"
    # user data in backticks (a model folder named like an option) stays as it is
    assert as_given(ModelError("`out`: not a genriflow model folder"), tune) == \
        "`out`: not a genriflow model folder"
