"""How a batch job runs: where features are kept, how many workers, whether to show progress."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from genriflow.errors import at_least


@dataclass(frozen=True)
class RunOptions:
    """The options every batch job shares (extraction, training, prediction, tagging).

    Attributes
    ----------
    store : path or None
        Feature store folder; ``None`` computes everything afresh and keeps nothing.
        The command line defaults to :func:`genriflow.locations.default_store_dir`.
    n_jobs : int or None
        Worker processes; ``None`` uses every core.
    progress : bool
        Show a progress bar (files per second, time left) on long work.

    Examples
    --------
    >>> RunOptions(n_jobs=2)
    RunOptions(store=None, n_jobs=2, progress=False)
    """

    store: str | os.PathLike | None = None
    n_jobs: int | None = None
    progress: bool = False

    def __post_init__(self) -> None:
        at_least("n_jobs", self.n_jobs, 1, optional=True)
        if self.store is not None:
            object.__setattr__(self, "store", Path(self.store))
