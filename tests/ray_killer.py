"""Per-file functions for the Ray engine's tests that kill their Ray worker.

They live in a module of their own (on the Ray workers' ``PYTHONPATH``, see
``tests/features/test_ray_engine.py``) so that a worker can import them, as it imports
genriflow's own per-file function.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path

from genriflow.features.workers import compute


@dataclass(frozen=True)
class KillOnVictim:
    """:func:`~genriflow.features.workers.compute`, except that the worker meeting the file
    named ``victim`` SIGKILLs itself, the first time (``always``: every time).

    Every call appends the file's name to ``log``; each kill writes the worker's pid to a
    new line of ``marker``.
    """

    victim: str
    log: str
    marker: str
    always: bool = False

    def __call__(self, task, done):
        with open(self.log, "a") as f:
            f.write(Path(task.path).name + "\n")
        if Path(task.path).name == self.victim and (self.always
                                                     or not os.path.exists(self.marker)):
            with open(self.marker, "a") as f:
                f.write(f"{os.getpid()}\n")
            os.kill(os.getpid(), signal.SIGKILL)
        return compute(task, done)
