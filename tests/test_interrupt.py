"""Ctrl-C, whenever it comes, is one ``interrupted`` line and exit status 130.

A terminal sends Ctrl-C's SIGINT to every process of the command: the command line while
it still imports, and the feature workers while they start or compute. Only the command
answers it; no process prints a traceback, and none is left running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import soundfile as sf

from sample_audio import SR, tone

#: Seconds after the program starts: while Python imports the command line, while the
#: workers start, and while they compute (on 2 busy cores; a run that finished first is
#: fine).
DELAYS = (0.05, 0.4, 1.5, 3.0)

#: ``python -m genriflow``, saying on stdout when the program starts: past the
#: interpreter's own start-up, where no program can answer a Ctrl-C (CPython ends with
#: "Fatal Python error: init_import_site" and a traceback), and the package's lazy
#: import (~15 ms), up to :func:`genriflow.__main__.main`, which imports the command line
#: itself to answer it. Counted from the process's start, 0.05 s was still inside the
#: interpreter's start-up on a loaded machine (that fatal error, seen at load 9).
STARTED = ("import runpy, genriflow; print('started', flush=True); "
           "runpy.run_module('genriflow', run_name='__main__', alter_sys=True)")


@pytest.fixture(scope="module")
def music(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("interrupted") / "music"
    folder.mkdir()
    for i in range(6):  # more than one batch of the calling process: workers start
        sf.write(folder / f"song-{i}.wav", tone(20.0, freq=200.0 + 40 * i, seed=i), SR)
    return folder


@pytest.mark.parametrize("delay", DELAYS)
def test_ctrl_c_is_one_line_whenever_it_comes(music, tmp_path, delay):
    command = subprocess.Popen(
        [sys.executable, "-c", STARTED, "predict", music, "-j", "2", "--store",
         tmp_path / "store"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True, env={**os.environ, "COLUMNS": "200"})
    assert command.stdout.readline() == "started\n"
    time.sleep(delay)
    os.killpg(command.pid, signal.SIGINT)  # as a terminal does: the whole process group
    _, stderr = command.communicate(timeout=300)
    assert "Traceback" not in stderr and "Fatal Python error" not in stderr, stderr
    if command.returncode == 130:
        assert stderr.rstrip().endswith("interrupted"), stderr
    else:
        # 0: it finished before the signal came. -SIGINT: Python ends a process by its
        # own SIGINT (what a shell reads as 130, as POSIX asks of an interrupted program)
        # once a Ctrl-C has come through an eval of a string, as typer's reading of
        # annotations is, even when that KeyboardInterrupt was handled.
        assert command.returncode in (0, -signal.SIGINT), stderr
    for _ in range(100):  # the workers go with the command
        try:
            os.killpg(command.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("a process of the interrupted command is still running")


def test_sigterm_to_the_command_alone_stops_it_and_its_workers(music, tmp_path):
    # a scheduler stops a job with SIGTERM to its main process: that ended it at once, by
    # the signal, and a feature worker blocked sending it a result stayed on, an orphan
    command = subprocess.Popen(
        [sys.executable, "-m", "genriflow", "predict", music, "-j", "2", "--store",
         tmp_path / "store"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True, env={**os.environ, "COLUMNS": "200"})
    deadline = time.monotonic() + 120
    while len(_group(command.pid)) < 2:  # its workers have started
        assert command.poll() is None and time.monotonic() < deadline, "no worker started"
        time.sleep(0.1)
    command.send_signal(signal.SIGTERM)
    _, stderr = command.communicate(timeout=300)
    assert command.returncode == 143, stderr
    assert stderr.splitlines()[-1] == "terminated" and "Traceback" not in stderr
    for _ in range(100):
        if not _group(command.pid):
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"still running after SIGTERM: {_group(command.pid)}")


def _group(pgid: int) -> list[str]:
    """The command lines of the processes of process group ``pgid``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and os.getpgid(int(proc.name)) == pgid:
                found.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, ProcessLookupError):
            continue
    return found


@pytest.mark.parametrize("command", [["models"], ["predict", "-j", "1"]])
def test_a_reader_that_leaves_ends_the_command_quietly_with_status_141(music, tmp_path,
                                                                        command):
    # `genriflow predict ~/Music | head -1`: the reader has gone before the table comes.
    # Not a bug (70), and not 1, which says files could not be used: 141, as a shell
    # reports a writer stopped by SIGPIPE, and nothing on standard error.
    read_end, write_end = os.pipe()
    os.close(read_end)
    args = [*command, music, "--store", tmp_path / "store"] if command[0] == "predict" \
        else command
    try:
        run = subprocess.run([sys.executable, "-m", "genriflow", *args], stdout=write_end,
                             stderr=subprocess.PIPE, text=True, timeout=300)
    finally:
        os.close(write_end)
    assert run.returncode == 141, run.stderr
    assert "bug" not in run.stderr and "Traceback" not in run.stderr, run.stderr
    assert "Broken pipe" not in run.stderr and "BrokenPipe" not in run.stderr, run.stderr
