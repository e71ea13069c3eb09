"""What the documentation says of the command line's own words: the data argument's name in
every command's usage line, and text printed as written on a colour terminal."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from commandline import in_process


@pytest.mark.parametrize("command", ["train", "evaluate", "compare", "tune", "features", "cluster"])
def test_every_data_argument_is_named_data_dir(command):
    """docs/training.md and docs/tuning.md write `genriflow features DATA_DIR`, `tune
    DATA_DIR`, `evaluate MODEL DATA_DIR`: the usage line and the arguments say so too."""
    out = in_process(command, "--help")
    assert out.returncode == 0, out.stderr
    usage = next(line for line in out.stdout.splitlines() if line.startswith("Usage:"))
    assert re.search(r"[\[{]DATA_DIR[\]}]", usage), usage
    assert "data_dir" not in out.stdout


def test_a_missing_data_argument_is_named_as_the_usage_line_names_it():
    out = in_process("features")
    assert out.returncode == 2
    [line] = out.stderr.strip().splitlines()
    assert line.startswith("error: Missing argument 'DATA_DIR'; see `")
    assert line.endswith(" features --help`")


def test_models_title_on_a_colour_terminal_is_plain_text(monkeypatch):
    """No highlighter colours the title's '(95 %': the line reads as the piped one."""
    import genriflow.cli.models as models

    console = Console(
        file=io.StringIO(),
        width=120,
        force_terminal=True,
        color_system="standard",
        markup=False,
        emoji=False,
    )
    monkeypatch.setattr(models, "console", console)
    models.command(format="table")
    first = console.file.getvalue().splitlines()[0]
    assert first == (
        "Built-in models, each figure with what it was fitted, chosen and "
        "tested on (95 % Wilson interval):"
    )
