"""The public API as a notebook user pokes it: a wrong type or value for any argument is a
one-line :class:`genriflow.GenriflowError` naming the argument, never an exception from
deep inside (``TypeError: expected str, bytes or os.PathLike``, ``AttributeError``)."""

from __future__ import annotations

import numpy as np
import pytest

import genriflow


def _prediction() -> genriflow.Prediction:
    return genriflow.Prediction("song.wav", ["blues", "jazz", "rock"],
                                np.array([0.2, 0.5, 0.3]), np.array([0.0]),
                                np.array([[0.2, 0.5, 0.3]]))


def test_top_lists_k_genres_and_says_when_k_is_no_count():
    prediction = _prediction()
    assert [genre for genre, _ in prediction.top(2)] == ["jazz", "rock"]
    assert len(prediction.top(10)) == 3 and len(prediction.top()) == 3
    # top(-1) listed every genre but the least probable; top("2") a TypeError from slicing
    for k, says in ((-1, "`k` must be at least 1; got -1"),
                    (0, "`k` must be at least 1; got 0"),
                    ("2", "`k` must be a whole number; got '2'"),
                    (1.5, "`k` must be a whole number; got 1.5")):
        with pytest.raises(genriflow.ConfigError) as raised:
            prediction.top(k)
        assert str(raised.value) == says


@pytest.mark.parametrize(("options", "says"), [
    ({"store": 123}, "`store` must be a path (str or os.PathLike); got int"),
    ({"store": ["/tmp/store"]}, "`store` must be a path (str or os.PathLike); got list"),
    ({"store": ""}, "`store` must be a folder's path, not empty (None: no store)"),
    ({"engine": "ray", "address": 6379},
     "`address` must be auto, HOST:PORT or ray://HOST:PORT (a str); got int"),
])
def test_run_options_name_a_bad_store_or_address(options, says):
    """``RunOptions(store=123)`` raised Path's TypeError, ``store=""`` kept the feature
    store in the working folder, and a numeric ``address`` an AttributeError."""
    with pytest.raises(genriflow.ConfigError) as raised:
        genriflow.RunOptions(**options)
    assert str(raised.value) == says


def test_run_options_keep_a_good_store_as_a_path(tmp_path):
    assert genriflow.RunOptions(store=str(tmp_path)).store == tmp_path
    assert genriflow.RunOptions(store=None).store is None


#: A call with one argument of the wrong type, and the one line it says; ``DATA`` and
#: ``OUT`` are folders that do not exist: each is refused before anything is read or made.
WRONG_TYPES = [
    ("extract_features", {"feature_sets": None},
     "`feature_sets` must be a name or a list of names; got NoneType"),
    ("extract_features", {"options": {"n_jobs": 1}},
     "`options` must be a genriflow.RunOptions or None; got dict"),
    ("train", {"model": None}, "`model` must be a model's name (a str such as auto or svm); "
     "got NoneType"),
    ("train", {"model": "svm", "options": 2},
     "`options` must be a genriflow.RunOptions or None; got int"),
    ("tune", {"model": 3}, "`model` must be a model's name (a str such as svm); got int"),
    ("tune", {"model": "svm", "space": 3}, "`space` must be a path (str or os.PathLike); got int"),
    ("tune", {"model": "svm", "storage": 3}, "`storage` must be an Optuna storage URL (a str "
     "such as sqlite:///tune.db) or None; got int"),
    ("tune", {"model": "svm", "options": 3},
     "`options` must be a genriflow.RunOptions or None; got int"),
    ("compare", {"models": 3}, "`models` must be a name or a list of names; got int"),
    ("cluster", {"methods": None}, "`methods` must be a name or a list of names; got NoneType"),
    ("open_set", {"model": "gtzan-table", "scores": None},
     "`scores` must be a name or a list of names; got NoneType"),
    ("plot", {"options": 3}, "`options` must be a genriflow.RunOptions or None; got int"),
]


@pytest.mark.parametrize(("name", "arguments", "says"), WRONG_TYPES)
def test_a_wrong_type_is_one_line_naming_the_argument(name, arguments, says, tmp_path):
    """These raised TypeError ('NoneType' object is not iterable), AttributeError ('int'
    object has no attribute 'partition') or Path's TypeError from inside, some of them
    after the data was read or the run folder made."""
    arguments = dict(arguments)
    if name != "extract_features":
        arguments["out"] = tmp_path / "out"
    with pytest.raises(genriflow.ConfigError) as raised:
        getattr(genriflow, name)(tmp_path / "songs", **arguments)
    assert str(raised.value) == says
    assert not (tmp_path / "out").exists()


def test_one_name_is_one_name_not_its_letters(tmp_path):
    """``scores="energy"`` was read as the scores 'e', 'n', ... (`got 'e'`)."""
    with pytest.raises(genriflow.DatasetError, match="no such folder"):
        genriflow.open_set(tmp_path / "songs", model="gtzan-table", out=tmp_path / "out",
                           scores="energy")


def test_the_options_of_a_song_function_are_checked_first(tmp_path):
    for call in (lambda: genriflow.tag(tmp_path / "song.wav", options=3),
                 lambda: genriflow.similar(None, tmp_path, options=3),
                 lambda: genriflow.Classifier("zero-shot", options=[])):
        with pytest.raises(genriflow.ConfigError, match="^`options` must be a genriflow"):
            call()
    with genriflow.Library(tmp_path / "library.db") as library, \
            pytest.raises(genriflow.ConfigError, match="^`options` must be a genriflow"):
        library.similar(tmp_path / "song.wav", options="fast")  # an empty index said []


@pytest.mark.parametrize(("model", "rows", "says"), [
    ("gtzan-table", np.zeros(57), "`X` must be 2-D, (n_samples, n_features); got shape (57,)"),
    ("gtzan-table", np.zeros((2, 10)),
     "`X` has 10 features per row; the gtzan-table model reads 57 (kaggle)"),
    ("gtzan", np.zeros((1, 57)),
     "`X` has 57 features per row; the gtzan model reads at least 3512 (musicnn)"),
    ("library-genres", np.zeros((1, 57)),
     "`X` has 57 features per row; the library-genres model reads at least 100 (musicnn)"),
    ("zero-shot", np.zeros((1, 57)),
     "`X` has 57 features per row; the zero-shot model reads 100 (musicnn-tags)"),
    ("zero-shot", "rows", "`X` must be an array of numbers; got str"),
])
def test_predict_proba_says_what_rows_the_model_reads(model, rows, says):
    """A 1-D row or a table of another feature set raised IndexError ('index 11 is out of
    bounds for axis 1 with size 10') from inside the model's columns."""
    loaded = genriflow.load_model(model)
    for method in (loaded.predict_proba, loaded.predict):
        with pytest.raises(genriflow.ConfigError) as raised:
            method(rows)
        assert str(raised.value) == says


def test_predict_proba_takes_the_rows_it_reads_as_any_array_like():
    model = genriflow.load_model("gtzan-table")
    as_list = model.predict_proba([[1.0] * 57, [2.0] * 57])
    np.testing.assert_allclose(as_list, model.predict_proba(np.ones((2, 57), np.float32)
                                                            * [[1.0], [2.0]]), atol=1e-9)
    assert as_list.shape == (2, 10)
    np.testing.assert_allclose(as_list.sum(axis=1), 1.0, atol=1e-9)
    head = genriflow.load_model("gtzan")
    assert head.predict(np.zeros((3, 3512))).shape == (3,)


@pytest.mark.parametrize("column", [np.array(["a.mp3", "b.mp3"]),
                                    np.array(["a.mp3", "b.mp3"], dtype=object)])
def test_an_array_of_paths_is_not_taken_for_a_waveform(column):
    """``classify(df["path"].to_numpy())`` said `sr` was needed with a waveform."""
    for call in (lambda: genriflow.classify(column), lambda: genriflow.tag(column, sr=22050),
                 lambda: genriflow.analyse(column)):
        with pytest.raises(genriflow.ConfigError) as raised:
            call()
        assert str(raised.value) == (
            f"`audio` is an array of {column.dtype} values, not a waveform (numbers); give "
            "several files as a list of paths (array.tolist())")


def test_a_library_names_an_argument_of_the_wrong_type(tmp_path):
    """Each raised from inside: Path's or sqlite's TypeError, 'int' object has no attribute
    'lower', and ``apply(3)`` opened, read and closed file descriptor 3 of the process."""
    with pytest.raises(genriflow.ConfigError, match=r"^`db` must be a path .*got int$"):
        genriflow.Library(3)
    calls = [
        (lambda lib: lib.scan(None), "`dirs` must be a path or a list of paths (str or "
         "os.PathLike); got NoneType"),
        (lambda lib: lib.scan([tmp_path, 3]), "`dirs` must be a path or a list of paths (str "
         "or os.PathLike); got a list holding int"),
        (lambda lib: lib.songs(genre=3), "`genre` must be a name (a str) or None; got int"),
        (lambda lib: lib.export(3), "`path` must be a path (str or os.PathLike); got int"),
        (lambda lib: lib.similar(np.zeros(22050)), "`song` must be a path (str or "
         "os.PathLike); got ndarray"),
        (lambda lib: lib.apply(3), "`plan` must be a path (str or os.PathLike); got int"),
        (lambda lib: lib.undo("1"), "`run` must be a whole number; got '1'"),
    ]
    with genriflow.Library(tmp_path / "library.db") as library:
        for call, says in calls:
            with pytest.raises(genriflow.ConfigError) as raised:
                call(library)
            assert str(raised.value) == says
        with pytest.raises(genriflow.LibraryError, match="^model name 3: use letters"):
            library.learn(3, from_folders=tmp_path)
        # one playlist is one name: "rock" was looked for as the playlists 'r', 'o', ...
        with pytest.raises(genriflow.LibraryError, match="^rock: no such playlist"):
            library.learn("mine", from_playlists="rock")
        (tmp_path / "music").mkdir()
        assert library.scan(p for p in [tmp_path / "music"]).new == 0  # a generator of folders


def test_target_tpr_is_a_share_not_a_switch(tmp_path):
    """``open_set(target_tpr=True)`` ran as 1.0; a NumPy float32 share was refused."""
    with pytest.raises(genriflow.ConfigError, match="^`target_tpr` must be a share above 0 "
                       "and at most 1; got True$"):
        genriflow.open_set(tmp_path / "songs", model="gtzan-table", out=tmp_path / "out",
                           target_tpr=True)
    with pytest.raises(genriflow.DatasetError, match="no such folder"):  # checked, then read
        genriflow.open_set(tmp_path / "songs", model="gtzan-table", out=tmp_path / "out",
                           target_tpr=np.float32(0.9))


def test_a_tilde_in_the_environment_is_the_home_folder(monkeypatch, tmp_path):
    """``%env GENRIFLOW_STORE=~/store`` in a notebook (or a ``.env`` file) leaves the ``~``
    unexpanded; the store was then a folder named ``~`` in the current folder."""
    from genriflow.library.db import default_db_path
    from genriflow.locations import store_field

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GENRIFLOW_STORE", "~/features")
    monkeypatch.setenv("GENRIFLOW_LIBRARY_DB", "~/music/library.db")
    assert genriflow.default_store_dir() == tmp_path / "features"
    assert store_field(tmp_path / "features") == "GENRIFLOW_STORE"  # errors still name it
    assert default_db_path() == tmp_path / "music" / "library.db"


@pytest.mark.parametrize(("name", "arguments", "field"), [
    ("compare", {"models": ["logreg", "svm", "logreg"]}, "models"),
    ("cluster", {"methods": ("kmeans", "kmeans")}, "methods"),
    ("open_set", {"model": "gtzan-table", "scores": ["energy", "energy"]}, "scores"),
])
def test_a_list_names_each_item_once(name, arguments, field, tmp_path):
    """``compare(models=["logreg", "logreg"])`` trained it twice into one folder and listed
    it twice; a repeated clustering method or score was run and tabled twice."""
    with pytest.raises(genriflow.ConfigError) as raised:
        getattr(genriflow, name)(tmp_path / "songs", out=tmp_path / "out", **arguments)
    repeated = arguments[field][-1]
    assert str(raised.value) == f"`{field}` names {repeated!r} more than once"
    assert not (tmp_path / "out").exists()
