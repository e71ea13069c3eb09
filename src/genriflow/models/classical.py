"""scikit-learn pipelines: standardisation, optional PCA, then one classifier.

Every pipeline is a plain :class:`sklearn.pipeline.Pipeline`, so ``fit``, ``predict``,
``predict_proba`` and ``classes_`` behave as scikit-learn users expect;
:class:`ClassicalGenreModel` is a fitted one with what it needs to classify new audio.

Shares its name with :mod:`genriflow.training.classical` on purpose: the model here,
its fitting there (as for ``deep`` and ``clustering``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from genriflow.errors import one_of
from genriflow.features.sets import FeatureConfig
from genriflow.models.base import GenreClassifier, WindowGenres, feature_rows

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

# scikit-learn is imported inside the builders: the command line lists these names in its
# help, and importing every estimator up front would make each start-up a second slower.


def _knn(seed: int) -> list:
    from sklearn.decomposition import PCA
    from sklearn.neighbors import KNeighborsClassifier

    # The CS229 report's setting: PCA to 15 dimensions, k=10, distance-weighted votes.
    return [("pca", PCA(n_components=15, random_state=seed)),
            ("clf", KNeighborsClassifier(n_neighbors=10, weights="distance"))]


def _svm(seed: int) -> list:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import SVC

    svc = SVC(C=3.0, gamma="scale", class_weight="balanced", random_state=seed)
    return [("clf", CalibratedClassifierCV(svc, ensemble=False))]


def _logreg(seed: int) -> list:
    from sklearn.linear_model import LogisticRegression

    return [("clf", LogisticRegression(C=0.1, max_iter=5000, class_weight="balanced",
                                       random_state=seed))]


def _random_forest(seed: int) -> list:
    from sklearn.ensemble import RandomForestClassifier

    return [("clf", RandomForestClassifier(n_estimators=500, class_weight="balanced",
                                           n_jobs=-1, random_state=seed))]


def _gradient_boosting(seed: int) -> list:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return [("clf", HistGradientBoostingClassifier(learning_rate=0.05, max_iter=300,
                                                   l2_regularization=1.0,
                                                   random_state=seed))]


def _mlp(seed: int) -> list:
    from sklearn.neural_network import MLPClassifier

    return [("clf", MLPClassifier(hidden_layer_sizes=(256, 128), alpha=1e-2,
                                  early_stopping=True, validation_fraction=0.15,
                                  max_iter=500, random_state=seed))]


#: Model name -> the steps after standardisation.
CLASSICAL_MODELS: dict[str, Callable[[int], list]] = {
    "knn": _knn,
    "svm": _svm,
    "logreg": _logreg,
    "random-forest": _random_forest,
    "gradient-boosting": _gradient_boosting,
    "mlp": _mlp,
}

#: What ``auto`` tries, each scored on the validation part.
AUTO_CANDIDATES = ("knn", "svm", "logreg", "random-forest", "mlp")

#: What a configuration (a hyperparameter search, ``genriflow tune``) may set per model:
#: its name -> the pipeline parameter (scikit-learn's ``step__param``) it sets.
TUNABLE: dict[str, dict[str, str]] = {
    "knn": {"n_neighbors": "clf__n_neighbors", "weights": "clf__weights",
            "n_components": "pca__n_components"},
    "svm": {"C": "clf__estimator__C", "gamma": "clf__estimator__gamma",
            "kernel": "clf__estimator__kernel"},
    "logreg": {"C": "clf__C"},
    "random-forest": {"n_estimators": "clf__n_estimators", "max_depth": "clf__max_depth",
                      "min_samples_leaf": "clf__min_samples_leaf",
                      "max_features": "clf__max_features"},
    "gradient-boosting": {"learning_rate": "clf__learning_rate", "max_iter": "clf__max_iter",
                          "max_depth": "clf__max_depth",
                          "l2_regularization": "clf__l2_regularization"},
    "mlp": {"alpha": "clf__alpha", "learning_rate_init": "clf__learning_rate_init"},
}


def make_classical(name: str, *, seed: int = 0, pca: int | None = None,
                   log_columns: tuple[int, ...] = (), multi_label: bool = False,
                   params: Mapping[str, Any] | None = None) -> Pipeline:
    """Build a classical genre classifier.

    Parameters
    ----------
    name : str
        One of :data:`CLASSICAL_MODELS`.
    seed : int
        Random state of every randomised step.
    pca : int or None
        Reduce to this many principal components after scaling (``None``: none, except
        the kNN model, which reduces to 15 as the CS229 report did).
    log_columns : tuple of int
        Columns to log-transform first (the variances of frame features).
    multi_label : bool
        One classifier per genre (scikit-learn's one-vs-rest), fitted on a (songs, genres)
        indicator matrix: each genre's probability on its own, several genres per song.
    params : mapping or None
        Settings of the classifier by their :data:`TUNABLE` names (``{"C": 10.0}`` for
        ``svm``); the others keep the values above.

    Returns
    -------
    sklearn.pipeline.Pipeline
        ``log -> scale -> [pca] -> clf``.

    Raises
    ------
    ConfigError
        For a name not in :data:`CLASSICAL_MODELS`, or a ``params`` key not in its
        :data:`TUNABLE` names.
    """
    from sklearn.decomposition import PCA
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from genriflow.models.transforms import LogColumns

    one_of("model", name, CLASSICAL_MODELS)
    steps = CLASSICAL_MODELS[name](seed)
    if multi_label:
        from sklearn.multiclass import OneVsRestClassifier

        steps[-1] = ("clf", OneVsRestClassifier(steps[-1][1]))
    if pca is not None:  # kNN's own 15 components too: `train --model knn --pca 30` means 30
        steps = [("pca", PCA(n_components=pca, random_state=seed)),
                 *((step, value) for step, value in steps if step != "pca")]
    pipeline = Pipeline([("log", LogColumns(tuple(log_columns))), ("scale", StandardScaler()),
                         *steps])
    settings = {one_of("params", key, TUNABLE[name]): value
                for key, value in (params or {}).items()}
    # One-vs-rest puts each genre's classifier one level deeper.
    prefix = "clf__estimator__" if multi_label else "clf__"
    return pipeline.set_params(**{TUNABLE[name][key].replace("clf__", prefix, 1): value
                                  for key, value in settings.items()})


@dataclass(repr=False)  # GenreClassifier's: short, without the arrays
class ClassicalGenreModel(GenreClassifier):
    """A fitted scikit-learn genre classifier (see :func:`make_classical`).

    Attributes
    ----------
    estimator : sklearn estimator or HeadArrays
        Fitted; its ``classes_`` are :attr:`labels`. A tag-prior head read from its
        ``head.safetensors`` is a :class:`~genriflow.models.head_arrays.HeadArrays`
        (NumPy only; :func:`~genriflow.models.heads.head_pipeline` gives the scikit-learn
        pipeline).
    feature_config : FeatureConfig
    config : dict
    """

    estimator: Any
    feature_config: FeatureConfig
    config: dict = field(default_factory=dict)
    kind: ClassVar[str] = "classical"
    weights_file: ClassVar[str] = "model.skops"

    def write_weights(self, path: Path) -> None:
        """The fitted pipeline in skops' format: types are checked on load, no pickle.

        A tag-prior head (:mod:`genriflow.models.heads`) is also written as plain arrays,
        ``head.safetensors`` beside it, which loading prefers: it needs NumPy only."""
        import skops.io as sio

        from genriflow.models.head_arrays import HEAD_FILE
        from genriflow.models.heads import head_arrays, head_pipeline

        head = head_arrays(self.estimator)
        sio.dump(head_pipeline(head) if self.estimator is head else self.estimator, path)
        if head is not None:
            head.save(path.with_name(HEAD_FILE))
        else:  # a head file left by an earlier model in the folder would be read instead
            path.with_name(HEAD_FILE).unlink(missing_ok=True)

    @property
    def labels(self) -> list[str]:
        # A one-vs-rest estimator numbers its genres; their names are in the config.
        if self.multi_label:
            return list(self.config["multi_label"]["labels"])
        return [str(c) for c in self.estimator.classes_]

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_labels), columns in :attr:`labels` order.

        Raises
        ------
        ConfigError
            ``X`` not 2-D, or not as wide as the table the model was fitted on.
        """
        width = getattr(self.estimator, "n_features_in_", None)
        reach = getattr(self.estimator, "reach", 0)  # a head's arrays: the columns it reads
        return self.estimator.predict_proba(feature_rows(self, X, width, at_least=reach))

    def window_genres(self) -> WindowGenres | None:
        """A tag-prior head's arrays (NumPy alone); ``None`` for a scikit-learn pipeline,
        which a worker would have to import scikit-learn for."""
        from genriflow.models.head_arrays import HeadArrays

        if not isinstance(self.estimator, HeadArrays) or self.multi_label:
            return None
        return WindowGenres(self.feature_config, self.estimator)

    @property
    def pipeline(self) -> Any:
        """The fitted pipeline itself: :attr:`estimator`, or the one a calibrator wraps
        (scikit-learn's ``CalibratedClassifierCV`` over a ``FrozenEstimator``)."""
        inner = self.estimator
        while not hasattr(inner, "steps") and hasattr(inner, "estimator"):
            inner = inner.estimator
        return inner

    def embed(self, X: np.ndarray) -> np.ndarray:
        """The pipeline's steps before its classifier (log, scaling, PCA), (n, n_dims);
        a calibrated head's too (the calibrator changes the probabilities only)."""
        if hasattr(self.estimator, "embed"):  # HeadArrays: its input, as its pipeline's
            return self.estimator.embed(np.asarray(X, dtype=np.float64))
        pipeline = self.pipeline
        if not hasattr(pipeline, "steps") or len(pipeline.steps) < 2:
            return super().embed(X)
        return pipeline[:-1].transform(np.asarray(X, dtype=np.float64))

    def logits(self, X: np.ndarray) -> np.ndarray:
        """Logits whose softmax is :meth:`predict_proba`: logistic regression, LDA and
        gradient boosting (``decision_function``) and the MLP (its last layer); other
        classifiers give probabilities only (:class:`~genriflow.errors.ConfigError`)."""
        clf = self.estimator[-1] if hasattr(self.estimator, "steps") else None
        kind = type(clf).__name__
        if kind not in _LOGIT_CLASSIFIERS:
            return super().logits(X)
        Z = self.embed(X)
        if kind == "MLPClassifier":
            if clf.activation != "relu" or clf.out_activation_ != "softmax":
                return super().logits(X)
            for i, (weights, bias) in enumerate(zip(clf.coefs_, clf.intercepts_, strict=True)):
                Z = Z @ weights + bias
                if i < len(clf.coefs_) - 1:
                    Z = np.maximum(Z, 0.0)
            return Z
        z = np.asarray(clf.decision_function(Z), dtype=np.float64)
        return np.stack([np.zeros_like(z), z], axis=1) if z.ndim == 1 else z


#: Classifiers whose logits :meth:`ClassicalGenreModel.logits` can give.
_LOGIT_CLASSIFIERS = ("LogisticRegression", "LinearDiscriminantAnalysis",
                      "HistGradientBoostingClassifier", "MLPClassifier")
