"""How a head on pretrained embeddings is fitted, checked without NumPy.

:class:`HeadConfig` and the inputs it may read (:data:`HEAD_INPUTS`) are kept apart from
:mod:`genriflow.training.head`, which fits the head, so that ``library learn --folds 1`` is
refused before anything heavy is imported; :mod:`genriflow.training.head` re-exports both.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from genriflow.errors import ConfigError, at_least, fraction, one_of

#: What a head may read of a window's ``musicnn`` analysis (see
#: :data:`~genriflow.features.embeddings.ANALYSIS_LAYOUT`): name -> its parts, in order.
HEAD_INPUTS: dict[str, tuple[tuple[str, str], ...]] = {
    "msd-embedding": (("msd-musicnn", "mean_pool"),),
    "both-embeddings": (("msd-musicnn", "mean_pool"), ("mtt-musicnn", "mean_pool")),
    "penultimate+tags": (
        ("msd-musicnn", "penultimate"),
        ("mtt-musicnn", "penultimate"),
        ("tags", ""),
    ),
    "tags": (("tags", ""),),
}


@dataclass(frozen=True)
class HeadConfig:
    """How a head is fitted, cross-validated and applied; saved in its model folder.

    Attributes
    ----------
    c : float
        Inverse regularisation strength of the logistic regression (on standardised
        values; small: few songs, many dimensions).
    folds : int
        Grouped, stratified cross-validation folds (fewer when there are fewer groups).
    min_songs : int
        A category with fewer songs is dropped, with a warning.
    min_confidence : float or None
        In [0, 1]: a song whose most probable category has a lower probability is
        ``unsure``, not forced into that category. ``None``: chosen by cross-validation
        (see :mod:`genriflow.training.head_select`).
    seed : int
        Of the folds' shuffle.
    input : str
        What the head reads of each window's analysis: one of :data:`HEAD_INPUTS`.
    unsure_cost : float
        In (0, 1): what an ``unsure`` song costs when the threshold and the head are
        chosen, a wrong category costing 1 (0.5: looking at an unsure song costs half of
        finding and fixing a wrong one).

    >>> HeadConfig(min_confidence=1.5)
    Traceback (most recent call last):
    ...
    genriflow.errors.ConfigError: `min_confidence` must be between 0 and 1; got 1.5
    """

    c: float = 0.05
    folds: int = 5
    min_songs: int = 3
    min_confidence: float | None = None
    seed: int = 0
    input: str = "msd-embedding"
    unsure_cost: float = 0.5

    def __post_init__(self) -> None:
        if not self.c > 0:
            raise ConfigError("c", f"must be above 0; got {self.c!r}")
        at_least("folds", self.folds, 2)
        at_least("min_songs", self.min_songs, 2)
        one_of("input", self.input, HEAD_INPUTS)
        if not 0.0 < self.unsure_cost < 1.0:
            raise ConfigError("unsure_cost", f"must be between 0 and 1; got {self.unsure_cost!r}")
        fraction("min_confidence", self.min_confidence, optional=True)

    def to_dict(self) -> dict:
        return asdict(self)
