"""The reject option end to end: predict says unknown for noise; evaluate --open-set."""

import csv
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from typer.testing import CliRunner

import genriflow
from genriflow.cli import app
from genriflow.inference.output import (
    predictions_to_csv,
    render_predictions,
    songs_to_records,
)


def test_a_model_trained_on_the_demo_corpus_calls_noise_unknown(demo_model, demo_corpus):
    model = genriflow.load_model(demo_model)
    rule = json.loads((demo_model / "config.json").read_text())["open_set"]
    assert rule["chosen_on"] == "valid" and rule["target_tpr"] == 0.95
    sr = 22050
    noise = 0.1 * np.random.default_rng(0).standard_normal(4 * sr)
    p = genriflow.classify(noise, sr=sr, model=model)
    assert p.unknown is True and p.unknown_score > rule["threshold"]
    assert str(p).startswith(f"<array>: unknown (best guess: {p.genre} ")
    songs = sorted(demo_corpus.glob("*/*.wav"))[:10]
    known = genriflow.classify(songs, model=model, options=genriflow.RunOptions(
        store=None, n_jobs=1)).predictions
    assert sum(not k.unknown for k in known) >= 8         # training-side songs: accepted
    row = next(csv.DictReader(io.StringIO(predictions_to_csv([p]))))
    assert row["unknown"] == "true" and float(row["unknown_score"]) > rule["threshold"]
    assert songs_to_records([p])[0]["unknown"] is True
    printed = io.StringIO()
    render_predictions([p, *known[:1]], "table", 3, Console(file=printed))
    rows = printed.getvalue().splitlines()
    assert rows[1].split("\t")[1].startswith(f"unknown (best guess: {p.genre} ")


def test_evaluate_open_set_on_a_small_real_table(kaggle_table, tmp_path):
    table = pd.read_csv(kaggle_table)
    small = tmp_path / "features_30_sec.csv"
    table[table["label"].isin(["classical", "jazz", "metal", "pop"])].to_csv(small, index=False)
    genriflow.train(table=small, model="logreg", out=tmp_path / "model",
                    options=genriflow.RunOptions(store=None, n_jobs=1))
    run = tmp_path / "run"
    out = CliRunner().invoke(app, [
        "evaluate", str(tmp_path / "model"), "--features", str(small), "--open-set",
        "--far-out", "1", "--far-out-seconds", "5", "--bootstrap", "100", "--scores",
        "max-prob,energy,distance", "--out", str(run), "-q", "--no-store", "--jobs", "1"])
    assert out.exit_code == 0, out.output
    assert "leave-one-genre-out, logreg on kaggle, 4 rounds" in out.output
    assert "distance: AUROC" in out.output
    metrics = json.loads((run / "metrics.json").read_text())["open_set"]
    assert [r["held_out"] for r in metrics["rounds"]] == ["classical", "jazz", "metal", "pop"]
    distance = metrics["pooled"]["distance"]
    assert distance["n_unknown"] == sum(r["n_unknown"] for r in metrics["rounds"])
    assert distance["far_out"]["n_unknown"] == 4 * 4           # 4 kinds x 1 clip x 4 rounds
    assert distance["far_out"]["auroc"] > 0.9                  # noise is far from music
    for name in ("auroc", "fpr_at_tpr", "aurc"):  # every figure inside its interval
        low, high = distance[f"{name}_interval"]
        assert low <= distance[name] <= high, name
    assert set(distance["far_out"]["per_kind"]["speech"]) == {"auroc", "auroc_interval"}
    assert f"FPR@95 {distance['fpr_at_tpr']:.3f} ({distance['fpr_at_tpr_interval'][0]:.3f}-" \
        in out.output
    for name in ("report.md", "report.html", "risk-coverage.png", "errors.csv"):
        assert (run / name).is_file()
    assert "| distance |" in (run / "report.md").read_text()


def test_bad_open_set_options_are_one_line_errors(demo_model):
    runner = CliRunner()
    for args, field in [(["--scores", "entropy"], "`--scores`"), (["--part", "valid"],
                        "`--part`"), (["--bootstrap", "5"], "`--bootstrap`"),
                        (["--far-out", "-1"], "`--far-out`")]:
        result = runner.invoke(app, ["evaluate", str(demo_model), str(Path("nowhere")),
                                     "--open-set", *args, "-q"])
        assert result.exit_code == 2, result.output
        message = result.output.strip()
        assert field in message and "Traceback" not in message and len(message.splitlines()) == 1
