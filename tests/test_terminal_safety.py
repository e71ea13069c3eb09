"""The command line in unusual terminals and environments: file names that would control
the terminal, a stdout that cannot encode a name, cannot be written or is closed, a closed
stderr, a current folder that was deleted."""

from __future__ import annotations

import io

import pytest
import soundfile as sf
from rich.console import Console

from commandline import in_process, store_env
from genriflow.progress import (
    Shown,
    labelled,
    one_line,
    print_hanging,
    print_table,
    progress_bar,
    shown,
)
from sample_audio import SR, tone

#: A name that would turn the terminal red, retitle it, and one that reads backwards.
ESCAPES = "\x1b[31mred\x1b]0;pwned\x07.ogg"
RLO = "\u202egpj.ogg"


def _terminal(width: int = 100) -> Console:
    return Shown(file=io.StringIO(), force_terminal=True, width=width, color_system=None)


def _controls(text: str) -> set[str]:
    return {c for c in text if c in "\x1b\x07\x9b\u202e"}


def test_shown_writes_terminal_controls_visibly_and_keeps_every_script():
    assert shown(ESCAPES) == "\\x1b[31mred\\x1b]0;pwned\\x07.ogg"
    assert shown(RLO) == "\\u202egpj.ogg"
    assert shown("\x9b2J \x7f \x00") == "\\x9b2J \\x7f \\x00"
    kept = "Café – Ñandú 🎵 שָׁלוֹם\u200f.ogg\tand\na line"  # RLM, tab, line break kept
    assert shown(kept) == kept


def test_no_file_name_reaches_a_terminal_as_control_characters():
    # the escape sequence in a file's name coloured, retitled or cleared the user's terminal
    out = _terminal()
    print_table(out, ["file", "genre"], [[f"/music/{ESCAPES}", "rock"], [RLO, "jazz"]],
                title=f"songs in {ESCAPES}")
    out.print(labelled("warning", f"/music/{ESCAPES}: cut short"))
    out.print(f"wrote /music/{ESCAPES}")  # a plain string: Shown's own
    print_hanging(out, "jazz  45%  ", f"/music/{ESCAPES}")
    text = out.file.getvalue()
    assert not _controls(text)
    assert text.count("\\x1b[31mred\\x1b]0;pwned\\x07.ogg") == 5 and "\\u202egpj.ogg" in text
    assert one_line(f"{ESCAPES}\t{RLO}") == "\\x1b[31mred\\x1b]0;pwned\\x07.ogg\\t\\u202egpj.ogg"


def test_a_progress_bar_description_cannot_control_the_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    terminal = Console(file=io.StringIO(), force_terminal=True, width=120, color_system=None)
    with progress_bar(False) as bar:
        bar.add_task(f"classify [/models/{ESCAPES}]", total=2)
        terminal.print(bar.get_renderable())
    assert "classify [/models/\\x1b[31mred" in terminal.file.getvalue()
    assert not _controls(terminal.file.getvalue())


def test_predict_shows_a_name_with_escape_sequences_and_never_sends_them(tmp_path):
    sf.write(tmp_path / ESCAPES, tone(5.0), SR)
    out = in_process("predict", tmp_path / ESCAPES, tmp_path / f"gone {RLO}", "-q",
                     env=store_env(tmp_path / "store"))
    assert out.returncode == 1, out.stderr
    assert not _controls(out.stdout) and not _controls(out.stderr)
    assert f"{shown(str(tmp_path / ESCAPES))}\t" in out.stdout
    assert f"  {tmp_path}/gone \\u202egpj.ogg: file not found" in out.stderr.splitlines()
    csv = in_process("predict", tmp_path / ESCAPES, "-q", "-f", "csv",
                     env=store_env(tmp_path / "store"))
    assert ESCAPES in csv.stdout  # a data format through a pipe keeps every byte



@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_a_name_the_locale_cannot_encode_is_escaped_not_a_crash(tmp_path, encoding):
    # LANG=en_US.ISO-8859-1 or PYTHONIOENCODING=ascii: `Café – Ñandú 🎵.ogg` was a bug,
    # status 70 (UnicodeEncodeError); stderr already escaped what it cannot encode
    from typer.testing import CliRunner

    from genriflow.cli import app

    name = "Café – Ñandú 🎵.ogg"
    sf.write(tmp_path / name, tone(5.0), SR)
    result = CliRunner(charset=encoding).invoke(
        app, ["predict", str(tmp_path / name), "-q"],
        env={"COLUMNS": "200", **store_env(tmp_path / "store")})
    assert result.exit_code == 0, (result.exception, result.stderr)
    row = result.stdout_bytes.decode(encoding).splitlines()[1]
    escaped = name.encode(encoding, "backslashreplace").decode(encoding)
    assert row.startswith(f"{tmp_path}/{escaped}\t")
