"""``genriflow train``: fit, choose on validation, test once, save the model folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from genriflow.cli.common import (
    SPLIT_HELP,
    Device,
    Jobs,
    NoStore,
    Quiet,
    StoreDir,
    console,
    exit_if_failed,
    print_errors,
    print_hanging,
    print_result,
    print_table,
    run_options,
    stamp,
    styled,
)
from genriflow.models import CLASSICAL_NAMES, NETWORK_NAMES

if TYPE_CHECKING:
    from genriflow.training.auto import AutoChoice

NAME = "train"


def command(
    # Named as the API names them (data, table), so that an error the API finds in either
    # is spelt as given here (DATA_DIR, --features).
    data: Annotated[Path | None, typer.Argument(metavar="DATA_DIR", help="Folder of "
                                                "labelled audio or a manifest CSV.")] = None,
    table: Annotated[Path | None, typer.Option("--features", help="Train from a "
                                               "Kaggle-style feature table instead of "
                                               "audio.")] = None,
    split: Annotated[str, typer.Option(help=SPLIT_HELP)] = "auto",
    model: Annotated[str, typer.Option(help="auto (the best on validation of the heads on "
                                       "the table, on msd-musicnn embeddings and, with 50+ "
                                       "training clips per genre, shortchunk-cnn), "
                                       f"one of: {', '.join(CLASSICAL_NAMES)}; or "
                                       f"a network: {', '.join(NETWORK_NAMES)}; any of "
                                       "them @feature-set for another input (auto@kaggle: "
                                       "the heads on one input, svm@msd-musicnn, "
                                       "cs229-ffnn@cs229-raw).")] = "auto",
    out: Annotated[Path | None, typer.Option(help="Model folder to write (default: "
                                             "models/<model>-<time>). A model folder "
                                             "already there is replaced, once the new one "
                                             "is complete (an interrupted run leaves it "
                                             "as it was); a folder holding anything else "
                                             "is refused.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed of splits and models.")] = 0,
    folds: Annotated[int, typer.Option(help="Folds of the k-fold splits.")] = 10,
    pca: Annotated[int | None, typer.Option(help="Classical models: PCA components after "
                                            "scaling (default: none; knn: 15).")] = None,
    epochs: Annotated[int, typer.Option(help="Most epochs of a network.")] = 50,
    device: Device = "auto",
    augment: Annotated[str, typer.Option(help="Networks: none, weak (noise) or strong (noise, "
                                         "stretch, shift, pitch) copies of training clips.")
                       ] = "none",
    copies: Annotated[int, typer.Option(help="Augmented copies per training clip.")] = 1,
    embeddings: Annotated[str | None, typer.Option(help="Transfer learning: train the "
                                                   "classical model on a pretrained network's "
                                                   "embeddings: msd-musicnn, mtt-musicnn, "
                                                   "msd-vgg or mtt-vgg.")] = None,
    calibration: Annotated[str, typer.Option(help="Fitted on the validation part: auto "
                                             "(temperature for networks, none for classical "
                                             "heads), none, temperature, sigmoid or "
                                             "isotonic (multi-label: per genre).")] = "auto",
    multi_label: Annotated[bool, typer.Option("--multi-label", help="Several genres per "
                                              "song (labels like rock;blues): one sigmoid "
                                              "per genre, or one-vs-rest heads.")] = False,
    thresholds: Annotated[str, typer.Option(help="Multi-label: tuned (per genre, on the "
                                            "validation songs with several genres; 0.2 "
                                            "when there are none) or seed (0.2).")
                          ] = "tuned",
    n_jobs: Jobs = None, store: StoreDir = None, no_store: NoStore = False,
    quiet: Quiet = False,
) -> None:
    """Train a genre classifier, evaluate it honestly and save its model folder."""
    from genriflow.api_training import train

    out = out or Path("models") / f"{model.replace('@', '-')}-{stamp()}"
    run = train(data, table=table, model=model, out=out, split=split, seed=seed,
                folds=folds, pca=pca, epochs=epochs, device=device, augment=augment,
                copies=copies, embeddings=embeddings, calibration=calibration,
                multi_label=multi_label, thresholds=thresholds,
                options=run_options(store, no_store, n_jobs, quiet, device=device))
    if run.auto is not None:
        print_auto(run.auto)
    else:
        print_selection(run.metrics)
    print_result(run.metrics, run.folder)
    print_errors(run.errors)
    exit_if_failed(run.errors)


def print_selection(metrics: dict) -> None:
    """The heads a classical ``auto`` (``auto@SET``) scored on the validation part, as
    ``report.md`` lists them; nothing for a single named model."""
    from genriflow.evaluation.report import selection_rows

    selection = selection_rows(metrics)
    if len(selection) < 2 or not metrics["split"].get("counts", {}).get("valid"):
        return
    multi_label = "multi_label" in metrics
    rows, styles = [], []
    for row in selection:
        if row["interval"] is None:  # mean average precision over genres: no count behind it
            cells = [row["name"], f"{row['score']:.3f}", ""]
        else:
            low, high = row["interval"]
            cells = [row["name"], f"{row['score']:.3f} ({row['correct']}/{row['n']})",
                     f"{low:.3f}-{high:.3f}"]
        rows.append([*cells, "chosen" if row["chosen"] else ""])
        styles.append("bold green" if row["chosen"] else None)
    figure = "valid mean AP" if multi_label else "valid accuracy"
    print_table(console, ["candidate", figure, "95 % interval", "note"], rows,
                title="candidates on valid (test never used)", styles=styles)


def print_auto(choice: AutoChoice) -> None:
    """What ``--model auto`` tried, as a table of validation accuracies, then the skipped
    candidates, a line per reason."""
    rows, styles, skipped = [], [], {}
    for c in choice.candidates:
        if not c.n:
            skipped.setdefault(c.skipped, []).append(c.name)
            continue
        winner = c.name == choice.winner
        low, high = c.interval
        rows.append([c.name, f"{c.accuracy:.3f} ({c.correct}/{c.n})", f"{low:.3f}-{high:.3f}",
                     "winner" if winner else ""])
        styles.append("bold green" if winner else None)
    print_table(console, ["candidate", "valid accuracy", "95 % interval", "note"], rows,
                title=f"auto: candidates on {choice.part} (test never used)", styles=styles)
    for reason, names in skipped.items():
        print_hanging(console, styled((f"skipped ({reason}): ", "dim")), ", ".join(names))
    note = f" ({choice.note})" if choice.note else ""
    console.print(styled("auto chose ", (choice.winner, "bold"),
                         f"{note}; the list is in auto.json"))
