"""How a classical model is trained (:class:`TrainConfig`), and the one place that turns
the training options into the configuration a model trains with
(:func:`training_config`), every value and every combination of values checked without
importing NumPy, scikit-learn or torch. :mod:`.classical` re-exports :class:`TrainConfig`.

>>> training_config("svm@msd-musicnn", split=SplitConfig(), calibration="isotonic").model
'svm'
>>> training_config("auto", split=SplitConfig(), multi_label=True)
Traceback (most recent call last):
...
genriflow.errors.ConfigError: `model` is auto, which chooses among single-genre models as \
they are; name a model for `multi_label` or `calibration` (e.g. logreg, shortchunk-cnn)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from genriflow.audio import AUGMENTATIONS
from genriflow.datasets.split_config import SplitConfig
from genriflow.errors import ConfigError, a_bool, at_least, one_of
from genriflow.features import FEATURE_SET_NAMES
from genriflow.models import CLASSICAL_NAMES
from genriflow.models.spec import model_spec
from genriflow.training import CALIBRATIONS, NETWORK_CALIBRATIONS, THRESHOLD_CHOICES
from genriflow.training.network_config import DeepTrainConfig, LoopConfig

#: What ``TrainConfig.model`` may name.
MODEL_CHOICES = ("auto", *CLASSICAL_NAMES)


@dataclass(frozen=True)
class TrainConfig:
    """How to train; saved in the model folder.

    Attributes
    ----------
    model : str
        One of :data:`MODEL_CHOICES`: ``auto`` (best of
        :data:`~genriflow.models.classical.AUTO_CANDIDATES` on validation) or a name in
        :data:`~genriflow.models.classical.CLASSICAL_MODELS`.
    split : SplitConfig
    pca : int or None
        Principal components after scaling (``None``: no PCA, except kNN's own 15).
    seed : int
    params : dict
        Settings of a named model's classifier (see
        :data:`~genriflow.models.classical.TUNABLE`), e.g. from ``genriflow tune``;
        empty: the defaults.
    calibration : str
        One of :data:`~genriflow.training.calibration.CALIBRATIONS`: the model is fitted on
        the training part and calibrated on the validation part (instead of being refitted
        on both); ``none`` keeps its own probabilities.
    multi_label : bool
        One-vs-rest: one classifier per genre on the ``labels`` column (``rock;blues``),
        several genres per song.
    thresholds : str
        Multi-label only, one of :data:`~genriflow.training.THRESHOLD_CHOICES`.

    >>> TrainConfig(calibration="platt")
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `calibration` must be one of none, sigmoid, isotonic, \
temperature; got 'platt'
    """

    model: str = "auto"
    split: SplitConfig = field(default_factory=SplitConfig)
    pca: int | None = None
    seed: int = 0
    calibration: str = "none"
    multi_label: bool = False
    thresholds: str = "tuned"
    params: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        one_of("model", self.model, MODEL_CHOICES)
        at_least("pca", self.pca, 1, optional=True)
        one_of("calibration", self.calibration, CALIBRATIONS)
        one_of("thresholds", self.thresholds, THRESHOLD_CHOICES)
        if self.multi_label and self.split.method.startswith("kfold"):
            raise ConfigError(
                "multi_label",
                f"needs a validation part to tune thresholds "
                f"on; the split is {self.split.method} (use a hold-out split)",
            )
        if self.calibration != "none" and self.split.method.startswith("kfold"):
            raise ConfigError(
                "calibration",
                f"needs a validation part to fit on; the split "
                f"is {self.split.method} (use a hold-out split)",
            )
        if self.params and self.model == "auto":
            raise ConfigError("params", "set a named model's classifier; auto tries several")
        if self.params:  # only a search sets them, with scikit-learn loaded already
            from genriflow.models.classical import TUNABLE

            for key in self.params:
                one_of("params", key, TUNABLE[self.model])

    def to_dict(self) -> dict:
        return asdict(self)


def classical_spec(model: str, embeddings: str | None = None) -> tuple[str, str]:
    """``'svm@msd-musicnn'`` -> (model, feature set); the set defaults to ``embeddings``,
    else the GTZAN table (``kaggle``).

    >>> classical_spec("logreg", "mtt-vgg")
    ('logreg', 'mtt-vgg')
    """
    name, _, feature_set = model.partition("@")
    if embeddings and feature_set and feature_set != embeddings:
        raise ConfigError(
            "embeddings",
            f"is {embeddings!r} but the model {model!r} names features {feature_set!r}",
        )
    return name, feature_set or embeddings or "kaggle"


def training_config(
    model: str,
    *,
    split: SplitConfig,
    table: bool = False,
    pca: int | None = None,
    epochs: int = 50,
    device: str = "auto",
    augment: str = "none",
    copies: int = 1,
    embeddings: str | None = None,
    calibration: str = "auto",
    multi_label: bool = False,
    thresholds: str = "tuned",
    field: str = "model",
) -> TrainConfig | DeepTrainConfig:
    """The configuration ``model`` trains with, the options of
    :func:`genriflow.train` checked alone and together.

    Parameters
    ----------
    model : str
        As :func:`genriflow.train` takes it (``auto``, ``svm@msd-musicnn``, a network).
    split : SplitConfig
    table : bool
        Whether the data are a feature table (``kaggle`` features only, no audio).
    pca, epochs, device, augment, copies, embeddings, calibration, multi_label, thresholds
        As :func:`genriflow.train` takes them: ``calibration='auto'`` is the model's own
        default; ``epochs``, ``device``, ``augment`` and ``copies`` are checked for every
        model, since ``auto`` may train a network.
    field : str
        What a bad ``model`` is called (``models`` for :func:`genriflow.compare`).

    Returns
    -------
    TrainConfig or DeepTrainConfig
        A network's, or a classical head's (for plain ``auto``: the heads' config, the
        network's being made from the same options where it is tried).

    Raises
    ------
    ConfigError
        Naming the option at fault: a bad value, or values that cannot go together
        (``auto`` with ``multi_label``, a network with ``embeddings`` or a table or a
        k-fold split, a calibration or ``multi_label`` on a k-fold split, ...).
    """
    family = model_spec(field, model)[0]
    a_bool("multi_label", multi_label)
    # "auto" is the API's own value (each model's default); the configs never hold it.
    one_of(
        "calibration",
        calibration,
        ("auto", *(NETWORK_CALIBRATIONS if family == "network" else CALIBRATIONS)),
    )
    if embeddings:
        one_of("embeddings", embeddings, FEATURE_SET_NAMES)
    loop = LoopConfig(epochs=epochs, seed=split.seed, device=device)
    if family == "network":
        if embeddings:
            raise ConfigError(
                "embeddings",
                "trains a classical head; networks take their own input set (network@feature-set)",
            )
        if table:
            raise ConfigError(
                "table", "cannot train a network: networks learn from audio; give data"
            )
        at_least("pca", pca, 1, optional=True)
        return DeepTrainConfig(
            network=model,
            split=split,
            loop=loop,
            augment=augment,
            copies=copies,
            calibration="temperature" if calibration == "auto" else calibration,
            multi_label=multi_label,
            thresholds=thresholds,
        )
    one_of("augment", augment, AUGMENTATIONS)  # auto's network takes them
    at_least("copies", copies, 1)
    if model == "auto" and not embeddings:
        if multi_label or calibration not in ("auto", "none"):
            raise ConfigError(
                field,
                "is auto, which chooses among single-genre models "
                "as they are; name a model for `multi_label` or "
                "`calibration` (e.g. logreg, shortchunk-cnn)",
            )
        return TrainConfig(
            model="auto", split=split, pca=pca, seed=split.seed, thresholds=thresholds
        )
    name, feature_set = classical_spec(model, embeddings)
    if table and feature_set != "kaggle":
        raise ConfigError(
            "table", f"holds kaggle features, but {feature_set} features come from audio; give data"
        )
    return TrainConfig(
        model=name,
        split=split,
        pca=pca,
        seed=split.seed,
        calibration="none" if calibration == "auto" else calibration,
        multi_label=multi_label,
        thresholds=thresholds,
    )
