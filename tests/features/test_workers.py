"""The feature engine's processes: one song starts no pool, and a plain script's workers
never run the script again."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import soundfile as sf

from genriflow.features import workers
from genriflow.features.sampling import DEFAULT_SAMPLING
from genriflow.features.sets import FeatureConfig
from genriflow.features.store import content_hash
from sample_audio import SR, tone


def _songs(folder, n):
    paths = []
    for i in range(n):
        paths.append(folder / f"song-{i}.wav")
        sf.write(paths[-1], tone(4.0, freq=220.0 + 60 * i, seed=i), SR)
    return paths


def test_a_few_files_run_here_without_a_pool(tmp_path, monkeypatch):
    import joblib.externals.loky as loky

    def no_pool(*args, **kwargs):
        raise AssertionError("a worker pool was started")

    monkeypatch.setattr(loky, "ProcessPoolExecutor", no_pool)
    paths = _songs(tmp_path, workers.SERIAL_TASKS)
    tasks = [workers.Task(str(p), (FeatureConfig(set="kaggle"),), DEFAULT_SAMPLING)
             for p in paths]
    results = list(workers.results(tasks, 4, {}))
    assert [r.content for r in results] == [content_hash(p) for p in paths]
    assert all(r.windows for r in results)


#: A plain script, as people write them and as a notebook cell runs: no main guard. Each
#: run of its body appends a line to the log, so a worker that ran it again shows.
PLAIN_SCRIPT = """
import os, sys
import genriflow
with open(os.environ["SCRIPT_LOG"], "a") as log:
    print("script ran in", os.getpid(), file=log)
tagged = genriflow.tag(sys.argv[1:], k=3)
assert not tagged.errors, tagged.errors
print(len(tagged.tags), "tagged")
"""


def test_a_script_without_a_main_guard_runs_its_workers(tmp_path):
    songs = _songs(tmp_path, workers.SERIAL_TASKS + 2)  # enough songs for worker processes
    script, log = tmp_path / "plain.py", tmp_path / "ran.log"
    script.write_text(PLAIN_SCRIPT)
    env = {**os.environ, "SCRIPT_LOG": str(log), "GENRIFLOW_STORE": str(tmp_path / "store")}
    done = subprocess.run([sys.executable, str(script), *map(str, songs)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(len(songs)), "tagged"]
    assert len(log.read_text().splitlines()) == 1  # the workers never ran the script


def test_a_cut_file_is_said_once_whatever_the_set(tmp_path):
    import warnings

    from genriflow.audio.errors import AudioWarning
    from sample_audio import write_truncated

    cut = write_truncated(tmp_path)  # 20 s declared, about a third decodes
    for config in (FeatureConfig(set="musicnn"), FeatureConfig(set="kaggle")):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = workers.compute(workers.Task(str(cut), (config,), DEFAULT_SAMPLING), {})
        said = [str(w.message) for w in caught if issubclass(w.category, AudioWarning)]
        assert not isinstance(result, Exception), result
        assert len(said) == 1, (config.set, said)
        assert said[0].startswith(f"{cut}: truncated: the header declares 20.0 s, only "), said


def test_a_cut_file_is_said_in_the_same_words_when_its_header_is_remembered(tmp_path):
    """The second set's run knows the file from the store's hash cache (its header is not
    read again); it still says the cut in the header check's words, once."""
    import warnings

    from genriflow.audio import info
    from genriflow.audio.errors import AudioWarning
    from genriflow.features.extract import extract
    from genriflow.features.options import RunOptions
    from genriflow.features.store import HashCache
    from sample_audio import write_truncated

    cut = write_truncated(tmp_path / "songs")
    expected = f"{cut}: {info(cut).truncation}"
    options = RunOptions(store=tmp_path / "store", n_jobs=1)

    def said(config: FeatureConfig) -> list[str]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = extract([cut], config, options=options)
        assert not result.errors and len(result.files) == 1, result.errors
        return [str(w.message) for w in caught if issubclass(w.category, AudioWarning)]

    assert said(FeatureConfig(set="kaggle")) == [expected]  # the header read
    assert HashCache(options.store).get(cut) is not None  # ... and remembered
    assert said(FeatureConfig(set="spectral-summary")) == [expected]  # not read again
    assert said(FeatureConfig(set="spectral-summary")) == []  # a store hit decodes nothing
    known = HashCache(options.store).get(cut)
    assert known.declared == pytest.approx(20.0, abs=0.1)
    assert known.duration == pytest.approx(info(cut).duration, abs=1e-6)


def test_a_file_is_computed_with_blas_on_one_thread_in_the_calling_process(monkeypatch):
    # A worker (local pool or Ray) runs BLAS on one thread; the calling process, which
    # computes a lone song, ran it on every core, and a multi-threaded matrix product
    # rounds differently: one excerpt of a real song differed by 1e-4 between engines.
    from threadpoolctl import threadpool_info, threadpool_limits

    seen = []

    def record(*args, **kwargs):
        seen.extend(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas")
        return "computed"

    monkeypatch.setattr(workers, "compute_file", record)
    task = workers.Task("song.wav", (FeatureConfig(set="kaggle"),), DEFAULT_SAMPLING)
    with threadpool_limits(limits=2, user_api="blas"):
        assert workers.compute(task, {}) == "computed"
    assert seen and set(seen) == {1}
