"""Fit classical models on one split: choose on validation, refit on train + validation.

The protocol, stated in every report: candidates are fitted on the training part and
scored on the validation part; the best is refitted on training + validation. Testing it,
once, on the test part is the workflows layer's
(:func:`genriflow.workflows.experiment.train_and_test`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from genriflow.datasets.frames import label_sets
from genriflow.errors import ConfigError, GenriflowWarning
from genriflow.features.dataset import FeatureDataset
from genriflow.features.sets import feature_set
from genriflow.models.classical import AUTO_CANDIDATES, ClassicalGenreModel, make_classical
from genriflow.models.multilabel import choose_thresholds, indicator
from genriflow.models.transforms import variance_columns
from genriflow.training import THRESHOLD_CHOICES as THRESHOLD_CHOICES
from genriflow.training.calibration import calibrated, calibrated_per_genre
from genriflow.training.train_config import MODEL_CHOICES as MODEL_CHOICES
from genriflow.training.train_config import TrainConfig as TrainConfig

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline


@dataclass
class ClassicalFit:
    """A pipeline chosen on validation and refitted on train + validation.

    Attributes
    ----------
    estimator : sklearn.pipeline.Pipeline
    chosen : str
        Its model name.
    selection_valid_accuracy : dict
        Candidate -> validation accuracy (empty without a validation part).
    train_accuracy : float
        On the rows it was fitted on (for a multi-label model: the share of songs whose
        top genre is one of theirs).
    uncalibrated : Pipeline or None
        Before calibration (fitted on the training part), for the before/after figures.
    multi_label : dict or None
        A multi-label model's ``labels``, per-genre ``thresholds`` and where they came from
        (saved in its ``config.json``).
    """

    estimator: Pipeline
    chosen: str
    selection_valid_accuracy: dict[str, float]
    train_accuracy: float
    uncalibrated: Pipeline | None = None
    multi_label: dict | None = None


def fit_classical(dataset: FeatureDataset, parts: np.ndarray,
                  config: TrainConfig | None = None) -> ClassicalFit:
    """Choose a model on the validation part and refit it on train + validation.

    Parameters
    ----------
    dataset : FeatureDataset
    parts : np.ndarray of str, shape (n_rows,)
        ``train``, ``valid``, ``test`` or ``excluded`` per row (one round of
        :func:`~genriflow.datasets.splits.assign_splits`); test rows are never read.
    config : TrainConfig or None

    Returns
    -------
    ClassicalFit
        Without validation rows, the first candidate is taken unscored (and a calibration
        cannot be fitted: :class:`~genriflow.errors.ConfigError`).

    Notes
    -----
    Candidates are scored on validation by accuracy; multi-label ones by the mean over
    genres of the average precision (threshold-free), and the chosen one's thresholds
    are tuned on the same validation songs before it is refitted on train + valid.
    """
    config = config or TrainConfig()
    train, valid = parts == "train", parts == "valid"
    targets, genres = training_targets(dataset, config)
    candidates = AUTO_CANDIDATES if config.model == "auto" else (config.model,)
    selection: dict[str, float] = {}
    fitted: dict[str, Pipeline] = {}
    if valid.any():
        for name in candidates:
            try:
                fitted[name] = fit_pipeline(name, dataset, train, config)
            except ConfigError as exc:  # a head these training rows cannot fit (svm)
                if len(candidates) == 1:
                    raise
                warnings.warn(GenriflowWarning(f"{exc.reason} (auto goes on without it)"),
                              stacklevel=2)
                continue
            selection[name] = _valid_score(fitted[name], dataset.X[valid], targets[valid],
                                           config.multi_label)
        chosen = max(selection, key=selection.get)
    elif config.calibration != "none":
        raise ConfigError("calibration", f"needs a validation part to fit on; the split of "
                          f"{dataset.source} leaves none")
    else:
        chosen = candidates[0]
    uncalibrated = None
    if config.calibration != "none":
        uncalibrated, fit_rows = fitted[chosen], train
        estimator = (calibrated_per_genre(uncalibrated, config.calibration,
                                          dataset.X[valid], targets[valid])
                     if config.multi_label else
                     calibrated(uncalibrated, config.calibration, dataset.X[valid],
                                dataset.y[valid]))
    else:
        fit_rows = train | valid
        estimator = fit_pipeline(chosen, dataset, fit_rows, config)
    multi_label = None
    if config.multi_label:  # tuned on the probabilities of the model as fitted on train
        scorer = estimator if uncalibrated is not None else fitted[chosen]
        tuned = config.thresholds == "tuned" and valid.any()
        multi_label = {"labels": genres, **choose_thresholds(
            targets[valid], scorer.predict_proba(dataset.X[valid]) if tuned else None,
            how=config.thresholds)}
    train_accuracy = _valid_score(estimator, dataset.X[fit_rows], targets[fit_rows],
                                  config.multi_label, accuracy=True)
    return ClassicalFit(estimator, chosen, selection, train_accuracy, uncalibrated,
                        multi_label)


def training_targets(dataset: FeatureDataset, config: TrainConfig
                     ) -> tuple[np.ndarray, list[str]]:
    """What the classifiers learn: the labels, or for a multi-label model the (songs,
    genres) indicator of each song's genres; and the genres in column order."""
    if not config.multi_label:
        return dataset.y, sorted(set(dataset.y))
    sets = label_sets(dataset.frame)
    genres = sorted({g for s in sets for g in s})
    return indicator(sets, genres), genres


def _valid_score(estimator: Pipeline, X: np.ndarray, targets: np.ndarray, multi_label: bool,
                 accuracy: bool = False) -> float:
    if not multi_label:
        return float(np.mean(estimator.predict(X) == targets))
    proba = estimator.predict_proba(X)
    if accuracy:  # the top genre is one of the song's
        return float(np.mean(targets[np.arange(len(targets)), proba.argmax(axis=1)]))
    from sklearn.metrics import average_precision_score

    present = targets.any(axis=0) & ~targets.all(axis=0)
    return float(average_precision_score(targets[:, present], proba[:, present],
                                         average="macro"))


def fit_pipeline(name: str, dataset: FeatureDataset, rows: np.ndarray,
                 config: TrainConfig) -> Pipeline:
    """The pipeline ``name`` fitted on ``rows`` (variance columns of the set logged); a
    multi-label one on the genre indicator (:func:`training_targets`)."""
    columns = feature_set(dataset.feature_config.set).column_names(dataset.feature_config) or ()
    params = config.params if name == config.model else {}
    model = make_classical(name, seed=config.seed, pca=config.pca,
                           log_columns=variance_columns(columns),
                           multi_label=config.multi_label, params=params)
    targets, genres = training_targets(dataset, config)
    if name == "svm":
        folds = calibration_folds(targets[rows], genres, source=dataset.source)
        model.set_params(**{("clf__estimator__cv" if config.multi_label else "clf__cv"): folds})
    return model.fit(dataset.X[rows], targets[rows])


#: Folds of the svm's probability calibration when every label has rows enough for them
#: (scikit-learn's default).
CALIBRATION_FOLDS = 5


def calibration_folds(targets: np.ndarray, genres: list[str], *, source: str = "the data"
                      ) -> int:
    """Folds of the svm's probability calibration that these training targets allow.

    The calibration cross-validates the SVM inside the training rows, so every fold must
    leave every label among its training rows: each label needs a row per fold.

    Parameters
    ----------
    targets : np.ndarray
        Labels, shape (n_rows,); or a multi-label (n_rows, n_genres) 0/1 indicator, whose
        one-vs-rest classifiers each need songs with and without their genre.
    genres : list of str
        The indicator's columns (unused for labels).
    source : str
        The data, named in the error.

    Returns
    -------
    int
        :data:`CALIBRATION_FOLDS`, or fewer (at least 2) when a label has fewer rows.

    Raises
    ------
    ConfigError
        ``model``: a label (a genre) with a single training row (or a genre that all
        training songs but one have): no fold can both train and test on it.
    """
    targets = np.asarray(targets)
    if targets.ndim == 2:
        positives = targets.astype(bool).sum(axis=0)
        counts = {g: int(min(p, len(targets) - p)) for g, p in zip(genres, positives,
                                                                      strict=True)}
        # A genre every song has, or none, is left to the one-vs-rest classifier as it is.
        counts = {g: c for g, c in counts.items() if c > 0}
    else:
        names, numbers = np.unique(targets, return_counts=True)
        counts = {str(n): int(c) for n, c in zip(names, numbers, strict=True)}
    if not counts:
        return CALIBRATION_FOLDS
    few = [g for g, c in counts.items() if c < 2]
    if few:
        which = ", ".join(f"'{g}'" for g in few)
        single = ("a single training row" if targets.ndim == 1 else
                  "a single training song with it, or without it")
        raise ConfigError("model", f"svm cannot be fitted on {source}: {which} "
                          f"{'has' if len(few) == 1 else 'have'} {single}, and the svm's "
                          "probability calibration cross-validates within the training rows, "
                          "which needs at least 2 of each; add rows, leave the label out, or "
                          "choose another model (logreg, mlp)")
    return min(CALIBRATION_FOLDS, min(counts.values()))


def classical_model(estimator: Pipeline, chosen: str, dataset: FeatureDataset,
                    config: TrainConfig, *, multi_label: dict | None = None
                    ) -> ClassicalGenreModel:
    """The model to save: the fitted pipeline with its features, name, settings and data
    (and a multi-label model's genres and thresholds)."""
    model_config = {"model": chosen, "train": config.to_dict(), "data": dataset.source}
    if config.calibration != "none":
        model_config["calibration"] = {"method": config.calibration, "fitted_on": "valid"}
    if multi_label is not None:
        model_config["multi_label"] = multi_label
    return ClassicalGenreModel(estimator, dataset.feature_config, model_config)
