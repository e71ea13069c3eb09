"""The front door as a user scripts it: ``genriflow.classify``, ``Classifier``, ``tag``, ...

Everything here goes through ``import genriflow`` only, as the README shows it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

import genriflow
from sample_audio import SR, tone, write_bad_files


@pytest.fixture(scope="module")
def classifier(feature_cache) -> genriflow.Classifier:
    return genriflow.Classifier("zero-shot", options=genriflow.RunOptions(store=feature_cache))


def test_import_is_fast_and_lazy():
    # fast: in the CPU time the import takes (13 ms here; numpy alone takes ~0.1 s, torch
    # over 1 s), not in wall-clock time, which a loaded CI machine stretches at will
    code = ("import sys, time; t = time.process_time(); import genriflow; "
            "dt = time.process_time() - t; "
            "heavy = [m for m in ('numpy', 'torch', 'librosa', 'sklearn') if m in sys.modules]; "
            "print(dt, heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    seconds, heavy = out.stdout.split(" ", 1)
    assert float(seconds) < 0.3 and heavy.strip() == "[]"
    assert set(genriflow.__all__) <= set(dir(genriflow))
    with pytest.raises(AttributeError):
        genriflow.no_such_thing  # noqa: B018


def test_every_exported_name_has_its_entry_in_the_api_reference():
    # docs/python-api.md sends readers to genriflow.default_store_dir(), which the
    # reference page did not have
    import re
    from pathlib import Path

    reference = (Path(__file__).parents[1] / "docs" / "reference.md").read_text()
    documented = {path.rsplit(".", 1)[1] for path in re.findall(r"^::: ([\w.]+)$", reference,
                                                                re.MULTILINE)}
    for name in genriflow.__all__:
        if name != "__version__":
            assert name in documented, name


def test_available_models_come_from_the_registry():
    assert "zero-shot" in genriflow.available_models()
    model = genriflow.load_model("zero-shot")
    assert model.labels == sorted(model.labels) and len(model.labels) == 10


#: What each public callable takes by position: its data (the audio, the songs, the model
#: a Classifier keeps warm, the index); every option is keyword-only, the model included.
POSITIONAL = {"Classifier": ["model"], "Library": ["db"], "similar": ["song", "library"],
              "available_models": [], "describe_models": []}


def test_options_are_keyword_only_everywhere_data_first():
    """docs/python-api.md: data first, options keyword-only. `compare(data, ["svm"])` and
    `RunOptions(None, 2)` took an option by position."""
    import inspect

    for name in genriflow.__all__:
        obj = getattr(genriflow, name)
        if not (inspect.isfunction(obj) or name in ("Classifier", "Library", "RunOptions")):
            continue
        positional = [p.name for p in inspect.signature(obj).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        expected = [] if name == "RunOptions" else POSITIONAL.get(name, positional[:1])
        assert positional == expected, name
        assert len(positional) <= 1 or name in POSITIONAL, name
    with pytest.raises(TypeError):
        genriflow.RunOptions(None, 2)


def test_unknown_model_is_a_model_error(tmp_path):
    with pytest.raises(genriflow.ModelError, match="zero-shot"):
        genriflow.load_model(tmp_path / "not-a-model")
    with pytest.raises(genriflow.GenriflowError):
        genriflow.classify(tone(4.0), sr=SR, model="no-such-model")


def test_a_real_gtzan_clip_as_a_file_and_as_a_waveform(shared_data, classifier):
    clip = sorted((shared_data / "gtzan-sample" / "genres_original" / "jazz").glob("*.wav"))[0]
    from_file = classifier(clip)
    assert isinstance(from_file, genriflow.Prediction)
    assert from_file.path == str(clip) and from_file.model == "zero-shot"
    assert len(from_file.top(3)) == 3
    assert np.isclose(from_file.probabilities.sum(), 1.0)
    y, sr = sf.read(clip, dtype="float32")
    from_array = classifier(y, sr=sr)
    assert from_array.path == "<array>"
    np.testing.assert_allclose(from_array.probabilities, from_file.probabilities, atol=1e-4)
    assert [g for g, _ in from_array.top(3)] == [g for g, _ in from_file.top(3)]


def test_a_stereo_waveform_at_another_rate_is_resampled_as_a_file_is(tmp_path, classifier):
    mono = tone(6.0, freq=330)
    stereo_44k = soxr.resample(np.stack([mono, mono], axis=1), SR, 44100)
    path = tmp_path / "stereo.wav"
    sf.write(path, stereo_44k, 44100)
    from_file = classifier(path)
    for layout in (stereo_44k, stereo_44k.T):
        from_array = classifier(layout, sr=44100)
        np.testing.assert_allclose(from_array.probabilities, from_file.probabilities,
                                   atol=1e-3)


def test_several_inputs_give_predictions_and_per_file_errors(tmp_path, classifier):
    folder = tmp_path / "library"
    bad = write_bad_files(folder)
    for i, ext in enumerate(("wav", "flac")):
        sf.write(folder / f"good-{i}.{ext}", tone(5.0, freq=200 * (i + 1)), SR)
    result = classifier(folder)
    assert sorted(Path(p.path).name for p in result.predictions) == ["good-0.wav", "good-1.flac"]
    assert sorted(err.path.name for err in result.errors) == sorted(bad)
    listed = classifier([folder / "good-0.wav", folder / "empty.wav"])
    assert len(listed.predictions) == 1 and len(listed.errors) == 1


def test_one_unreadable_input_raises_its_typed_error(tmp_path, classifier):
    with pytest.raises(genriflow.AudioError, match="missing.mp3"):
        classifier(tmp_path / "missing.mp3")
    with pytest.raises(genriflow.AudioError):
        classifier(np.zeros(0, np.float32), sr=SR)
    with pytest.raises(genriflow.AudioError):
        classifier(np.full(SR * 4, np.nan, np.float32), sr=SR)


def test_options_are_checked_once_with_one_message(classifier):
    with pytest.raises(genriflow.ConfigError, match="`sr` is needed"):
        classifier(tone(4.0))
    with pytest.raises(genriflow.ConfigError,
                       match=r"`aggregation` must be one of mean, vote; got 'median'"):
        genriflow.Classifier("zero-shot", aggregation="median")
    with pytest.raises(genriflow.ConfigError, match="`k` must be at least 1"):
        genriflow.classify(tone(4.0), sr=SR, k=0)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: genriflow.classify(tone(4.0), sr=SR, model="zero-shot", k="3"),
     "`k` must be a whole number; got '3'"),
    (lambda: genriflow.classify(tone(4.0), sr=SR, model="zero-shot", k=2.5),
     "`k` must be a whole number; got 2.5"),
    (lambda: genriflow.classify(tone(4.0), sr=SR, model="zero-shot", k=True),
     "`k` must be a whole number; got True"),
    (lambda: genriflow.tag(tone(4.0), sr=SR, k="2"), "`k` must be a whole number; got '2'"),
    (lambda: genriflow.classify(tone(4.0), sr=SR, model="zero-shot", excerpts="2"),
     "`excerpts` must be a whole number; got '2'"),
    (lambda: genriflow.RunOptions(n_jobs="2"), "`n_jobs` must be a whole number; got '2'"),
    (lambda: genriflow.analyse(tone(4.0), sr=SR, model="zero-shot", min_confidence="x"),
     "`min_confidence` must be a number between 0 and 1; got 'x'"),
    (lambda: genriflow.classify(tone(4.0), sr=SR, model=3),
     "`model` must be a built-in name, a model folder or a loaded model"),
    (lambda: genriflow.classify(tone(4.0), sr=SR, model="zero-shot", options={"n_jobs": 1}),
     "`options` must be a genriflow.RunOptions or None; got dict"),
    (lambda: genriflow.classify(None, model="zero-shot"), "`audio` must be a path, .* NoneType"),
    (lambda: genriflow.classify(5, model="zero-shot"), "`audio` must be a path, .* got int$"),
    (lambda: genriflow.classify(b"song.wav", model="zero-shot"), "got bytes$"),
    (lambda: genriflow.classify(list(tone(4.0)), model="zero-shot"), "got list of float"),
    (lambda: genriflow.classify([tone(4.0)], sr=SR, model="zero-shot"), "got list of ndarray"),
    (lambda: genriflow.load_model("zero-shot", device="tpu"),
     "`device` must be one of auto, cpu, cuda; got 'tpu'"),
    (lambda: genriflow.probe(3), "`path` must be a file's path"),
    (lambda: genriflow.evaluate("corpus", model=3, out="run"), "`model` must be a built-in"),
    (lambda: genriflow.evaluate(5, model="gtzan", out="run"), "`data` must be a path"),
    (lambda: genriflow.train(5, out="model"), "`data` must be a path .* got int"),
    (lambda: genriflow.train("corpus", model="logreg", out=None), "`out` must be a path"),
    (lambda: genriflow.extract_features(["a.wav"]), "`data` must be a path .* got list"),
    (lambda: genriflow.plot(tone(4.0), out="pictures"), "`target` must be a path .* ndarray"),
    (lambda: genriflow.similar(tone(4.0), "music"), "`song` must be a path .* got ndarray"),
    (lambda: genriflow.similar(None, None), "`library` must be a path .* got NoneType"),
    (lambda: genriflow.model_identity(3), "`model` must be a path .* got int"),
    (lambda: genriflow.plot("song.wav", out="pictures", duration="1"),
     "`duration` must be positive; got '1'"),
])
def test_a_wrong_type_is_a_one_line_config_error(call, message):
    """A str where an int goes, a bool, a dict for options, a number for audio: each is
    refused by the one check, naming the parameter, not by a TypeError from deep inside."""
    with pytest.raises(genriflow.ConfigError, match=message) as caught:
        call()
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: genriflow.analyse(tone(4.0), sr=SR, model="zero-shot", tags="yes"),
     "`tags` must be True or False; got 'yes'"),
    (lambda: genriflow.analyse(tone(4.0), sr=SR, model="zero-shot", tags=1),
     "`tags` must be True or False; got 1"),
    (lambda: genriflow.analyse(tone(4.0), sr=SR, model=None, tags="no"),  # not: tags asked
     "`tags` must be True or False; got 'no'"),
    (lambda: genriflow.classify(tone(4.0), sr=SR, model="zero-shot", full="no"),
     "`full` must be True or False; got 'no'"),
    (lambda: genriflow.classify(tone(4.0), sr=SR, model="zero-shot", full=0, excerpts=2),
     "`full` must be True or False; got 0"),
    (lambda: genriflow.tag(tone(4.0), sr=SR, full=None), "`full` must be True or False"),
    (lambda: genriflow.Classifier("zero-shot", full="True"), "`full` must be True or False"),
    (lambda: genriflow.model_identity("gtzan", full=1), "`full` must be True or False; got 1"),
    (lambda: genriflow.similar("song.wav", "music", full="yes"), "`full` must be True or"),
    (lambda: genriflow.RunOptions(progress="yes"), "`progress` must be True or False"),
    (lambda: genriflow.train("corpus", model="logreg", out="m", multi_label="yes"),
     "`multi_label` must be True or False; got 'yes'"),
])
def test_a_switch_that_is_not_a_bool_is_a_one_line_config_error(call, message):
    """``tags="no"`` is a true string and ``tags=1`` a number: they were taken for their
    truth, silently; each is refused by the one check, naming the option."""
    with pytest.raises(genriflow.ConfigError, match=message) as caught:
        call()
    assert "\n" not in str(caught.value) and isinstance(caught.value, ValueError)


def test_a_numpy_bool_is_a_bool(classifier):
    answer = genriflow.analyse(tone(4.0), sr=SR, model="zero-shot", tags=np.bool_(False))
    assert answer.tags is None


def test_classify_default_model_and_top(feature_cache):
    prediction = genriflow.classify(tone(4.0), sr=SR, k=2)
    assert prediction.model == "gtzan" and len(prediction.top()) == 2
    assert str(prediction).startswith("<array>: ")


def test_tag_a_file_and_a_folder(tmp_path, feature_cache):
    options = genriflow.RunOptions(store=feature_cache)
    song = tmp_path / "song.wav"
    sf.write(song, tone(5.0), SR)
    tags = genriflow.tag(song, k=4, options=options)
    assert isinstance(tags, genriflow.SongTags) and len(tags.top) == 4
    batch = genriflow.tag(tmp_path, options=options)
    assert [t.path for t in batch.tags] == [str(song)] and batch.errors == []


def test_train_then_classify_with_the_trained_model(demo_corpus, feature_cache, tmp_path):
    options = genriflow.RunOptions(store=feature_cache)
    run = genriflow.train(demo_corpus, model="logreg", out=tmp_path / "m", options=options)
    assert 0.0 <= run.accuracy <= 1.0 and (run.folder / "report.html").is_file()
    assert run.metrics["test"]["part"].startswith("test (stratified")
    song = sorted(demo_corpus.glob("jazz/*"))[0]
    prediction = genriflow.classify(song, model=run.folder, options=options)
    assert set(prediction.labels) == {p.name for p in demo_corpus.iterdir() if p.is_dir()}
    scored = genriflow.evaluate(demo_corpus, model=run.folder, out=tmp_path / "eval",
                                options=options)
    assert scored.accuracy == pytest.approx(run.accuracy)
    # the evaluation's folder names the model it scored (it said only "logreg")
    assert scored.metrics["model_folder"] == str(run.folder)
    saved = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert saved["model_folder"] == str(run.folder)
    assert f"Model: `{run.folder}`" in (tmp_path / "eval" / "report.md").read_text()
    loaded = genriflow.evaluate(demo_corpus, model=genriflow.load_model(run.folder),
                                out=tmp_path / "eval2", options=options)
    assert "model_folder" not in loaded.metrics  # a loaded model has no folder to name


def test_extract_features_one_set_or_several(demo_corpus, feature_cache):
    options = genriflow.RunOptions(store=feature_cache)
    table = genriflow.extract_features(demo_corpus, options=options)
    assert table.X.shape == (100, 57)
    both = genriflow.extract_features(demo_corpus, feature_sets=["kaggle"], options=options)
    assert list(both) == ["kaggle"]


def test_predictions_compare_by_value(classifier, tmp_path):
    """``==`` on two predictions (or batches of them) used to raise NumPy's "truth value
    of an array is ambiguous"; the same song twice is now equal, another song not."""
    song = tone(4.0)
    first, again = classifier(song, sr=SR), classifier(song, sr=SR)
    assert first == again and first is not again
    assert first != classifier(tone(4.0, freq=880.0), sr=SR)
    assert first != "disco"
    sf.write(tmp_path / "a.wav", song, SR)
    assert classifier([tmp_path / "a.wav"]) == classifier([tmp_path / "a.wav"])


def test_reprs_are_short_and_say_what_matters(classifier):
    """A Prediction's repr printed every window's probabilities (a 24-excerpt song of a
    19-genre model: over 450 numbers) and a Classifier's was ``<... object at 0x...>``."""
    prediction = classifier(tone(7.0), sr=SR)
    text = repr(prediction)
    assert text.startswith("Prediction(path='<array>', model='zero-shot', top=[")
    assert f"('{prediction.genre}', " in text and "windows=" in text and len(text) < 300
    assert repr(classifier).startswith("Classifier('zero-shot', k=3, sampling=")
