"""The built-in GTZAN model: shipped, loaded safely, reproducible, honest, the default."""

import importlib.util
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from typer.testing import CliRunner

import genriflow
from close import assert_close
from genriflow.cli import app
from genriflow.cli.models import model_and_audio
from genriflow.datasets.gtzan import GTZAN_GENRES, clip_key, fault_filtered_split
from genriflow.features.options import RunOptions
from genriflow.models.base import ModelError
from genriflow.models.classical import ClassicalGenreModel
from genriflow.models.folder import TRUSTED_PREFIXES, load_model
from genriflow.models.fusion import FusedGenreModel
from genriflow.models.registry import BUILTIN_FOLDERS, describe_models

ROOT = Path(__file__).resolve().parents[2]
FOLDER = BUILTIN_FOLDERS["gtzan-table"]
HEAD = BUILTIN_FOLDERS["gtzan"]
FUSION_FILE = FOLDER.parent / "gtzan-fusion" / "fusion.json"


@pytest.fixture(scope="module")
def metrics() -> dict:
    return json.loads((FOLDER / "metrics.json").read_text())


def _tool():
    path = ROOT / "tools" / "build_default_model.py"
    spec = importlib.util.spec_from_file_location("build_default_model", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_shipped_folder_is_small_and_holds_only_trusted_types():
    names = sorted(p.name for p in FOLDER.iterdir())
    assert names == ["config.json", "labels.json", "metrics.json", "model.skops",
                     "openset.safetensors"]
    assert sum(p.stat().st_size for p in FOLDER.iterdir()) < 1_000_000
    untrusted = sio.get_untrusted_types(file=FOLDER / "model.skops")
    assert all(t.startswith(TRUSTED_PREFIXES) for t in untrusted)


def test_the_default_heads_folder_is_small_and_holds_only_trusted_types():
    names = sorted(p.name for p in HEAD.iterdir())
    assert names == ["config.json", "head.safetensors", "labels.json", "metrics.json",
                     "model.skops", "openset.safetensors"]
    assert sum(p.stat().st_size for p in HEAD.iterdir()) < 1_000_000
    untrusted = sio.get_untrusted_types(file=HEAD / "model.skops")
    assert untrusted and all(t.startswith(TRUSTED_PREFIXES) for t in untrusted)


def test_the_default_heads_arrays_are_its_skops_pipeline():
    """head.safetensors (read by load_model, NumPy only) is the shipped pipeline."""
    from genriflow.features.embeddings import ANALYSIS_SIZE
    from genriflow.models.head_arrays import HeadArrays
    from genriflow.models.heads import head_arrays

    pipeline = sio.load(HEAD / "model.skops",
                        trusted=sio.get_untrusted_types(file=HEAD / "model.skops"))
    model = load_model("gtzan")
    assert isinstance(model.estimator, HeadArrays)
    assert head_arrays(pipeline).settings == model.estimator.settings
    X = np.random.default_rng(0).random((64, ANALYSIS_SIZE))
    np.testing.assert_allclose(model.predict_proba(X), pipeline.predict_proba(X), atol=1e-12)
    np.testing.assert_allclose(model.embed(X), pipeline[:-1].transform(X), atol=1e-12)
    assert model.labels == [str(c) for c in pipeline.classes_]


def test_gtzan_is_built_in_and_the_default():
    assert genriflow.available_models() == ["gtzan", "gtzan-fusion", "gtzan-table",
                                            "library-genres", "zero-shot"]
    from genriflow.api import DEFAULT_MODEL

    assert DEFAULT_MODEL == "gtzan"
    table = genriflow.load_model("gtzan-table")
    assert isinstance(table, ClassicalGenreModel)
    assert table.labels == list(GTZAN_GENRES)
    assert table.feature_config.set == "kaggle" and table.feature_config.clip_seconds == 30.0
    head = genriflow.load_model("gtzan")
    assert isinstance(head, ClassicalGenreModel) and head.labels == list(GTZAN_GENRES)
    assert head.feature_config.set == "musicnn"
    assert head.open_set.rule.score == "music-distance"
    fused = genriflow.load_model("gtzan-fusion")
    assert isinstance(fused, FusedGenreModel) and fused.labels == list(GTZAN_GENRES)
    assert [c.set for c in fused.feature_configs] == ["kaggle", "musicnn-tags"]
    with pytest.raises(ModelError, match="whole songs"):
        fused.predict_proba(np.zeros((1, 57)))


def test_the_default_song_is_the_mean_of_its_windows_and_noise_is_unknown():
    """One answer, one story: the song's genre is the mean of the timeline's windows."""
    sr = 22050
    t = np.arange(40 * sr) / sr
    song = np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 2 * t))
    prediction = genriflow.classify(song, sr=sr, excerpts=4)
    assert prediction.model == "gtzan" and prediction.labels == list(GTZAN_GENRES)
    assert prediction.window_probabilities.shape == (4, 10)
    np.testing.assert_allclose(prediction.probabilities,
                               prediction.window_probabilities.mean(axis=0), atol=1e-12)
    from genriflow.datasets.synthetic.farout import far_out_clip

    noise = far_out_clip("white-noise", 30.0, sr, np.random.default_rng(3))
    rejected = genriflow.classify(noise, sr=sr, excerpts=4)
    assert rejected.unknown is True
    assert rejected.unknown_score > load_model("gtzan").open_set.rule.threshold


def test_the_default_heads_recorded_figures_beat_zero_shot_honestly():
    metrics = json.loads((HEAD / "metrics.json").read_text())
    cv, zero = metrics["cross_validation"], metrics["zero_shot"]
    assert cv["n"] == zero["n"] == 194 and "out of fold" in cv["part"]
    assert cv["macro_recall"] > zero["macro_recall"] + 0.1
    assert cv["accuracy"] >= zero["accuracy"]
    assert cv["unknown_rate"] <= 0.05
    refused = metrics["open_set"]["far_out_refused"]
    assert sum(v["refused"] for v in refused.values()) >= 0.95 * sum(
        v["n"] for v in refused.values())
    chosen = metrics["selection"]["candidates"][metrics["selection"]["chosen"]]
    assert chosen["keeps_zero_shot"]
    assert_close(chosen["macro_recall"], cv["macro_recall"])


def test_the_fusion_is_the_mean_of_its_two_models_per_song():
    sr = 22050
    t = np.arange(40 * sr) / sr
    song = np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 2 * t))
    prediction = genriflow.classify(song, sr=sr, excerpts=3, model="gtzan-fusion")
    assert prediction.model == "gtzan-fusion" and prediction.labels == list(GTZAN_GENRES)
    parts = [genriflow.classify(song, sr=sr, model=name, excerpts=3)
             for name in ("gtzan-table", "zero-shot")]
    mean = (parts[0].probabilities + parts[1].probabilities) / 2
    temperature = json.loads(FUSION_FILE.read_text())["temperature"]
    sharpened = np.exp(np.log(mean) / temperature)
    np.testing.assert_allclose(prediction.probabilities, sharpened / sharpened.sum())
    assert abs(prediction.probabilities.sum() - 1) < 1e-6
    assert prediction.genre == parts[0].labels[int(np.argmax(mean))]  # T keeps the top genre
    # the timeline is the zero-shot half's: its three excerpts, not the one central clip
    np.testing.assert_array_equal(prediction.offsets, parts[1].offsets)


def test_the_built_in_folder_gets_the_trusted_types_check(tmp_path, monkeypatch):
    import genriflow.models.registry as registry

    copy = tmp_path / "gtzan-table"
    copy.mkdir()
    for item in FOLDER.iterdir():
        (copy / item.name).write_bytes(item.read_bytes())
    from operator import neg

    from sklearn.preprocessing import FunctionTransformer

    sio.dump(FunctionTransformer(neg), copy / "model.skops")
    monkeypatch.setitem(registry.BUILTIN_FOLDERS, "gtzan-table", copy)
    with pytest.raises(ModelError, match="untrusted"):
        load_model("gtzan-table")
    with pytest.raises(ModelError, match="untrusted"):
        load_model("gtzan-fusion")  # the fusion reads it too


def test_the_metrics_record_an_honest_protocol(metrics, shared_data):
    split = metrics["split"]
    assert split["method"] == "gtzan-fault-filtered"
    assert split["counts"] == {"train": 403, "valid": 197, "test": 290, "held-out": 47,
                               "excluded": 63}
    sample = sorted(clip_key(p.name) for p in (shared_data / "gtzan-sample").rglob("*.wav"))
    assert split["held_out_of_training"] == sample
    parts = fault_filtered_split()
    assert sum(parts.get(k) == "train" for k in sample) == 40
    assert not any(parts.get(k) in ("valid", "test") for k in sample)
    test = metrics["test"]
    assert test["n"] == 290 and test["correct"] == round(test["accuracy"] * 290)
    low, high = test["interval"]
    assert low < test["accuracy"] < high and high - low < 0.12
    assert metrics["calibration"]["fitted_on"] == "valid"
    assert "test" not in json.dumps(metrics["selection"])


def test_the_build_script_reproduces_the_shipped_model(metrics, shared_data, tmp_path):
    tool = _tool()
    rebuilt = tool.build(shared_data, tmp_path / "gtzan-table", recorded=metrics,
                         sample=False, log=lambda _: None)
    for key in ("test", "test_calibration", "split", "selection", "calibration", "recipe",
                "open_set"):
        assert_close(rebuilt[key], metrics[key], where=key)
    parts = tool.load_parts(shared_data / tool.TABLE, shared_data / tool.SAMPLE)
    shipped, again = load_model(FOLDER), load_model(tmp_path / "gtzan-table")
    np.testing.assert_allclose(again.predict_proba(parts.X), shipped.predict_proba(parts.X),
                               atol=1e-9)
    config = json.loads((tmp_path / "gtzan-table" / "config.json").read_text())
    shipped_config = json.loads((FOLDER / "config.json").read_text())
    config.pop("versions"), shipped_config.pop("versions")
    assert_close(config, shipped_config)


def test_the_47_clips_table_rows_score_as_recorded(metrics, shared_data):
    """The 47 held-out clips' own table rows: the cheap half of the audio check below."""
    tool = _tool()
    parts = tool.load_parts(shared_data / tool.TABLE, shared_data / tool.SAMPLE)
    rows = parts.rows("held-out")
    predicted = load_model("gtzan-table").predict(parts.X[rows])
    assert int(np.sum(predicted == parts.y[rows])) == metrics["sample"]["table_rows"]["correct"]
    from_audio = metrics["sample"]["audio"]["predicted"]
    assert dict(zip(parts.keys[rows], predicted, strict=True)) == from_audio


def test_describe_models_reports_each_figure_with_its_split(metrics):
    head, fused, gtzan, library, zero_shot = describe_models()
    assert library.name == "library-genres" and library.n == 194 and library.per_genre
    recorded = metrics["sample"]["fused"]
    assert fused.name == "gtzan-fusion" and (fused.correct, fused.n) == (recorded["correct"], 47)
    assert "47" in fused.tested_on and "optimistic" in fused.chosen_on
    head_metrics = json.loads((HEAD / "metrics.json").read_text())
    cv = head_metrics["cross_validation"]
    assert head.name == "gtzan" and (head.correct, head.n) == (cv["correct"], 194)
    assert "out of fold" in head.tested_on and "grouped" in head.chosen_on
    assert_close(head.macro_recall, cv["macro_recall"])
    assert_close(head.unknown_rate, cv["unknown_rate"])
    assert set(head.per_genre) == set(GTZAN_GENRES)
    # every figure with its interval and counts (disco's 0.00 rests on one clip)
    assert head.per_genre_counts["disco"] == (0, 1)
    for model in (head, library, zero_shot):
        assert set(model.per_genre_counts) == set(model.per_genre)
        for genre, (correct, n) in model.per_genre_counts.items():
            assert_close(model.per_genre[genre], correct / n, rel=1e-3)
        low, high = model.macro_recall_interval
        assert low < model.macro_recall < high and high - low < 0.25
    assert (head.unknown, library.unknown, zero_shot.unknown) == (cv["unknown"], 0, None)
    # the default is clearly above the zero-shot model on the same clips
    assert head.macro_recall > zero_shot.macro_recall + 0.1
    assert head.accuracy >= zero_shot.accuracy
    assert gtzan.name == "gtzan-table" and gtzan.n == 290
    assert_close(gtzan.accuracy, metrics["test"]["accuracy"])
    assert_close(list(gtzan.interval), metrics["test"]["interval"])
    assert "403" in gtzan.trained_on and "197" in gtzan.chosen_on and "290" in gtzan.tested_on
    recorded = head_metrics["zero_shot"]
    assert (zero_shot.correct, zero_shot.n) == (recorded["correct"], recorded["n"])
    assert zero_shot.n == 194
    assert_close(list(zero_shot.interval), recorded["interval"])
    assert f"{metrics['sample']['audio']['correct']}/47" in gtzan.notes


def test_the_models_command_lists_them():
    result = CliRunner().invoke(app, ["models"])
    assert result.exit_code == 0, result.output
    assert "gtzan (default):" in result.output and "zero-shot:" in result.output
    assert "tested on" in result.output and "/290" in result.output
    gtzan = result.output.split("gtzan (default):")[1].split("\n\n")[0]
    assert re.search(r"macro rec\. 0\.734 \(0\.6\d\d-0\.[78]\d\d, ", gtzan), gtzan
    assert "disco 0.00 (0/1)" in gtzan and "unknown    0.026 (5/194) of in-genre" in gtzan
    result = CliRunner().invoke(app, ["models", "-f", "json"])
    listed = json.loads(result.output)
    assert [m["name"] for m in listed] == ["gtzan", "gtzan-fusion", "gtzan-table",
                                           "library-genres", "zero-shot"]


def test_the_models_descriptions_name_no_path_only_the_repository_has():
    # a pip user read "see benchmarks/library_genres.py" and "shared/data/gtzan-sample",
    # partly from the shipped metrics.json, in `genriflow models` and the service's /models
    table = CliRunner().invoke(app, ["models"]).output
    listed = CliRunner().invoke(app, ["models", "-f", "json"]).output
    for text in (table, listed):
        for only_here in ("benchmarks/", "shared/data", "gtzan-sample", "gtzan-train-audio",
                          "tools/", "tests/", ".py"):
            assert only_here not in text, only_here
        for token in re.findall(r"[\w.-]+(?:/[\w.-]+)+/?", text):  # anything path-like
            assert not (ROOT / token).exists() and not (ROOT.parent / token).exists(), token
    assert "Debian's game music: see the docs' page Models and their figures" in table
    assert "47 of GTZAN's public mini subset, 147 more of GTZAN's train part" in table
    # the words only: every figure as recorded (test_describe_models_reports_...)
    assert "0.511 (24/47, 95 % interval 0.372-0.647)" in table


def test_predict_tells_a_model_from_audio(tmp_path):
    demo_model = tmp_path / "model"
    demo_model.mkdir()
    (demo_model / "config.json").write_text("{}")
    song = tmp_path / "song.wav"
    song.write_bytes(b"")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert model_and_audio([demo_model, song], None) == (str(demo_model), [song])
    assert model_and_audio([Path("zero-shot"), song], None) == ("zero-shot", [song])
    assert model_and_audio([song], None) == ("gtzan", [song])  # with --tags too
    assert model_and_audio([tmp_path], None) == ("gtzan", [tmp_path])
    assert model_and_audio([song], "zero-shot") == ("zero-shot", [song])
    gone = tmp_path / "gone.MP3"  # a song deleted since the batch was listed: audio still
    assert model_and_audio([gone, song], None) == ("gtzan", [gone, song])
    (tmp_path / "notes.txt").write_text("not audio")
    for wrong, why in ((empty, "a folder with no audio files below it and no config.json"),
                       (tmp_path / "mistyped-model", "no such file or folder, nor a built-in "
                                                     "model"),
                       (tmp_path / "notes.txt", "a .txt file: neither audio nor a model")):
        with pytest.raises(ModelError, match=f"^`{re.escape(str(wrong))}`: {why}"):
            model_and_audio([wrong, song], None)


def test_predict_without_a_model_uses_the_built_in_one(tmp_path):
    import soundfile as sf

    sr = 22050
    t = np.arange(5 * sr) / sr
    sf.write(tmp_path / "song.flac", 0.3 * np.sin(2 * np.pi * 330 * t), sr)
    result = CliRunner().invoke(app, ["predict", str(tmp_path / "song.flac"), "-f", "json",
                                      "-q", "--no-store"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)[0]
    assert record["genre"] in GTZAN_GENRES and len(record["probabilities"]) == 10


@pytest.mark.slow
def test_the_47_real_clips_from_audio_score_as_recorded(metrics, shared_data, tmp_path):
    """The whole pipeline (decode, the 57 features, the model) on clips it never saw."""
    options = RunOptions(store=tmp_path / "store")
    for name, recorded in (("gtzan-table", "audio"), ("gtzan-fusion", "fused")):
        result = genriflow.classify(shared_data / "gtzan-sample", model=name, options=options)
        assert not result.errors and len(result.predictions) == 47
        predicted = {Path(p.path).stem: p.genre for p in result.predictions}
        assert predicted == metrics["sample"][recorded]["predicted"], name
        if name == "gtzan-table":
            accepted = sum(not p.unknown for p in result.predictions)
            assert accepted == metrics["sample"]["accepted_by_reject_rule"]["accepted"]


@pytest.mark.slow
def test_the_default_models_temperature_is_fitted_and_helps_on_held_out_clips(
        metrics, shared_data, tmp_path):
    """The fusion's temperature: refitted from audio it is the shipped one, and on clips
    each fold's temperature never saw it lowers the calibration error and the NLL."""
    tool = _tool()
    plain = FusedGenreModel([load_model("gtzan-table"), load_model("zero-shot")])
    result = genriflow.classify(shared_data / "gtzan-sample", model=plain,
                                options=RunOptions(store=tmp_path / "store"))
    calibration = tool.fusion_calibration(result.predictions)
    shipped = json.loads(FUSION_FILE.read_text())
    assert calibration["temperature"] == pytest.approx(shipped["temperature"], abs=1e-3)
    assert calibration["temperature"] == pytest.approx(
        load_model("gtzan-fusion").temperature, abs=1e-3)
    before, after = calibration["before"], calibration["after"]
    assert after["ece"] < before["ece"] - 0.05 and after["nll"] < before["nll"]
    assert after["accuracy"] == before["accuracy"]        # a temperature keeps the top genre
    recorded = metrics["sample"]["fused_calibration"]
    assert (recorded["before"]["ece"], recorded["after"]["ece"]) == pytest.approx(
        (before["ece"], after["ece"]), abs=1e-6)


def test_the_default_model_says_none_of_these_for_noise_and_speech(tmp_path):
    from genriflow.datasets.synthetic.farout import write_far_out

    write_far_out(tmp_path / "far", per_kind=1, seconds=12.0, seed=5,
                  kinds=("white-noise", "speech"))
    result = genriflow.classify(tmp_path / "far", options=RunOptions(n_jobs=1))
    assert len(result.predictions) == 2
    assert all(p.unknown is True for p in result.predictions), [
        (p.path, p.unknown_score) for p in result.predictions]
    assert all(p.unknown_score > load_model("gtzan").open_set.rule.threshold
               for p in result.predictions)
    rule = json.loads((HEAD / "config.json").read_text())["open_set"]
    assert rule["score"] == "music-distance" and "out-of-fold" in rule["chosen_on"]
    rule = json.loads((FOLDER / "config.json").read_text())["open_set"]
    assert rule["score"] == "distance" and rule["chosen_on"] == "valid"


def test_the_built_in_reject_rule_was_set_on_the_valid_part(metrics, shared_data):
    """95 % of the validation clips accepted, with the class means of the training clips."""
    from genriflow.models.reject import ClassMeans

    tool = _tool()
    parts = tool.load_parts(shared_data / tool.TABLE, shared_data / tool.SAMPLE)
    model = load_model("gtzan-table")
    valid = model.open_set.scores(model, parts.X[parts.rows("valid")])
    assert np.mean(valid <= model.open_set.rule.threshold) == pytest.approx(
        metrics["open_set"]["valid_accepted"]) and metrics["open_set"]["valid_accepted"] >= 0.95
    train = parts.rows("train")
    again = ClassMeans.fit(model.embed(parts.X[train]), parts.y[train])
    np.testing.assert_allclose(again.means, model.open_set.distance.means, atol=1e-9)


def _head_tool():
    path = ROOT / "tools" / "default_head.py"
    spec = importlib.util.spec_from_file_location("default_head", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_the_build_script_reproduces_the_default_head(shared_data, tmp_path):
    """From the 194 clips' audio: the same choice, figures and probabilities."""
    tool = _head_tool()
    shipped = json.loads((HEAD / "metrics.json").read_text())
    # the clips are analysed once: the build keeps its analysis for the comparison below
    cache = tmp_path / "analysis.npz"
    rebuilt = tool.build_gtzan(shared_data, tmp_path / "gtzan", cache=cache, log=lambda _: None)
    for key in ("selection", "recipe", "cross_validation", "zero_shot", "open_set"):
        assert_close(rebuilt[key], shipped[key], where=key)
    # the split and what evaluate --part all counts as seen (the 7 clips the lists exclude)
    assert json.loads((tmp_path / "gtzan" / "config.json").read_text())["train"] == \
        json.loads((HEAD / "config.json").read_text())["train"]
    assert cache.is_file()
    songs = tool.songs_of(tool.analyse(tool.clip_paths(shared_data), cache))
    again, model = load_model(tmp_path / "gtzan"), load_model("gtzan")
    np.testing.assert_allclose(again.predict_proba(songs.windows),
                               model.predict_proba(songs.windows), atol=1e-6)


def test_the_far_out_analysis_is_kept_in_its_cache_and_reused(tmp_path, monkeypatch):
    """The clips lie in a fresh temporary folder each time: the cache holds their names
    within it, and a cache of another recipe is analysed again."""
    tool = _head_tool()
    calls = []

    def analyse(paths, cache, *, log):
        calls.append(len(paths))
        return {"paths": np.array([str(p) for p in paths]),
                "n_windows": np.ones(len(paths), dtype=int),
                "musicnn": np.arange(len(paths), dtype=np.float32)[:, None]}

    monkeypatch.setattr(tool, "analyse", analyse)
    cache = tmp_path / "far-out.npz"
    first = tool.far_out_analysis(cache, log=lambda _: None)
    again = tool.far_out_analysis(cache, log=lambda _: None)
    assert len(calls) == 1 and cache.is_file()
    assert list(again["paths"]) == list(first["paths"])
    assert not any(Path(p).is_absolute() for p in first["paths"])
    assert set(first["kinds"]) >= {"silence"} and list(again["kinds"]) == list(first["kinds"])
    monkeypatch.setattr(tool, "FAR_OUT_RECIPE", "another recipe")
    tool.far_out_analysis(cache, log=lambda _: None)
    assert len(calls) == 2
