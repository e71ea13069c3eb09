"""The Ray engine gives the local engine's results, also when a worker is killed mid-job.

One local Ray instance (2 CPUs) serves the whole module; the songs are short generated
clips and the feature set the GTZAN table, so the module stays well under a minute.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray")

from genriflow.audio import AudioError  # noqa: E402
from genriflow.errors import ConfigError  # noqa: E402
from genriflow.features import ray_engine, workers  # noqa: E402
from genriflow.features.extract import extract_sets  # noqa: E402
from genriflow.features.options import RunOptions  # noqa: E402
from genriflow.features.sampling import DEFAULT_SAMPLING  # noqa: E402
from genriflow.features.sets import FeatureConfig  # noqa: E402
from ray_killer import KillOnVictim  # noqa: E402

TESTS = Path(__file__).resolve().parents[1]
KAGGLE = FeatureConfig(set="kaggle")


@pytest.fixture(scope="module")
def cluster():
    """A local Ray instance with 2 CPUs; its workers can import ``tests/ray_killer.py``."""
    context = ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                       runtime_env={"env_vars": {"PYTHONPATH": str(TESTS)}})
    yield context.address_info["address"]
    ray.shutdown()


@pytest.fixture(scope="module")
def songs(tmp_path_factory) -> list[Path]:
    """16 generated clips of 3 s (10 genres; several containers)."""
    from genriflow.datasets.synthetic import make_demo_corpus

    root = tmp_path_factory.mktemp("ray-songs")
    paths = make_demo_corpus(root, per_genre=2, seconds=3.0, seed=1)
    return sorted(paths)[:16]


def _tasks(paths):
    return [workers.Task(str(p), (KAGGLE,), DEFAULT_SAMPLING) for p in paths]


def _same(a, b) -> bool:
    """Two per-file results equal: content hash, duration and every window's numbers."""
    if isinstance(a, AudioError) or isinstance(b, AudioError):
        return False
    if (a.content, a.duration, list(a.windows)) != (b.content, b.duration, list(b.windows)):
        return False
    return all(wa.keys == wb.keys and np.array_equal(wa.offsets, wb.offsets)
               and all(np.array_equal(x, y) for x, y in zip(wa.arrays, wb.arrays, strict=True))
               for wa, wb in zip(a.windows.values(), b.windows.values(), strict=True))


def test_features_identical_to_the_local_engine(cluster, songs, tmp_path):
    # The default engine: a worker process per core, each on one thread, as Ray's workers
    # (a computation in this process, on every thread, rounds differently, ~1e-7).
    local = extract_sets(songs, [KAGGLE], options=RunOptions(store=tmp_path / "local"))["kaggle"]
    remote = extract_sets(songs, [KAGGLE], options=RunOptions(
        engine="ray", store=tmp_path / "store"))["kaggle"]
    assert [f.path for f in remote.files] == [f.path for f in local.files] == \
        [str(p) for p in songs]
    assert not remote.errors and remote.computed == len(songs)
    np.testing.assert_array_equal(remote.matrix(), local.matrix())
    # Written as the local engine writes: a second run is served from the store.
    again = extract_sets(songs, [KAGGLE], options=RunOptions(
        engine="ray", store=tmp_path / "store"))["kaggle"]
    assert again.computed == 0
    np.testing.assert_array_equal(again.matrix(), local.matrix())


def test_a_killed_worker_is_retried_and_nothing_is_lost_or_doubled(cluster, songs, tmp_path):
    victim = songs[5].name
    kill = KillOnVictim(victim, str(tmp_path / "calls.log"), str(tmp_path / "killed"))
    expected = list(workers.results(_tasks(songs), 2, {}))
    got = list(ray_engine.results(_tasks(songs), {}, compute_one=kill))
    assert len(got) == len(songs)
    assert all(_same(a, b) for a, b in zip(got, expected, strict=True))
    killed = (tmp_path / "killed").read_text().split()
    assert len(killed) == 1  # one worker really died...
    calls = (tmp_path / "calls.log").read_text().split()
    assert calls.count(victim) == 2  # ...in the middle of its batch, which ran again whole
    assert sorted(set(calls)) == sorted(p.name for p in songs)


def test_a_file_that_kills_every_worker_is_its_own_error(cluster, songs, tmp_path):
    few = songs[:3]
    kill = KillOnVictim(few[1].name, str(tmp_path / "calls.log"), str(tmp_path / "killed"),
                        always=True)
    got = list(ray_engine.results(_tasks(few), {}, max_retries=0, compute_one=kill))
    assert isinstance(got[1], AudioError) and "Ray worker died" in got[1].reason
    expected = list(workers.results(_tasks(few), 2, {}))
    assert _same(got[0], expected[0]) and _same(got[2], expected[2])


def test_predict_engine_ray_matches_local(cluster, songs, tmp_path):
    import genriflow
    from genriflow.features.dataset import from_audio
    from genriflow.inference.output import songs_to_records
    from genriflow.models.classical import ClassicalGenreModel, make_classical

    data = from_audio(songs[0].parents[1], options=RunOptions(store=tmp_path / "store"))
    model = tmp_path / "model"
    ClassicalGenreModel(make_classical("logreg").fit(data.X, data.y), KAGGLE,
                        {"model": "logreg"}).save(model)
    some = songs[:8]
    local = genriflow.Classifier(model, options=RunOptions())(some).predictions
    remote = genriflow.Classifier(model, options=RunOptions(engine="ray"))(some).predictions
    assert [p.path for p in remote] == [p.path for p in local] == [str(p) for p in some]
    for a, b in zip(remote, local, strict=True):
        np.testing.assert_array_equal(a.probabilities, b.probabilities)
        np.testing.assert_array_equal(a.window_probabilities, b.window_probabilities)
    # The command line only passes the option on: joining this cluster by its address.
    out = subprocess.run(
        [sys.executable, "-m", "genriflow", "predict", str(model), *map(str, some),
         "--format", "json", "--no-store", "-q", "--engine", "ray", "--address", cluster],
        capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "200"})
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == songs_to_records(local)


def test_engine_options_are_checked(monkeypatch):
    with pytest.raises(ConfigError, match="engine"):
        RunOptions(engine="spark")
    with pytest.raises(ConfigError, match="address"):
        RunOptions(address="auto")
    for no_port in ("ray://head", "head:", "head:port"):
        with pytest.raises(ConfigError, match="must be auto, HOST:PORT or ray://HOST:PORT"):
            RunOptions(engine="ray", address=no_port)
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ConfigError, match=r"pip install \"genriflow\[ray\]\""):
        extract_sets([Path("x.wav")], [KAGGLE], options=RunOptions(engine="ray"))


@pytest.mark.parametrize("scheme", ["", "ray://"])
def test_an_address_where_nothing_answers_is_one_line_at_once(scheme):
    # ray.init waited minutes on it, writing a GCS warning to stderr every 5 s
    import importlib.util
    import socket
    import time

    if scheme and importlib.util.find_spec("grpc") is None:
        pytest.skip("Ray Client is not installed here: a ray:// address is refused before "
                    "any connection (test_a_ray_client_address_without_ray_client_...)")

    with socket.socket() as taken:  # a port of this machine that nothing listens on
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
    address = f"{scheme}127.0.0.1:{port}"
    started = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        ray_engine.connect(address)
    assert time.monotonic() - started < 10
    assert str(caught.value) == (f"`address` {address!r}: no Ray cluster to join (nothing "
                                 f"answers at 127.0.0.1:{port}: Connection refused)")


def test_a_ray_client_address_without_ray_client_says_what_to_install(monkeypatch, capfd):
    # it was "no Ray cluster to join (Ray Client requires pip package `ray[client]`. If
    # you installed the minimal Ray (e.g. `pip install ray`), please reinstall by
    # executing `pip install ray[client]`.)", after a connection: as if none answered
    monkeypatch.setitem(sys.modules, "grpc", None)  # what Ray Client needs, absent
    with pytest.raises(ConfigError) as caught:
        ray_engine.connect("ray://127.0.0.1:1")  # nothing answers there: never tried
    assert str(caught.value) == ("`address` 'ray://127.0.0.1:1' connects through Ray "
                                 'Client, which is not installed: pip install "ray[client]"')
    assert capfd.readouterr().err == ""
