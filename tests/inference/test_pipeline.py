"""The one inference pipeline: one shape of answer, one path for every model, one check.

``classify``, ``tag`` and ``analyse`` are thin over
:class:`genriflow.inference.pipeline.Pipeline`; these tests hold them to the rule the
module docstring of :mod:`genriflow.api` states.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import genriflow
from genriflow.inference import pipeline as pipeline_module
from genriflow.inference.pipeline import Analysis, Pipeline, SongAnswer
from genriflow.models.base import SongProbabilities
from genriflow.models.fusion import FusedGenreModel
from genriflow.models.zero_shot import ZeroShotGenreModel
from sample_audio import SR, tone

SRC = Path(genriflow.__file__).resolve().parent


@pytest.fixture(scope="module")
def songs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("songs")
    for i in range(2):
        sf.write(folder / f"song-{i}.wav", tone(4.0, freq=220.0 * (i + 1), seed=i), SR)
    (folder / "empty.wav").write_bytes(b"")
    return folder


@pytest.fixture(scope="module")
def options(feature_cache) -> genriflow.RunOptions:
    return genriflow.RunOptions(store=feature_cache, n_jobs=1)


def test_one_input_gives_one_result_and_several_a_list_with_the_failures(songs, options):
    song = songs / "song-0.wav"
    single = {
        "classify": genriflow.classify(song, model="zero-shot", options=options),
        "tag": genriflow.tag(song, options=options),
        "analyse": genriflow.analyse(song, model="zero-shot", options=options),
    }
    assert isinstance(single["classify"], genriflow.Prediction)
    assert isinstance(single["tag"], genriflow.SongTags)
    assert isinstance(single["analyse"], SongAnswer)
    assert single["analyse"].prediction.genre == single["classify"].genre
    assert single["analyse"].tags.top == single["tag"].top

    for audio in ([song], songs):
        batches = {
            "classify": genriflow.classify(audio, model="zero-shot", options=options),
            "tag": genriflow.tag(audio, options=options),
            "analyse": genriflow.analyse(audio, model="zero-shot", options=options),
        }
        for name, batch in batches.items():
            assert isinstance(batch, genriflow.Batch), name
            expected = 1 if audio == [song] else 2
            assert len(batch) == len(list(batch)) == expected, name
            failed = [e.path.name for e in batch.errors]
            assert failed == ([] if audio == [song] else ["empty.wav"]), name
        assert isinstance(batches["classify"], genriflow.Predictions)
        assert isinstance(batches["tag"], genriflow.Tagged)
        assert isinstance(batches["analyse"], Analysis)
        first = batches["classify"][0]
        assert first.path == str(song) and first.genre == single["classify"].genre
        np.testing.assert_allclose(first.probabilities, single["classify"].probabilities, atol=1e-6)
        assert batches["tag"][0].top == single["tag"].top
        assert batches["analyse"][0].prediction.genre == single["classify"].genre
        assert batches["analyse"].predictions[0].path == str(song)


def test_one_bad_input_raises_and_in_a_batch_is_only_listed(songs, options):
    bad = songs / "empty.wav"
    for call in (
        lambda a: genriflow.classify(a, model="zero-shot", options=options),
        lambda a: genriflow.tag(a, options=options),
        lambda a: genriflow.analyse(a, model="zero-shot", options=options),
    ):
        with pytest.raises(genriflow.AudioError, match="empty.wav"):
            call(bad)
        batch = call([bad])
        assert len(batch) == 0 and [e.path.name for e in batch.errors] == ["empty.wav"]


def test_a_waveform_is_one_input(options):
    answer = genriflow.analyse(tone(4.0), sr=SR, model="zero-shot", k_tags=2, options=options)
    assert isinstance(answer, SongAnswer) and answer.path == "<array>"
    assert len(answer.tags.top) == 2 and answer.prediction.path == "<array>"


class _Stacked(ZeroShotGenreModel):
    """A model whose song is not the aggregate of its windows (as a stacked head's):
    it answers through its own ``song_probabilities`` alone."""

    calls = 0

    def predict_proba(self, X: np.ndarray) -> np.ndarray:  # never used for a song
        raise AssertionError("the pipeline must ask the model for the song's answer")

    def song_probabilities(self, features_by_set, *, aggregation="mean"):
        type(self).calls += 1
        item = features_by_set[self.feature_config.set]
        windows = np.full((len(item.offsets), len(self.labels)), 1.0 / len(self.labels))
        first = np.eye(len(self.labels))[0]
        return SongProbabilities(first, item.offsets, windows, unknown=False, unknown_score=0.1)


def test_every_model_goes_through_its_own_song_probabilities():
    wave = tone(4.0)
    plain = ZeroShotGenreModel()
    fused = FusedGenreModel([plain, ZeroShotGenreModel()], config={"model": "twice"})
    stacked = _Stacked()
    answers = {
        name: Pipeline(model)(wave, sr=SR).prediction
        for name, model in (("plain", plain), ("fused", fused), ("stacked", stacked))
    }
    # A fusion of a model with itself is that model, through the same forward.
    np.testing.assert_allclose(
        answers["fused"].probabilities, answers["plain"].probabilities, atol=1e-9
    )
    np.testing.assert_allclose(
        answers["fused"].window_probabilities, answers["plain"].window_probabilities, atol=1e-9
    )
    assert answers["fused"].model == "twice" and answers["plain"].model == "zero-shot"
    assert _Stacked.calls == 1
    assert answers["stacked"].genre == stacked.labels[0]
    assert answers["stacked"].unknown is False
    assert answers["stacked"].unknown_score == pytest.approx(0.1)


def test_the_fusion_answers_the_mean_of_its_parts_song_answers():
    fused = genriflow.load_model("gtzan-fusion")
    assert len({c.set for c in fused.feature_configs}) == 2  # each part reads its own set
    pipe = Pipeline(fused)
    features = pipe.preprocess(tone(5.0), sr=SR)
    song = features.songs[0]
    parts = [part.song_probabilities(song) for part in fused.parts]
    answer = pipe.forward(features)[0]
    np.testing.assert_allclose(
        answer.probabilities, fused.fuse([p.probabilities for p in parts]), atol=1e-9
    )
    assert answer.probabilities.sum() == pytest.approx(1.0)
    prediction = pipe.postprocess(features, [answer]).prediction
    np.testing.assert_allclose(prediction.probabilities, answer.probabilities, atol=1e-12)


def test_no_code_path_asks_whether_a_model_is_fused():
    found = [
        f"{path.relative_to(SRC)}:{i}"
        for path in SRC.rglob("*.py")
        for i, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"isinstance\(.*FusedGenreModel", line)
    ]
    assert found == []


@pytest.mark.parametrize("call", ["classify", "tag", "analyse"])
def test_sr_with_a_file_is_refused_by_every_function_in_one_line(call, songs):
    function = getattr(genriflow, call)
    with pytest.raises(genriflow.ConfigError) as refused:
        function(songs / "song-0.wav", sr=44100)
    assert str(refused.value) == "`sr` is for waveforms; files carry their own rate"
    with pytest.raises(genriflow.ConfigError, match="^`sr` is needed with a waveform"):
        function(tone(4.0))
    with pytest.raises(genriflow.ConfigError, match=r"^`sr` must be the waveform's sample "
                                                    r"rate, 4000 to 768000 Hz; got 1$"):
        function(tone(4.0), sr=1)


@pytest.mark.parametrize("call", ["classify", "tag", "analyse"])
def test_an_empty_path_is_refused_not_read_as_the_current_folder(call, songs, monkeypatch):
    # Path("") is "."; from a folder of songs, "" used to analyse every one of them
    monkeypatch.chdir(songs)
    function = getattr(genriflow, call)
    for empty in ("", [songs / "song-0.wav", ""]):
        with pytest.raises(genriflow.ConfigError, match='^`audio` is an empty path'):
            function(empty)


def test_bad_options_are_refused_before_any_file_is_read(tmp_path):
    missing = tmp_path / "missing.wav"
    for call, message in (
        (lambda: genriflow.tag(missing, k=0), "`k` must be at least 1"),
        (lambda: genriflow.classify(missing, model="zero-shot", k=0), "`k` must be at least 1"),
        (
            lambda: genriflow.analyse(missing, model="zero-shot", k_tags=0),
            "`k_tags` must be at least 1",
        ),
        (
            lambda: genriflow.analyse(missing, model="zero-shot", min_confidence=2.0),
            "`min_confidence` must be between 0 and 1",
        ),
        (
            lambda: genriflow.classify(missing, model="zero-shot", aggregation="max"),
            "`aggregation` must be one of mean, vote",
        ),
    ):
        with pytest.raises(genriflow.ConfigError) as refused:
            call()
        assert str(refused.value).startswith(message) and "\n" not in str(refused.value)


def test_each_call_checks_its_options_once(monkeypatch, songs, options):
    checked = []
    real = pipeline_module.check_options
    monkeypatch.setattr(
        pipeline_module, "check_options", lambda *a, **kw: checked.append(kw) or real(*a, **kw)
    )
    genriflow.tag(songs / "song-0.wav", k=2, options=options)
    genriflow.classify([songs / "song-1.wav"], model="zero-shot", options=options)
    genriflow.analyse(tone(4.0), sr=SR, model="zero-shot", options=options)
    assert len(checked) == 3
    classifier = genriflow.Classifier("zero-shot", options=options)
    classifier(tone(4.0), sr=SR)
    classifier(tone(4.0, freq=330.0), sr=SR)
    assert len(checked) == 4  # a warm classifier checked its options when made


def test_a_file_met_twice_is_computed_and_answered_once(songs, options, monkeypatch):
    # overlapping folders, or a file given beside its folder: each was computed again and
    # answered again, and `predict` said "4 of 4 songs are unknown" over 2 rows
    given = []
    real = pipeline_module.extract_sets

    def spied(files, *args, **kwargs):
        given.append(list(files))
        return real(files, *args, **kwargs)

    monkeypatch.setattr(pipeline_module, "extract_sets", spied)
    song = songs / "song-1.wav"
    batch = genriflow.analyse([song, songs, songs / "." / "song-1.wav", songs], tags=False,
                              model="zero-shot", options=options)
    assert [a.path for a in batch] == [str(song), str(songs / "song-0.wav")]
    assert given == [[song, songs / "empty.wav", songs / "song-0.wav"]]
    assert [str(e.path) for e in batch.errors] == [str(songs / "empty.wav")]
