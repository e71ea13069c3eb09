"""The command line in unusual terminals and environments: file names that would control
the terminal, a stdout that cannot encode a name, cannot be written or is closed, a closed
stderr, a current folder that was deleted."""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys

import pytest
import soundfile as sf
import typer
from rich.console import Console

from commandline import in_process, store_env
from genriflow.cli.common import GenriflowGroup, console
from genriflow.progress import (
    CurrentStderr,
    Shown,
    labelled,
    one_line,
    print_hanging,
    print_table,
    progress_bar,
    shown,
    unescape,
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
    for name in (f"{ESCAPES}\t{RLO}", "a literal \\x1b and \\u202e, \\\\ too"):
        assert unescape(one_line(name)) == name  # a piped table still gives each name back


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


FULL = ("error: standard output could not be written (No space left on device); free some "
        "space and run this again")


class _Full(io.StringIO):
    """A standard output on a full disk (``> /dev/full``)."""

    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


def _writer() -> typer.Typer:
    app = typer.Typer(cls=GenriflowGroup, pretty_exceptions_enable=False)

    @app.callback()
    def options(version: bool = typer.Option(False, "--version", is_eager=True,
                                             callback=lambda asked: _say(asked))) -> None:
        pass

    @app.command()
    def table() -> None:
        print_table(console, ["file", "genre"], [["a.ogg", "rock"]])

    @app.command()
    def raw() -> None:  # as `library export` writes, past rich and unflushed
        sys.stdout.write("path\na.ogg\n")

    return app


def _say(asked: bool) -> None:
    if asked:
        typer.echo("genriflow 0.1.0")
        raise typer.Exit()


@pytest.mark.parametrize(("stdout", "argv", "line"), [
    (_Full(), ["table"], FULL),
    (_Full(), ["raw"], FULL),
    (_Full(), ["--version"], FULL),
    (None, ["table"], "error: standard output is closed (>&-), so the results could not be "
                      "written; send them to a file, or to /dev/null"),
])
def test_a_stdout_that_cannot_be_written_is_one_line_and_status_2(stdout, argv, line,
                                                                  monkeypatch, capsys):
    # > /dev/full was a traceback and status 1 for --version and --help, and "bug: internal
    # error ... OSError" (status 70) for `library export`, which writes past the console;
    # >&- printed nothing at all and said status 0
    monkeypatch.setattr(sys, "stdout", stdout)
    with pytest.raises(SystemExit) as ended:
        _writer()(argv)
    assert ended.value.code == 2
    assert capsys.readouterr().err.splitlines() == [line]


def test_a_closed_stderr_drops_the_messages_and_not_the_command(monkeypatch):
    # 2>&- (sys.stderr None) was an AttributeError while genriflow.cli was imported
    monkeypatch.setattr(sys, "stderr", None)
    stderr = CurrentStderr()
    assert stderr.write("warning: x\n") == 11 and not stderr.isatty()
    stderr.flush()
    Shown(file=stderr).print(labelled("warning", "a.ogg: cut short"))


def test_closed_descriptors_in_a_real_process(tmp_path):
    run = [sys.executable, "-m", "genriflow"]
    with open("/dev/full", "w") as full:
        done = subprocess.run([*run, "--version"], stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=120)
    assert (done.returncode, done.stderr) == (
        2, FULL + "\n")
    closed = subprocess.run([*run, "--version"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, timeout=120,
                            preexec_fn=lambda: os.close(1))
    assert closed.returncode == 2 and "standard output is closed" in closed.stderr
    # stderr closed: the results still come, and a C library's stderr is /dev/null, not
    # the next file opened
    check = ("import os, genriflow.__main__ as m; m._hold_closed_descriptors(); "
             "print(os.readlink('/proc/self/fd/2'))")
    quiet = subprocess.run([sys.executable, "-c", check], stdout=subprocess.PIPE,
                           text=True, timeout=120, preexec_fn=lambda: os.close(2))
    assert quiet.stdout.strip() == os.devnull
    version = subprocess.run([*run, "--version"], stdout=subprocess.PIPE, text=True,
                             timeout=120, preexec_fn=lambda: os.close(2))
    assert version.returncode == 0 and version.stdout.startswith("genriflow ")
    # a reader that left before --help was written: quietly, status 141 (click said 1)
    read, write = os.pipe()
    os.close(read)
    try:
        left = subprocess.run([*run, "--help"], stdout=write, stderr=subprocess.PIPE,
                              text=True, timeout=120)
    finally:
        os.close(write)
    assert (left.returncode, left.stderr) == (141, "")


def test_a_deleted_current_folder_is_named_not_a_bug(tmp_path, monkeypatch):
    # it was "bug: internal error ... FileNotFoundError: [Errno 2] No such file or
    # directory", status 70, even for a song named by its absolute path
    sf.write(tmp_path / "song.flac", tone(5.0), SR)
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    out = in_process("predict", tmp_path / "song.flac", "-q", env=store_env(tmp_path / "s"))
    assert out.returncode == 2, out.stderr
    assert out.stderr.splitlines() == [
        "error: the current folder no longer exists (deleted or moved while this shell was "
        "in it); cd into a folder that exists and run it again"]


class _Screen(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_csv_on_a_terminal_shows_the_names_and_keeps_its_line_ends():
    import numpy as np

    from genriflow.inference.output import render_songs
    from genriflow.inference.predict import Prediction

    p = np.array([0.7, 0.3])
    song = Prediction(f"/music/{ESCAPES}", ["jazz", "rock"], p, np.array([0.0]), np.array([p]))
    screen = Shown(file=_Screen(), force_terminal=True)
    render_songs([song], (), "csv", 2, screen)
    text = screen.file.getvalue()
    assert not _controls(text) and "\\x1b[31mred" in text
    assert text.count("\r\n") == 2 and "\\r" not in text  # the CSV's own line ends
