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
