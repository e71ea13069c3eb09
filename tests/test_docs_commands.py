"""What the documentation says of the command line's own words: the data argument's name in
every command's usage line, and text printed as written on a colour terminal."""

from __future__ import annotations

import io
import re
from pathlib import Path

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
        "tested on (95 % intervals):"
    )


def _commands_block(text: str) -> list[tuple[str, str]]:
    """The (command, summary) pairs of a `Commands:` block, spaces normalised."""
    lines = text.split("Commands:\n", 1)[1].splitlines()
    pairs = []
    for line in lines:
        if not line.startswith("  ") or not line.strip():
            break
        name, summary = line.split(maxsplit=1)
        pairs.append((name, " ".join(summary.split())))
    return pairs


def test_the_command_list_in_getting_started_is_what_help_prints():
    doc = (Path(__file__).parents[1] / "docs" / "getting-started.md").read_text()
    out = in_process("--help")
    assert out.returncode == 0, out.stderr
    assert _commands_block(doc) == _commands_block(out.stdout)


def test_version_and_the_usage_error_quoted_in_getting_started():
    doc = (Path(__file__).parents[1] / "docs" / "getting-started.md").read_text()
    version = in_process("--version")
    assert version.returncode == 0 and f"`{version.stdout.strip()}`" in doc
    wrong = in_process("predict", "--x")
    assert wrong.returncode == 2
    [line] = wrong.stderr.strip().splitlines()
    assert line.startswith("error: No such option: --x; see `")
    assert "error: No such option: --x; see `genriflow predict --help`" in doc


def test_predict_help_names_the_built_in_models_the_pages_use():
    """docs/getting-started.md runs `predict --model library-genres`: `--model`'s help
    names it beside gtzan, gtzan-table and zero-shot (not only `genriflow models`)."""
    out = in_process("predict", "--help")
    assert out.returncode == 0, out.stderr
    words = " ".join(out.stdout.split())
    for name in ("gtzan (the default", "library-genres", "gtzan-table", "zero-shot"):
        assert name in words, name


def test_store_help_names_every_place_the_default_store_comes_from(tmp_path, monkeypatch):
    """`--store`'s help said "$GENRIFLOW_STORE or ~/.cache/genriflow", while the store of a
    user with $XDG_CACHE_HOME set is under it: the help names each place, in order."""
    from genriflow.locations import default_store_dir

    monkeypatch.delenv("GENRIFLOW_STORE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_store_dir() == tmp_path / "genriflow"
    for command in ("predict", "features", "train", "similar"):
        out = in_process(command, "--help")
        words = " ".join(out.stdout.split())
        assert ("(default: $GENRIFLOW_STORE, else $XDG_CACHE_HOME/genriflow, else "
                "~/.cache/genriflow)") in words, command
