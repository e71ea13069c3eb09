"""How the leave-one-genre-out evaluation runs (:class:`OpenSetConfig`), checked without
importing NumPy or a model; :mod:`.leave_one_genre_out` runs it."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from genriflow.errors import ConfigError, at_least, one_of
from genriflow.models.reject_options import SCORES, check_target


@dataclass(frozen=True)
class OpenSetConfig:
    """How to run the open-set evaluation; saved in ``metrics.json``.

    Attributes
    ----------
    scores : tuple of str
        Unknown-genre scores to measure (:data:`~genriflow.models.reject.SCORES`); one the
        model cannot give is listed as unavailable, with why.
    target_tpr : float
        Share of known songs the thresholds accept (0.95).
    bootstrap : int
        Resamples of each AUROC interval.
    seed : int
        Of the bootstrap and the far-out clips.
    far_out_per_kind : int
        Far-out clips of each kind (0: none).
    far_out_seconds : float
        Their length.
    """

    scores: tuple[str, ...] = SCORES
    target_tpr: float = 0.95
    bootstrap: int = 1000
    seed: int = 0
    far_out_per_kind: int = 5
    far_out_seconds: float = 30.0

    def __post_init__(self) -> None:
        if not self.scores:
            raise ConfigError("scores", "names no score")
        for score in self.scores:
            one_of("scores", score, SCORES)
        check_target("target_tpr", self.target_tpr)
        at_least("bootstrap", self.bootstrap, 100)
        at_least("far_out_per_kind", self.far_out_per_kind, 0)
        if not self.far_out_seconds > 0:
            raise ConfigError("far_out_seconds", f"must be above 0; got {self.far_out_seconds}")

    def to_dict(self) -> dict:
        return asdict(self)
