"""genriflow evaluate on the default fused model: song by song, as predict classifies."""

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import genriflow
from genriflow.cli import app
from genriflow.datasets.gtzan import fault_filtered_split
from genriflow.errors import ConfigError
from genriflow.features.options import RunOptions


@pytest.fixture(scope="module")
def sample(shared_data) -> Path:
    return shared_data / "gtzan-sample" / "genres_original"


def test_the_default_model_is_scored_on_its_split_as_predict_classifies(sample, tmp_path):
    options = RunOptions(store=tmp_path / "store")
    run = genriflow.evaluate(sample, model="gtzan", out=tmp_path / "run", part="train",
                             options=options)
    split = fault_filtered_split()
    train = sorted(p for p in sample.rglob("*.wav") if split.get(p.stem) == "train")
    assert len(train) == 40 and run.metrics["split"]["method"] == "gtzan-fault-filtered"
    predicted = genriflow.classify(train, options=options).predictions
    truth = [p.parent.name for p in train]
    hits = sum(p.genre == t for p, t in zip(predicted, truth, strict=True))
    test = run.metrics["test"]
    assert (test["correct"], test["n"]) == (hits, 40)
    assert test["interval"][0] < test["accuracy"] < test["interval"][1]
    # the calibration figures are those of the songs' probabilities
    proba = np.stack([p.probabilities for p in predicted])
    p_true = proba[np.arange(40), [p.labels.index(t) for p, t in zip(predicted, truth,
                                                                      strict=True)]]
    shipped = run.metrics["test_calibration"]["as shipped"]
    assert shipped["nll"] == pytest.approx(float(-np.mean(np.log(p_true))))
    assert run.metrics["test_calibration"]["method"] == "calibration: none"  # not calibrated
    report = (tmp_path / "run" / "report.md").read_text()
    assert "gtzan-fault-filtered" in report and "expected calibration error" in report
    assert (tmp_path / "run" / "reliability.png").stat().st_size > 5_000
    saved = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert saved["test"]["n"] == 40


def test_its_errors_are_one_line(sample, tmp_path, kaggle_table):
    with pytest.raises(ConfigError, match="^`part` is test, but .* has no test songs under "
                                          "the model's split 'gtzan-fault-filtered'"):
        genriflow.evaluate(sample, model="gtzan", out=tmp_path / "a")   # all train-side clips
    with pytest.raises(ConfigError, match="labelled audio, not a table"):
        genriflow.evaluate(model="gtzan", table=kaggle_table, out=tmp_path / "b")
    result = CliRunner().invoke(app, ["evaluate", "gtzan", str(sample), "--out",
                                      str(tmp_path / "c"), "-q", "--no-store"])
    assert result.exit_code != 0
    assert "`--part` is test, but" in result.output and "use all" in result.output
    assert "no test songs" in result.output and "Traceback" not in result.output


def test_part_all_says_how_many_songs_the_model_was_fitted_or_chosen_on(tmp_path):
    # GTZAN-named clips: two of the model's own train part, one of its test part, one that
    # GTZAN's lists exclude but the built-in head was fitted on too, one they exclude that
    # it never saw, one not GTZAN's. Scoring them as "all" is no test of unseen data, and
    # the run says so.
    import soundfile as sf

    from commandline import in_process
    from sample_audio import SR, tone

    split = fault_filtered_split()
    train = sorted(k for k, part in split.items() if part == "train" and k.startswith("jazz"))
    test = sorted(k for k, part in split.items() if part == "test" and k.startswith("rock"))
    fitted_too = genriflow.load_model("gtzan").config["train"]["fitted_on_clips"]
    assert "reggae.00003" in fitted_too and "jazz.00033" not in {*split, *fitted_too}
    for seed, key in enumerate([*train[:2], test[0], "reggae.00003", "jazz.00033",
                                "rock.mine"]):
        genre = key.split(".")[0]
        (tmp_path / "data" / genre).mkdir(parents=True, exist_ok=True)
        sf.write(tmp_path / "data" / genre / f"{key}.wav", tone(4.0, seed=seed), SR)
    options = RunOptions(store=tmp_path / "store")
    run = genriflow.evaluate(tmp_path / "data", model="gtzan", out=tmp_path / "run",
                             part="all", options=options)
    assert run.metrics["split"]["seen_by_the_model"] == 3
    assert "3 of these items are among the clips the model was fitted or chosen on" in \
        (tmp_path / "run" / "report.md").read_text()
    shown = in_process("evaluate", "gtzan", tmp_path / "data", "--part", "all", "--out",
                           tmp_path / "run2", "-q", "--store", tmp_path / "store")
    assert shown.returncode == 0, shown.stderr
    assert ("warning: 3 of these 6 are among the clips the model was fitted or chosen on"
            in shown.stdout)
    # data scored whole is named as such, not as a part of a split called "none"
    assert "on all 6 songs (no split)" in shown.stdout and "(none," not in shown.stdout
