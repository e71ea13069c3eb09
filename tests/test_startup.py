"""The command line starts light: help and argument errors import no numpy, torch or librosa.

Each case runs in a fresh interpreter (a test process has long imported them all) and
lists the heavy modules left in ``sys.modules`` once the command line has answered.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SONG = Path(__file__).parent / "data" / "musicnn_reference.flac"
HEAVY = ("numpy", "torch", "librosa", "scipy", "pandas", "sklearn", "numba", "soundfile")

RUN = """
import json, sys
from genriflow.cli import app
try:
    app(sys.argv[2:], prog_name="genriflow")
except SystemExit as exc:
    status = exc.code
heavy = sys.argv[1].split(",")  # the names to look for come first
print(json.dumps({"status": status, "heavy": sorted(m for m in heavy if m in sys.modules)}))
"""


def _answer(*argv: str) -> dict:
    done = subprocess.run([sys.executable, "-c", RUN, ",".join(HEAVY), *argv],
                          capture_output=True, text=True, timeout=120, check=True)
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    return {**answer, "stderr": done.stderr}


def _every_command(command, path=()) -> list[tuple[str, ...]]:
    """Every command and group of the command line, as the words that call it."""
    found = [path]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        found += _every_command(sub, (*path, name))
    return found


def _commands() -> list[tuple[str, ...]]:
    from typer.main import get_command

    from genriflow.cli import app

    return _every_command(get_command(app))


@pytest.mark.parametrize("argv", [(*words, "--help") for words in _commands()], ids=" ".join)
def test_help_imports_nothing_heavy(argv):
    answer = _answer(*argv)
    assert (answer["status"], answer["heavy"]) == (0, [])


def test_every_command_is_asked_for_help():
    assert {("predict",), ("library", "classify"), ("library", "undo"), ()} <= set(_commands())
    assert len(_commands()) >= 25


#: Stands for the test's own empty folder: a refused command writes nothing there (a
#: library command creates no index at ``--db``, a plan no file).
TMP = "{tmp}"
DB = f"{TMP}/index/library.db"

#: A bad command line, and what its one error line must name: the option as the command
#: spells it (``--jobs``, not the API's ``n_jobs``), or what click says of it.
ARGUMENT_ERRORS = [
    (("predict",), "Missing argument"),
    (("predict", "--top", "many", "song.mp3"), "Invalid value for '--top'"),
    (("predict", "--no-such-option", "song.mp3"), "No such option"),
    (("no-such-command",), "No such command"),
    (("predict", "--excerpts", "3", "--full", "song.mp3"), "`--excerpts` cannot be combined"),
    (("predict", "--format", "xml", "song.mp3"), "`--format` must be one of"),
    (("similar", "--excerpts", "0", "song.mp3", "music/"), "`--excerpts` must be at least 1"),
    (("library", "classify", "--excerpts", "3", "--full"), "`--excerpts` cannot be combined"),
    (("library", "classify", "--excerpts", "0"), "`--excerpts` must be at least 1"),
    (("train", "-j", "0", "data/"), "`--jobs` must be at least 1"),
    (("train", "--device", "tpu", "data/"), "`--device` must be one of"),
    (("predict", "--top", "0", str(SONG)), "`--top` must be at least 1"),
    (("predict", "--aggregation", "median", str(SONG)), "`--aggregation` must be one of"),
    (("predict", "--min-confidence", "2", str(SONG)), "`--min-confidence` must be between"),
    (("predict", "-j", "0", str(SONG)), "`--jobs` must be at least 1"),
    (("predict", "--device", "tpu", str(SONG)), "`--device` must be one of"),
    (("predict", "--model", "no-such-model", str(SONG)), "`no-such-model`: not a genriflow"),
    (("predict", "no-such-model", str(SONG)),
     "`no-such-model`: no such file or folder, nor a built-in"),
    (("similar", "-k", "0", str(SONG), str(SONG.parent)), "`-k` must be at least 1"),
    (("models", "--format", "xml"), "`--format` must be one of"),
    (("features", "-j", "0", "data/"), "`--jobs` must be at least 1"),
    (("cluster", "--set", "nosuch", "data/"), "`--set` must be one of"),
    (("serve", "--pool", "fork"), "`--pool` must be one of"),
    (("serve", "--workers", "0"), "`--workers` must be at least 1"),
    (("serve", "--model", "no-such-model"), "`no-such-model`: not a genriflow model"),
    # The dataset-level commands check every value before NumPy or the data (no data/
    # folder exists: a value checked after the folder would say so instead).
    (("train", "--split", "nosuch", "data/"), "`--split` must be one of"),
    (("train", "--model", "nosuch", "data/"), "`--model` must be auto, a classical model"),
    (("train", "--model", "svm@nosuch", "data/"), "`--model` names feature set 'nosuch'"),
    (("train", "--folds", "1", "data/"), "`--folds` must be at least 2"),
    (("train", "--seed", "-1", "data/"), "`--seed` must be at least 0"),
    (("train", "--pca", "0", "data/"), "`--pca` must be at least 1"),
    (("train", "--epochs", "0", "data/"), "`--epochs` must be at least 1"),
    (("train", "--augment", "nosuch", "data/"), "`--augment` must be one of"),
    (("train", "--copies", "0", "data/"), "`--copies` must be at least 1"),
    (("train", "--embeddings", "zzz", "data/"), "`--embeddings` must be one of"),
    (("train", "--calibration", "nosuch", "data/"), "`--calibration` must be one of"),
    (("train", "--model", "shortchunk-cnn", "--calibration", "isotonic", "data/"),
     "`--calibration` must be one of auto, none, temperature"),
    (("train", "--thresholds", "nosuch", "data/"), "`--thresholds` must be one of"),
    (("tune", "--model", "auto", "data/"), "`--model` must be a classical model"),
    (("tune", "--model", "svm", "--sampler", "nosuch", "data/"), "`--sampler` must be one of"),
    (("tune", "--model", "svm", "--trials", "0", "data/"), "`--trials` must be at least 1"),
    (("tune", "--model", "svm", "-j", "0", "data/"), "`--jobs` must be at least 1"),
    (("tune", "--model", "svm", "--split", "nosuch", "data/"), "`--split` must be one of"),
    (("tune", "--model", "svm", "--epochs", "0", "data/"), "`--epochs` must be at least 1"),
    (("evaluate", "--part", "nosuch", "gtzan", "data/"), "`--part` must be one of"),
    (("evaluate", "--open-set", "--scores", "nosuch", "gtzan", "data/"),
     "`--scores` must be one of"),
    (("evaluate", "--open-set", "--far-out", "-1", "gtzan", "data/"),
     "`--far-out` must be at least 0"),
    (("evaluate", "--open-set", "--far-out-seconds", "0", "gtzan", "data/"),
     "`--far-out-seconds` must be above 0"),
    (("evaluate", "--open-set", "--bootstrap", "0", "gtzan", "data/"),
     "`--bootstrap` must be at least 100"),
    (("compare", "--models", "svm,nosuch", "data/"), "`--models` must be auto, a classical"),
    (("compare", "--split", "nosuch", "data/"), "`--split` must be one of"),
    (("compare", "--epochs", "0", "data/"), "`--epochs` must be at least 1"),
    (("cluster", "--clusters", "1", "data/"), "`--clusters` must be at least 2"),
    (("cluster", "--components", "0", "data/"), "`--components` must be at least 1"),
    (("cluster", "--methods", "kmeans,nosuch", "data/"), "`--methods` must be one of"),
    (("cluster", "--set", "nosuch", "data/"), "`--set` must be one of"),
    (("cluster", "--seed", "-1", "data/"), "`--seed` must be at least 0"),
    (("features", "--sets", "kaggle,nosuch", "data/"), "`--sets` must be one of"),
    (("features", "-j", "0", "data/"), "`--jobs` must be at least 1"),
    (("plot", "--offset", "-1", "song.mp3"), "`--offset` must be at least 0"),
    (("plot", "--duration", "0", "song.mp3"), "`--duration` must be positive"),
    # nan passed every comparison and inf every minimum: each crashed as a sample count
    (("plot", "--offset", "nan", "song.mp3"), "`--offset` must be a finite number; got nan"),
    (("plot", "--duration", "inf", "song.mp3"), "`--duration` must be a finite number"),
    (("demo-data", "--seconds", "nan", f"{TMP}/corpus"), "`--seconds` must be a finite"),
    (("demo", "--seconds", "inf", "--out", f"{TMP}/demo"), "`--seconds` must be a finite"),
    (("library", "ls", "--mood", "zzz", "--db", DB), "`--mood` must be one of"),
    (("library", "ls", "--voice", "zzz", "--db", DB), "`--voice` must be one of"),
    (("library", "ls", "--threshold", "2", "--db", DB), "`--threshold` must be between"),
    (("library", "export", "--format", "zzz", "--db", DB), "`--format` must be one of"),
    (("library", "export", "--format", "parquet", "--db", DB), "`--out` is needed for parquet"),
    (("library", "export", "--mood", "zzz", "--out", f"{TMP}/songs.csv", "--db", DB),
     "`--mood` must be one of"),
    (("library", "plan", "-o", f"{TMP}/plan.csv", "--fields", "genre,zzz", "--db", DB),
     "`--fields` must be one of"),
    (("library", "plan", "-o", f"{TMP}/plan.csv", "--policy", "zzz", "--db", DB),
     "`--policy` must be one of"),
    (("library", "plan", "-o", f"{TMP}/plan.csv", "--min-confidence", "2", "--db", DB),
     "`--min-confidence` must be between"),
    (("library", "classify", "--batch-size", "0", "--db", DB), "`--batch-size` must be at least 1"),
    (("library", "classify", "-j", "0", "--db", DB), "`--jobs` must be at least 1"),
    (("library", "classify", "--device", "tpu", "--db", DB), "`--device` must be one of"),
    (("library", "classify", "--engine", "nosuch", "--db", DB), "`--engine` must be one of"),
    (("library", "classify", "--model", "no-such-model", "--db", DB),
     "`no-such-model`: not a genriflow model"),
    (("library", "albums", "--min-tracks", "0", "--db", DB), "`--min-tracks` must be at least 1"),
    (("library", "learn", "mine", "--from-tag", "genre", "--folds", "1", "--db", DB),
     "`--folds` must be at least 2"),
    (("library", "learn", "mine", "--from-tag", "genre", "--min-songs", "1", "--db", DB),
     "`--min-songs` must be at least 2"),
    (("library", "learn", "mine", "--from-tag", "genre", "--suggest", "-1", "--db", DB),
     "`--suggest` must be at least 0"),
    (("library", "learn", "mine", "--from-tag", "genre", "--min-confidence", "2", "--db", DB),
     "`--min-confidence` must be between"),
    (("library", "learn", "mine", "--from-tag", "artist", "--db", DB),
     "`--from-tag` must be one of"),
    (("library", "learn", "mine", "--from-tag", "genre", "-j", "0", "--db", DB),
     "`--jobs` must be at least 1"),
    (("library", "learn", "mine", "--db", DB), "give the labels from exactly one source"),
    (("library", "learn", "gtzan", "--from-tag", "genre", "--db", DB),
     "model name 'gtzan' is a built-in model's"),
    # an empty argument, as an unset shell variable gives, is refused before it becomes
    # the current folder (predict "$SONG" analysed every song below it)
    (("predict", ""), 'argument 2 is empty ("")'),
    (("library", "scan", "", "--db", DB), 'argument 3 is empty ("")'),
    (("similar", str(SONG), ""), 'argument 3 is empty ("")'),
    # a missing index (a mistyped --db) is refused by every command that only reads it,
    # and none is made: only scan, learn and apply record songs or writes
    *[((*command, "--db", DB), "library.db: no library index here; make one with")
      for command in (("library", "ls"), ("library", "export"), ("library", "albums"),
                      ("library", "classify"), ("library", "undo"),
                      ("library", "plan", "-o", f"{TMP}/plan.csv"),
                      ("library", "playlists", "--by", "genre", "-o", f"{TMP}/lists"))],
]


@pytest.mark.parametrize(("argv", "says"), ARGUMENT_ERRORS)
def test_argument_errors_import_nothing_heavy(argv, says, tmp_path):
    answer = _answer(*(arg.replace(TMP, str(tmp_path)) for arg in argv))
    assert (answer["status"], answer["heavy"]) == (2, [])
    assert says in answer["stderr"]
    assert "Traceback" not in answer["stderr"]
    assert not list(tmp_path.iterdir())


#: Values each valid alone that only their combination rules out: refused as light as a
#: single bad value (training_config checks them before the training code loads), in one
#: line naming the option as the command spells it. The data folder exists, so that a
#: combination let through would go on to train (and fail this test by importing NumPy);
#: the table is refused before it is read.
DATA = str(SONG.parent)
TABLE = "features.csv"
COMBINATION_ERRORS = [
    (("train", "--model", "auto", "--multi-label", DATA),
     "`--model` is auto, which chooses among single-genre models"),
    (("train", "--model", "auto", "--calibration", "isotonic", DATA),
     "`--model` is auto, which chooses among single-genre models"),
    (("train", "--model", "shortchunk-cnn", "--embeddings", "msd-musicnn", DATA),
     "`--embeddings` trains a classical head"),
    (("train", "--model", "shortchunk-cnn", "--features", TABLE),
     "`--features` cannot train a network"),
    (("train", "--model", "svm", "--embeddings", "msd-musicnn", "--features", TABLE),
     "`--features` holds kaggle features, but msd-musicnn features come from audio"),
    (("train", "--model", "svm@msd-musicnn", "--features", TABLE),
     "`--features` holds kaggle features, but msd-musicnn features come from audio"),
    (("train", "--model", "svm@kaggle", "--embeddings", "msd-musicnn", DATA),
     "`--embeddings` is 'msd-musicnn' but the model 'svm@kaggle' names features"),
    (("train", "--model", "svm", "--split", "kfold", "--calibration", "sigmoid", DATA),
     "`--calibration` needs a validation part to fit on; the split is kfold"),
    (("train", "--model", "logreg", "--split", "kfold-grouped", "--multi-label", DATA),
     "`--multi-label` needs a validation part to tune thresholds on"),
    (("train", "--model", "shortchunk-cnn", "--split", "kfold", DATA),
     "`--split` is kfold, but networks train on a hold-out split"),
    (("train", "--model", "mm-cnn", "--split", "kfold-grouped", "--multi-label", DATA),
     "`--split` is kfold-grouped, but networks train on a hold-out split"),
    (("train", "--model", "mm-cnn", "--pca", "0", DATA), "`--pca` must be at least 1"),
    (("train", "--model", "svm", "--features", TABLE, DATA),
     "`DATA_DIR` and a feature table are both given"),
    (("train", "--model", "svm"), "`DATA_DIR` is missing"),
    (("compare", "--models", "svm,shortchunk-cnn", "--split", "kfold", DATA),
     "`--split` is kfold, but networks train on a hold-out split"),
    (("compare", "--models", "svm,mm-cnn@nosuch", DATA), "`--models` names feature set"),
    (("tune", "--model", "shortchunk-cnn", "--split", "kfold", DATA),
     "`--split` is kfold; tune scores trials on the validation part"),
]


@pytest.mark.parametrize(("argv", "says"), COMBINATION_ERRORS)
def test_a_combination_error_is_one_light_line_naming_the_option(argv, says, tmp_path):
    answer = _answer(*argv, "--out", str(tmp_path / "out"))
    assert (answer["status"], answer["heavy"]) == (2, []), answer["stderr"]
    assert says in answer["stderr"], answer["stderr"]
    assert len(answer["stderr"].strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


#: The first combination errors this file checked, when they were found after the heavy
#: imports; still named as the command spells the option, in one line.
NAMED_AS_GIVEN = [
    (("train", "--model", "auto", "--multi-label", str(SONG.parent)),
     "`--model` is auto, which chooses among single-genre models"),
    (("train", "--model", "shortchunk-cnn", "--embeddings", "msd-musicnn", str(SONG.parent)),
     "`--embeddings` trains a classical head"),
]


@pytest.mark.parametrize(("argv", "says"), NAMED_AS_GIVEN)
def test_an_error_names_the_option_as_the_command_spells_it(argv, says):
    answer = _answer(*argv)
    assert answer["status"] == 2
    assert says in answer["stderr"], answer["stderr"]
    assert len(answer["stderr"].strip().splitlines()) == 1


def test_a_field_the_command_has_no_option_for_keeps_the_api_name():
    from typer.main import get_command

    from genriflow.cli import app
    from genriflow.cli.common import as_given
    from genriflow.errors import ConfigError

    predict = get_command(app).commands["predict"]
    assert as_given(ConfigError("k", "must be at least 1; got 0"), predict) == \
        "`--top` must be at least 1; got 0"
    assert as_given(ConfigError("paths", "names no audio files"), predict) == \
        "`PATH` names no audio files"
    assert as_given(ConfigError("batch_size", "must be at least 1"), predict) == \
        "`batch_size` must be at least 1"
    assert as_given(ConfigError("k", "must be at least 1"), None) == "`k` must be at least 1"


def test_light_name_lists_match_their_implementations():
    from genriflow.datasets import SPLIT_METHODS
    from genriflow.datasets.splits import SplitConfig
    from genriflow.models import CLASSICAL_NAMES
    from genriflow.models.classical import CLASSICAL_MODELS

    assert set(CLASSICAL_NAMES) == set(CLASSICAL_MODELS)
    for method in SPLIT_METHODS:
        assert SplitConfig(method=method).method == method
    # loading a model folder names the network kind's weights without importing torch
    from genriflow.models.deep import DeepGenreModel
    from genriflow.models.folder import _WEIGHTS_FILES

    assert _WEIGHTS_FILES[DeepGenreModel.kind] == DeepGenreModel.weights_file


PREDICT = """
import json, sys
from genriflow.cli import app
try:
    app(["predict", *sys.argv[2:], "--format", "json", "-q"], prog_name="genriflow")
except SystemExit as exc:
    assert not exc.code, exc.code
heavy = sys.argv[1].split(",")
print(json.dumps(sorted(m for m in heavy if m in sys.modules)))
"""

#: Never imported by a prediction with the default model: the head and its reject rule
#: are NumPy arrays (skops' type scan, scikit-learn and SciPy are for other models).
NEVER = ("sklearn", "skops", "pandas")
#: Not imported when the song is served from the feature store either: no decoding,
#: no spectra, no networks.
NOT_WHEN_STORED = (*NEVER, "torch", "onnxruntime", "scipy", "numba", "librosa", "soundfile",
                   "av", "soxr")
#: Not imported by a cold prediction on a CPU either: the networks run on ONNX Runtime and
#: the log-mel spectrogram is NumPy's (features/mel.py). (librosa's package itself names
#: its modules lazily and costs a millisecond; its code is what must stay unloaded.)
NOT_WHEN_COLD = (*NEVER, "torch", "scipy", "numba", "librosa.core", "librosa.feature")


def _predict_imports(song, store) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PREDICT,
                           ",".join(sorted({*NOT_WHEN_STORED, *NOT_WHEN_COLD})),
                           str(song), "--store", str(store)],
                          capture_output=True, text=True, timeout=300, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_stored_song_is_predicted_without_torch_or_sklearn(tmp_path):
    """The second prediction of a song is served from the store: the default model's head
    is applied with NumPy, and nothing that computes features is imported. (The first,
    cold one runs the networks on ONNX Runtime and imports no torch, SciPy or librosa
    either.)"""
    import numpy as np
    import soundfile as sf

    from sample_audio import SR, tone

    song = tmp_path / "song.flac"
    sf.write(song, np.concatenate([tone(4.0, 220.0), tone(4.0, 330.0, seed=1)]), SR)
    cold = _predict_imports(song, tmp_path / "store")
    assert not set(cold) & set(NOT_WHEN_COLD), cold
    assert not set(_predict_imports(song, tmp_path / "store")) & {*NOT_WHEN_STORED,
                                                                    *NOT_WHEN_COLD}


#: Bad values of the commands that write a corpus, and the one line each must give; the
#: folder they name must stay unwritten.
WRITERS = [
    (("demo", "--per-genre", "9"), "`--per-genre` must be at least 10"),
    (("demo", "--seconds", "0"), "`--seconds` must give at least one sample"),
    (("demo", "-j", "0"), "`--jobs` must be at least 1"),
    (("demo-data", "--per-genre", "0"), "`--per-genre` must be at least 1"),
    (("demo-data", "--seconds", "0"), "`--seconds` must give at least one sample"),
    (("demo-data", "--multi", "-1"), "`--multi` must be at least 0"),
    (("demo-data", "--seed", "-1"), "`--seed` must be at least 0"),
]


@pytest.mark.parametrize(("argv", "says"), WRITERS)
def test_a_bad_value_of_a_writing_command_writes_nothing(tmp_path, argv, says):
    out = tmp_path / "out"
    where = ("--out", str(out)) if argv[0] == "demo" else (str(out),)
    answer = _answer(*argv, *where)
    assert (answer["status"], answer["heavy"]) == (2, [])
    assert says in answer["stderr"], answer["stderr"]
    assert len(answer["stderr"].strip().splitlines()) == 1
    assert not out.exists()


def test_the_demo_needs_one_clip_per_genre_in_its_validation_and_test_parts():
    """:data:`genriflow.demo.MIN_PER_GENRE` is what the demo's split really needs: one
    clip fewer per genre and the split refuses the corpus."""
    import pandas as pd

    from genriflow.datasets.discover import DatasetError
    from genriflow.datasets.gtzan import GTZAN_GENRES
    from genriflow.datasets.splits import SplitConfig, assign_splits, resolve_method
    from genriflow.demo import MIN_PER_GENRE

    def corpus(per_genre: int) -> pd.DataFrame:
        names = [f"synth-{g}.{i:05d}" for g in GTZAN_GENRES for i in range(per_genre)]
        return pd.DataFrame({"path": [f"{n}.wav" for n in names],
                             "label": [n[6:].split(".")[0] for n in names],
                             "group": None, "split": None})

    assert resolve_method(corpus(MIN_PER_GENRE)) == "stratified"  # the demo's auto split
    parts = assign_splits(corpus(MIN_PER_GENRE), SplitConfig())[0]
    for part in ("valid", "test"):
        assert set(corpus(MIN_PER_GENRE)["label"][parts == part]) == set(GTZAN_GENRES)
    with pytest.raises(DatasetError, match="too few files"):
        assign_splits(corpus(MIN_PER_GENRE - 1), SplitConfig())


#: What each API script below ends with: the field each call's ConfigError named, and
#: which heavy modules were imported by then.
API_REPORT = """
fields = {}
for name, call in calls.items():
    try:
        call()
    except ConfigError as exc:
        fields[name] = exc.field
heavy = sys.argv[1].split(",")
print(json.dumps({"fields": fields, "heavy": sorted(m for m in heavy if m in sys.modules)}))
"""

API_CHECK = """
import json, sys
import genriflow
from genriflow.errors import ConfigError
calls = {
    "train": lambda: genriflow.train("no-such-data", out=sys.argv[2] + "/train", epochs=0),
    "compare": lambda: genriflow.compare("no-such-data", models=["svm", "nosuch"],
                                         out=sys.argv[2] + "/compare"),
    "cluster": lambda: genriflow.cluster("no-such-data", out=sys.argv[2] + "/cluster",
                                         n_clusters=1),
    "extract_features": lambda: genriflow.extract_features(
        "no-such-data", feature_sets=["kaggle", "nosuch"]),
    "tune": lambda: genriflow.tune("no-such-data", model="svm", out=sys.argv[2] + "/tune",
                                   trials=0),
}
""" + API_REPORT


def test_the_python_api_checks_the_same_values_first_and_light(tmp_path):
    """The checks live in the API (the command line only names the option): the same
    fields, before the data are read, anything written or NumPy imported."""
    done = subprocess.run([sys.executable, "-c", API_CHECK, ",".join(HEAVY), str(tmp_path)],
                          capture_output=True, text=True, timeout=120, check=True)
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer == {"fields": {"train": "epochs", "compare": "models",
                                 "cluster": "n_clusters", "extract_features": "feature_sets",
                                 "tune": "trials"},
                      "heavy": []}
    assert list(tmp_path.iterdir()) == []


def test_light_option_lists_are_the_ones_their_implementations_use():
    """The option names kept light are the very tuples the heavy modules check and act on."""
    from genriflow import audio, training
    from genriflow.audio import augment
    from genriflow.datasets import split_config, splits
    from genriflow.models import reject, reject_options
    from genriflow.training import (
        calibration,
        classical,
        cluster_config,
        clustering,
        tune,
        tune_config,
    )
    from genriflow.workflows import evaluate_model, leave_one_genre_out, open_set_config

    assert augment.AUGMENTATIONS is audio.AUGMENTATIONS
    for level in audio.AUGMENTATIONS:  # every level is one the augmenter knows
        assert (augment.waveform_augmenter(level, 22050) is None) == (level == "none")
    assert calibration.CALIBRATIONS is training.CALIBRATIONS
    assert calibration.NETWORK_CALIBRATIONS is training.NETWORK_CALIBRATIONS
    assert set(training.NETWORK_CALIBRATIONS) <= set(training.CALIBRATIONS)
    assert classical.THRESHOLD_CHOICES is training.THRESHOLD_CHOICES
    assert reject.SCORES is reject_options.SCORES
    assert evaluate_model.EVALUATION_PARTS is split_config.EVALUATION_PARTS
    assert splits.SplitConfig is split_config.SplitConfig
    assert clustering.ClusterConfig is cluster_config.ClusterConfig
    assert tune.TuneConfig is tune_config.TuneConfig
    assert leave_one_genre_out.OpenSetConfig is open_set_config.OpenSetConfig


def test_light_training_configs_agree_with_the_networks_and_models():
    """The light copies the training configurations check with are the implementations'."""
    from genriflow.models.classical import CLASSICAL_MODELS
    from genriflow.models.networks import NETWORK_INPUTS, NETWORKS
    from genriflow.training import network_config, train_config

    assert network_config.NETWORK_INPUTS is NETWORK_INPUTS  # one table, in genriflow.models
    assert set(NETWORK_INPUTS) == set(NETWORKS)
    assert set(train_config.MODEL_CHOICES) == {"auto", *CLASSICAL_MODELS}


API_COMBINATIONS = """
import json, sys
import genriflow
from genriflow.errors import ConfigError
data, out = sys.argv[2], sys.argv[3]
calls = {
    "auto multi-label": lambda: genriflow.train(data, out=out + "/a", multi_label=True),
    "network on a table": lambda: genriflow.train(table=data, out=out + "/b",
                                                  model="mm-cnn"),
    "network on k-fold": lambda: genriflow.compare(data, models=["svm", "mm-cnn"],
                                                   out=out + "/c",
                                                   split="kfold"),
    "no data": lambda: genriflow.train(out=out + "/d", model="svm"),
}
""" + API_REPORT


def test_the_python_api_refuses_combinations_light(tmp_path):
    """The combinations the command line refuses are the API's own checks, light too."""
    done = subprocess.run([sys.executable, "-c", API_COMBINATIONS, ",".join(HEAVY),
                           str(SONG.parent), str(tmp_path)],
                          capture_output=True, text=True, timeout=120, check=True)
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer == {"fields": {"auto multi-label": "model", "network on a table": "table",
                                 "network on k-fold": "split", "no data": "data"},
                      "heavy": []}
    assert list(tmp_path.iterdir()) == []
