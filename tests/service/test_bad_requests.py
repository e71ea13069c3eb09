"""What the service refuses, each with one line of JSON: a clear 4xx, never a traceback."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import time
from pathlib import Path

import httpx
import pytest

from genriflow.service.config import ServiceConfig


def error_of(response, status: int, code: str) -> str:
    """The response's error message, after checking it is exactly the one-line shape."""
    assert response.status_code == status, response.text
    assert "\n" not in response.text and "Traceback" not in response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    assert set(body["error"]) == {"code", "message"} and body["error"]["message"]
    return body["error"]["message"]


def test_empty_body(client):
    assert "no audio" in error_of(client.post("/v1/classify"), 400, "empty")
    empty = client.post("/v1/classify", files={"file": ("song.mp3", b"")})
    assert "empty" in error_of(empty, 400, "empty")


@pytest.mark.parametrize("name", ["song.mp3", "song.flac", "song.ogg"])
def test_text_named_like_a_song_is_not_audio(client, name):
    # song.flac was 422 `empty`, song.ogg 422 `corrupt` naming the upload's server path
    text = client.post("/v1/classify", files={"file": (name, b"hello, world\n" * 80,
                                                       "application/octet-stream")})
    message = error_of(text, 415, "not-audio")
    assert message == f"{name}: not a recognised audio format (unreadable header)"


def test_truncated_mp3(client, songs):
    head = songs["mp3"].read_bytes()[:600]  # a header and a frame or two: nothing usable
    message = error_of(client.post("/v1/classify", files={"file": ("cut.mp3", head)}), 422,
                       "too-short")
    assert message.startswith("cut.mp3: ")


def test_a_bad_option_value(client, songs):
    response = client.post("/v1/classify", params={"tags": "perhaps"},
                           content=songs["rock"].read_bytes())
    assert "tags" in error_of(response, 422, "invalid-request")


def test_similar_songs_asked_of_a_service_without_a_library(serving, songs):
    # it was silently left out of the answer
    with serving(ServiceConfig(model="gtzan", workers=1)) as bare, bare.client() as client:
        response = client.post("/v1/classify", params={"similar": "true"},
                               content=songs["rock"].read_bytes())
    assert "start it with --library" in error_of(response, 422, "bad-option")


def test_an_unknown_query_parameter_is_refused_naming_what_the_endpoint_takes(client, songs):
    # `?tag=true` was ignored: the song analysed without tags, 200, as if nothing was asked
    song = songs["rock"].read_bytes()
    message = error_of(client.post("/v1/classify", params={"tag": "true"}, content=song),
                       422, "unknown-parameter")
    assert message == ("?tag: not a parameter of POST /v1/classify; it takes tags, "
                       "similar, filename")
    message = error_of(client.post("/v1/classify?tags=true&model=foo", content=song),
                       422, "unknown-parameter")
    assert message.startswith("?model: not a parameter of POST /v1/classify")
    message = error_of(client.get("/v1/models", params={"verbose": "1"}), 422,
                       "unknown-parameter")
    assert message.endswith("GET /v1/models; it takes no query parameters")
    error_of(client.get("/v1/jobs/abc", params={"wait": "1"}), 422, "unknown-parameter")
    assert client.get("/v1/models").status_code == 200


def test_a_query_parameter_given_twice_is_refused_naming_it(client, songs):
    # `?tags=true&tags=false` was a 200 in which the last value silently won
    song = songs["rock"].read_bytes()
    for query in ("tags=true&tags=false", "tags=true&similar=false&tags=true"):
        message = error_of(client.post(f"/v1/classify?{query}", content=song), 422,
                           "repeated-parameter")
        assert message == "?tags: given 2 times to POST /v1/classify; give it once"
    message = error_of(client.post("/v1/jobs?tags=1&tags=1&tags=0", files=[
        ("files", ("a.wav", song))]), 422, "repeated-parameter")
    assert message.startswith("?tags: given 3 times to POST /v1/jobs")


def test_probes_ignore_query_parameters(client):
    # kept on purpose (docs/service.md): a monitor's cache-busting `?_=1712345678`
    for path in ("/healthz", "/readyz", "/metrics"):
        assert client.get(path, params={"_": "1712345678"}).status_code == 200, path
        assert client.get(f"{path}?_=1&_=2").status_code == 200, path


def test_unknown_route_and_method(client):
    error_of(client.get("/v1/nothing"), 404, "not-found")
    error_of(client.get("/v1/classify"), 405, "method-not-allowed")


def test_head_is_answered_wherever_get_is(service):
    # a load balancer's HEAD /healthz was a 405: the service looked down; so were HEAD
    # /metrics, /v1/models and the page
    for path in ("/healthz", "/readyz", "/metrics", "/v1/models", "/"):
        got, head = httpx.get(service.url + path), httpx.head(service.url + path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"", path
        assert head.headers["content-type"] == got.headers["content-type"], path
        if path != "/metrics":  # its counters move between the two
            assert head.headers["content-length"] == got.headers["content-length"], path
    # with the same refusals as GET, bodiless
    refused = httpx.head(service.url + "/v1/models", params={"verbose": "1"})
    assert refused.status_code == 422 and refused.content == b""
    assert httpx.head(service.url + "/v1/jobs/nope").status_code == 404
    assert httpx.head(service.url + "/v1/classify").status_code == 405
    paths = httpx.get(service.url + "/openapi.json").json()["paths"]
    assert all(set(operations) <= {"get", "post", "delete"} for operations in paths.values())


def test_head_on_a_finished_job_leaves_its_results_for_the_get(service, songs):
    song = songs["rock"].read_bytes()
    job = httpx.post(service.url + "/v1/jobs", files=[("files", ("a.wav", song))]).json()
    kept = service.app.state.jobs.jobs
    deadline = time.monotonic() + 60
    while kept[job["id"]].state != "done" and time.monotonic() < deadline:
        time.sleep(0.1)
    head = httpx.head(f"{service.url}/v1/jobs/{job['id']}")
    assert head.status_code == 200 and head.content == b""
    done = httpx.get(f"{service.url}/v1/jobs/{job['id']}")
    assert done.status_code == 200 and [r["file"] for r in done.json()["results"]] == ["a.wav"]
    assert head.headers["content-length"] == done.headers["content-length"]
    assert httpx.head(f"{service.url}/v1/jobs/{job['id']}").status_code == 404


def _post_raw(url: str, headers: dict[str, str], body_chunks, read_timeout: float = 20.0
              ) -> tuple[int, bytes, int]:
    """POST over a plain socket, sending ``body_chunks`` until the server answers or
    closes; the status, the response and how many body bytes were sent."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=read_timeout)
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    sock.sendall(f"POST /v1/classify HTTP/1.1\r\nHost: {host}\r\n{head}\r\n".encode())
    sent = 0
    sock.setblocking(False)
    answer = b""
    try:
        for chunk in body_chunks:
            with contextlib.suppress(BlockingIOError):
                answer += sock.recv(65536)
            if answer:
                break
            try:
                sock.sendall(chunk)
                sent += len(chunk)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                time.sleep(0.01)
        sock.setblocking(True)
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            more = sock.recv(65536)
            if not more:
                break
            answer += more
    finally:
        sock.close()
    return int(answer.split(b" ", 2)[1]), answer, sent


def too_large_counted(url: str) -> float:
    """``genriflow_errors_total{code="too-large"}`` of the service at ``url``."""
    found = re.search(r'^genriflow_errors_total\{code="too-large"\} (\S+)$',
                      httpx.get(url + "/metrics").text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_a_2_gb_upload_is_refused_by_its_length_without_reading_it(service):
    counted = too_large_counted(service.url)
    started = time.monotonic()
    zeros = bytes(1 << 20)
    status, answer, sent = _post_raw(service.url, {"Content-Type": "audio/wav",
                                                   "Content-Length": str(2 << 30)},
                                     (zeros for _ in range(2048)))
    assert status == 413 and b'"too-large"' in answer
    assert sent < 64 << 20 and time.monotonic() - started < 10
    # counted as every other refusal (it was in genriflow_requests_total alone)
    assert too_large_counted(service.url) == counted + 1


def test_a_body_refused_by_its_length_is_counted_under_its_route(serving, songs):
    # it was counted under route "unmatched": answered before the app routed it
    with serving(ServiceConfig(model="gtzan-table", max_upload_bytes=1024)) as small, \
            small.client() as http:
        error_of(http.post("/v1/classify", content=songs["rock"].read_bytes()), 413,
                 "too-large")
        error_of(http.post("/v1/jobs", files={"files": songs["rock"].read_bytes()}), 413,
                 "too-large")
        metrics = http.get("/metrics").text
    for route in ("/v1/classify", "/v1/jobs"):
        assert (f'genriflow_requests_total{{method="POST",route="{route}",status="413"}} 1.0'
                in metrics), metrics
    assert 'route="unmatched"' not in metrics


def test_a_chunked_upload_is_refused_once_past_the_limit(running):
    config = ServiceConfig(model="gtzan-table", max_upload_bytes=1 << 20)
    with running(config) as small:
        chunks = (f"{1 << 16:x}\r\n".encode() + bytes(1 << 16) + b"\r\n" for _ in range(4096))
        status, answer, sent = _post_raw(small.url, {"Content-Type": "audio/wav",
                                                     "Transfer-Encoding": "chunked"}, chunks)
    assert status == 413 and b'"too-large"' in answer
    assert sent < 64 << 20


def test_a_limit_in_fractions_of_a_mib_is_said_as_set(serving, songs):
    # --max-upload-mb 0.25 was said as "(0 MiB)", 1.5 as "(2 MiB)"
    for mib, said in ((0.25, "262144 bytes (0.25 MiB)"), (1.5, "1572864 bytes (1.5 MiB)")):
        config = ServiceConfig(model="gtzan-table", max_upload_bytes=int(mib * 2**20))
        with serving(config) as small, small.client() as http:
            response = http.post("/v1/classify", content=bytes(int(mib * 2**20) + 1),
                                 headers={"Content-Type": "audio/wav"})
        assert error_of(response, 413, "too-large").endswith(f"the limit of {said}")

def test_too_many_files_in_a_form_is_said_as_for_a_job_of_paths(client, songs):
    # "the multipart body cannot be read: 400: Too many files. Maximum number of files is
    # 256." (400 bad-form, the parser's status inside the message), where a job naming 257
    # paths is 413 too-many; two songs to /v1/classify said "... number of files is 1."
    from genriflow.service.app import MAX_JOB_FILES

    files = [("files", (f"{i}.mp3", b"x")) for i in range(MAX_JOB_FILES + 1)]
    assert error_of(client.post("/v1/jobs", files=files), 413, "too-many") == (
        f"more than {MAX_JOB_FILES} files; a job takes at most {MAX_JOB_FILES}")
    rock = songs["rock"].read_bytes()
    two = [("file", ("a.wav", rock)), ("file", ("b.wav", rock))]
    message = error_of(client.post("/v1/classify", files=two), 400, "too-many")
    assert "takes one song" in message and "POST /v1/jobs" in message
    fields = [("files", ("a.wav", rock))] + [(f"f{i}", (None, "x")) for i in range(20)]
    message = error_of(client.post("/v1/jobs", files=fields), 400, "bad-form")
    assert message == ("the multipart body cannot be read: Too many fields. Maximum number "
                       "of fields is 16.")

def test_a_song_over_the_duration_limit(serving, songs):
    with serving(ServiceConfig(model="gtzan-table", max_duration=5.0)) as short, \
            short.client() as http:
        response = http.post("/v1/classify", files={"file": ("long.wav",
                                                              songs["rock"].read_bytes())})
    assert "the limit is 5 s" in error_of(response, 413, "too-long")


@pytest.fixture(scope="module")
def allowed(tmp_path_factory, write_clip) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("paths")
    inside, outside = root / "music", root / "private"
    inside.mkdir()
    outside.mkdir()
    write_clip(inside / "a.wav", "rock", seconds=4.0)
    write_clip(outside / "secret.wav", "jazz", seconds=4.0)
    (inside / "link.wav").symlink_to(outside / "secret.wav")
    (inside / "escape").symlink_to(outside)
    return inside, outside


def test_paths_outside_the_allowed_folder(allowed, serving):
    inside, outside = allowed
    with serving(ServiceConfig(model="gtzan-table", allow_dirs=(inside,))) as served, \
            served.client() as http:
        def job(*paths):
            return http.post("/v1/jobs", json={"paths": list(paths)})

        assert "`..`" in error_of(job("../private/secret.wav"), 403, "path-outside")
        assert "outside" in error_of(job(str(outside / "secret.wav")), 403, "path-outside")
        assert "outside" in error_of(job("link.wav"), 403, "path-outside")
        assert "outside" in error_of(job("escape/secret.wav"), 403, "path-outside")
        assert "outside" in error_of(job("/etc/no-such-file"), 403, "path-outside")
        error_of(job("missing.wav"), 404, "path-missing")
        error_of(http.post("/v1/jobs", content=b"{not json",
                           headers={"content-type": "application/json"}),
                 422, "invalid-request")
        accepted = job("a.wav")
        assert accepted.status_code == 202 and accepted.json()["total"] == 1


def test_a_misspelt_key_of_a_job_is_refused_not_dropped(allowed, serving):
    # {"paths": [...], "tag": true} ran the job without tags, the key silently dropped
    inside, _ = allowed
    with serving(ServiceConfig(model="gtzan-table", allow_dirs=(inside,))) as served, \
            served.client() as http:
        response = http.post("/v1/jobs", json={"paths": ["a.wav"], "tag": True})
    assert error_of(response, 422, "invalid-request") == (
        "tag: not a key of a job; it takes paths, tags")

def test_a_folder_holding_a_link_out_is_refused(tmp_path, serving, write_clip):
    music = tmp_path / "music"
    write_clip(music / "ok.wav", seconds=3.0)
    write_clip(tmp_path / "elsewhere" / "x.wav", seconds=3.0)
    (music / "album").mkdir()
    (music / "album" / "02 link.wav").symlink_to(tmp_path / "elsewhere" / "x.wav")
    with serving(ServiceConfig(model="gtzan-table", allow_dirs=(music,))) as served, \
            served.client() as http:
        response = http.post("/v1/jobs", json={"paths": ["."]})
    # it named the link's target, `x.wav`, which is nowhere in the folder sent
    assert error_of(response, 403, "path-outside") == (
        ".: album/02 link.wav: outside the allowed folders")


def test_no_server_paths_without_an_allowed_folder(client):
    error_of(client.post("/v1/jobs", json={"paths": ["/etc/passwd"]}), 403,
             "paths-not-allowed")


def test_tokens_missing_wrong_and_right(songs, tmp_path, monkeypatch, serving, token):
    monkeypatch.delenv("GENRIFLOW_API_TOKENS", raising=False)
    tokens = tmp_path / "tokens"
    tokens.write_text(f"# the service's tokens\n{token}\n")
    config = ServiceConfig(model="gtzan-table", require_token=True, token_file=tokens)
    with serving(config) as served, served.client() as http:
        error_of(http.post("/v1/classify", content=b"x"), 401, "token-missing")
        wrong = http.post("/v1/classify", content=b"x",
                          headers={"Authorization": f"Bearer {token}x"})
        assert wrong.headers["www-authenticate"].startswith("Bearer")
        error_of(wrong, 401, "token-rejected")
        error_of(http.get("/v1/models", headers={"Authorization": token}), 401,
                 "token-malformed")
        right = http.post("/v1/classify", content=songs["rock"].read_bytes(),
                          headers={"Authorization": f"Bearer {token}"})
        assert right.status_code == 200
        for public in ("/", "/healthz", "/readyz", "/metrics", "/static/app.js"):
            assert http.get(public).status_code == 200


def test_bound_elsewhere_without_tokens_is_refused(monkeypatch, token):
    from genriflow.errors import ConfigError

    monkeypatch.delenv("GENRIFLOW_API_TOKENS", raising=False)
    with pytest.raises(ConfigError, match="token"):
        ServiceConfig(host="0.0.0.0")
    monkeypatch.setenv("GENRIFLOW_API_TOKENS", f"{token},{token[::-1]}")
    config = ServiceConfig(host="0.0.0.0")
    assert config.needs_token and len(config.tokens) == 2
    assert token not in config.to_json() and json.loads(config.to_json())["tokens"] == 2


def test_a_cut_file_that_still_decodes_is_used(client, songs):
    """A partly downloaded mp3 is analysed for the part that decodes, as the library does."""
    half = songs["mp3"].read_bytes()[: songs["mp3"].stat().st_size // 2]
    response = client.post("/v1/classify", files={"file": ("half.mp3", half)})
    assert response.status_code == 200, response.text
    assert 2.0 < response.json()["duration"] < 6.0


def test_a_name_with_control_characters_cannot_forge_a_line_of_the_log(client, songs, caplog):
    # ?filename=a%0AERROR: forged.mp3 wrote "WARNING: a" then "ERROR: forged.mp3:
    # truncated ..." as a second line of the server's log (and \x1b[31m coloured it)
    half = songs["mp3"].read_bytes()[: songs["mp3"].stat().st_size // 2]
    with caplog.at_level(logging.WARNING, logger="genriflow.service"):
        response = client.post("/v1/classify", content=half, headers={
            "Content-Type": "audio/mpeg"}, params={"filename": "a\nERROR: \x1b[31mforged.mp3"})
    assert response.status_code == 200, response.text
    assert response.json()["file"] == "a\\nERROR: \\x1b[31mforged.mp3"
    said = [r.getMessage() for r in caplog.records if r.name == "genriflow.service"]
    assert said and all("\n" not in line and "\x1b" not in line for line in said), said
    assert said[0].startswith("a\\nERROR: \\x1b[31mforged.mp3: truncated: ")


def test_a_name_with_a_slash_is_shown_whole(client, songs):
    # "<b>x</b>.wav" came back as "b>.wav", "AC/DC - T.N.T..wav" as "DC - T.N.T..wav": the
    # name was cut at its last slash as if it were a path (it is never used as one)
    rock = songs["rock"].read_bytes()
    for name in ("<b>x</b>.wav", "AC/DC - T.N.T..wav", "[bold]y[/bold].wav"):
        response = client.post("/v1/classify", files={"file": (name, rock)})
        assert response.status_code == 200 and response.json()["file"] == name, response.text
    raw = client.post("/v1/classify", content=rock, params={"filename": "a/b.wav"})
    assert raw.json()["file"] == "a/b.wav"


def test_a_malformed_content_length_is_refused_by_uvicorn_before_the_app(service):
    # what docs/service.md says of it: uvicorn's HTTP parser (h11) answers its own
    # plain-text 400 and closes; the app (its JSON errors, its metrics) never sees it
    def classify_requests() -> float:
        text = httpx.get(service.url + "/metrics").text
        return sum(float(n) for n in re.findall(
            r'^genriflow_requests_total\{method="POST",route="/v1/classify",[^}]*\} (\S+)$',
            text, re.MULTILINE))

    before = classify_requests()
    host, port = service.url.removeprefix("http://").split(":")
    for length in (b"abc", b"-1", b"5, 6"):
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: audio/wav"
                         b"\r\nContent-Length: " + length + b"\r\n\r\nhello")
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400 "), answer
        assert b"content-type: text/plain" in head.lower()
        assert body == b"Invalid HTTP request received."
    assert classify_requests() == before
