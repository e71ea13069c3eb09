"""How a network is trained (:class:`LoopConfig`, :class:`DeepTrainConfig`), checked
without importing NumPy or torch: a network on a k-fold split, a bad epoch count or device
is refused at once. :mod:`.loop` and :mod:`.deep`, which train, re-export both.

>>> parse_network("cs229-ffnn@cs229-raw")
('cs229-ffnn', 'cs229-raw')
>>> DeepTrainConfig(network="mm-cnn").feature_config().set
'mel-image'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from genriflow.audio import AUGMENTATIONS
from genriflow.datasets.split_config import SplitConfig
from genriflow.errors import ConfigError, at_least, one_of
from genriflow.features import FEATURE_SET_NAMES
from genriflow.features.devices import DEVICES
from genriflow.models import NETWORK_INPUTS, NETWORK_NAMES
from genriflow.training import NETWORK_CALIBRATIONS, THRESHOLD_CHOICES

if TYPE_CHECKING:
    from genriflow.features.sets import FeatureConfig


#: Constructor arguments fixed by the input (``network_kwargs``), never searched.
_GEOMETRY = ("n_classes", "n_mels", "n_frames", "n_features", "n_inputs", "height", "width")


def parse_network(spec: str) -> tuple[str, str]:
    """``'cs229-ffnn@cs229-raw'`` -> (network, feature set); the set defaults to its input.

    Raises
    ------
    ConfigError
        For a network not in :data:`~genriflow.models.NETWORK_NAMES` or an unknown
        feature set (the field is ``network``).
    """
    name, _, input_set = spec.partition("@")
    one_of("network", name, NETWORK_NAMES)
    input_set = input_set or NETWORK_INPUTS[name]
    if input_set not in FEATURE_SET_NAMES:
        raise ConfigError(
            "network",
            f"names feature set {input_set!r}; choose from {', '.join(FEATURE_SET_NAMES)}",
        )
    return name, input_set


def network_params(name: str) -> tuple[str, ...]:
    """The constructor arguments of network ``name`` that a configuration may set (read
    from its constructor: this imports torch).

    >>> network_params("mm-cnn")
    ('channels', 'dense', 'conv_dropout', 'dense_dropout', 'kernel_size')
    """
    import inspect

    from genriflow.models.networks import NETWORKS

    signature = inspect.signature(NETWORKS[name].__init__)
    return tuple(p for p in list(signature.parameters)[1:] if p not in _GEOMETRY)


@dataclass(frozen=True)
class LoopConfig:
    """How a network is trained.

    Attributes
    ----------
    epochs : int
        Upper bound; early stopping usually ends sooner.
    batch_size : int
    lr : float
        Initial Adam learning rate.
    weight_decay : float
        Adam's L2 penalty.
    patience : int
        Epochs without a lower validation loss before stopping.
    lr_factor, lr_patience : float, int
        ReduceLROnPlateau on the validation loss.
    class_weights : bool
        Weight the cross-entropy by inverse class frequency of the training labels.
    mixup : float
        Alpha of the Beta(alpha, alpha) mixing coefficient; 0 turns mixup off.
    seed : int
    device : str
        One of :data:`~genriflow.models.torch_device.DEVICES`.
    num_threads : int or None
        CPU threads for torch during the fit (``None``: ``os.cpu_count()``).

    >>> LoopConfig(lr_factor=1.5)
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `lr_factor` must lie in (0, 1); got 1.5
    """

    epochs: int = 50
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 0.0
    patience: int = 10
    lr_factor: float = 0.1
    lr_patience: int = 5
    class_weights: bool = True
    mixup: float = 0.0
    seed: int = 0
    device: str = "auto"
    num_threads: int | None = None

    def __post_init__(self) -> None:
        at_least("epochs", self.epochs, 1)
        at_least("batch_size", self.batch_size, 1)
        if self.lr <= 0:
            raise ConfigError("lr", f"must be positive; got {self.lr!r}")
        if not 0 < self.lr_factor < 1:
            raise ConfigError("lr_factor", f"must lie in (0, 1); got {self.lr_factor!r}")
        at_least("mixup", self.mixup, 0)
        one_of("device", self.device, DEVICES)
        at_least("num_threads", self.num_threads, 1, optional=True)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class DeepTrainConfig:
    """How to train a network; saved in its model folder.

    Attributes
    ----------
    network : str
        A name in :data:`~genriflow.models.networks.NETWORKS`, optionally ``@feature-set``.
    split : SplitConfig
        A hold-out split (k-fold is for the classical models).
    loop : LoopConfig
    chunk_seconds : float
        Crop length of ``log-mel`` inputs: random crops in training, consecutive crops
        averaged in evaluation and prediction.
    augment : str
        One of :data:`~genriflow.audio.augment.AUGMENTATIONS`: that many
        ``copies`` of every training clip are augmented as waveforms, their features
        computed once and kept in the feature store, and added to the training part.
    copies : int
    network_params : dict
        Constructor arguments of the network beyond its input's geometry (``channels``,
        ``kernel_size``, ``conv_dropout``, ... for ``mm-cnn``; see
        :func:`network_params`), e.g. from a hyperparameter search. Empty: the defaults.
    calibration : str
        ``temperature`` (default): the logits' temperature fitted on the validation part
        after training (every clip keeps its top genre; multi-label: before each genre's
        sigmoid, then the thresholds are tuned on the calibrated probabilities); ``none``.
    multi_label : bool
        One sigmoid per genre, trained with binary cross-entropy on the ``labels`` column
        (``rock;blues``); the genres at or above their ``thresholds`` are a song's.
    thresholds : str
        Multi-label only: ``tuned`` per genre on the validation songs with several genres
        (0.2 when there are none), or ``seed`` (0.2).

    >>> DeepTrainConfig(split=SplitConfig(method="kfold"))
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `split` is kfold, but networks train on a hold-out split; \
use stratified, stratified-grouped, gtzan-fault-filtered or manifest
    """

    network: str = "shortchunk-cnn"
    split: SplitConfig = field(default_factory=SplitConfig)
    loop: LoopConfig = field(default_factory=LoopConfig)
    chunk_seconds: float = 3.0
    augment: str = "none"
    copies: int = 1
    network_params: dict = field(default_factory=dict)
    calibration: str = "temperature"
    multi_label: bool = False
    thresholds: str = "tuned"

    def __post_init__(self) -> None:
        name = parse_network(self.network)[0]
        if self.split.method.startswith("kfold"):
            raise ConfigError(
                "split",
                f"is {self.split.method}, but networks train on a "
                "hold-out split; use stratified, stratified-grouped, "
                "gtzan-fault-filtered or manifest",
            )
        if self.chunk_seconds <= 0:
            raise ConfigError("chunk_seconds", f"must be positive; got {self.chunk_seconds!r}")
        one_of("augment", self.augment, AUGMENTATIONS)
        at_least("copies", self.copies, 1)
        one_of("calibration", self.calibration, NETWORK_CALIBRATIONS)
        one_of("thresholds", self.thresholds, THRESHOLD_CHOICES)
        if self.network_params:  # only a search sets them; naming them needs torch
            known = network_params(name)
            for key in self.network_params:
                one_of("network_params", key, known)

    def feature_config(self) -> FeatureConfig:
        from genriflow.features.sets import FeatureConfig

        return FeatureConfig(set=parse_network(self.network)[1])

    def to_dict(self) -> dict:
        return asdict(self)
