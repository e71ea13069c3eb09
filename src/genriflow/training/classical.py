"""Fit classical models on one split: choose on validation, refit on train + validation.

The protocol, stated in every report: candidates are fitted on the training part and
scored on the validation part; the best is refitted on training + validation. Testing it,
once, on the test part is the evaluation layer's
(:func:`genriflow.evaluation.experiment.train_and_test`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from genriflow.datasets.splits import SplitConfig
from genriflow.errors import ConfigError, at_least, one_of
from genriflow.features.dataset import FeatureDataset
from genriflow.features.sets import feature_set
from genriflow.models.classical import (
    AUTO_CANDIDATES,
    CLASSICAL_MODELS,
    TUNABLE,
    ClassicalGenreModel,
    make_classical,
)
from genriflow.models.transforms import variance_columns

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

#: What ``TrainConfig.model`` may name.
MODEL_CHOICES = ("auto", *CLASSICAL_MODELS)


@dataclass(frozen=True)
class TrainConfig:
    """How to train; saved in the model folder.

    Attributes
    ----------
    model : str
        One of :data:`MODEL_CHOICES`: ``auto`` (best of :data:`AUTO_CANDIDATES` on
        validation) or a name in :data:`CLASSICAL_MODELS`.
    split : SplitConfig
    pca : int or None
        Principal components after scaling (``None``: no PCA, except kNN's own 15).
    seed : int
    params : dict
        Settings of a named model's classifier (see
        :data:`~genriflow.models.classical.TUNABLE`), e.g. from ``genriflow tune``;
        empty: the defaults.
    """

    model: str = "auto"
    split: SplitConfig = field(default_factory=SplitConfig)
    pca: int | None = None
    seed: int = 0
    params: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        one_of("model", self.model, MODEL_CHOICES)
        at_least("pca", self.pca, 1, optional=True)
        if self.params and self.model == "auto":
            raise ConfigError("params", "set a named model's classifier; auto tries several")
        for key in self.params:
            one_of("params", key, TUNABLE[self.model])

    def to_dict(self) -> dict:
        return asdict(self)


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
        On the rows it was refitted on.
    """

    estimator: Pipeline
    chosen: str
    selection_valid_accuracy: dict[str, float]
    train_accuracy: float


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
        Without validation rows, the first candidate is taken unscored.
    """
    config = config or TrainConfig()
    train, valid = parts == "train", parts == "valid"
    y = dataset.y
    candidates = AUTO_CANDIDATES if config.model == "auto" else (config.model,)
    selection: dict[str, float] = {}
    if valid.any():
        for name in candidates:
            fitted = fit_pipeline(name, dataset, train, config)
            selection[name] = float(np.mean(fitted.predict(dataset.X[valid]) == y[valid]))
        chosen = max(selection, key=selection.get)
    else:
        chosen = candidates[0]
    fit_rows = train | valid
    estimator = fit_pipeline(chosen, dataset, fit_rows, config)
    train_accuracy = float(np.mean(estimator.predict(dataset.X[fit_rows]) == y[fit_rows]))
    return ClassicalFit(estimator, chosen, selection, train_accuracy)


def fit_pipeline(name: str, dataset: FeatureDataset, rows: np.ndarray,
                 config: TrainConfig) -> Pipeline:
    """The pipeline ``name`` fitted on ``rows`` (variance columns of the set logged)."""
    columns = feature_set(dataset.feature_config.set).column_names(dataset.feature_config) or ()
    params = config.params if name == config.model else {}
    model = make_classical(name, seed=config.seed, pca=config.pca,
                           log_columns=variance_columns(columns), params=params)
    return model.fit(dataset.X[rows], dataset.y[rows])


def classical_model(estimator: Pipeline, chosen: str, dataset: FeatureDataset,
                    config: TrainConfig) -> ClassicalGenreModel:
    """The model to save: the fitted pipeline with its features, name, settings and data."""
    model_config = {"model": chosen, "train": config.to_dict(), "data": dataset.source}
    return ClassicalGenreModel(estimator, dataset.feature_config, model_config)
