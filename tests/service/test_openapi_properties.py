"""Property-based requests from the service's own OpenAPI document (Schemathesis): whatever
is sent, the answer is never a 500, and every error has the one-line shape."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from genriflow.service.config import ServiceConfig


@pytest.fixture(scope="module")
def fuzzed(running, tmp_path_factory, write_clip, token, monkeypatch_module):
    music = tmp_path_factory.mktemp("fuzz-music")
    write_clip(music / "a.wav", seconds=3.0)
    monkeypatch_module.setenv("GENRIFLOW_API_TOKENS", token)
    config = ServiceConfig(model="gtzan-table", allow_dirs=(music,), require_token=True,
                           max_upload_bytes=1 << 20)
    with running(config) as served:
        yield served


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_no_request_makes_a_server_error(fuzzed, token):
    """Every operation of the document, a few generated requests each (a small, fixed
    budget, so the run stays a few seconds)."""
    schema = schemathesis.openapi.from_url(f"{fuzzed.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/classify", "/v1/jobs", "/v1/jobs/{job_id}"}
    seen: list[int] = []

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=5, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            response = case.call(base_url=fuzzed.url,
                                 headers={"Authorization": f"Bearer {token}"}, timeout=30)
            case.validate_response(response, checks=[not_a_server_error])
            seen.append(response.status_code)
            if response.status_code >= 400:
                body = response.json()
                assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}

        check()
    assert len(seen) >= len(operations) and max(seen) < 500


def test_each_endpoint_lists_only_the_error_statuses_it_can_answer(token):
    # every /v1 endpoint listed 400 401 403 404 413 415 422 503 504: GET /v1/jobs/{id}
    # claimed an upload's 413 and 415 and a timeout's 504, and 401 without tokens
    from genriflow.service.app import create_app

    expected = {("/v1/classify", "post"): {"200", "400", "413", "415", "422", "503", "504"},
                ("/v1/jobs", "post"): {"202", "400", "403", "404", "413", "415", "422", "503"},
                ("/v1/jobs/{job_id}", "get"): {"200", "404", "422"},
                ("/v1/jobs/{job_id}", "delete"): {"200", "404", "409", "422"},
                ("/v1/models", "get"): {"200", "422"},
                ("/healthz", "get"): {"200"}, ("/readyz", "get"): {"200", "503"}}
    for tokens in (frozenset(), frozenset({token})):
        config = ServiceConfig(model="gtzan-table", pool="thread", tokens=tokens,
                               require_token=bool(tokens))
        app = create_app(config)  # never started: only its document
        paths = app.openapi()["paths"]
        app.state.upload_dir.rmdir()
        for (path, method), statuses in expected.items():
            wanted = statuses | ({"401"} if tokens and path.startswith("/v1/") else set())
            assert set(paths[path][method]["responses"]) == wanted, (path, tokens)
