"""``genriflow tune`` on the demo corpus: to the end, its report, and resumed after a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import genriflow
from commandline import in_process
from genriflow.features.options import RunOptions


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_tune_grid_to_the_end(demo_corpus, feature_cache, tmp_path):
    space = _write(tmp_path / "grid.yaml", "model: logreg\nparams:\n"
                   "  C: {choices: [0.01, 0.1, 1.0]}\n")
    out = tmp_path / "run"
    result = genriflow.tune(demo_corpus, model="logreg", space=space, sampler="grid",
                            trials=10, out=out, split="stratified",
                            options=RunOptions(store=feature_cache))
    trials = result.trials
    assert len(trials) == 3 and set(trials["state"]) == {"complete"}  # a grid: its size
    assert sorted(trials["param_C"]) == [0.01, 0.1, 1.0]
    best = trials.loc[trials["value"].idxmax()]
    assert result.best["params"] == {"C": best["param_C"]}
    assert result.best["objective"] == "validation accuracy"
    assert result.best["value"] == pytest.approx(best["value"])
    # The best trial is an ordinary model folder, tested once; the run reports it.
    model = genriflow.load_model(result.model_folder)
    assert model.estimator.get_params()["clf__C"] == best["param_C"]
    folder_metrics = json.loads((result.model_folder / "metrics.json").read_text())
    assert folder_metrics["test"]["accuracy"] == pytest.approx(result.test["accuracy"])
    assert result.test["n"] == folder_metrics["split"]["counts"]["test"] == 20
    low, high = result.test["interval"]
    assert low < result.test["accuracy"] < high
    report = (out / "report.md").read_text()
    assert report.count("| complete |") == 3
    assert f"{result.test['correct']}/{result.test['n']}; 95 % Wilson {low:.3f}" in report
    # macro recall with its interval, as train reports it: metrics.json and the report
    # had the figure without its interval, and the console and the report had neither
    b_low, b_high = folder_metrics["test"]["balanced_accuracy_interval"]
    assert result.test["balanced_accuracy_interval"] == pytest.approx([b_low, b_high])
    balanced = result.test["balanced_accuracy"]
    assert (f"balanced accuracy (macro recall) {balanced:.3f} (95 % {b_low:.3f}-{b_high:.3f}"
            in report)
    run_metrics = json.loads((out / "metrics.json").read_text())
    assert run_metrics["test"]["balanced_accuracy_interval"] == pytest.approx([b_low, b_high])
    assert "Not drawn: the space has one parameter" in report  # the degenerate case
    assert (out / "history.png").is_file() and not (out / "importances.png").exists()
    assert "data:image/png;base64," in (out / "report.html").read_text()
    config = json.loads((out / "config.json").read_text())
    assert config["study"] == "run" and config["tune"]["sampler"] == "grid"
    # a rerun (it resumes) shows its own pictures, not every PNG left in the folder
    (out / "mine.png").write_bytes((out / "history.png").read_bytes())
    genriflow.tune(demo_corpus, model="logreg", space=space, sampler="grid", trials=10,
                   out=out, split="stratified", options=RunOptions(store=feature_cache))
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 1 and "mine.png" not in page
    assert (out / "mine.png").is_file()
    other = _write(tmp_path / "other.yaml", "params:\n  C: {choices: [5.0]}\n")
    with pytest.raises(genriflow.ConfigError, match="^`out` its study 'run' .* is another "
                                                     "search's"):
        genriflow.tune(demo_corpus, model="logreg", space=other, sampler="grid", out=out,
                       split="stratified", options=RunOptions(store=feature_cache))


def test_tune_tpe_draws_importances(demo_corpus, feature_cache, tmp_path):
    result = genriflow.tune(demo_corpus, model="svm", sampler="tpe", trials=5,
                            out=tmp_path / "tpe", split="stratified",
                            options=RunOptions(store=feature_cache))
    assert len(result.trials) == 5 and result.ran == 5
    assert (tmp_path / "tpe" / "importances.png").is_file()
    metrics = json.loads((tmp_path / "tpe" / "metrics.json").read_text())
    assert set(metrics["importances"]) == {"C", "gamma"}


def _states(db: Path) -> list[tuple[int, str, str]]:
    """(trial, state, params) of every trial in the study's SQLite file."""
    import sqlite3

    if not db.is_file():
        return []
    with sqlite3.connect(db) as conn:
        try:
            trials = conn.execute("SELECT number, state, trial_id FROM trials").fetchall()
            params = conn.execute("SELECT trial_id, param_name, param_value FROM "
                                  "trial_params").fetchall()
        except sqlite3.OperationalError:  # tables not created yet
            return []
    by_trial: dict[int, dict] = {}
    for trial_id, name, value in params:
        by_trial.setdefault(trial_id, {})[name] = value
    return [(n, s, json.dumps(by_trial.get(t, {}), sort_keys=True)) for n, s, t in trials]


def test_a_killed_tune_resumes_without_repeating_finished_trials(demo_corpus, feature_cache,
                                                                 tmp_path):
    space = _write(tmp_path / "rf.yaml", "params:\n  n_estimators: {choices: [100, 200, 300, "
                   "400, 500, 600]}\n")
    out = tmp_path / "run"
    command = [sys.executable, "-m", "genriflow", "tune", str(demo_corpus), "--model",
               "random-forest", "--space", str(space), "--sampler", "grid", "--trials", "6",
               "--out", str(out), "--split", "stratified", "--store", str(feature_cache), "-q"]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 240
    while time.time() < deadline and first.poll() is None:
        if sum(s == "COMPLETE" for _, s, _ in _states(out / "tune.db")) >= 2:
            break
        time.sleep(0.05)
    assert first.poll() is None, "tune ended before it could be killed"
    first.send_signal(signal.SIGKILL)
    first.wait()
    before = {n: p for n, s, p in _states(out / "tune.db") if s == "COMPLETE"}
    assert 2 <= len(before) < 6

    second = subprocess.run(command, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "COLUMNS": "200"})
    assert second.returncode == 0, second.stderr
    after = _states(out / "tune.db")
    complete = {n: p for n, s, p in after if s == "COMPLETE"}
    assert {n: complete[n] for n in before} == before  # the finished trials are kept...
    assert len(complete) == 6 and len(set(complete.values())) == 6  # ...and not run again
    assert f"({6 - len(before)} run now;" in second.stdout
    interrupted = [n for n, s, _ in after if s == "FAIL"]
    assert len(after) == 6 + len(interrupted) and len(interrupted) <= 1
    assert "test accuracy" in second.stdout and (out / "model" / "model.skops").is_file()
    assert "; balanced 0." in second.stdout


def test_bad_tune_input_is_one_line(demo_corpus, tmp_path):
    space = _write(tmp_path / "bad.yaml", "params:\n  C: {low: 1, high: oops}\n")
    out = in_process("tune", demo_corpus, "--model", "svm", "--space", space,
                     "--out", tmp_path / "r", "--no-store", "-q")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        f"error: `--space` {space}: `params.C.high` must be a number; got 'oops'"]
    with pytest.raises(genriflow.ConfigError, match="`sampler` must be one of grid, tpe"):
        genriflow.tune(demo_corpus, model="svm", sampler="random", out=tmp_path / "r2")


def test_tune_counts_its_validation_intervals_over_tracks(demo_corpus, feature_cache, tmp_path):
    """Segments of tracks (named as Kaggle's 3-second table names them) are not independent
    validation items: each trial's interval is over the validation part's tracks, as the
    test figure's is, and the report says so."""
    import shutil

    from genriflow.intervals import wilson_interval

    lines = ["path,label,group"]
    for clip in sorted(demo_corpus.glob("*/synth-*")):
        genre, rest = clip.name.removeprefix("synth-").split(".", 1)
        number, ext = rest.split(".")
        for segment in range(3):  # three copies: alike, as a track's segments mostly are
            name = f"{genre}/{genre}.{number}.{segment}.{ext}"
            (tmp_path / "segments" / genre).mkdir(parents=True, exist_ok=True)
            shutil.copy(clip, tmp_path / "segments" / name)
            lines.append(f"{name},{genre},{genre}.{number}")
    data = _write(tmp_path / "segments" / "manifest.csv", "\n".join(lines) + "\n")
    space = _write(tmp_path / "grid.yaml", "model: logreg\nparams:\n"
                   "  C: {choices: [0.001, 1.0]}\n")
    out = tmp_path / "run"
    result = genriflow.tune(data, model="logreg", space=space, sampler="grid", out=out,
                            split="stratified-grouped", options=RunOptions(store=feature_cache))
    metrics = json.loads((out / "metrics.json").read_text())
    tracks = metrics["split"]["tracks"]["valid"]
    assert metrics["split"]["counts"]["valid"] == 3 * tracks
    report = (out / "report.md").read_text()
    for row in result.trials.itertuples():
        assert row.valid_n == 3 * tracks
        # a track's three segments are one item: the interval of `tracks` items, not 3x as many
        low, high = wilson_interval(row.valid_correct / 3, tracks)
        assert (row.valid_low, row.valid_high) == pytest.approx((low, high))
        assert (high - low) > 1.5 * np.subtract(*wilson_interval(row.valid_correct,
                                                                 row.valid_n)[::-1])
        assert f"{low:.3f}-{high:.3f} over {tracks} tracks)" in report
        assert row.valid_tracks == tracks
    assert metrics["test"]["tracks"]["n"] == metrics["split"]["tracks"]["test"]
    assert f"over {metrics['split']['tracks']['test']} tracks), balanced" in report
    assert "- tracks per part (each of several segments; the intervals count tracks): " in report


def test_tune_on_one_file_per_clip_keeps_its_item_intervals(demo_corpus, feature_cache,
                                                           tmp_path):
    from genriflow.intervals import wilson_interval

    space = _write(tmp_path / "grid.yaml", "model: logreg\nparams:\n"
                   "  C: {choices: [0.001, 1.0]}\n")
    result = genriflow.tune(demo_corpus, model="logreg", space=space, sampler="grid",
                            out=tmp_path / "run", split="stratified",
                            options=RunOptions(store=feature_cache))
    assert "valid_tracks" not in result.trials
    for row in result.trials.itertuples():
        # exactly the figures of the per-item Wilson interval it had before
        assert (row.valid_low, row.valid_high) == wilson_interval(row.valid_correct,
                                                                  row.valid_n)
    assert "tracks" not in json.loads((tmp_path / "run" / "metrics.json").read_text())["split"]
    assert " tracks" not in (tmp_path / "run" / "report.md").read_text()
