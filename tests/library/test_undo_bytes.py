"""`undo` gives back each song byte for byte: the tag's padding as it was (none, as many
Ogg encoders leave it, or a little), whichever container; a journal from before the
padding was recorded still undoes the tags."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import mutagen
import numpy as np
import pytest

from genriflow.features.store import content_hash
from genriflow.library import Library
from genriflow.library.plan import PlanRow, TagPlan

#: Containers genriflow writes through mutagen's padding API (soundfile writes mp3 too).
SUFFIXES = (".ogg", ".opus", ".flac", ".mp3", ".m4a")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _song(folder: Path, write_song, suffix: str, padding: int) -> Path:
    """A tagged tone whose tag has exactly ``padding`` bytes of room after it."""
    song = write_song(folder / f"Song{suffix}", title="Chimes", artist="X", genre="Rock")
    audio = mutagen.File(song)
    audio.save(padding=lambda info: padding)
    return song


def _apply_and_undo(song: Path, tmp_path: Path, *, old_journal: bool = False) -> int:
    """Apply genre, mood and voice to ``song``, undo; the size it had in between."""
    rows = [PlanRow(str(song), field, "", new, "0.870", "gtzan", content_hash(song))
            for field, new in (("genre", "Electronic; Ambient"), ("mood", "calm"),
                               ("voice", "instrumental"))]
    plan = TagPlan(rows).write(tmp_path / "plan.csv")
    with Library(tmp_path / "library.db") as library:
        report = library.apply(plan)
        assert (report.written, report.failed) == (1, 0), report.errors
        size = song.stat().st_size
    if old_journal:  # as an older genriflow journalled it: no padding recorded
        with sqlite3.connect(tmp_path / "library.db") as conn:
            conn.execute("UPDATE tag_changes SET old_tags = json_remove(old_tags, "
                         "'$.padding')")
    with Library(tmp_path / "library.db") as library:
        undone = library.undo()
        assert (undone.written, undone.failed) == (1, 0), undone.errors
    return size


@pytest.mark.parametrize("padding", [0, 40])
@pytest.mark.parametrize("suffix", SUFFIXES)
def test_undo_gives_back_the_original_bytes_whatever_the_tag_s_padding(
        suffix, padding, tmp_path, write_song, decoded):
    song = _song(tmp_path / "music", write_song, suffix, padding)
    before, audio = _sha(song), decoded(song)
    size = song.stat().st_size
    assert _apply_and_undo(song, tmp_path) > size  # the tag grew beyond its padding
    assert song.stat().st_size == size
    assert _sha(song) == before
    assert np.array_equal(decoded(song), audio)


def test_a_journal_without_the_padding_still_undoes_the_tags(tmp_path, write_song):
    song = _song(tmp_path / "music", write_song, ".ogg", 0)
    before = mutagen.File(song).tags.pprint()
    _apply_and_undo(song, tmp_path, old_journal=True)
    assert mutagen.File(song).tags.pprint() == before
