"""Score any model song by song, as ``predict`` classifies: what a fused model needs.

A fused model (the built-in default ``gtzan``) reads several feature sets and has no
single feature matrix to score, so :mod:`genriflow.workflows.evaluate_model` cannot take it.
Here each song of the chosen part is classified exactly as ``genriflow predict`` and
``genriflow.classify`` do (the same :class:`~genriflow.inference.pipeline.Pipeline`: same
sampling, same aggregation, same fusion), and the songs'
predictions are scored against their labels: accuracy with its 95 % Wilson interval, the
per-genre figures and the confusion matrix, and how far the probabilities can be trusted
(expected calibration error, negative log-likelihood, Brier score, reliability diagram).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from genriflow.datasets.discover import DatasetError, discover
from genriflow.datasets.splits import SplitConfig
from genriflow.errors import ConfigError
from genriflow.evaluation.calibration_metrics import calibration_figures
from genriflow.evaluation.metrics import classification_metrics
from genriflow.evaluation.report import write_report
from genriflow.features.options import RunOptions
from genriflow.inference.pipeline import Pipeline
from genriflow.models.base import GenreClassifier
from genriflow.workflows.evaluate_model import (
    check_recorded_part,
    known_label_sets,
    model_split,
    part_name,
    part_rows,
    recorded_test_items,
    split_summary,
)


def song_split(model: GenreClassifier) -> SplitConfig:
    """The split to score ``model`` on: its own, for a fused model its first part's, for a
    vocabulary (``library-genres``) its head's."""
    return model_split(_split_owner(model))


def _split_owner(model: GenreClassifier) -> GenreClassifier:
    """The model whose split and training ``model`` is scored by (see :func:`song_split`)."""
    from genriflow.models.vocabulary import VocabularyGenreModel

    return model.head if isinstance(model, VocabularyGenreModel) else model.split_model


def evaluate_songs(model: GenreClassifier, data: str | os.PathLike, *, part: str = "test",
                   options: RunOptions | None = None,
                   model_folder: str | os.PathLike | None = None) -> tuple[dict, list]:
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
    model_folder : path or None
        The folder ``model`` was loaded from: part ``test`` is checked against the test
        songs its ``metrics.json`` records
        (:func:`~genriflow.workflows.evaluate_model.check_recorded_part`).

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
    if model.multi_label:
        raise ConfigError("model", "is multi-label: genriflow evaluate scores it on its "
                          "features (give the model folder and data in its feature set)")
    frame = discover(data)
    split = song_split(model)
    rows, method = part_rows(frame, split, part, str(data), noun="songs")
    check_recorded_part(frame, rows, part, method, str(data),
                        recorded_test_items(model_folder), model_folder, noun="songs")
    labels = {str(path): next(iter(s)) for path, s in zip(
        frame["path"][rows], known_label_sets(frame, rows, model.labels), strict=True)}
    result = Pipeline(model, options=options)(list(labels))
    if not result.predictions:
        raise DatasetError(f"no song of the {part!r} part could be classified")
    truth = np.array([labels[str(p.path)] for p in result.predictions])
    proba = np.stack([p.probabilities for p in result.predictions])
    predicted = np.array([p.genre for p in result.predictions])
    name = part_name(part, method, len(predicted), "songs")
    figures = classification_metrics(truth, predicted, model.labels, part=name,
                                      items=[str(p.path) for p in result.predictions])
    calibration = calibration_figures(proba, truth, model.labels)
    metrics = {"split": split_summary(frame, split, part, rows, method, _split_owner(model)),
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
                             options: RunOptions | None = None,
                             model_folder: str | None = None) -> tuple[dict, list]:
    """:func:`evaluate_songs`, then the run folder (report, metrics, confusion, errors);
    ``model_folder`` (the model's folder or built-in name) is kept as ``model_folder``."""
    metrics, errors = evaluate_songs(model, data, part=part, options=options,
                                     model_folder=model_folder)
    if model_folder is not None:
        metrics = {"model_folder": model_folder, **metrics}
    write_report(Path(out), f"genriflow evaluation: {model.config.get('model', '?')} on "
                 f"{part}, song by song", metrics, errors)
    return metrics, errors
