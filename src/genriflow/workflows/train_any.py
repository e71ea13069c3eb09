"""Models by name, from a data path: train any one (:func:`train_any`) or several side by
side in one table (:func:`compare`, the CS229 table)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from genriflow.audio.errors import AudioError
from genriflow.datasets.splits import SplitConfig
from genriflow.errors import ConfigError, GenriflowWarning
from genriflow.evaluation.metrics import mcnemar
from genriflow.evaluation.report import balanced_text
from genriflow.evaluation.tracks import item_interval
from genriflow.features.dataset import from_audio, from_table
from genriflow.features.options import RunOptions, default_options
from genriflow.features.sets import FeatureConfig
from genriflow.intervals import counted_text
from genriflow.models import NETWORK_NAMES
from genriflow.training.network_config import DeepTrainConfig
from genriflow.training.train_config import classical_spec as classical_spec
from genriflow.training.train_config import training_config


def is_network(model: str) -> bool:
    """Whether ``model`` names a network (``name`` or ``name@feature-set``)."""
    return model.partition("@")[0] in NETWORK_NAMES


def train_any(model: str, out: str | os.PathLike, data: str | os.PathLike | None = None, *,
              table: str | os.PathLike | None = None, split: SplitConfig | None = None,
              pca: int | None = None, epochs: int = 50, device: str = "auto",
              augment: str = "none", copies: int = 1, embeddings: str | None = None,
              calibration: str = "auto", multi_label: bool = False,
              thresholds: str = "tuned",
              options: RunOptions | None = None) -> tuple[dict, list[AudioError]]:
    """Train ``model`` on audio (``data``) or a Kaggle feature table, test it once and write
    its folder.

    Parameters
    ----------
    model : str
        ``auto`` (the best on validation of the heads on the table, the heads on
        embeddings and, with enough data, the short-chunk CNN: see
        :mod:`genriflow.training.auto`), a classical model name (optionally
        ``@feature-set``, e.g. ``svm@msd-musicnn``; ``auto@SET`` for the best head on one
        set), or a network (``shortchunk-cnn``, ``cs229-ffnn@cs229-raw``, ...). Networks
        and embeddings need audio, not a table.
    out : path
        The model folder.
    data, table : path
        Exactly one: labelled audio (folder or manifest) or a feature table CSV.
    split : SplitConfig
    pca : int or None
        Classical models only.
    epochs, device, augment, copies : networks only (see
        :class:`~genriflow.training.deep.DeepTrainConfig`).
    embeddings : str or None
        Classical models only: train the head on a pretrained network's embeddings
        (``msd-musicnn``, ``mtt-musicnn``, ``msd-vgg``, ``mtt-vgg``) instead of the GTZAN
        table features: transfer learning.
    calibration : str
        ``auto`` (temperature scaling for a network, none for a classical head, which is
        then refitted on train + valid), ``none``, ``temperature``, or for a classical
        head ``sigmoid`` or ``isotonic``; fitted on the validation part.
    multi_label : bool
        Several genres per song (the ``labels`` column, ``rock;blues``): one sigmoid per
        genre for a network, one-vs-rest for a classical head.
    thresholds : str
        Multi-label: ``tuned`` per genre on the validation songs with several genres (0.2
        when there are none), or ``seed`` (0.2).
    options : RunOptions or None
        Feature store, workers and progress bars (``None``: no store, every core, quiet).

    Returns
    -------
    metrics : dict
        What ``metrics.json`` holds.
    errors : list of AudioError
        Files that could not be used (also in the folder's ``errors.csv``).

    Raises
    ------
    ConfigError
        For a bad option or a combination that cannot train.
    """
    from genriflow.workflows.experiment import train_network_to_folder, train_to_folder

    split = split or SplitConfig()
    options = options or default_options(keep=False)
    if (data is None) == (table is None):
        raise ConfigError("data", "give either labelled audio or a feature table, not both "
                          "or neither")
    config = training_config(model, split=split, table=table is not None, pca=pca,
                             epochs=epochs, device=device, augment=augment, copies=copies,
                             embeddings=embeddings, calibration=calibration,
                             multi_label=multi_label, thresholds=thresholds)
    if data is not None:  # a split these files cannot make: said before their features
        from genriflow.datasets.discover import discover
        from genriflow.datasets.splits import assign_splits

        assign_splits(discover(data), split)
    if model == "auto" and not embeddings:
        from genriflow.workflows.auto_select import train_auto_to_folder

        result = train_auto_to_folder(out, data, table=table, split=split, pca=pca,
                                      epochs=epochs, device=device, augment=augment,
                                      copies=copies, options=options)
        return result.metrics, result.errors
    if isinstance(config, DeepTrainConfig):
        from genriflow.training.deep import augmented_copies

        dataset = from_audio(data, config.feature_config(), options=options)
        extra = augmented_copies(dataset, config, options=options)
        result = train_network_to_folder(dataset, out, config, extra_train=extra,
                                         progress=options.progress)
        return result.metrics, dataset.errors
    feature_set = classical_spec(model, embeddings)[1]
    dataset = (from_table(table) if table is not None
               else from_audio(data, FeatureConfig(set=feature_set), options=options))
    return train_to_folder(dataset, out, config).metrics, dataset.errors


def _input_set(model: str) -> str:
    if not is_network(model):
        return classical_spec(model)[1]
    from genriflow.training.network_config import parse_network

    return parse_network(model)[1]


def compare(data: str | os.PathLike | None, models: Sequence[str], out: str | os.PathLike,
            *, table: str | os.PathLike | None = None, split: SplitConfig | None = None,
            epochs: int = 50, device: str = "auto",
            options: RunOptions | None = None) -> pd.DataFrame:
    """Train each model on the same data and split; write ``comparison.csv`` and ``.md``.

    Parameters
    ----------
    data, table : path
        Exactly one: labelled audio (folder or manifest) or a feature table CSV, each
        model reading it as :func:`train_any` does.
    models : sequence of str
        Classical names or ``auto`` (optionally ``@feature-set``, e.g. ``svm@msd-musicnn``),
        or networks (``name`` or ``name@feature-set``).
    out : path
        Run folder: one model folder per model (with its confusion matrix) and the table.
    split, epochs, device, options
        As for :func:`train_any`; the feature store makes each feature set computed once
        for all models that use it.

    Returns
    -------
    pandas.DataFrame
        One row per model (a model these files cannot fit is left out, with a
        :class:`~genriflow.errors.GenriflowWarning` and a line under the Markdown table):
        input, train accuracy, validation accuracy (``valid_n`` items,
        Wilson ``valid_low``-``valid_high``), test accuracy (``test_correct`` of
        ``test_n`` items, ``test_low``-``test_high``; over ``test_tracks`` tracks where
        the items are segments of tracks),
        balanced test accuracy (``test_balanced_low``-``test_balanced_high``: each genre's
        recall drawn from its Jeffreys posterior), McNemar's p against the best, and the
        split.
    """
    out = Path(out)
    split = split or SplitConfig()
    if not models:
        raise ConfigError("models", "names no model")
    rows, tests, left_out = [], [], []
    for model in models:
        folder = out / model.replace("@", "-")
        try:
            metrics, _ = train_any(model, folder, data, table=table, split=split,
                                   epochs=epochs, device=device, options=options)
        except ConfigError as exc:
            if exc.field != "model":  # the options were checked first: this is the data's
                raise
            # One model these files cannot fit (an svm on a genre of one training clip)
            # leaves the others' figures standing.
            warnings.warn(GenriflowWarning(f"{model} left out of the comparison: "
                                           f"{exc.reason}"), stacklevel=2)
            left_out.append(f"{model}: {exc.reason}")
            continue
        spec = metrics["chosen"] if model == "auto" else model  # auto chose its input
        low, high = metrics["test"].get("interval", (None, None))  # k-fold: pooled items
        b_low, b_high = metrics["test"].get("balanced_accuracy_interval", (None, None))
        rows.append({"model": model, "chosen": metrics["chosen"], "input": _input_set(spec),
                     "train": metrics.get("train_accuracy"), **_valid_figures(metrics),
                     "test": metrics["test"]["accuracy"],
                     "test_correct": metrics["test"].get("correct"),
                     "test_n": metrics["test"].get("n"),
                     # segments of tracks: the interval is over the tracks (evaluation.tracks)
                     "test_tracks": metrics["test"].get("tracks", {}).get("n"),
                     "test_low": low, "test_high": high,
                     "test_balanced": metrics["test"]["balanced_accuracy"],
                     "test_balanced_low": b_low, "test_balanced_high": b_high,
                     "split": metrics["test"]["part"], "folder": str(folder)})
        tests.append(metrics["test"])
    if not rows:
        raise ConfigError("models", "no model could be fitted: " + "; ".join(left_out))
    best = int(np.argmax([r["test"] for r in rows]))
    for row, test in zip(rows, tests, strict=True):
        versus = mcnemar(test, tests[best]) if row is not rows[best] else None
        row["vs_best"] = rows[best]["model"]
        row["mcnemar_p"] = versus["p_value"] if versus else None
    result = pd.DataFrame(rows)
    result.to_csv(out / "comparison.csv", index=False)
    (out / "comparison.md").write_text(_markdown(result, data if table is None else table,
                                                 left_out))
    return result


def _valid_figures(metrics: dict) -> dict:
    """The validation accuracy that chose the model (a network's epoch, a classical head
    among candidates, what ``auto`` tried), its count and 95 % Wilson interval: all
    ``None`` where the split has no validation part."""
    valid = metrics.get("valid_accuracy")
    if valid is None:
        valid = metrics.get("selection_valid_accuracy", {}).get(metrics["chosen"])
    n = metrics["split"].get("counts", {}).get("valid")
    for candidate in (metrics.get("auto") or {}).get("candidates", ()):
        if candidate["name"] == metrics["chosen"] and candidate["n"]:
            valid, n = candidate["valid_accuracy"], candidate["n"]
    tracks = metrics["split"].get("tracks", {}).get("valid")
    if valid is None or not n:
        return {"valid": valid, "valid_n": None, "valid_tracks": None, "valid_low": None,
                "valid_high": None}
    low, high = item_interval(valid, n, tracks)
    return {"valid": valid, "valid_n": n, "valid_tracks": tracks, "valid_low": low,
            "valid_high": high}


def _markdown(table: pd.DataFrame, data: str | os.PathLike, left_out: Sequence[str] = ()
              ) -> str:
    best = table.loc[table["test"].idxmax(), "model"]
    lines = [f"# Model comparison on `{data}`", "",
             f"Split: {table['split'].iloc[0]} (train accuracy on the fit data; classical "
             "models refit on train + valid). Validation and test accuracy with their Wilson "
             "95 % intervals, balanced accuracy (macro recall) with its 95 % one (each genre's "
             "recall drawn from its Jeffreys posterior); "
             f"McNemar's exact test of each model against the best on test, {best} (p: the "
             "chance of a difference this large between equally accurate models).", "",
             "| model | input | train | valid (95 % interval) | test (95 % interval) | "
             "test balanced (95 % interval) | McNemar p vs best | confusion |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in table.itertuples():
        test = _test_cell(r)
        valid = "-" if pd.isna(r.valid) else _counted_cell(
            r.valid, r.valid_n, r.valid_low, r.valid_high, r.valid_tracks)
        interval = ({} if pd.isna(r.test_balanced_low) else
                    {"balanced_accuracy_interval": (r.test_balanced_low, r.test_balanced_high)})
        if not pd.isna(r.test_tracks):
            interval["tracks"] = {"n": int(r.test_tracks)}
        balanced = balanced_text({"balanced_accuracy": r.test_balanced, **interval})
        cells = [_pct(r.train), valid, test, balanced,
                 "best" if r.model == best else _pct(r.mcnemar_p)]
        png = f"[png]({Path(r.folder).name}/confusion.png)"
        lines.append(f"| {shown_model(r.model, r.chosen)} | {r.input} | {' | '.join(cells)} "
                     f"| {png} |")
    if left_out:
        lines += ["", "Left out (these files cannot fit them):", "",
                  *(f"- {reason}" for reason in left_out)]
    return "\n".join(lines) + "\n"


def _test_cell(r) -> str:
    """A row's test accuracy as the validation one is shown: ``0.452 (131/290; 95 % Wilson
    0.395-0.509)``, its count and interval (over the tracks, for segments of tracks)."""
    if pd.isna(r.test_n):
        return (_pct(r.test) if pd.isna(r.test_low) else
                f"{_pct(r.test)} ({_pct(r.test_low)}-{_pct(r.test_high)})")
    return _counted_cell(r.test, r.test_n, r.test_low, r.test_high, r.test_tracks,
                         correct=r.test_correct)


def _counted_cell(accuracy: float, n, low, high, tracks, *, correct=None) -> str:
    """``0.452 (131/290; 95 % Wilson 0.395-0.509)``; the bare figure without a count."""
    if pd.isna(n) or pd.isna(low):
        return _pct(accuracy)
    figure = {"correct": round(accuracy * n) if correct is None or pd.isna(correct)
              else int(correct), "n": int(n), "interval": (low, high)}
    if not pd.isna(tracks):
        figure["tracks"] = {"n": int(tracks)}
    return f"{_pct(accuracy)} ({counted_text(figure)})"


def shown_model(model: str, chosen: str) -> str:
    """A row's model as a reader needs it: what ``auto`` (or ``auto@SET``) chose beside it.

    >>> shown_model("auto", "svm@msd-musicnn"), shown_model("svm", "svm")
    ('auto → svm@msd-musicnn', 'svm')
    """
    return f"{model} → {chosen}" if model.partition("@")[0] == "auto" else model


def _pct(x: float | None) -> str:
    return "-" if x is None or pd.isna(x) else f"{x:.3f}"
