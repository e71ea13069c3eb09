"""How a hyperparameter search runs (:class:`TuneConfig`), checked without importing NumPy,
Optuna or torch: a bad ``--sampler``, ``--trials`` or model is refused at once.
:mod:`.tune` runs the trials.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from genriflow.datasets.split_config import SplitConfig
from genriflow.errors import ConfigError, at_least, one_of
from genriflow.features.devices import DEVICES
from genriflow.models.spec import model_spec

if TYPE_CHECKING:
    from genriflow.features.sets import FeatureConfig

#: ``--sampler`` choices.
SAMPLERS = ("grid", "tpe")


@dataclass(frozen=True)
class TuneConfig:
    """How a search runs; saved in the run folder's ``config.json``.

    Attributes
    ----------
    model : str
        One classical head or network, optionally ``@feature-set`` (``svm@msd-musicnn``).
    sampler : {'grid', 'tpe'}
    trials : int
        Trials the study should hold when done (finished ones of an earlier, killed run
        count); a grid runs at most its size.
    jobs : int
        Trials at once (threads).
    seed : int
        Of the split, the sampler, the models and the pruner's importances.
    split : SplitConfig
        A hold-out split with a validation part (trials are scored on it).
    epochs : int
        Networks: most epochs per trial (early stopping and pruning end most sooner).
    device : str
        Networks: where they train.
    """

    model: str
    sampler: str = "tpe"
    trials: int = 20
    jobs: int = 1
    seed: int = 0
    split: SplitConfig = field(default_factory=SplitConfig)
    epochs: int = 30
    device: str = "auto"

    def __post_init__(self) -> None:
        model_spec("model", self.model, auto=False)
        one_of("sampler", self.sampler, SAMPLERS)
        at_least("trials", self.trials, 1)
        at_least("jobs", self.jobs, 1)
        at_least("epochs", self.epochs, 1)
        one_of("device", self.device, DEVICES)
        if self.split.method.startswith("kfold"):
            raise ConfigError(
                "split",
                f"is {self.split.method}; tune scores trials on the "
                "validation part of a hold-out split (stratified, "
                "stratified-grouped, gtzan-fault-filtered, manifest or auto)",
            )

    @property
    def family(self) -> str:
        """``network`` or ``classical``."""
        return model_spec("model", self.model, auto=False)[0]

    @property
    def direction(self) -> str:
        """What the trials' values aim at: networks minimise the validation loss,
        classical heads maximise the validation accuracy."""
        return "minimize" if self.family == "network" else "maximize"

    @property
    def objective(self) -> str:
        return "validation loss" if self.family == "network" else "validation accuracy"

    def feature_config(self) -> FeatureConfig:
        """The input of the model tuned."""
        from genriflow.features.sets import FeatureConfig

        if self.family == "network":
            from genriflow.training.network_config import parse_network

            return FeatureConfig(set=parse_network(self.model)[1])
        return FeatureConfig(set=self.model.partition("@")[2] or "kaggle")

    def to_dict(self) -> dict:
        return asdict(self)
