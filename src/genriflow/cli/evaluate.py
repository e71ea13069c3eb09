"""``genriflow evaluate``: score a saved model on its own split or on new data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from genriflow.cli.common import (
    Device,
    Jobs,
    NoStore,
    Quiet,
    StoreDir,
    console,
    exit_if_failed,
    print_errors,
    print_result,
    run_options,
    stamp,
    styled,
)
from genriflow.errors import ConfigError

NAME = "evaluate"


def command(
    model_dir: Annotated[Path, typer.Argument(
        metavar="MODEL_DIR", help="A model folder written by train, or a "
                                  "built-in model (gtzan: song by song).")],
    # named as the API names them (data, table): its errors are then spelt as given here
    data: Annotated[Path | None, typer.Argument(metavar="DATA_DIR",
                                                help="Labelled audio.")] = None,
    table: Annotated[Path | None, typer.Option("--features",
                                               help="A Kaggle-style feature table.")] = None,
    part: Annotated[str, typer.Option(help="test/valid/train (the model's own split) or all "
                                      "(data the model never saw).")] = "test",
    out: Annotated[Path | None, typer.Option(help="Run folder: new, empty or an earlier "
                                             "evaluate run's (default: runs/evaluate-<time>)."
                                             )] = None,
    open_set: Annotated[bool, typer.Option("--open-set", help="Leave-one-genre-out instead: "
                                           "refit the model's recipe without each genre in "
                                           "turn and measure how well the unknown-genre "
                                           "scores tell it (and noise, speech) apart: AUROC, "
                                           "FPR at 95 % TPR, risk-coverage.")] = False,
    scores: Annotated[str, typer.Option(help="With --open-set: comma-separated scores.")
                      ] = "max-prob,energy,distance,relative-distance",
    far_out: Annotated[int, typer.Option(help="With --open-set: far-out clips of each kind "
                                         "(white, pink, brown noise, speech); 0 for none.")
                       ] = 5,
    far_out_seconds: Annotated[float, typer.Option(help="With --open-set: their length.")
                               ] = 30.0,
    bootstrap: Annotated[int, typer.Option(help="With --open-set: resamples of each "
                                           "interval (AUROC, FPR at 95 % TPR, AURC); at least 100.")
                         ] = 1000,
    n_jobs: Jobs = None, store: StoreDir = None, no_store: NoStore = False,
    quiet: Quiet = False, device: Device = "auto",
) -> None:
    """Score a saved model: accuracy, per-genre figures and confusion matrix, with the split.

    With --open-set: can it say "none of these"? One round per genre held out.
    """
    from genriflow.api_training import evaluate
    from genriflow.api_training import open_set as run_open_set

    options = run_options(store, no_store, n_jobs, quiet, device=device)
    if open_set:
        if part != "test":
            raise ConfigError("part", "is not used by --open-set, which sets its own parts")
        run = run_open_set(data, model=model_dir, table=table, bootstrap=bootstrap,
                           scores=[s.strip() for s in scores.split(",") if s.strip()],
                           far_out=far_out, far_out_seconds=far_out_seconds,
                           options=options,
                           out=out or Path("runs") / f"open-set-{stamp()}")
        print_open_set(run.metrics)
        console.print(f"report: {run.folder / 'report.html'}")
        print_errors(run.errors)
        exit_if_failed(run.errors)
        return
    run = evaluate(data, model=model_dir, table=table, part=part,
                   out=out or Path("runs") / f"evaluate-{stamp()}",
                   options=options)
    print_result(run.metrics, run.folder)
    print_errors(run.errors)
    exit_if_failed(run.errors)


def print_open_set(metrics: dict) -> None:
    """One line per score: pooled AUROC with its interval, FPR at 95 % TPR, AURC."""
    o = metrics["open_set"]
    console.print(f"leave-one-genre-out, {o['recipe']['model']} on {o['recipe']['features']}, "
                  f"{len(o['rounds'])} rounds (pooled; 95 % bootstrap intervals):")
    from genriflow.intervals import figure_text

    for score, f in o["pooled"].items():
        far = f.get("far_out")
        far_text = f", far-out AUROC {figure_text(far)}" if far else ""
        console.print(styled(f"  {score}: AUROC ", (f"{f['auroc']:.3f}", "bold"),
                             f" ({f['auroc_interval'][0]:.3f}-{f['auroc_interval'][1]:.3f}), "
                             f"FPR@95 {figure_text(f, 'fpr_at_tpr')}, "
                             f"AURC {figure_text(f, 'aurc')}{far_text}"), highlight=False)
    for score, reason in o["unavailable"].items():
        console.print(f"  {score}: not available ({reason})")
