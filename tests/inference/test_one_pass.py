"""One pass per song: one decode per stretch and one network run per excerpt, whatever is
asked (genres, tags, the similarity embedding), now or later; nothing read the second time."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

import genriflow
from genriflow.features import compute, workers
from genriflow.features.extract import extract, extract_sets
from genriflow.features.options import RunOptions
from genriflow.features.sampling import Sampling, decode_ranges
from genriflow.features.sets import FeatureConfig
from sample_audio import SR, tone

TAGS = FeatureConfig(set="musicnn-tags")
EMBEDDING = FeatureConfig(set="msd-musicnn", options={"layer": "mean_pool"})
KAGGLE = FeatureConfig(set="kaggle")


@pytest.fixture
def calls(monkeypatch):
    """Counts of what reads a file (decodes, headers, hashes) and of network passes (on
    either back end: PyTorch's or ONNX Runtime's)."""
    import genriflow.features.pretrained.musicnn as mnn
    from genriflow.features.pretrained import onnx_runtime

    seen = {"decodes": [], "headers": 0, "hashes": 0, "patches": Counter()}
    load_native, info, content_hash, forward = (compute.load_native, compute.info,
                                                compute.content_hash, mnn.forward)

    def counted_load(path, **kwargs):
        seen["decodes"].append((Path(path).name, kwargs["offset"], kwargs["duration"]))
        return load_native(path, **kwargs)

    def counted_info(path):
        seen["headers"] += 1
        return info(path)

    def counted_hash(path):
        seen["hashes"] += 1
        return content_hash(path)

    def counted_forward(patches, model, *args, **kwargs):
        seen["patches"][model.name] += len(patches)
        return forward(patches, model, *args, **kwargs)

    monkeypatch.setattr(compute, "load_native", counted_load)
    monkeypatch.setattr(compute, "info", counted_info)
    monkeypatch.setattr(compute, "content_hash", counted_hash)
    onnx_forward = onnx_runtime.forward

    def counted_onnx_forward(patches, name, *args, **kwargs):
        seen["patches"][name] += len(patches)
        return onnx_forward(patches, name, *args, **kwargs)

    monkeypatch.setattr(mnn, "forward", counted_forward)
    monkeypatch.setattr(onnx_runtime, "forward", counted_onnx_forward)
    return seen


def _library(folder: Path) -> Path:
    """Three songs in three containers: 20 s, 15 s and 10 s (6, 5 and 3 patches)."""
    folder.mkdir(parents=True)
    for i, (ext, seconds) in enumerate((("wav", 20.0), ("ogg", 15.0), ("flac", 10.0))):
        sf.write(folder / f"song-{i}.{ext}", tone(seconds, freq=180.0 * (i + 1), seed=i), SR)
    return folder


def test_one_decode_per_stretch_serves_every_set_at_every_rate(tmp_path, calls):
    song = tmp_path / "song.flac"
    sf.write(song, tone(100.0, sr=44100), 44100)  # read at 22050 (kaggle) and 16000 Hz
    sampling = Sampling(excerpts=4)
    out = extract_sets([song], [KAGGLE, TAGS, EMBEDDING], sampling=sampling,
                       options=RunOptions(n_jobs=1))
    windows = [*compute.plan(KAGGLE, 100.0, sampling), *compute.plan(TAGS, 100.0, sampling)]
    stretches = decode_ranges(windows, 100.0)
    # 5 windows (the central clip, 4 excerpts), 2 of them inside the clip: 3 decodes.
    assert len(windows) == 5 and len(stretches) == 3
    assert [(offset, duration) for _, offset, duration in calls["decodes"]] == [
        (r.offset, r.seconds) for r, _ in stretches]
    # Tags and embedding: one pass of each network per excerpt, for both.
    assert calls["patches"] == {"msd-musicnn": 4, "mtt-musicnn": 4}
    assert out["musicnn-tags"].files[0].values.shape == (4, 100)
    assert out["msd-musicnn"].files[0].values.shape == (4, 753)
    np.testing.assert_array_equal(out["musicnn-tags"].files[0].offsets,
                                  out["msd-musicnn"].files[0].offsets)
    alone = extract([song], KAGGLE, options=RunOptions(n_jobs=1)).files[0]
    np.testing.assert_allclose(out["kaggle"].files[0].values, alone.values, rtol=1e-5)
    assert out["kaggle"].files[0].offsets.tolist() == [35.0]  # the central clip


def test_sampled_and_full_analyses_take_the_same_path_and_agree(tmp_path, monkeypatch):
    song = tmp_path / "song.wav"
    sf.write(song, tone(14.0, freq=330.0, seed=2), SR)  # 4 patches, or 7 clips of 2 s
    clip = FeatureConfig(set="kaggle", clip_seconds=2.0)
    analysed = []
    batch_values = compute._batch_values

    def spy(pending, todo, content):
        analysed.extend(sorted(c.set for c in todo[window]) for window, _, _ in pending)
        return batch_values(pending, todo, content)

    monkeypatch.setattr(compute, "_batch_values", spy)
    options = RunOptions(n_jobs=1)
    sampled = extract_sets([song], [clip, TAGS], sampling=Sampling(excerpts=2), options=options)
    n_sampled = len(analysed)
    full = extract_sets([song], [clip, TAGS], sampling=Sampling(full=True), options=options)
    assert n_sampled == 1 + 2 and len(analysed) - n_sampled == 7 + 4  # each window once
    for name in ("kaggle", "musicnn-tags"):
        part, whole = sampled[name].files[0], full[name].files[0]
        at = [whole.offsets.tolist().index(o) for o in part.offsets]
        assert len(at) < len(whole.offsets)
        # The same numbers, up to float rounding: the networks run over patches in pairs,
        # and a patch's last bits depend on its place in the pair.
        np.testing.assert_allclose(whole.values[at], part.values, rtol=1e-5, atol=1e-6)


def test_predict_with_tags_then_similar_runs_the_networks_once(tmp_path, calls):
    from genriflow.cli import app

    library, store = _library(tmp_path / "library"), tmp_path / "store"
    common = ["-q", "-j", "1", "--store", str(store)]
    runner = CliRunner()
    result = runner.invoke(app, ["predict", "--model", "zero-shot", "--tags", str(library),
                                 "--format", "json", *common])
    assert result.exit_code == 0, result.output
    assert calls["patches"] == {"msd-musicnn": 6 + 5 + 3, "mtt-musicnn": 6 + 5 + 3}
    decodes = len(calls["decodes"])
    assert decodes == 3  # each short song is one stretch: decoded once for everything
    result = runner.invoke(app, ["similar", str(library), *common])
    assert result.exit_code == 0, result.output
    assert "3 added" in result.stdout and "0 embedded now" in result.stdout
    assert calls["patches"] == {"msd-musicnn": 14, "mtt-musicnn": 14}
    assert len(calls["decodes"]) == decodes


def test_a_second_run_over_an_unchanged_library_reads_no_audio(tmp_path, calls):
    library = _library(tmp_path / "library")
    options = RunOptions(store=tmp_path / "store", n_jobs=1)
    first = genriflow.analyse(library, model="zero-shot", tags=True, options=options)
    assert len(calls["decodes"]) == 3 and calls["headers"] == calls["hashes"] == 3
    calls["decodes"].clear()
    calls["headers"] = calls["hashes"] = 0
    calls["patches"].clear()
    second = genriflow.analyse(library, model="zero-shot", tags=True, options=options)
    assert calls["decodes"] == [] and calls["headers"] == calls["hashes"] == 0
    assert not calls["patches"]
    assert not first.errors and not second.errors and len(second.predictions) == 3
    for a, b in zip(first.predictions, second.predictions, strict=True):
        np.testing.assert_allclose(a.window_probabilities, b.window_probabilities, rtol=1e-6)
    assert [t.top for t in first.tags] == [t.top for t in second.tags]


AFTER_TORCH = """
import sys
import numpy as np
import torch
torch.set_num_threads(2)
x = torch.randn(256, 256)
(x @ x).sum().item()  # torch's thread pool has run in this process
from genriflow.features.extract import extract
from genriflow.features.options import RunOptions
from genriflow.features.sets import FeatureConfig
paths, config = sys.argv[1:], FeatureConfig(set="musicnn-tags")
here = extract(paths, config, options=RunOptions(n_jobs=1))  # networks run here first
pooled = extract(paths, config, options=RunOptions(n_jobs=2))
assert not pooled.errors, pooled.errors
np.testing.assert_allclose(pooled.matrix(), here.matrix(), atol=1e-4)
print("ok", len(pooled.files))
"""


def test_network_sets_run_in_workers_after_torch_ran_here(tmp_path):
    paths = []
    for i in range(workers.SERIAL_TASKS + 2):  # enough files for worker processes
        paths.append(tmp_path / f"song-{i}.wav")
        sf.write(paths[-1], tone(4.0, freq=200.0 + 50 * i, seed=i), SR)
    # A worker that inherited a held OpenMP lock would hang: the timeout turns that into a
    # failure (it is no measure of speed).
    out = subprocess.run([sys.executable, "-c", AFTER_TORCH, *map(str, paths)],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["ok", str(len(paths))]


def test_excerpts_and_full_on_the_command_line(tmp_path):
    from genriflow.cli import app

    song = tmp_path / "song.wav"
    sf.write(song, tone(31.0), SR)  # 10 patches
    runner = CliRunner()
    common = ["predict", "--model", "zero-shot", str(song), "-f", "json", "-q", "--no-store",
              "-j", "1"]
    for extra, starts in ((["--excerpts", "2"], 2), (["--full"], 10)):
        result = runner.invoke(app, [*common, *extra])
        assert result.exit_code == 0, result.output
        timeline = json.loads(result.stdout)[0]["timeline"]
        assert len(timeline) == starts and timeline[0]["start"] < timeline[-1]["start"]
    both = runner.invoke(app, [*common, "--full", "--excerpts", "3"])
    assert both.exit_code == 2
    assert both.stderr.strip() == ("error: `--excerpts` cannot be combined with full "
                                   "(which analyses every excerpt)")


def test_analyse_asks_for_something():
    with pytest.raises(genriflow.ConfigError, match="`model` or tags must be asked for"):
        genriflow.analyse(tone(4.0), sr=SR, model=None, tags=False)
