"""``genriflow serve``: its help, its one-line errors, and a real process served and stopped
with SIGTERM (gracefully: the shutdown completes, then the process ends by the signal)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import httpx
from typer.testing import CliRunner

from genriflow.cli import app


def invoke(*args: str, env: dict | None = None):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200", **(env or {})})


def test_help_names_the_endpoints_and_the_security_defaults():
    out = invoke("serve", "--help")
    assert out.exit_code == 0
    for word in ("/v1/classify", "/v1/jobs", "--allow-dir", "--token-file", "--library",
                 "--workers", "loopback", "token"):
        assert word in out.output


def test_errors_are_one_line():
    out = invoke("serve", "--host", "0.0.0.0", env={"GENRIFLOW_API_TOKENS": ""})
    assert out.exit_code == 2
    assert out.output.count("\n") == 1 and out.output.startswith("error: `--token-file`")
    short = invoke("serve", "--host", "0.0.0.0", env={"GENRIFLOW_API_TOKENS": "short"})
    assert short.exit_code == 2 and short.output.count("\n") == 1
    assert short.output.startswith("error: `$GENRIFLOW_API_TOKENS` holds 1 token(s) shorter")
    out = invoke("serve", "--allow-dir", "/no/such/folder")
    assert out.exit_code == 2 and "/no/such/folder is not a folder" in out.output
    assert "Traceback" not in out.output


def test_limits_that_are_not_positive_numbers_are_one_line_naming_the_option():
    # --max-upload-mb -1 named `max_upload_bytes` and -1048576 (bytes); nan was a crash
    # (a bug report), --timeout inf one after the model loaded, --max-duration nan no
    # limit at all
    for option, value in (("--max-upload-mb", "-1"), ("--max-upload-mb", "nan"),
                          ("--max-upload-mb", "inf"), ("--timeout", "inf"),
                          ("--max-duration", "nan"), ("--job-ttl", "-inf")):
        out = invoke("serve", option, value, "--pool", "thread", "--port", "1")
        assert out.exit_code == 2, (option, value, out.output)
        assert out.output.count("\n") == 1, out.output
        assert out.output.startswith(f"error: `{option}` must be a positive number; got "
                                     f"{float(value)!r}"), out.output

def test_a_store_that_cannot_be_written_is_one_line_at_start_up(tmp_path):
    # it was a warning at the first song, then every song's features computed anew
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    import socket

    with socket.socket() as taken:  # never served, whichever check comes first
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        out = invoke("serve", "--store", str(blocker / "store"), "--pool", "thread",
                     "--port", str(taken.getsockname()[1]))
    assert out.exit_code == 2, out.output
    assert out.output.count("\n") == 1, out.output
    assert out.output.startswith(f"error: `--store` {blocker / 'store'}: cannot be "
                                 "written (Not a directory)"), out.output
    assert not (tmp_path / "a-file" / "store").exists()
    # the store itself a file: it said "cannot be written (File exists)"
    out = invoke("serve", "--store", str(blocker), "--pool", "thread")
    assert out.exit_code == 2 and out.output == (
        f"error: `--store` {blocker}: cannot be written (it is a file, not a folder); the "
        "service keeps each song's features there: name a writable folder, or none to keep "
        "nothing\n"), out.output


def test_a_port_in_use_is_one_line_before_anything_loads():
    # uvicorn said it after the model had loaded, then the process ended with status 3
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        out = invoke("serve", "--port", str(port), "--pool", "thread")
        # tokens given on loopback, where nothing asks for them: said first
        tokens = invoke("serve", "--port", str(port), "--pool", "thread",
                        env={"GENRIFLOW_API_TOKENS": "alpha-0123456789ab"})
    assert out.exit_code == 2 and time.monotonic() - started < 5
    assert out.output == (f"error: `--port` 127.0.0.1:{port}: cannot listen there "
                          "(Address already in use)\n")
    assert tokens.output.splitlines()[0].startswith(
        "warning: 1 token given but not asked for: bound to loopback")
    assert "--require-token asks for them" in tokens.output and tokens.exit_code == 2


def test_serve_answers_then_stops_gracefully_on_sigterm(tmp_path, songs):
    process = subprocess.Popen(
        [sys.executable, "-m", "genriflow", "serve", "--model", "gtzan-table", "--port", "0",
         "--queue-limit", "4", "--workers", "1"], stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, env={**os.environ, "COLUMNS": "400"})
    try:
        lines: list[str] = []
        port = None
        deadline = time.monotonic() + 120
        while port is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
            found = re.search(r"running on http://127\.0\.0\.1:(\d+)", line, re.IGNORECASE)
            port = int(found.group(1)) if found else None
        config = json.loads(lines[0].removeprefix("config: "))
        assert lines[1].startswith("genriflow service on http://127.0.0.1 on a free port")
        assert config["queue_limit"] == 4 and config["needs_token"] is False
        assert config["pool"] == "process"  # the default: the analysis in a worker process
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            while http.get("/readyz").status_code != 200:
                assert time.monotonic() < deadline
                time.sleep(0.1)
            response = http.post("/v1/classify", files={"file": ("a.wav",
                                                                 songs["rock"].read_bytes())})
            assert response.status_code == 200
        process.send_signal(signal.SIGTERM)
        # uvicorn's convention: after the clean shutdown, the signal is raised again
        assert process.wait(timeout=60) == -signal.SIGTERM
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    rest = process.stdout.read()
    assert "Traceback" not in rest
    assert "Application shutdown complete" in rest and "Finished server process" in rest
