"""File names that are not UTF-8 (a Latin-1 ``Café.flac`` copied from an old disc).

Linux names are bytes; Python gives such a name lone surrogates, which no UTF-8 text can
hold: not SQLite's, pandas', Arrow's or a terminal's. Such a song is analysed and kept in
the feature store like any other; the places that keep names as text (the library index,
a labelled dataset) refuse it with one line naming it readably, and the batch goes on.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from genriflow.audio.formats import is_text_name, shown_name
from genriflow.features.store import HashCache

LATIN1 = b"Caf\xe9 \xff.flac"  # not UTF-8: \xe9 and \xff stand alone


def _latin1_song(folder: Path, write_song, seed: int = 3) -> str:
    """A song written under a UTF-8 name, then renamed to Latin-1 bytes (soundfile cannot
    open the name itself for writing)."""
    plain = write_song(folder / "plain-name.flac", seed=seed)
    name = os.path.join(os.fsencode(folder), LATIN1)
    os.rename(plain, name)
    return os.fsdecode(name)


@pytest.fixture
def mixed(tmp_path: Path, write_song) -> tuple[Path, str, Path]:
    folder = tmp_path / "music"
    good = write_song(folder / "good.flac", seed=1)
    return folder, _latin1_song(folder, write_song), good


def test_a_latin1_name_is_not_text_and_is_shown_by_its_bytes():
    name = os.fsdecode(LATIN1)
    assert not is_text_name(name) and is_text_name("Café.flac")
    assert shown_name(name) == "Caf\\xe9 \\xff.flac"


def test_the_hash_cache_keeps_such_a_name(mixed, tmp_path):
    _, latin1, _ = mixed
    cache = HashCache(tmp_path / "store")
    cache.put(latin1, "0123abcd", 3.0)
    cache.save()
    again = HashCache(tmp_path / "store").get(latin1)
    assert again is not None and again.content == "0123abcd"


def test_predict_and_similar_analyse_it_and_read_it_back_from_the_store(mixed, cli, tmp_path):
    folder, _, _ = mixed
    store = ["--store", tmp_path / "store", "-j", "1"]
    for _ in range(2):  # computed, then served from the store (its names read back)
        out = cli("predict", "--model", "zero-shot", folder, "-f", "json", "-q", *store)
        assert out.returncode == 0, out.stderr
        paths = [os.fsencode(song["path"]) for song in json.loads(out.stdout)]
        assert sorted(Path(os.fsdecode(p)).name for p in paths) == sorted(
            [os.fsdecode(LATIN1), "good.flac"])  # the name's own bytes, from \udcXX escapes
    near = cli("similar", folder, "-q", *store)
    assert near.returncode == 0, near.stderr
    assert "index: 2 songs" in near.stdout + near.stderr


def test_the_library_lists_it_as_failed_and_indexes_the_rest(mixed, cli, tmp_path):
    folder, _, good = mixed
    db = ["--db", tmp_path / "index" / "library.db"]
    scanned = cli("library", "scan", folder, *db)
    assert scanned.returncode == 1, scanned.stderr  # one file failed
    listed = [line for line in scanned.stderr.splitlines() if line.startswith("  ")]
    assert listed == [f"  {folder}/Caf\\xe9 \\xff.flac: its name is not UTF-8 text, which the "
                      "index keeps paths as; rename it (e.g. `convmv -f latin1 -t utf-8 -r "
                      "--notest FOLDER`) and scan again"]
    assert "new 1," in scanned.stdout
    shown = cli("library", "ls", *db)
    assert shown.returncode == 0 and str(good) in shown.stdout


def test_a_labelled_dataset_with_such_a_name_is_refused_in_one_line(tmp_path, write_song, cli):
    corpus = tmp_path / "corpus"
    write_song(corpus / "rock" / "a.flac", seed=1)
    _latin1_song(corpus / "jazz", write_song)
    out = cli("features", corpus, "--sets", "kaggle", "-q", "--no-store")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        f"error: 1 file name(s) are not UTF-8 text, e.g. {corpus}/jazz/Caf\\xe9 \\xff.flac; "
        "rename them (e.g. `convmv -f latin1 -t utf-8 -r --notest FOLDER`) and run again"]
