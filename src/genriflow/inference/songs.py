"""Score any model song by song, as ``predict`` classifies: what a fused model needs.

A fused model (the built-in default ``gtzan``) reads several feature sets and has no
single feature matrix to score, so :mod:`genriflow.evaluation.evaluate` cannot take it.
Here each song of the chosen part is classified exactly as ``genriflow predict`` and
``genriflow.classify`` do (same sampling, same aggregation, same fusion), and the songs'
predictions are scored against their labels: accuracy with its 95 % Wilson interval, the
per-genre figures and the confusion matrix, and how far the probabilities can be trusted
(expected calibration error, negative log-likelihood, Brier score, reliability diagram).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from genriflow.datasets.discover import DatasetError, discover
from genriflow.datasets.frames import label_sets
from genriflow.datasets.splits import SplitConfig, assign_splits, resolve_method
from genriflow.errors import ConfigError, one_of
from genriflow.evaluation.calibration import calibration_figures
from genriflow.evaluation.evaluate import EVALUATION_PARTS, model_split
from genriflow.evaluation.metrics import classification_metrics
from genriflow.evaluation.report import write_report
from genriflow.features.options import RunOptions
from genriflow.inference.predict import predict_files
from genriflow.models.base import GenreClassifier


def song_split(model: GenreClassifier) -> SplitConfig:
    """The split to score ``model`` on: its own, or for a fused model its first part's."""
    from genriflow.models.fusion import FusedGenreModel

    return model_split(model.parts[0] if isinstance(model, FusedGenreModel) else model)


def evaluate_songs(model: GenreClassifier, data: str | os.PathLike, *, part: str = "test",
                   options: RunOptions | None = None) -> tuple[dict, list]:
    """Classify the songs of one part of ``data`` and score them.

    Parameters
    ----------
    model : GenreClassifier
        Any single-genre model, fused ones included.
    data : path
        Labelled audio (a folder per genre, or a manifest).
    part : {'test', 'valid', 'train', 'all'}
        ``test`` applies the model's own split (:func:`song_split`) to ``data``; ``all``
        scores every song (data the model never saw).
    options : RunOptions or None

    Returns
    -------
    metrics, errors
        ``split``, ``data``, ``test`` (the figures, with the part) and
        ``test_calibration`` (``as shipped``: the probabilities' figures); the files that
        could not be classified (left out of the figures, listed in the report).

    Raises
    ------
    ConfigError
        An unknown ``part``, a part of a k-fold model, or a multi-label model.
    DatasetError
        No songs in the part, labels the model does not know, or no song classified.
    """
    one_of("part", part, EVALUATION_PARTS)
    if model.multi_label:
        raise ConfigError("model", "is multi-label: genriflow evaluate scores it on its "
                          "features (give the model folder and data in its feature set)")
    frame = discover(data)
    split = song_split(model)
    method = resolve_method(frame, split.method)
    if part == "all":
        rows, method = np.ones(len(frame), dtype=bool), "none"
    elif method.startswith("kfold"):
        raise ConfigError("part", f"is {part}, but the model was trained with k-fold "
                          "cross-validation; use part all on data it never saw")
    else:
        rows = (assign_splits(frame, split)[0] == part).to_numpy()
    if not rows.any():
        raise DatasetError(f"no {part!r} songs in {data} under split {method!r}")
    labels = {str(path): next(iter(s)) for path, s, r in zip(
        frame["path"], label_sets(frame), rows, strict=True) if r}
    unknown = sorted(set(labels.values()) - set(model.labels))
    if unknown:
        raise DatasetError(f"the data has labels the model does not know: {', '.join(unknown)}")
    result = predict_files(model, list(labels), options=options)
    if not result.predictions:
        raise DatasetError(f"no song of the {part!r} part could be classified")
    truth = np.array([labels[str(p.path)] for p in result.predictions])
    proba = np.stack([p.probabilities for p in result.predictions])
    predicted = np.array([p.genre for p in result.predictions])
    name = f"{part} ({method}, {len(predicted)} songs)"
    figures = classification_metrics(truth, predicted, model.labels, part=name,
                                      items=[str(p.path) for p in result.predictions])
    calibration = calibration_figures(proba, truth, model.labels)
    metrics = {"split": {"method": method, "seed": split.seed,
                         "counts": {part: int(rows.sum())}},
               "data": str(data), "test": figures,
               "test_calibration": {"method": _calibration_of(model),
                                    "as shipped": calibration},
               "classified_as": "song by song, as genriflow predict does"}
    return metrics, result.errors


def _calibration_of(model: GenreClassifier) -> str:
    temperature = getattr(model, "temperature", None)
    if temperature is not None and temperature != 1.0:
        return f"temperature {temperature}"
    return f"calibration: {model.config.get('calibration', 'none')}"


def evaluate_songs_to_folder(model: GenreClassifier, data: str | os.PathLike,
                             out: str | os.PathLike, *, part: str = "test",
                             options: RunOptions | None = None) -> tuple[dict, list]:
    """:func:`evaluate_songs`, then the run folder (report, metrics, confusion, errors)."""
    metrics, errors = evaluate_songs(model, data, part=part, options=options)
    write_report(Path(out), f"genriflow evaluation: {model.config.get('model', '?')} on "
                 f"{part}, song by song", metrics, errors)
    return metrics, errors
