"""Cancelling a batch job (DELETE /v1/jobs/{id}): it was a 405, and a job sent over the
wrong folder ran to its end."""

from __future__ import annotations

import asyncio
import time

import pytest

from genriflow.service.config import ServiceConfig
from genriflow.service.engine import Engine, Item
from genriflow.service.errors import ServiceError
from genriflow.service.jobs import JobStore


def _wait(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_running_job_cancelled_stops_and_keeps_what_it_analysed(serving, songs):
    config = ServiceConfig(model="gtzan-table", workers=1, max_batch=1)
    rock = songs["rock"].read_bytes()
    with serving(config) as served, served.client() as http:
        engine, store = served.app.state.engine, served.app.state.jobs
        analysed: list[int] = []
        counted = engine.on_batch
        engine.on_batch = lambda n, seconds: (analysed.append(n), counted(n, seconds))
        files = [("files", (f"{i}.wav", rock)) for i in range(48)]
        job_id = http.post("/v1/jobs", files=files).json()["id"]
        _wait(lambda: store.jobs[job_id].results)

        cancelled = http.delete(f"/v1/jobs/{job_id}")
        assert cancelled.status_code == 200, cancelled.text
        status = cancelled.json()
        assert status["state"] == "cancelled" and status["finished"] is not None
        assert 1 <= status["done"] < status["total"] == 48 and "results" not in status
        at_cancel = sum(analysed)
        again = http.delete(f"/v1/jobs/{job_id}")  # idempotent: the same answer
        assert again.status_code == 200 and again.json() == status

        _wait(lambda: engine.pending == 0)
        time.sleep(0.3)
        # no song of it starts after the cancel (one pass of max_batch may be under way)
        assert sum(analysed) <= at_cancel + config.max_batch
        assert list(served.app.state.upload_dir.iterdir()) == []

        fetched = http.get(f"/v1/jobs/{job_id}")  # says so, with the songs done before
        assert fetched.status_code == 200
        body = fetched.json()
        assert body["state"] == "cancelled" and body["done"] == status["done"]
        assert len(body["results"]) + len(body["errors"]) == status["done"]
        assert all(r["genre"] and r["file"].endswith(".wav") for r in body["results"])
        gone = http.get(f"/v1/jobs/{job_id}")  # given once, like a finished job's
        assert gone.status_code == 404

        # the service goes on: a later job runs to its end
        later = http.post("/v1/jobs", files=files[:2]).json()["id"]
        _wait(lambda: store.jobs[later].state == "done")
        metrics = http.get("/metrics").text
    assert ('genriflow_requests_total{method="DELETE",route="/v1/jobs/{job_id}",'
            'status="200"} 2.0') in metrics


def test_cancelling_an_unknown_or_done_job(client, served, songs):
    unknown = client.delete("/v1/jobs/nope")
    assert unknown.status_code == 404
    assert unknown.json() == client.get("/v1/jobs/nope").json()  # the GET's wording

    job_id = client.post("/v1/jobs", files=[
        ("files", ("rock.wav", songs["rock"].read_bytes()))]).json()["id"]
    _wait(lambda: served.app.state.jobs.jobs[job_id].state == "done")
    done = client.delete(f"/v1/jobs/{job_id}")
    assert done.status_code == 409 and done.json()["error"]["code"] == "job-done"
    assert "GET it for its results" in done.json()["error"]["message"]
    fetched = client.get(f"/v1/jobs/{job_id}")  # its results are still there
    assert fetched.json()["state"] == "done" and len(fetched.json()["results"]) == 1
    assert client.delete(f"/v1/jobs/{job_id}").status_code == 404


def test_cancelling_needs_the_token(serving, token):
    config = ServiceConfig(model="gtzan-table", tokens=frozenset({token}), require_token=True)
    with serving(config) as served, served.client() as http:
        refused = http.delete("/v1/jobs/nope")
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "token-missing"
        asked = http.delete("/v1/jobs/nope", headers={"Authorization": f"Bearer {token}"})
        assert asked.status_code == 404


def test_a_queued_job_cancelled_before_it_began_never_runs(tmp_path):
    # its task never starts: the uploads go with the cancel, not in the task's cleanup
    async def scenario() -> tuple[dict, list[bool]]:
        engine = Engine(ServiceConfig(model="gtzan-table", pool="thread"))  # not started
        store = JobStore(engine, ttl=60.0, max_jobs=4)
        uploads = [tmp_path / f"{i}.wav" for i in range(3)]
        for path in uploads:
            path.write_bytes(b"RIFF")
        job = store.submit([Item(p, p.name, delete=True) for p in uploads])
        status = store.cancel(job.id)
        await asyncio.sleep(0)
        assert job.task is not None and job.task.cancelled()
        return status, [p.exists() for p in uploads]

    status, left = asyncio.run(scenario())
    assert status["state"] == "cancelled" and status["done"] == 0 and status["total"] == 3
    assert left == [False, False, False]


def test_a_cancelled_job_is_not_counted_as_stopped_at_shutdown(tmp_path, caplog):
    async def scenario() -> None:
        engine = Engine(ServiceConfig(model="gtzan-table", pool="thread"))
        store = JobStore(engine, ttl=60.0, max_jobs=4)
        job = store.submit([Item(tmp_path / "a.wav", "a.wav")])
        store.cancel(job.id)
        with pytest.raises(ServiceError):
            store.cancel("other")
        await store.close()

    with caplog.at_level("WARNING", logger="genriflow.service"):
        asyncio.run(scenario())
    said = [r.getMessage() for r in caplog.records if "shutdown" in r.getMessage()]
    assert said == ["shutdown: 0 job(s) stopped unfinished (0 of 0 songs done) and 1 "
                    "finished job(s) never fetched; their results are lost (jobs live in "
                    "the process)"]
