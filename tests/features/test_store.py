"""The feature store: atomic parts, resumable extraction, recomputation on change."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from genriflow.features.extract import extract
from genriflow.features.options import RunOptions
from genriflow.features.sets import FeatureConfig
from genriflow.features.store import Entry, FeatureStore
from sample_audio import SR, tone

CONFIG = FeatureConfig(set="kaggle")


def _songs(folder, n, seconds=3.0):
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"song-{i:02d}.wav"
        sf.write(path, tone(seconds, freq=110 * (1 + i % 7), seed=i), SR)
        paths.append(path)
    return paths


def test_parts_round_trip_memory_mapped(tmp_path):
    store = FeatureStore.open(tmp_path, CONFIG)
    a, b = np.arange(6, dtype=np.float32).reshape(2, 3), np.ones(4, np.float32)
    store.write([Entry("k1", "a.wav", a), Entry("k2", "b.wav", b)])
    again = FeatureStore.open(tmp_path, CONFIG)
    assert again.keys() == {"k1", "k2"}
    np.testing.assert_array_equal(again.get("k1"), a)
    assert not again.get("k2").flags.writeable  # a read-only memory map, not a copy
    assert again.get("missing") is None


def test_uncommitted_leftovers_are_removed_on_open(tmp_path):
    store = FeatureStore.open(tmp_path, CONFIG)
    store.write([Entry("k1", "a.wav", np.ones(3, np.float32))])
    (store.folder / "part-deadbeef.npy").write_bytes(b"half a write")
    (store.folder / "part-cafe.parquet.tmp").write_bytes(b"x")
    reopened = FeatureStore.open(tmp_path, CONFIG)
    assert len(list(reopened.folder.glob("part-*.npy"))) == 1
    assert not (reopened.folder / "part-deadbeef.npy").exists()
    assert not (reopened.folder / "part-cafe.parquet.tmp").exists()
    assert reopened.keys() == {"k1"}


def test_second_run_is_served_from_the_store_and_changes_are_recomputed(tmp_path):
    paths = _songs(tmp_path / "songs", 4)
    first = extract(paths, CONFIG, options=RunOptions(store=tmp_path / "store", n_jobs=1))
    second = extract(paths, CONFIG, options=RunOptions(store=tmp_path / "store", n_jobs=1))
    assert first.computed == 4 and second.computed == 0
    np.testing.assert_allclose(first.matrix(), second.matrix(), rtol=1e-6)
    sf.write(paths[0], tone(3.0, freq=999.0), SR)
    third = extract(paths, CONFIG, options=RunOptions(store=tmp_path / "store", n_jobs=1))
    assert third.computed == 1


KILLED_RUN = """
import sys
from genriflow.features.extract import extract_sets
from genriflow.features.options import RunOptions
from genriflow.features.sets import FeatureConfig
paths = sys.argv[2:]
extract_sets(paths, [FeatureConfig(set="kaggle")], options=RunOptions(store=sys.argv[1], n_jobs=1),
             batch_size=2)
"""


def test_sigkill_halfway_then_resume_computes_only_the_rest(tmp_path):
    paths = _songs(tmp_path / "songs", 16)
    store_root = tmp_path / "store"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(store_root), *map(str, paths)])
    folder = store_root / f"kaggle-{CONFIG.digest()}"
    deadline = time.time() + 300
    while time.time() < deadline and len(list(folder.glob("part-*.parquet"))) < 3:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = FeatureStore.open(store_root, CONFIG).keys()
    assert 0 < len(done) < 16, "the kill should land halfway"
    resumed = extract(paths, CONFIG, options=RunOptions(store=store_root, n_jobs=1))
    assert resumed.computed == 16 - len(done)
    assert len(resumed.files) == 16 and not resumed.errors
    fresh = extract(paths, CONFIG, options=RunOptions(n_jobs=1))
    np.testing.assert_allclose(resumed.matrix(), fresh.matrix(), rtol=1e-5, atol=1e-8)


def test_a_missing_file_is_reported_missing_and_the_rest_extracted(tmp_path):
    from genriflow.audio import AudioErrorKind

    songs = _songs(tmp_path / "songs", 2)
    result = extract([songs[0], tmp_path / "gone.wav", songs[1]], CONFIG,
                     options=RunOptions(n_jobs=1))
    assert [f.path for f in result.files] == [str(songs[0]), str(songs[1])]
    assert [e.kind for e in result.errors] == [AudioErrorKind.MISSING]
    assert "gone.wav" in str(result.errors[0].path)


def test_a_store_written_through_pandas_reads_back(tmp_path):
    """Stores written before the index was read with pyarrow alone (pandas' to_parquet)."""
    import pandas as pd

    from genriflow.features.store import HashCache

    store = FeatureStore.open(tmp_path, CONFIG)
    values = np.arange(10, dtype=np.float32)
    np.save(store.folder / "part-old.npy", values)
    pd.DataFrame({"key": ["k1", "k2"], "path": ["a.wav", "b.wav"], "offset": [0, 6],
                  "shape": [[2, 3], [4]]}).to_parquet(store.folder / "part-old.parquet",
                                                      index=False)
    again = FeatureStore.open(tmp_path, CONFIG)
    assert again.keys() == {"k1", "k2"}
    np.testing.assert_array_equal(again.get("k1"), values[:6].reshape(2, 3))
    np.testing.assert_array_equal(again.get("k2"), values[6:])
    song = _songs(tmp_path / "songs", 1)[0]
    st = os.stat(song)
    frame = pd.DataFrame([(str(song.resolve()), st.st_size, st.st_mtime_ns, "c0ffee", None)],
                         columns=["path", "size", "mtime_ns", "content", "duration"])
    frame["duration"] = frame["duration"].astype("float64")
    frame.to_parquet(tmp_path / "file-hashes.parquet", index=False)
    known = HashCache(tmp_path).get(song)
    assert known.content == "c0ffee" and known.duration is None
    assert known.declared is None  # written before cut files' lengths were kept


@pytest.mark.parametrize("store, xdg, expected", [
    ("/srv/store", "/x", "/srv/store"),
    ("", "/x/cache", "/x/cache/genriflow"),   # empty: unset, never the current folder
    (None, "", "HOME/.cache/genriflow"),
    (None, "relative/cache", "HOME/.cache/genriflow"),  # relative: ignored (XDG)
])
def test_the_default_store_is_never_the_current_folder(monkeypatch, tmp_path, store, xdg,
                                                       expected):
    from genriflow.cli.common import log_dir
    from genriflow.locations import default_store_dir

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    if store is None:
        monkeypatch.delenv("GENRIFLOW_STORE", raising=False)
    else:
        monkeypatch.setenv("GENRIFLOW_STORE", store)
    monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    assert default_store_dir() == Path(expected.replace("HOME", str(tmp_path)))
    monkeypatch.setenv("GENRIFLOW_LOG_DIR", "")
    assert log_dir().is_absolute() and log_dir() != Path.cwd()
