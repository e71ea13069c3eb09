"""The command line starts light: help and argument errors import no numpy, torch or librosa.

Each case runs in a fresh interpreter (a test process has long imported them all) and
lists the heavy modules left in ``sys.modules`` once the command line has answered.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("numpy", "torch", "librosa", "scipy", "pandas", "sklearn", "numba", "soundfile")

RUN = """
import json, sys
from genriflow.cli import app
try:
    app(sys.argv[2:], prog_name="genriflow")
except SystemExit as exc:
    status = exc.code
heavy = sys.argv[1].split(",")  # the names to look for come first
print(json.dumps({"status": status, "heavy": sorted(m for m in heavy if m in sys.modules)}))
"""


def _answer(*argv: str) -> dict:
    done = subprocess.run([sys.executable, "-c", RUN, ",".join(HEAVY), *argv],
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("argv", [
    ("--help",),
    ("predict", "--help"),
    ("train", "--help"),
    ("library", "classify", "--help"),
    ("features", "--help"),
])
def test_help_imports_nothing_heavy(argv):
    answer = _answer(*argv)
    assert answer == {"status": 0, "heavy": []}


@pytest.mark.parametrize("argv", [
    ("predict",),                                   # a missing argument
    ("predict", "--top", "many", "song.mp3"),       # a value of the wrong type
    ("predict", "--no-such-option", "song.mp3"),    # an unknown option
    ("no-such-command",),
])
def test_argument_errors_import_nothing_heavy(argv):
    answer = _answer(*argv)
    assert answer == {"status": 2, "heavy": []}


def test_light_name_lists_match_their_implementations():
    from genriflow.datasets import SPLIT_METHODS
    from genriflow.datasets.splits import SplitConfig
    from genriflow.models import CLASSICAL_NAMES
    from genriflow.models.classical import CLASSICAL_MODELS

    assert set(CLASSICAL_NAMES) == set(CLASSICAL_MODELS)
    for method in SPLIT_METHODS:
        assert SplitConfig(method=method).method == method
