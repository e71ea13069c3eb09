"""benchmarks/tag_roundtrip.py's checks after undo, on a few generated songs: tags, decoded
audio and the file's bytes (undo promises the file back byte for byte)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
import soundfile as sf
from mutagen.flac import FLAC

from genriflow.features.store import content_hash
from genriflow.library import Library
from genriflow.library.plan import PlanRow, TagPlan
from sample_audio import SR, tone

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def roundtrip():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield importlib.import_module("tag_roundtrip")
    finally:
        sys.path.remove(str(BENCHMARKS))


def _songs(folder: Path) -> list[Path]:
    folder.mkdir()
    songs = []
    for i, suffix in enumerate((".flac", ".ogg", ".wav")):
        path = folder / f"{i}{suffix}"
        sf.write(path, tone(2.0, freq=200.0 + 40 * i, seed=i), SR)
        songs.append(path)
    flac = FLAC(songs[0])
    flac["genre"] = "Rock"
    flac.save()
    return songs


def test_undo_gives_every_file_back_and_a_byte_changed_is_counted(roundtrip, tmp_path):
    songs = _songs(tmp_path / "music")
    before = {p: roundtrip.snapshot(p) for p in songs}
    plan = TagPlan([PlanRow(str(p), "genre", "", "Jazz", "0.900", "gtzan", content_hash(p))
                    for p in songs]).write(tmp_path / "plan.csv")
    with Library(tmp_path / "library.db") as library:
        assert library.apply(plan).written == 3
        applied = {p: roundtrip.snapshot(p) for p in songs}
        counts, differing = roundtrip.compare(before, applied)
        assert counts == {"tags": 0, "audio": 3, "sha256": 0} and set(differing) == set(songs)
        assert library.undo().written == 3
    assert roundtrip.compare(before, {p: roundtrip.snapshot(p) for p in songs}) == (
        {"tags": 3, "audio": 3, "sha256": 3}, {})
    # the same tags and audio in other bytes (more room after the tag): only sha256 sees it
    flac = FLAC(songs[0])
    flac.save(padding=lambda info: info.padding + 1000)
    counts, differing = roundtrip.compare(before, {p: roundtrip.snapshot(p) for p in songs})
    assert counts == {"tags": 3, "audio": 3, "sha256": 2}
    assert differing == {songs[0]: 1000}
