"""One song's answer has one shape: ``genriflow predict -f json`` and ``POST /v1/classify``
send the same record (:meth:`genriflow.SongAnswer.record`), the service adding only what it
alone knows. ``genres`` once meant every label in the service and the song's genres in
predict; the timeline had two shapes; predict rounded to 4 decimals, the service did not."""

from __future__ import annotations

import json
import math

import pytest

from commandline import in_process
from genriflow.inference.record import GENRE_KEYS, TAG_KEYS
from genriflow.service.schemas import SongRecord, SongResult

#: What only the service knows, and what only predict names.
SERVICE_ONLY = {"file", "duration", "model"}
PREDICT_ONLY = {"path"}


@pytest.fixture(scope="module")
def answers(served, songs):
    """The same generated song through the service (tags asked) and through ``predict
    --tags -f json`` (as many tags as the service keeps), the same model and sampling,
    no feature store."""
    with served.client() as client, open(songs["jazz"], "rb") as f:
        response = client.post("/v1/classify", params={"tags": "true"},
                               files={"file": ("jazz.wav", f, "audio/wav")})
    assert response.status_code == 200, response.text
    ran = in_process("predict", "--model", "gtzan", "--tags", "--top", "10", "-f", "json",
                     "--no-store", "-j", "1", "-q", songs["jazz"])
    assert ran.returncode == 0, ran.stderr
    (predicted,) = json.loads(ran.stdout)
    return response.json(), predicted


def _close(a, b, path="") -> None:
    """``a`` and ``b`` equal, floats within 1e-6, through nested lists and dicts (and
    every key in the same order)."""
    if isinstance(a, float) or isinstance(b, float):
        assert isinstance(a, int | float) and isinstance(b, int | float), path
        assert math.isclose(a, b, abs_tol=1e-6), (path, a, b)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), (path, list(a), b)
        for key in a:
            _close(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), (path, a, b)
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{path}[{i}]")
    else:
        assert a == b, (path, a, b)


def test_predict_json_and_the_service_share_every_key_of_the_record(answers):
    service, predicted = answers
    assert set(service) - SERVICE_ONLY == set(predicted) - PREDICT_ONLY == {
        *GENRE_KEYS, *TAG_KEYS}
    for key in (*GENRE_KEYS, *TAG_KEYS):
        _close(service[key], predicted[key], key)
    # the keys that used to differ: the song's genres (a single-label model: its top one),
    # every label's probability, every label in every window
    assert service["genres"] == [{"genre": service["genre"],
                                  "probability": service["probabilities"][service["genre"]]}]
    assert len(service["probabilities"]) == 10
    assert all(list(w["probabilities"]) == list(service["probabilities"])
               for w in service["timeline"])
    assert isinstance(service["voice"], str) and isinstance(predicted["voice"], str)


def test_predict_json_is_not_rounded(answers):
    """The numbers are the analysis's, as the service sends them: 4 decimals in predict
    made the two answers differ by up to 5e-5."""
    _, predicted = answers
    numbers = [*predicted["probabilities"].values(),
               *(p for w in predicted["timeline"] for p in w["probabilities"].values())]
    assert any(round(p, 4) != p for p in numbers)


def test_both_answers_fit_the_service_schema(answers):
    """The OpenAPI document's shapes are the answers' (no key left out of them, none
    missing from the answers): the service's answer a ``SongResult``, predict's record
    with its path a ``SongRecord``."""
    service, predicted = answers
    SongResult.model_validate(service)
    record = {k: v for k, v in predicted.items() if k not in PREDICT_ONLY}
    SongRecord.model_validate(record)
    with pytest.raises(ValueError, match="extra"):  # predict's old `top`: no longer sent
        SongRecord.model_validate({**record, "top": []})
