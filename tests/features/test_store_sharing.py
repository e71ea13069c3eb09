"""One feature store, many writers and hard places: runs at once, a writer killed mid-part,
a read-only store, a full disk, a store written by an older genriflow."""

import errno
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from commandline import in_process
from genriflow.errors import GenriflowWarning
from genriflow.features import store as store_module
from genriflow.features.extract import extract, extract_sets
from genriflow.features.options import RunOptions
from genriflow.features.sets import FeatureConfig
from genriflow.features.store import Entry, FeatureStore, HashCache
from permissions import without_dac_override
from sample_audio import SR, tone

CONFIG = FeatureConfig(set="kaggle")


def _songs(folder: Path, n: int, seconds: float = 3.0, first: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(first, first + n):
        path = folder / f"song-{i:02d}.wav"
        sf.write(path, tone(seconds, freq=110 * (1 + i % 7), seed=i), SR)
        paths.append(path)
    return paths


def _leftovers(root: Path) -> list[str]:
    """Temporary files, and parts' values without their index, anywhere in the store."""
    files = [p for p in root.rglob("*") if p.is_file()]
    indexed = {p.with_suffix(".npy") for p in files if p.suffix == ".parquet"}
    return sorted(p.name for p in files if p.name.endswith(".tmp")
                  or (p.name.startswith("part-") and p.suffix == ".npy" and p not in indexed))


# --- runs at once ---------------------------------------------------------------------------

def test_two_runs_saving_the_file_hashes_keep_each_others_entries(tmp_path):
    songs = _songs(tmp_path / "songs", 3)
    (tmp_path / "file-hashes.parquet.0badf00d.tmp").write_bytes(b"a save killed halfway")
    first, second = HashCache(tmp_path), HashCache(tmp_path)  # both read it empty
    first.put(songs[0], "aaaa", 3.0)
    second.put(songs[1], "bbbb", 3.0)
    first.save()
    second.save()  # it was a read-modify-write: the first run's entry was lost
    second.put(songs[2], "cccc", 3.0, declared=9.0)
    second.save()
    known = HashCache(tmp_path)
    assert [known.get(s).content for s in songs] == ["aaaa", "bbbb", "cccc"]
    assert known.get(songs[2]).declared == 9.0
    assert _leftovers(tmp_path) == []


CONCURRENT_RUN = """
import sys
from genriflow.features.extract import extract_sets
from genriflow.features.options import RunOptions
from genriflow.features.sets import FeatureConfig
extract_sets(sys.argv[2:], [FeatureConfig(set="kaggle")], options=RunOptions(store=sys.argv[1],
             n_jobs=1), batch_size=2)
"""


def test_two_runs_at_once_over_overlapping_songs_lose_nothing(tmp_path):
    songs = _songs(tmp_path / "songs", 10)
    root = tmp_path / "store"
    halves = [songs[:7], songs[3:]]  # three songs in both
    runs = [subprocess.Popen([sys.executable, "-c", CONCURRENT_RUN, str(root), *map(str, half)],
                             stderr=subprocess.PIPE, text=True) for half in halves]
    for run in runs:
        _, err = run.communicate(timeout=600)
        assert run.returncode == 0, err
    known = HashCache(root)
    assert [str(s) for s in songs if known.get(s) is None] == []  # every run's entries kept
    third = extract(songs, CONFIG, options=RunOptions(store=root, n_jobs=1))
    assert third.computed == 0 and not third.errors and len(third.files) == 10
    fresh = extract(songs, CONFIG, options=RunOptions(n_jobs=1))
    np.testing.assert_allclose(third.matrix(), fresh.matrix(), rtol=1e-5, atol=1e-8)
    assert _leftovers(root) == []


PAUSED_WRITE = """
import sys, time
from pathlib import Path
import numpy as np
from genriflow.features import store
from genriflow.features.sets import FeatureConfig

real = store._write_parquet

def paused(path, *args):  # the part's values are in place, its index not yet written
    Path(sys.argv[2]).write_text("writing")
    while not Path(sys.argv[3]).exists():
        time.sleep(0.01)
    real(path, *args)

store._write_parquet = paused
opened = store.FeatureStore.open(sys.argv[1], FeatureConfig(set="kaggle"))
opened.write([store.Entry("k2", "b.wav", np.full(3, 2.0, np.float32))])
"""


def _pause_a_write(tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    """A child process writing a part, held after its values are renamed into place."""
    writing, go = tmp_path / "writing", tmp_path / "go"
    child = subprocess.Popen([sys.executable, "-c", PAUSED_WRITE, str(tmp_path / "store"),
                              str(writing), str(go)])
    deadline = time.time() + 120
    while not writing.exists() and child.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    assert writing.exists(), "the child should be writing its part"
    return child, go


def test_a_run_opening_the_store_leaves_another_runs_part_in_progress_alone(tmp_path):
    root = tmp_path / "store"
    FeatureStore.open(root, CONFIG).write([Entry("k1", "a.wav", np.ones(3, np.float32))])
    child, go = _pause_a_write(tmp_path)
    # a second run starts now: the part in progress is not a killed run's leftover
    assert FeatureStore.open(root, CONFIG).keys() == {"k1"}
    go.write_text("")
    assert child.wait(timeout=120) == 0
    again = FeatureStore.open(root, CONFIG)
    assert again.keys() == {"k1", "k2"}  # it was removed under the writer: k2 was lost
    np.testing.assert_array_equal(again.get("k2"), np.full(3, 2.0, np.float32))


def test_a_writer_killed_mid_part_leaves_nothing_read_and_its_leftovers_are_cleared(tmp_path):
    root = tmp_path / "store"
    FeatureStore.open(root, CONFIG).write([Entry("k1", "a.wav", np.ones(3, np.float32))])
    child, _ = _pause_a_write(tmp_path)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert len(_leftovers(root)) == 1  # its values, never indexed
    reopened = FeatureStore.open(root, CONFIG)  # the kill released its lock
    assert reopened.keys() == {"k1"} and _leftovers(root) == []


# --- a store that cannot be written ---------------------------------------------------------

class _DiskFills:
    """The store's disk fills at the ``after``-th Parquet file: half of it is written, then
    ``ENOSPC`` (the values before it were written whole); ``full = False`` frees space."""

    def __init__(self, after: int) -> None:
        self.real, self.left, self.full = store_module._write_parquet, after, True

    def __call__(self, path, *args) -> None:
        self.left -= 1
        if self.full and self.left < 0:
            self.real(path, *args)
            data = Path(path).read_bytes()
            Path(path).write_bytes(data[:len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        self.real(path, *args)


def test_a_disk_filling_mid_run_answers_every_song_says_so_once_and_resumes(tmp_path,
                                                                           monkeypatch):
    songs = _songs(tmp_path / "songs", 6)
    root = tmp_path / "store"
    disk = _DiskFills(after=2)  # the first part and its file hashes, then full
    monkeypatch.setattr(store_module, "_write_parquet", disk)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        result = extract_sets(songs, [CONFIG], options=RunOptions(store=root, n_jobs=1),
                              batch_size=2)["kaggle"]
        X = result.matrix()  # packed in memory: the store cannot take it
    lines = {str(w.message) for w in said if issubclass(w.category, GenriflowWarning)}
    assert lines == {f"the feature store {root} cannot be written (No space left on "
                     "device): features are computed and not kept"}
    assert len(result.files) == 6 and not result.errors and result.computed == 6
    fresh = extract(songs, CONFIG, options=RunOptions(n_jobs=1))
    np.testing.assert_allclose(X, fresh.matrix(), rtol=1e-5, atol=1e-8)
    assert _leftovers(root) == []  # no half part, no half index
    assert FeatureStore.open(root, CONFIG).keys() == set(result.files[0].keys
                                                         + result.files[1].keys)
    disk.full = False  # space freed
    again = extract(songs, CONFIG, options=RunOptions(store=root, n_jobs=1))
    assert again.computed == 4


def test_predict_on_a_full_disk_answers_with_one_warning_line(tmp_path, monkeypatch):
    songs = _songs(tmp_path / "songs", 2)
    monkeypatch.setattr(store_module, "_write_parquet", _DiskFills(after=0))
    out = in_process("predict", *songs, "-j", "1", "-q", "-f", "csv",
                     "--store", tmp_path / "store")
    assert out.returncode == 0, out.stderr
    assert [line.split(",")[0] for line in out.stdout.splitlines()[1:]] == list(map(str, songs))
    said = [line for line in out.stderr.splitlines() if not line.startswith("note:")]
    assert said == [f"warning: the feature store {tmp_path / 'store'} cannot be written (No "
                    "space left on device): features are computed and not kept"]
    assert _leftovers(tmp_path / "store") == []


def _read_only(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)


def test_a_read_only_store_serves_what_it_holds_predict_computes_the_rest_features_refuses(
        tmp_path):
    songs = _songs(tmp_path / "songs", 3)
    root = tmp_path / "store"
    first = in_process("predict", songs[0], "-j", "1", "-q", "-f", "csv", "--store", root)
    assert first.returncode == 0, first.stderr
    _read_only(root)
    before = sorted((p, p.stat().st_mtime_ns) for p in root.rglob("*"))
    try:
        with without_dac_override():
            try:
                (root / "probe").write_text("")
                pytest.skip(f"{root} can still be written after chmod (a file system "
                            "that ignores modes?)")
            except PermissionError:
                pass
            out = in_process("predict", *songs, "-j", "1", "-q", "-f", "csv", "--store", root)
            refused = in_process("features", tmp_path / "songs", "-j", "1", "-q",
                                 "--store", root)
    finally:
        for path in [root, *root.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
    assert out.returncode == 0, out.stderr
    assert [line.split(",")[0] for line in out.stdout.splitlines()[1:]] == list(map(str, songs))
    assert out.stdout.splitlines()[1] == first.stdout.splitlines()[1]  # served from it
    said = [line for line in out.stderr.splitlines() if not line.startswith("note:")]
    assert said == [f"warning: the feature store {root} cannot be written (Permission "
                    "denied): features are computed and not kept"]
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.splitlines() == [
        f"error: `--store` {root}: cannot be written (Permission denied); features keeps "
        "what it computes there: name a writable --store, or --no-store to compute "
        "without keeping"]
    assert sorted((p, p.stat().st_mtime_ns) for p in root.rglob("*")) == before


def test_similar_on_a_read_only_store_answers_with_one_warning_line(tmp_path):
    """The similarity index is kept in the store too (``<store>/similarity``)."""
    songs = _songs(tmp_path / "songs", 3)
    root = tmp_path / "store"
    root.mkdir()
    _read_only(root)
    try:
        with without_dac_override():
            out = in_process("similar", songs[0], tmp_path / "songs", "-j", "1", "-q",
                             "--store", root)
    finally:
        root.chmod(0o755)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "index: 3 songs (3 added, 0 changed, 0 removed, 3 embedded now)"
    assert sorted(line.split()[-1] for line in lines[1:]) == list(map(str, songs[1:]))
    assert out.stderr.splitlines() == [f"warning: the feature store {root} cannot be written "
                                       "(Permission denied): features are computed and not "
                                       "kept"]
    assert list(root.iterdir()) == []


# --- a store written by an older genriflow --------------------------------------------------

def test_file_hashes_written_before_a_column_existed_are_kept_and_extended(tmp_path):
    """``declared`` was added to file-hashes.parquet later: an older genriflow's file, a
    newer run over more songs, and both runs' songs are served from the store."""
    songs = _songs(tmp_path / "songs", 3)
    root = tmp_path / "store"
    old = extract(songs[:2], CONFIG, options=RunOptions(store=root, n_jobs=1))
    table = store_module._read_parquet(root / "file-hashes.parquet")
    del table["declared"]
    store_module._write_parquet(root / "file-hashes.parquet", table, {
        "path": "path", "size": "int64", "mtime_ns": "int64", "duration": "float64"})
    newer = extract(songs, CONFIG, options=RunOptions(store=root, n_jobs=1))
    assert (old.computed, newer.computed) == (2, 1)
    known = HashCache(root)
    assert all(known.get(s) is not None and known.get(s).declared is None for s in songs)
    assert set(store_module._read_parquet(root / "file-hashes.parquet")) >= {"declared"}
    assert extract(songs, CONFIG, options=RunOptions(store=root, n_jobs=1)).computed == 0


# --- a store named by GENRIFLOW_STORE: the errors name the variable, not --store ---------


def test_a_store_that_is_a_file_names_where_it_was_given(tmp_path):
    songs = _songs(tmp_path / "songs", 1)
    taken = tmp_path / "notes.txt"
    taken.write_text("mine")
    by_env = in_process("predict", *songs, "-q", env={"GENRIFLOW_STORE": str(taken)})
    assert by_env.returncode == 2 and by_env.stderr.startswith(
        f"error: `GENRIFLOW_STORE` {taken}: cannot be used as the feature store"), by_env.stderr
    assert len(by_env.stderr.splitlines()) == 1, by_env.stderr
    by_option = in_process("predict", *songs, "-q", "--store", taken)
    assert by_option.stderr.startswith(f"error: `--store` {taken}: cannot be used"), \
        by_option.stderr
    assert taken.read_text() == "mine"


def test_an_unwritable_store_from_the_environment_is_named_in_one_line(tmp_path):
    songs = _songs(tmp_path / "songs", 1)
    root = tmp_path / "store"
    root.mkdir()
    root.chmod(0o555)
    env = {"GENRIFLOW_STORE": str(root)}
    try:
        with without_dac_override():
            out = in_process("predict", *songs, "-j", "1", "-q", "-f", "csv", env=env)
            refused = in_process("features", tmp_path / "songs", "-j", "1", "-q", env=env)
    finally:
        root.chmod(0o755)
    assert out.returncode == 0, out.stderr
    said = [line for line in out.stderr.splitlines() if not line.startswith("note:")]
    assert said == [f"warning: the feature store {root} (named by GENRIFLOW_STORE) cannot be "
                    "written (Permission denied): features are computed and not kept"]
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"error: `GENRIFLOW_STORE` {root}: cannot be written "
                                     "(Permission denied)"), refused.stderr
