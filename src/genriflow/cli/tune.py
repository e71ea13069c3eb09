"""``genriflow tune``: search a model's hyperparameters (Optuna), test the best once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from genriflow.cli.common import (
    Address,
    Device,
    Engine,
    NoStore,
    Quiet,
    StoreDir,
    console,
    exit_if_failed,
    print_errors,
    run_options,
    stamp,
    styled,
)
from genriflow.datasets import SPLIT_METHODS
from genriflow.intervals import tracks_words

NAME = "tune"


def command(
    data_dir: Annotated[Path, typer.Argument(metavar="DATA_DIR", help="Folder of labelled "
                                             "audio or a manifest CSV.")],
    model: Annotated[str, typer.Option(help="The model to tune: a classical head (svm, "
                                       "logreg, knn, random-forest, gradient-boosting, mlp; "
                                       "model@feature-set for another input) or a network "
                                       "(mm-cnn, shortchunk-cnn, ...).")],
    space: Annotated[Path | None, typer.Option(
        help="Search space, a YAML file: params: each parameter's {choices: [...]} or "
             "{low: A, high: B} (log: true, step: S), e.g. params: {C: {low: 0.01, high: "
             "100, log: true}}; default: the model's own (its report lists it).")] = None,
    sampler: Annotated[str, typer.Option(help="grid (every combination) or tpe.")] = "tpe",
    trials: Annotated[int, typer.Option(help="Trials the study holds when done (a grid: "
                                        "at most its size).")] = 20,
    storage: Annotated[str | None, typer.Option(help="Optuna storage, e.g. "
                                                "sqlite:///tune.db (default: tune.db in "
                                                "the run folder). Rerun to resume.")] = None,
    out: Annotated[Path | None, typer.Option(help="Run folder: new, empty or an earlier tune "
                                             "run's, resumed; the study is named after it "
                                             "(default: runs/tune-<model>-<time>).")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Trials at once.")] = 1,
    split: Annotated[str, typer.Option(help=f"One of: {', '.join(SPLIT_METHODS)} (a "
                                       "hold-out split with a validation part).")] = "auto",
    seed: Annotated[int, typer.Option(help="Seed of the split, sampler and models.")] = 0,
    epochs: Annotated[int, typer.Option(help="Networks: most epochs per trial.")] = 30,
    device: Device = "auto",
    store: StoreDir = None, no_store: NoStore = False, quiet: Quiet = False,
    engine: Engine = "local", address: Address = None,
) -> None:
    """Search MODEL's hyperparameters on train/valid, then test the best trial once.

    The best trial becomes an ordinary model folder (RUN_DIR/model); the run folder's
    report.html shows the trials, the optimisation history and the parameter importances.
    A killed search resumes when the same command is run again.
    """
    from genriflow.api_training import tune

    out = out or Path("runs") / f"tune-{model.replace('@', '-')}-{stamp()}"
    result = tune(data_dir, model=model, out=out, space=space, sampler=sampler, trials=trials,
                  storage=storage, jobs=jobs, split=split, seed=seed, epochs=epochs,
                  device=device, options=run_options(store, no_store, None, quiet, engine,
                                                     address, device))
    states = result.trials["state"].value_counts().to_dict()
    test = result.test
    low, high = test["interval"]
    console.print(f"trials: {', '.join(f'{k} {v}' for k, v in sorted(states.items()))} "
                  f"({result.ran} run now; study {result.study!r} in {result.storage})")
    best = result.best
    console.print(f"best trial {best['number']} ({best['objective']} {best['value']:.3f}, "
                  "what it was chosen on): "
                  + ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                              for k, v in best["params"].items()), highlight=False)
    balanced = f"balanced {test['balanced_accuracy']:.3f}"
    if "balanced_accuracy_interval" in test:
        b_low, b_high = test["balanced_accuracy_interval"]
        balanced += f", {b_low:.3f}-{b_high:.3f}"
    console.print(styled("test accuracy ", (f"{test['accuracy']:.3f}", "bold"),
                         f" ({test['correct']}/{test['n']}, 95 % Wilson {low:.3f}-{high:.3f}"
                         f"{tracks_words(test)};"
                         f" {balanced}) on {test['part']}"))
    console.print(f"model: {result.model_folder}")
    console.print(f"report: {result.folder / 'report.html'}")
    print_errors(result.errors)
    exit_if_failed(result.errors)
