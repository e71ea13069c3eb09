"""``genriflow demo``: the whole job, end to end, on the built-in synthetic corpus.

Named like :mod:`genriflow.cli.demo`, the command's options over this job (every
``cli`` module is named after its command).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from rich.console import Console

from genriflow.datasets.split_config import SplitConfig
from genriflow.datasets.synthetic import check_corpus, make_demo_corpus
from genriflow.errors import a_folder_to_write, at_least
from genriflow.features.options import RunOptions
from genriflow.progress import styled

#: Clips per genre the demo needs: its stratified 70/10/20 split puts at least one clip of
#: every genre in the validation and the test part (10 % of the corpus each).
MIN_PER_GENRE = round(1 / min(SplitConfig().ratios[1:]))


@dataclass
class DemoSummary:
    """What the demo produced."""

    accuracy: float
    part: str
    report: Path
    model_dir: Path
    #: The test accuracy's Wilson 95 % interval and the counts behind it.
    interval: tuple[float, float] = (0.0, 1.0)
    correct: int = 0
    n: int = 0


def run_demo(out: str | os.PathLike, *, per_genre: int = 30, seconds: float = 10.0,
             seed: int = 0, options: RunOptions | None = None,
             console: Console | None = None) -> DemoSummary:
    """Synthesise the corpus, extract features, train, evaluate and predict held-out songs.

    Parameters
    ----------
    out : path
        Folder for ``corpus/``, ``store/``, ``model/`` (with its report) and
        ``predictions.csv``.
    per_genre, seconds, seed
        Size and seed of the synthetic corpus; at least :data:`MIN_PER_GENRE` clips per
        genre.
    options : RunOptions or None
        Workers and progress bars of feature extraction; the store is always
        ``out/store``.
    console : rich Console or None
        Where to narrate; ``None`` keeps quiet.

    Returns
    -------
    DemoSummary

    Raises
    ------
    ConfigError
        For ``per_genre`` under :data:`MIN_PER_GENRE`, a bad ``seconds`` or an ``out``
        that cannot be written (a file in the way, a read-only place), before anything
        is written.
    """
    at_least("per_genre", per_genre, MIN_PER_GENRE)
    check_corpus(per_genre=per_genre, seconds=seconds, seed=seed)
    # Checked here, as `out`: the corpus's own check named `out_dir`, after step 1/4 began
    out = a_folder_to_write("out", out)
    from genriflow.datasets.splits import assign_splits
    from genriflow.features.dataset import from_audio
    from genriflow.inference.output import predictions_to_csv, render_predictions
    from genriflow.inference.pipeline import Pipeline
    from genriflow.training.classical import TrainConfig
    from genriflow.workflows.evaluate_model import model_split
    from genriflow.workflows.experiment import train_to_folder

    options = replace(options or RunOptions(), store=out / "store")
    say = console.print if console is not None else (lambda *a, **k: None)
    say(styled(("1/4", "bold"), f" synthesising {per_genre} x 10 genres x {seconds:g} s in "
               f"{out}/corpus"))
    make_demo_corpus(out / "corpus", per_genre=per_genre, seconds=seconds, seed=seed)
    say(styled(("2/4", "bold"), " extracting the GTZAN feature table (57 columns)"))
    dataset = from_audio(out / "corpus", options=options)
    say(styled(("3/4", "bold"), " training: model chosen on validation, tested once on the "
               "test part"))
    result = train_to_folder(dataset, out / "model", TrainConfig(seed=seed))
    say(styled(("4/4", "bold"), " predicting the held-out test songs"))
    test = assign_splits(dataset.frame, model_split(result.model))[0] == "test"
    held_out = dataset.frame.loc[test.to_numpy(), "path"].tolist()
    predictions = Pipeline(result.model, options=options)(held_out).predictions
    (out / "predictions.csv").write_text(predictions_to_csv(predictions))
    if console is not None:
        render_predictions(predictions[:: max(1, len(predictions) // 10)], "table", 3, console)
    metrics = result.metrics["test"]
    return DemoSummary(metrics["accuracy"], metrics["part"], out / "model" / "report.html",
                       out / "model", tuple(metrics["interval"]), metrics["correct"],
                       metrics["n"])
