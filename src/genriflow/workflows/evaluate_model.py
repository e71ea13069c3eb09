"""Evaluate a saved model on a dataset, on the same split it was trained with."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from genriflow.datasets.discover import DatasetError
from genriflow.datasets.frames import label_sets
from genriflow.datasets.split_config import EVALUATION_PARTS as EVALUATION_PARTS
from genriflow.datasets.splits import SplitConfig, assign_splits, resolve_method
from genriflow.errors import ConfigError, one_of
from genriflow.evaluation.metrics import classification_metrics
from genriflow.evaluation.report import write_report
from genriflow.features.dataset import FeatureDataset
from genriflow.models.base import GenreClassifier
from genriflow.workflows.experiment import multilabel_test


def model_split(model: GenreClassifier) -> SplitConfig:
    """The split configuration a model was trained with."""
    split = dict(model.config.get("train", {}).get("split", {}))
    if "ratios" in split:
        split["ratios"] = tuple(split["ratios"])
    return SplitConfig(**split)


def part_rows(frame: pd.DataFrame, split: SplitConfig, part: str, source: str, *,
              noun: str = "rows") -> tuple[np.ndarray, str]:
    """The rows of ``part`` under ``split`` (``all``: every row) and the split's method.

    Raises
    ------
    ConfigError
        For a ``part`` not in :data:`EVALUATION_PARTS`, a part of a k-fold split, a split
        that cannot be applied to ``frame`` or a part with no rows in it: each says to
        score data the model never saw with part ``all``.
    """
    one_of("part", part, EVALUATION_PARTS)
    method = resolve_method(frame, split.method)
    if part == "all":
        rows, method = np.ones(len(frame), dtype=bool), "none"
    elif method.startswith("kfold"):
        raise ConfigError("part", f"is {part}, but the model was trained with k-fold "
                          "cross-validation on all its data; its cross-validated figures are "
                          "in its metrics.json; on data it never saw, use all")
    else:
        try:
            rows = (assign_splits(frame, split)[0] == part).to_numpy()
        except DatasetError as exc:
            raise ConfigError("part", f"is {part}, but the model's own split cannot be "
                              f"applied to {source}: {exc}; on data the model never saw, "
                              "use all") from exc
    if not rows.any():
        raise ConfigError("part", f"is {part}, but {source} has no {part} {noun} under the "
                          f"model's split {method!r}; on data the model never saw, use all")
    return rows, method


def recorded_test_items(model_folder: str | os.PathLike | None) -> list[str] | None:
    """The items a model folder's ``metrics.json`` records as its test part (its test
    figures' ``predictions``); ``None`` for a built-in name, a loaded model, or a folder
    that records none (written without them, or by k-fold)."""
    if model_folder is None or not (Path(model_folder) / "config.json").is_file():
        return None
    try:
        metrics = json.loads((Path(model_folder) / "metrics.json").read_text())
        return [str(item) for item, *_ in metrics["test"]["predictions"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def check_recorded_part(frame: pd.DataFrame, rows: np.ndarray, part: str, method: str,
                        source: str, recorded: Sequence[str] | None,
                        model_folder: str | os.PathLike | None, *,
                        noun: str = "rows") -> None:
    """Refuse a re-derived test part that holds items the model folder did not test on.

    ``part_rows`` re-applies the model's saved split configuration; a split algorithm that
    has changed since the model was trained (genriflow now keeps a 3-second table's ten
    segments, and GTZAN's blocks of 10 clips, together) re-derives another test part,
    whose extra items the model may have been fitted on. Where ``frame`` holds any of the
    items the folder's ``metrics.json`` records as its test part (``recorded``; on other
    data there is nothing to compare), every item of the re-derived part must be one.
    Splits by named lists (``gtzan-fault-filtered``, ``manifest``) name each item's part
    whatever else the data holds, and are not checked: a clip of GTZAN's test list that
    the training copy lacked is still unseen.

    Raises
    ------
    ConfigError
        One line naming the model folder and how many items differ.
    """
    if part != "test" or not recorded or not method.startswith("stratified"):
        return
    names = frame["path"].astype(str)
    # by file name where names are unique: a folder of audio may have moved since
    by_name = names.map(lambda n: Path(n).name)
    use_name = not by_name.duplicated().any()
    keys = by_name if use_name else names
    tested = {Path(r).name if use_name else r for r in recorded}
    known = keys.isin(tested).to_numpy()
    if not known.any():
        return
    outside = int((rows & ~known).sum())
    if outside:
        raise ConfigError("part", f"is test, but {outside} of the {int(rows.sum())} test "
                          f"{noun} of {source} that the {method} split of model folder "
                          f"{model_folder} gives now are not in the test part its "
                          "metrics.json records (the split or the data has changed since "
                          "it was trained): the model may have been fitted on them; retrain "
                          "it, "
                          "or score data it never saw with part all")


def part_name(part: str, method: str, n: int, noun: str) -> str:
    """How a scored part is named in figures: ``test (stratified, 60 songs)``, or
    ``all 47 songs (no split)`` for data scored whole."""
    if method == "none":
        return f"all {n} {noun} (no split)"
    return f"{part} ({method}, {n} {noun})"


def split_summary(frame: pd.DataFrame, split: SplitConfig, part: str, rows: np.ndarray,
                  method: str, model: GenreClassifier) -> dict:
    """What ``metrics.json`` says of the split: its method, seed and count; for part
    ``train`` or ``valid``, every item as seen by the model (it was fitted or chosen on
    them); for part ``all`` under a split by named lists (GTZAN's fault-filtered one,
    where a clip's name says its part), how many of the items the model was fitted or
    chosen on: such a figure is no test of unseen data, and the report and the command
    line say so. What ``model``
    was fitted or chosen on: the parts of its split its configuration's
    ``train.fitted_on`` names (default ``train`` and ``valid``), and the clips, by key,
    of its ``train.fitted_on_clips`` (the built-in ``gtzan`` was also fitted on 7 clips
    GTZAN's lists leave out)."""
    summary = {"method": method, "seed": split.seed, "counts": {part: int(rows.sum())}}
    if part != "all":  # the model's own part: seen when it is one it was fitted or chosen on
        if part in model.config.get("train", {}).get("fitted_on", ("train", "valid")):
            summary["seen_by_the_model"] = int(rows.sum())
        return summary
    if "key" not in frame:
        return summary
    # ``auto`` is resolved on the data, as for the other parts (part_rows)
    named = replace(split, method=resolve_method(frame, split.method))
    if named.method == "gtzan-fault-filtered":
        trained = model.config.get("train", {})
        parts, clips = assign_splits(frame, named)[0][rows], frame["key"][rows]
        fitted = (parts.isin(trained.get("fitted_on", ("train", "valid")))
                  | clips.isin(trained.get("fitted_on_clips", ())))
        summary["seen_by_the_model"] = int(fitted.sum())
    return summary


def known_label_sets(frame: pd.DataFrame, rows: np.ndarray,
                     labels: list[str]) -> list[list[str]]:
    """Each row's labels; :class:`DatasetError` if any is not in ``labels``."""
    sets = [s for s, r in zip(label_sets(frame), rows, strict=True) if r]
    unknown = sorted({g for s in sets for g in s} - set(labels))
    if unknown:
        raise DatasetError(f"the data has labels the model does not know: "
                           f"{', '.join(unknown)}")
    return sets


def evaluate(model: GenreClassifier, dataset: FeatureDataset, *, part: str = "test",
             model_folder: str | os.PathLike | None = None) -> dict:
    """Score a model on one part of a dataset.

    Parameters
    ----------
    model : GenreClassifier
    dataset : FeatureDataset
        Must carry the feature set the model was trained on.
    part : {'test', 'valid', 'train', 'all'}
        ``test`` re-applies the model's own split to ``dataset`` (the honest choice on the
        data it was trained from); ``all`` scores every row (for data the model never saw).
    model_folder : path or None
        The folder ``model`` was loaded from: part ``test`` is checked against the test
        items its ``metrics.json`` records (:func:`check_recorded_part`).

    Returns
    -------
    dict
        ``split``, ``data`` and ``test`` (the figures, labelled with the part).

    Raises
    ------
    ConfigError
        For a ``part`` not in :data:`EVALUATION_PARTS`, a part of a k-fold model, or a
        test part other than the one ``model_folder`` records.
    DatasetError
        If the data has other features than the model's, no rows in ``part``, or labels
        the model does not know.
    """
    if dataset.feature_config.set != model.feature_config.set:
        raise DatasetError(f"the model uses {model.feature_config.set!r} features, the data "
                           f"has {dataset.feature_config.set!r}")
    split = model_split(model)
    rows, method = part_rows(dataset.frame, split, part, dataset.source)
    check_recorded_part(dataset.frame, rows, part, method, dataset.source,
                        recorded_test_items(model_folder), model_folder)
    sets = known_label_sets(dataset.frame, rows, model.labels)
    name = part_name(part, method, int(rows.sum()), "items")
    items = dataset.frame["path"][rows]
    result = {"split": split_summary(dataset.frame, split, part, rows, method, model),
              "data": dataset.source}
    if model.multi_label:
        return {**result, **multilabel_test(model.predict_proba(dataset.X[rows]), sets,
                                            model.config["multi_label"], name,
                                            items.tolist())}
    y_pred = model.predict(dataset.X[rows])
    figures = classification_metrics(dataset.y[rows], y_pred, model.labels, part=name,
                                     items=items.tolist())
    return {**result, "test": figures}


def evaluate_to_folder(model: GenreClassifier, dataset: FeatureDataset,
                       out: str | os.PathLike, *, part: str = "test",
                       model_folder: str | None = None) -> dict:
    """:func:`evaluate`, then write the run folder (report, metrics, confusion, errors);
    ``model_folder`` (the model's folder or built-in name) is kept as ``model_folder``."""
    metrics = evaluate(model, dataset, part=part, model_folder=model_folder)
    if model_folder is not None:
        metrics = {"model_folder": model_folder, **metrics}
    write_report(out, f"genriflow evaluation: {model.config.get('model', '?')} on {part}",
                 metrics, dataset.errors)
    return metrics
