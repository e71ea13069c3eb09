"""What a notebook shows of a result: short, whatever the size of the batch or library."""

from __future__ import annotations

import pickle

from genriflow import Library, Predictions, SimilarSongs
from genriflow.audio import AudioError, AudioErrorKind
from genriflow.inference.similar import IndexUpdate


def test_a_batch_shows_its_first_results_and_how_many_more():
    songs = [f"/music/{i:04d}.flac" for i in range(1000)]
    errors = [AudioError(f"/music/bad-{i}.mp3", "cannot be read", AudioErrorKind.UNREADABLE)
              for i in range(5)]
    batch = Predictions(songs, errors)
    shown = repr(batch)
    assert shown.startswith("Predictions(['/music/0000.flac', '/music/0001.flac', "
                            "'/music/0002.flac', ... 997 more], errors=[")
    assert shown.endswith(", ... 2 more])") and len(shown) < 600, shown
    assert repr(Predictions(songs[:2])) == \
        "Predictions(['/music/0000.flac', '/music/0001.flac'], errors=[])"
    again = pickle.loads(pickle.dumps(batch))  # all of it is still there
    assert list(again) == songs and list(map(str, again.errors)) == list(map(str, errors))


def test_similar_songs_and_a_library_say_what_they_are_in_one_short_line(tmp_path):
    library = [f"/music/{i:04d}.flac" for i in range(2000)]
    found = SimilarSongs(neighbours=[(library[1], 0.91234), (library[2], 0.5)],
                         update=IndexUpdate(added=library, removed=library[:3]),
                         index=library, precision=0.6251)
    assert repr(found) == ("SimilarSongs(neighbours=[('/music/0001.flac', 0.912), "
                           "('/music/0002.flac', 0.5)], index=2000 songs, update=2000 added, "
                           "0 changed, 3 removed, 0 failed, precision=0.625)")
    with Library(tmp_path / "[x] library.db") as index:
        assert repr(index) == f"Library({str(tmp_path / '[x] library.db')!r})"


def test_a_song_answer_names_its_song_once_and_rounds_its_scores():
    import numpy as np

    from genriflow.inference.pipeline import SongAnswer
    from genriflow.inference.predict import Prediction
    from genriflow.inference.tags import SongTags

    path = "/music/a rather long folder name/some song.flac"
    prediction = Prediction(path, ["jazz", "rock"], np.array([0.25, 0.75]), np.array([0.0]),
                            np.array([[0.25, 0.75]]), "gtzan")
    tags = SongTags(path, [("msd:rock", 0.912345678)], "vocal", 0.7654321,
                    [("energetic", 0.81234), ("calm", 0.1)])
    shown = repr(SongAnswer(path, prediction, tags))
    assert shown.count(path) == 1, shown  # it was three times
    assert shown == (f"SongAnswer(path={path!r}, prediction=Prediction(model='gtzan', "
                     "top=[('rock', 0.75), ('jazz', 0.25)], unknown=None, unsure=False, "
                     "windows=1), tags=SongTags(top=[('msd:rock', 0.912)], voice='vocal', "
                     "vocal_probability=0.765, moods=[('energetic', 0.812), ('calm', 0.1)]))")
    assert repr(SongAnswer(path)) == f"SongAnswer(path={path!r}, prediction=None, tags=None)"
    assert repr(tags).startswith(f"SongTags(path={path!r}, top=[('msd:rock', 0.912)]")


def test_a_model_shows_its_name_genres_and_input_not_its_arrays():
    """``load_model("gtzan")`` printed 18,626 characters of fitted arrays in a notebook."""
    import genriflow

    for name in genriflow.available_models():
        model = genriflow.load_model(name)
        shown = repr(model)
        assert len(shown) < 250 and f"model={name!r}" in shown, shown
        assert shown.startswith(f"{type(model).__name__}(") and "more]" in shown
    assert repr(genriflow.load_model("gtzan-table")) == (
        "ClassicalGenreModel(model='gtzan-table', labels=['blues', 'classical', 'country', "
        "... 7 more], features='kaggle', multi_label=False, open_set='distance')")


def test_a_run_shows_its_figure_and_what_its_metrics_hold(tmp_path):
    """A small training run's repr printed all of ``metrics.json`` (4,036 characters)."""
    from genriflow import Run

    metrics = {"split": {"counts": {f"genre-{i}": i for i in range(500)}},
               "test": {"part": "test (stratified, 20 items)", "accuracy": 0.81234,
                        "per_genre": {f"genre-{i}": 0.5 for i in range(500)}}}
    errors = [AudioError(tmp_path / "bad.mp3", "cannot be read", AudioErrorKind.UNREADABLE)]
    assert repr(Run(tmp_path, metrics, errors)) == (
        f"Run(folder={str(tmp_path)!r}, accuracy=0.8123, part='test (stratified, 20 items)', "
        "metrics=['split', 'test'], errors=1)")
    assert repr(Run(tmp_path, {"rounds": []})) == \
        f"Run(folder={str(tmp_path)!r}, metrics=['rounds'], errors=0)"


def test_a_tune_result_shows_its_best_trial_not_every_test_prediction(tmp_path):
    """``tune(...)`` printed every test song's prediction and the trial table."""
    import pandas as pd

    from genriflow import TuneResult

    test = {"part": "test (stratified, 200 items)", "accuracy": 0.755, "n": 200,
            "predictions": [[f"/music/{i:04d}.wav", "jazz", "rock"] for i in range(200)]}
    result = TuneResult(tmp_path, "study", "sqlite:///tune.db",
                        {"number": 7, "value": 0.8, "objective": "validation accuracy",
                         "params": {"C": 0.123456789, "kernel": "rbf"}},
                        test, pd.DataFrame({"number": range(20)}), 12)
    assert repr(result) == (
        f"TuneResult(folder={str(tmp_path)!r}, best={{'number': 7, 'value': 0.8, 'params': "
        "{'C': 0.1235, 'kernel': 'rbf'}}, test={'accuracy': 0.755, 'part': 'test "
        "(stratified, 200 items)'}, trials=20, ran=12, errors=0)")


def test_a_librarys_reports_show_their_first_rows_and_how_many_more():
    """A tag plan, a scan's failures, a write's changes: their dataclass repr printed every
    row (a plan of a 10,000-song library: every row in the notebook)."""
    from genriflow.library.apply import WriteReport
    from genriflow.library.plan import PlanRow, TagPlan
    from genriflow.library.scan import ScanReport

    rows = [PlanRow(f"/music/{i:05d}.flac", "genre", "", "Jazz", "0.830", "gtzan", "c0ffee", "")
            for i in range(10_000)]
    shown = repr(TagPlan(rows))
    assert len(shown) < 700 and shown.endswith(", ... 9997 more], left_out=[])"), shown
    assert "/music/00002.flac" in shown and "/music/00003.flac" not in shown
    errors = [AudioError(f"/music/bad-{i}.mp3", "cannot be read", AudioErrorKind.UNREADABLE)
              for i in range(5000)]
    scan = repr(ScanReport(new=3, failed=5000, errors=errors))
    assert scan.startswith("ScanReport(new=3, changed=0, ") and "... 4997 more]" in scan
    assert len(scan) < 600, scan
    write = WriteReport("apply", run=4, written=2, changes=[("a", "genre", "", "Jazz")] * 800)
    assert repr(write) == (
        "WriteReport(kind='apply', run=4, dry_run=False, written=2, unchanged=0, skipped=0, "
        "failed=0, errors=[], changes=[('a', 'genre', '', 'Jazz'), ('a', 'genre', '', 'Jazz'), "
        "('a', 'genre', '', 'Jazz'), ... 797 more], unrecorded=None)")
