"""What a ``pip install`` user gets: the data files the code opens and the PEP 561 marker.

``tools/check_wheel.sh`` (CI) builds the wheel and checks it holds every data file git
tracks under ``src/genriflow``; these tests check the same rule on ``pyproject.toml``'s
package data in the fast tier, without a build, so a file added without its pattern is
caught where it is added.
"""

import subprocess
import tomllib
from importlib import resources
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "genriflow"


def _tracked_data_files() -> set[str]:
    """The non-Python files git tracks under src/genriflow, relative to the package."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "src/genriflow"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: nothing to compare the package data with")
    return {Path(p).relative_to("src/genriflow").as_posix()
            for p in listed.split("\0") if p and not p.endswith(".py")}


def _package_data() -> set[str]:
    """The files pyproject.toml's package-data patterns select under src/genriflow."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["genriflow"]
    return {p.relative_to(PACKAGE).as_posix()
            for pattern in patterns for p in PACKAGE.glob(pattern) if p.is_file()}


def test_the_package_carries_the_pep_561_marker():
    """Without ``py.typed`` a user's mypy skips genriflow ("missing library stubs or
    py.typed marker") and every name of the API is ``Any`` to it."""
    assert resources.files("genriflow").joinpath("py.typed").is_file()


def test_package_data_selects_every_data_file_git_tracks():
    missing = sorted(_tracked_data_files() - _package_data())
    assert not missing, f"pyproject.toml's package-data leaves out {missing}"
    assert "py.typed" in _package_data()


def test_the_version_genriflow_reports_is_the_one_the_wheel_is_built_with():
    """``genriflow --version``, the service and ``__version__`` say the package's own
    version; pip and the model identities (``gtzan@genriflow-X``) read the metadata,
    built from pyproject.toml: the two are written in two places and must agree."""
    import genriflow

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert genriflow.__version__ == config["project"]["version"]
