"""The pure logic of benchmarks/library.py and benchmarks/debian_library.py (no audio work
beyond a few seconds of generated sound)."""

from __future__ import annotations

import hashlib
import importlib
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import genriflow.audio

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def scripts():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield importlib.import_module("debian_library"), importlib.import_module("library")
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_plan_interleaves_packages_and_is_stable_under_limit(scripts):
    debian, _ = scripts
    tracks = [debian.Track(p, Path(f"/x/{p}/{i}.ogg"), str(i)) for p in "ab" for i in range(3)]
    tracks.append(debian.Track("c", Path("/x/c.pk3"), "z", member="m/z.ogg"))
    planned = debian.plan(tracks, ["mp3", "flac"])
    assert [(p.track.package, p.format) for p in planned][:4] == [
        ("a", "mp3"),
        ("b", "flac"),
        ("c", "mp3"),
        ("a", "flac"),
    ]
    assert debian.plan(tracks, ["mp3", "flac"], limit=3) == planned[:3]
    assert planned[2].relative == "c/z.mp3"
    with pytest.raises(ValueError, match="unknown formats"):
        debian.plan(tracks, ["wma"])


def test_relative_names_and_rates(scripts):
    debian, _ = scripts
    names = debian._relative_names(["/m/a/x.ogg", "/m/b/y.opus", "/m/z.ogg"])
    assert names == ["a/x", "b/y", "z"]
    assert debian._relative_names(["/m/only.ogg"]) == ["only"]
    opus, flac = debian.FORMATS["opus"], debian.FORMATS["flac"]
    assert opus.rate(44100) == 48000 and flac.rate(44100) == 44100
    assert debian.FORMATS["mp3"].rate(96000) == 48000
    assert debian.FORMATS["ogg"].layout(1) == "stereo" and flac.layout(1) == "mono"


def test_build_converts_copies_skips_and_prunes(scripts, tmp_path):
    debian, _ = scripts
    sr = 22050
    t = np.arange(int(1.5 * sr)) / sr
    originals = tmp_path / "originals"
    originals.mkdir()
    sf.write(originals / "a.ogg", 0.3 * np.sin(2 * np.pi * 440 * t), sr)
    sf.write(originals / "b.flac", 0.3 * np.sin(2 * np.pi * 330 * t), sr)
    with zipfile.ZipFile(originals / "music.pk3", "w") as z:
        z.write(originals / "a.ogg", "sound/cdtracks/c.ogg")
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in originals.iterdir()}
    tracks = [
        *debian.package_tracks("one", [originals / "a.ogg", originals / "b.flac"]),
        *debian.package_tracks("two", [originals / "music.pk3"]),
    ]
    out = tmp_path / "library"
    first = debian.build(out, formats=["opus", "m4a", "ogg"], verbose=False, tracks=tracks)
    assert (first.converted, first.skipped, first.originals_unchanged) == (3, 0, True)
    assert sorted(str(p.relative_to(out)) for p in first.files) == [
        "one/a.opus",
        "one/b.ogg",
        "two/c.m4a",
    ]
    for f in first.files:
        assert abs(genriflow.audio.info(f).duration - 1.5) < 0.1
    again = debian.build(out, formats=["opus", "m4a", "ogg"], verbose=False, tracks=tracks)
    assert (again.converted, again.skipped) == (0, 3)
    (out / "mine.txt").write_text("not the script's")
    smaller = debian.build(
        out, formats=["opus", "m4a", "ogg"], limit=1, verbose=False, tracks=tracks
    )
    assert (smaller.removed, len(smaller.files)) == (2, 1)
    assert (out / "mine.txt").exists() and not (out / "two" / "c.m4a").exists()
    assert {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in originals.iterdir()
    } == before


def test_sampling_kwargs_follow_the_api(scripts):
    _, library = scripts

    def new(audio, *, full=False, excerpts=None): ...

    def old(audio, *, max_windows=10): ...

    assert library.sampling_kwargs(new, full=True)[0] == {"full": True}
    assert library.sampling_kwargs(new, excerpts=4)[0] == {"excerpts": 4}
    assert library.sampling_kwargs(old, full=True)[0] == {"max_windows": None}
    assert library.sampling_kwargs(old, excerpts=4)[0] == {"max_windows": 4}
    assert library.sampling_kwargs(old)[0] == {}


def test_agreement_overlap_projection_spread(scripts):
    _, library = scripts
    assert library.agreement(
        {"a": "rock", "b": "jazz", "c": "pop"}, {"a": "rock", "b": "blues"}
    ) == (1, 2)
    share, n = library.overlap(
        {"a": list("abcde"), "b": list("vwxyz")}, {"a": list("abcxy"), "b": list("vwxyz")}
    )
    assert n == 2 and share == pytest.approx((3 / 5 + 1) / 2)
    assert library.projected_seconds(0.5, 150.0) == pytest.approx(3500 * 0.5 * 2)
    assert library.spread(list(range(10)), 3) == [0, 3, 6]
    assert library.spread([1, 2], None) == [1, 2] and library.spread([1, 2], 0) == []


def test_parse_musicnn_tags(scripts):
    _, library = scripts
    text = "/m/a,b.mp3,MSD_musicnn,input_length=3.0,input_overlap=False,rock,pop,indie\ngarbage\n"
    assert library.parse_musicnn_tags(text) == {"/m/a,b.mp3": ["rock", "pop", "indie"]}


def test_memory_watch_sees_descendants(scripts):
    import subprocess

    _, library = scripts
    with library.MemoryWatch(interval=0.05) as memory:
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.5)"])
        child.wait()
    assert memory.most_processes >= 2 and memory.peak_total_kib > 0
    assert memory.largest_other_kib() > 0


def test_memory_watch_counts_cpu_of_children(scripts):
    import subprocess

    _, library = scripts
    busy = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.4: pass"
    with library.MemoryWatch(interval=0.05) as memory:
        subprocess.run([sys.executable, "-c", busy], check=True)
    assert memory.cpu_seconds >= 0.2
