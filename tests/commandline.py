"""``genriflow ARGS...`` for the tests: in this process, or in a child process where the
point is a real one.

:func:`in_process` runs the command line's own app (:data:`genriflow.cli.app`, what
``python -m genriflow`` runs) through typer's ``CliRunner``: the same arguments,
environment, error policy and exit status, its stdout and stderr apart, without a new
interpreter that imports torch and loads the models again (seconds a command). A
:class:`~genriflow.errors.GenriflowError` is still the one red line and status 2; an
exception that escapes the policy is shown as Python would show it (a traceback on stderr,
status 1), so a test checking for neither still fails on one.

:func:`in_a_process` starts ``python -m genriflow``: for what only a real process shows —
what C libraries write to the file descriptors (a decoder's chatter), a forced terminal's
progress bars (rich reads ``FORCE_COLOR`` when the console is made), signals, locks
between two processes, a shell pipe. Tests that use it are in the ``subprocess`` tier.
"""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Ran:
    """What a command left: as :class:`subprocess.CompletedProcess` names it."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str


def in_process(*args: object, env: dict[str, str] | None = None,
               stdin: bytes | None = None) -> Ran:
    """``genriflow ARGS...`` in this process, ``env`` added to the environment (and
    ``COLUMNS=200``, as :func:`in_a_process` sets it), ``stdin`` its standard input."""
    from typer.testing import CliRunner

    from genriflow.cli import app

    argv = [str(arg) for arg in args]
    result = CliRunner().invoke(app, argv, env={"COLUMNS": "200", **(env or {})},
                                input=stdin)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return Ran(argv, result.exit_code, result.stdout, stderr)


def in_a_process(*args: object, env: dict[str, str] | None = None,
                 timeout: float = 900) -> subprocess.CompletedProcess:
    """``python -m genriflow ARGS...`` in a child process, ``env`` added to this one's."""
    return subprocess.run([sys.executable, "-m", "genriflow", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "COLUMNS": "200", **(env or {})})


def store_env(cache: Path | None) -> dict[str, str]:
    """The environment that points the feature store at ``cache`` (none: the default)."""
    return {} if cache is None else {"GENRIFLOW_STORE": str(cache)}


def beet_genriflow(found: object, lib: object, *argv: str) -> None:
    """``beet genriflow ARGV`` in this process: the plugin ``found``'s own subcommand,
    its options parsed by its own parser, run on the beets library ``lib``."""
    command = found.commands()[0]
    opts, args = command.parser.parse_args(list(argv))
    command.func(lib, opts, args)


def beets_plugin_in(root: Path) -> object:
    """The genriflow beets plugin as the tests load it: its feature store and library
    index under ``root``, one worker (beets' configuration is the caller's to set)."""
    from beetsplug.genriflow import GenriflowPlugin

    found = GenriflowPlugin()
    found.config["store"].set(str(root / "store"))
    found.config["library"].set(str(root / "genriflow" / "library.db"))
    found.config["jobs"].set(1)
    return found
