"""The progress bar of genriflow's long jobs (feature extraction, library scans and
classification): count, rate, elapsed time and time left."""

from __future__ import annotations

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class _Rate(ProgressColumn):
    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:.2f} {self.unit}/s")


def progress_bar(enabled: bool, unit: str = "songs") -> Progress:
    """A rich progress bar (``M/N``, ``unit``/s, elapsed, ETA); silent unless ``enabled``.

    >>> with progress_bar(False) as bar:
    ...     job = bar.add_task("scan", total=2)
    ...     bar.advance(job, 2)
    """
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), _Rate(unit),
        TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
        disable=not enabled, transient=False,
    )
