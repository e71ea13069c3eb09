"""The service's worker in this process: its one pipeline answers as ``genriflow.analyse``."""

from __future__ import annotations

import logging
import math

import pytest

import genriflow
from genriflow.features.options import RunOptions
from genriflow.service.config import ServiceConfig
from genriflow.service.errors import ServiceError
from genriflow.service.worker import Task, Worker

from .conftest import write_clip


@pytest.fixture(scope="module")
def worker(tmp_path_factory) -> Worker:
    store = tmp_path_factory.mktemp("store")
    return Worker(ServiceConfig(model="zero-shot", store=store))


def test_the_worker_answers_as_analyse_and_refuses_what_is_not_audio(worker, tmp_path):
    song = write_clip(tmp_path / "song.wav", "jazz", seconds=6.0)
    notes = tmp_path / "notes.mp3"
    notes.write_text("not a song\n" * 40)
    plain, tagged, refused = worker.analyse(
        [
            Task(str(song), "song.wav"),
            Task(str(song), "song.wav", tags=True),
            Task(str(notes), "notes.mp3"),
        ]
    )
    expected = genriflow.analyse(
        song, model="zero-shot", k_tags=10, options=RunOptions(store=worker.config.store, n_jobs=1)
    )
    assert plain["genre"] == expected.prediction.genre and "tags" not in plain
    genres = tagged["probabilities"]
    for genre, p in zip(expected.prediction.labels, expected.prediction.probabilities, strict=True):
        assert math.isclose(genres[genre], float(p), abs_tol=1e-6)
    assert [t["tag"] for t in tagged["tags"]] == [t for t, _ in expected.tags.top]
    assert isinstance(refused, ServiceError) and "notes.mp3" in str(refused)
    assert worker.describe()["labels"] == genriflow.load_model("zero-shot").labels


def test_a_fixed_count_is_named_in_the_identity(worker, tmp_path):
    assert "(" not in worker.describe()["identity"]  # the default sampling: the model's own
    fixed = Worker(ServiceConfig(model="zero-shot", store=tmp_path, excerpts=6))
    assert fixed.describe()["identity"] == worker.describe()["identity"] + " (6 excerpts)"


def test_a_cut_upload_is_one_log_line_naming_it_as_the_client_did(worker, tmp_path, caplog):
    # it was Python's two-line warning (source file, line, code) naming the upload's
    # private path: useless for finding the song, and not one line
    from sample_audio import write_truncated

    upload = write_truncated(tmp_path, "upload-5f3a9c.mp3", seconds=20.0, keep=1 / 3)
    with caplog.at_level(logging.WARNING, logger="genriflow.service"):
        (answer,) = worker.analyse([Task(str(upload), "my cut song.mp3")])
    assert answer["file"] == "my cut song.mp3" and answer["duration"] < 10
    said = [r.getMessage() for r in caplog.records if r.name == "genriflow.service"]
    assert len(said) == 1 and said[0].startswith("my cut song.mp3: truncated: the header "
                                                 "declares 20.0 s, only ")
    assert "upload-5f3a9c" not in said[0] and "\n" not in said[0]


def test_a_server_path_the_service_may_not_read_is_403_unreadable(worker, tmp_path, unreadable):
    # it was 422 `corrupt`: the file's permissions said to be its audio's fault
    song = unreadable(write_clip(tmp_path / "song.flac", "jazz", seconds=6.0))
    (refused,) = worker.analyse([Task(str(song), "jazz/song.flac")])
    assert isinstance(refused, ServiceError)
    assert (refused.status, refused.code) == (403, "unreadable")
    assert refused.message == "jazz/song.flac: cannot be read: permission denied"


def test_every_kind_of_audio_error_has_its_status():
    from genriflow.audio.errors import AudioError, AudioErrorKind
    from genriflow.service.errors import from_library

    for kind in AudioErrorKind:
        error = from_library(AudioError("song.flac", "why", kind), "song.flac")
        assert 400 <= error.status < 500 and error.message == "song.flac: why"
