"""POST /v1/classify and the read-only endpoints, against the service running in this
process (its ASGI app, the model loaded by its lifespan)."""

from __future__ import annotations

import math

import pytest

import genriflow


def test_classify_gives_genres_timeline_tags_and_the_model(client, songs):
    with open(songs["rock"], "rb") as f:
        response = client.post("/v1/classify", params={"tags": "true"},
                               files={"file": ("rock.wav", f, "audio/wav")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["file"] == "rock.wav" and body["duration"] == pytest.approx(8.0, abs=0.01)
    labels = genriflow.load_model("gtzan").labels
    probabilities = body["probabilities"]
    assert list(probabilities) == labels  # every label, in the model's order
    assert math.isclose(sum(probabilities.values()), 1.0, abs_tol=1e-6)
    assert body["genre"] == max(probabilities, key=probabilities.get)
    # the song's genres: a single-label model's top one, as in predict -f json
    assert body["genres"] == [{"genre": body["genre"],
                               "probability": probabilities[body["genre"]]}]
    assert isinstance(body["unknown"], bool) and isinstance(body["unknown_score"], float)
    timeline = body["timeline"]
    assert len(timeline) >= 2  # the zero-shot part: one window per excerpt
    starts = [w["start"] for w in timeline]
    assert starts == sorted(starts) and starts[0] == 0.0 and starts[-1] < 8.0
    for window in timeline:
        assert list(window["probabilities"]) == labels
        assert math.isclose(sum(window["probabilities"].values()), 1.0, abs_tol=1e-6)
        assert window["genre"] == max(window["probabilities"], key=window["probabilities"].get)
    assert body["model"] == {"name": "gtzan", "identity": f"gtzan@genriflow-"
                             f"{genriflow.__version__}", "version": genriflow.__version__}
    assert len(body["tags"]) == 10 and body["tags"][0]["tag"].startswith(("msd:", "mtt:"))
    assert body["voice"] in ("vocal", "instrumental") and 0 <= body["vocal_probability"] <= 1
    assert {m["mood"] for m in body["moods"]} >= {"happy", "sad"}


def test_the_answer_is_the_api_s(client, songs):
    """The service adds nothing: its genres are genriflow.classify's for the same file."""
    with open(songs["classical"], "rb") as f:
        body = client.post("/v1/classify", files={"file": ("c.wav", f)}).json()
    expected = genriflow.classify(songs["classical"], options=genriflow.RunOptions(n_jobs=1))
    ranked = sorted(body["probabilities"], key=body["probabilities"].get, reverse=True)
    assert ranked[:3] == [g for g, _ in expected.top(3)]
    assert body["probabilities"][body["genre"]] == pytest.approx(expected.top(1)[0][1],
                                                                 abs=1e-9)
    assert "tags" not in body  # not asked for


def test_noise_is_answered_as_none_of_the_genres(client, tmp_path):
    """The default model's reject rule reaches the JSON: noise is ``unknown``, with the
    score above the rule's threshold; the genres are still listed as best guesses."""
    from genriflow.datasets.synthetic.farout import write_far_out

    noise = write_far_out(tmp_path, per_kind=1, seconds=8.0, seed=1, kinds=("white-noise",))[0]
    with open(noise, "rb") as f:
        body = client.post("/v1/classify", files={"file": ("noise.wav", f)}).json()
    threshold = genriflow.load_model("gtzan-table").open_set.rule.threshold
    assert body["unknown"] is True and body["unknown_score"] > threshold
    assert len(body["probabilities"]) == 10 and body["genres"][0]["genre"] == body["genre"]


def test_raw_body_with_its_content_type(client, songs):
    response = client.post("/v1/classify", content=songs["flac"].read_bytes(),
                           headers={"content-type": "audio/flac"})
    assert response.status_code == 200, response.text
    assert response.json()["file"] == "upload"


def test_uploads_are_deleted_after_use(client, served, songs):
    with open(songs["mp3"], "rb") as f:
        assert client.post("/v1/classify", files={"file": ("song.mp3", f)}).status_code == 200
    assert list(served.app.state.upload_dir.iterdir()) == []


def test_similar_songs_from_the_library(client, songs):
    with open(songs["jazz"], "rb") as f:
        body = client.post("/v1/classify", params={"similar": "true"},
                           files={"file": ("jazz.wav", f)}).json()
    similar = body["similar"]
    assert len(similar) == 3  # every song of the library
    assert similar[0]["path"] == str(songs["jazz"]) and similar[0]["similarity"] > 0.999
    assert [s["similarity"] for s in similar] == sorted((s["similarity"] for s in similar),
                                                        reverse=True)


def test_library_similar_in_the_api(library_db, songs):
    """``Library.similar`` (the API the service calls): the song itself first, then the
    others by cosine."""
    with genriflow.Library(library_db) as library:
        found = library.similar(songs["rock"], k=3, options=genriflow.RunOptions(n_jobs=1))
    assert len(found) == 3 and found[0][0] == str(songs["rock"])
    assert found[0][1] == pytest.approx(1.0, abs=1e-5) and found[1][1] < found[0][1]


def test_health_ready_models(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["model"]["name"] == "gtzan"
    models = client.get("/v1/models").json()
    assert models["loaded"]["ready"] and len(models["loaded"]["labels"]) == 10
    assert [m["name"] for m in models["builtin"]] == genriflow.available_models()


def test_metrics_count_requests_latency_queue_and_errors(client):
    client.post("/v1/classify", content=b"")  # an error, counted by its code
    text = client.get("/metrics").text
    assert 'genriflow_requests_total{method="POST",route="/v1/classify",status="400"}' in text
    assert 'genriflow_request_seconds_bucket{le="0.005",route="/v1/classify"}' in text
    assert "genriflow_queue_depth 0.0" in text
    assert 'genriflow_errors_total{code="empty"}' in text
    assert "genriflow_batch_songs_count" in text


def test_docs_and_page_fetch_nothing_from_outside(client):
    for path in ("/", "/docs", "/redoc"):
        html = client.get(path).text
        assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
    for asset in ("/static/app.js", "/static/style.css", "/static/docs/swagger-ui-bundle.js"):
        assert client.get(asset).status_code == 200
    document = client.get("/openapi.json").json()
    assert {"/v1/classify", "/v1/jobs", "/v1/jobs/{job_id}", "/v1/models", "/healthz",
            "/readyz", "/metrics"} <= set(document["paths"])
