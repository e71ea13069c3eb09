"""Songs like this: the similarity index over a library, its updates, queries and quality."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from genriflow.audio import AudioError, AudioErrorKind
from genriflow.inference.similar import (
    SimilarityIndex,
    library_labels,
    precision_at_k,
    precision_with_interval,
)
from sample_audio import SR, tone, write_bad_files


@pytest.fixture(scope="module")
def built(demo_corpus: Path, tmp_path_factory):
    """A copy of the demo corpus indexed twice into a fresh store: (library, store, updates)."""
    library = tmp_path_factory.mktemp("similar") / "library"
    shutil.copytree(demo_corpus, library)
    store = tmp_path_factory.mktemp("similar-store")
    index = SimilarityIndex(library, store)
    first = index.update(progress=False)
    second = SimilarityIndex(library, store).update(progress=False)
    return library, store, first, second


@pytest.fixture
def index(built) -> SimilarityIndex:
    """The built index, loaded from its file (the store makes this free)."""
    library, store, _, _ = built
    return SimilarityIndex(library, store)


def _copy(built, tmp_path: Path) -> Path:
    library = tmp_path / "library"
    shutil.copytree(built[0], library)
    return library


def test_build_embeds_every_file_and_an_update_computes_nothing_new(built, index):
    library, store, first, second = built
    assert first.computed == 100 and len(first.added) == 100
    assert first.removed == [] and first.kept == 0 and first.errors == []
    assert second.computed == 0 and second.added == second.removed == second.changed == []
    assert second.kept == 100
    assert len(index) == 100 and index.matrix.shape == (100, 753)
    np.testing.assert_allclose(np.linalg.norm(index.matrix, axis=1), 1.0, rtol=1e-5)
    assert index.file.parent == store / "similarity" and index.file.is_file()
    assert not list(library.rglob("*.parquet"))  # nothing written into the music folder


def test_added_removed_and_changed_files_are_reported(built, tmp_path):
    library = _copy(built, tmp_path)
    store = built[1]
    assert SimilarityIndex(library, store).update(progress=False).computed == 0
    new = library / "blues" / "new-song.wav"
    sf.write(new, tone(4.0, freq=220.0, seed=5), SR)
    gone = library / "rock" / "synth-rock.00003.mp3"
    gone.unlink()
    changed = library / "jazz" / "synth-jazz.00000.wav"
    shutil.copyfile(library / "pop" / "synth-pop.00000.wav", changed)

    update = SimilarityIndex(library, store).update(progress=False)
    assert update.added == [str(new)] and update.removed == [str(gone)]
    assert update.changed == [str(changed)] and update.kept == 98
    assert update.computed == 1  # the changed file's new content is already in the store
    index = SimilarityIndex(library, store)
    assert len(index) == 100 and str(new) in index.paths and str(gone) not in index.paths


def test_query_returns_the_nearest_other_songs_best_first(index, tmp_path):
    song = index.paths[0]
    results = index.query(song, k=5)
    assert len(results) == 5 and song not in [p for p, _ in results]
    similarities = [s for _, s in results]
    assert similarities == sorted(similarities, reverse=True)
    assert all(-1.0 <= s <= 1.0 for s in similarities)
    nearest = index.neighbours(5)
    assert nearest.shape == (100, 5) and not (nearest == np.arange(100)[:, None]).any()
    expected = index.matrix[nearest[0]] @ index.matrix[0]
    np.testing.assert_allclose(similarities, expected, atol=1e-5)

    copy = tmp_path / "same-bytes.wav"  # the same content is the song itself
    shutil.copyfile(song, copy)
    assert song not in [p for p, _ in index.query(copy, k=5)]


def test_a_lossless_copy_is_nearest_to_its_original(index, tmp_path):
    original = next(p for p in index.paths if p.endswith(".wav"))
    y, sr = sf.read(original, dtype="int16")
    copy = tmp_path / "another name.flac"  # other bytes, the same samples
    sf.write(copy, y, sr, subtype="PCM_16")
    (best, similarity), *_ = index.query(copy, k=3)
    assert best == original and similarity == pytest.approx(1.0, abs=1e-4)


def test_precision_at_5_is_well_above_chance(index):
    labels = library_labels(index)
    assert labels is not None and len(set(labels)) == 10
    # Chance is 9/99 = 0.09; measured 0.364 with msd-musicnn on this corpus.
    assert precision_at_k(index, labels, k=5) > 0.25
    precision, (low, high) = precision_with_interval(index, labels, k=5)
    assert precision == pytest.approx(precision_at_k(index, labels, k=5))
    assert low < precision < high and high - low < 0.2  # 100 songs as queries


def test_unlabelled_library_has_no_labels(tmp_path):
    sf.write(tmp_path / "loose.wav", tone(2.0), SR)
    assert library_labels(SimilarityIndex(tmp_path, tmp_path / "store")) is None


def test_bad_files_are_reported_and_the_rest_is_indexed(built, tmp_path):
    library = _copy(built, tmp_path)
    bad = write_bad_files(library / "junk")
    update = SimilarityIndex(library, built[1]).update(progress=False)
    assert sorted(e.path.name for e in update.errors) == sorted(bad)
    assert update.computed == 0
    index = SimilarityIndex(library, built[1])
    assert len(index) == 100 and not any("/junk/" in p for p in index.paths)


def test_a_library_folder_that_cannot_be_listed_is_reported_failed(built, tmp_path,
                                                                   unreadable):
    # it was passed over in silence: its songs left out of the index, and no error
    library = _copy(built, tmp_path)
    unreadable(library / "jazz")
    update = SimilarityIndex(library, built[1]).update(n_jobs=1, progress=False)
    assert [(e.path, e.kind) for e in update.errors] == [
        (library / "jazz", AudioErrorKind.UNREADABLE)]
    assert "permission denied" in str(update.errors[0]).lower()
    assert len(update.added) == 90 and not any("/jazz/" in p for p in update.added)


def test_querying_a_missing_or_broken_song_raises_naming_it(index, tmp_path):
    missing = tmp_path / "nowhere.mp3"
    with pytest.raises(AudioError, match="nowhere.mp3") as info:
        index.query(missing)
    assert info.value.kind == AudioErrorKind.MISSING
    broken = tmp_path / "notes.wav"
    broken.write_text("not audio\n" * 100)
    with pytest.raises(AudioError, match="notes.wav"):
        index.query(broken)


def test_k_is_checked_before_the_library_is_indexed(tmp_path, demo_corpus: Path):
    # It used to embed the whole library first, then refuse k.
    import genriflow
    from genriflow.features.options import default_options

    store = tmp_path / "store"
    with pytest.raises(genriflow.ConfigError, match="`k` must be at least 1"):
        genriflow.similar(None, demo_corpus, k=0, options=default_options(store))
    assert not store.exists() or not any(store.rglob("*"))


@pytest.mark.parametrize("name", ["nowhere.ogg", "folder", "notes.mp3", "empty.flac"])
def test_a_song_that_cannot_be_used_is_said_before_the_library_is_indexed(tmp_path, name):
    # `genriflow similar nowhere.ogg ~/Music` embedded the whole library first, then said
    # "nowhere.ogg: file not found"
    import genriflow
    from genriflow.features.options import RunOptions

    library, store = tmp_path / "music", tmp_path / "store"
    library.mkdir()
    for i in range(3):
        sf.write(library / f"{i}.wav", tone(2.0, freq=200.0 + 50 * i), SR)
    song = tmp_path / name
    if name == "folder":
        song.mkdir()
    elif name == "notes.mp3":
        song.write_text("not audio\n" * 100)
    elif name == "empty.flac":
        song.touch()
    options = RunOptions(store=store, n_jobs=1)
    with pytest.raises(AudioError, match=name):
        genriflow.similar(song, library, options=options)
    assert genriflow.similar(None, library, options=options).update.computed == 3


def test_a_song_given_for_the_library_is_not_called_missing(tmp_path):
    from genriflow.datasets.discover import DatasetError

    song = tmp_path / "loose.wav"
    sf.write(song, tone(2.0), SR)
    with pytest.raises(DatasetError, match="loose.wav: not a folder; give the folder"):
        SimilarityIndex(song, tmp_path / "store").update(progress=False)
    with pytest.raises(DatasetError, match="elsewhere: no such folder"):
        SimilarityIndex(tmp_path / "elsewhere", tmp_path / "store").update(progress=False)


def test_songs_are_named_as_the_library_was_given_like_predict_names_them(
        built, tmp_path, monkeypatch):
    # the neighbours and the update's lists were absolute (the index's own paths), while
    # predict names a song below the folder as the user gave it: relative stays relative
    library = _copy(built, tmp_path)
    monkeypatch.chdir(tmp_path)
    SimilarityIndex(library, built[1]).update(progress=False)
    (library / "rock" / "synth-rock.00003.mp3").unlink()
    sf.write(library / "blues" / "new-song.wav", tone(4.0, freq=220.0, seed=5), SR)
    (library / "broken.mp3").write_bytes(b"")
    index = SimilarityIndex("library", built[1])
    update = index.update(n_jobs=1, progress=False)
    assert update.added == [os.path.join("library", "blues", "new-song.wav")]
    assert update.removed == [os.path.join("library", "rock", "synth-rock.00003.mp3")]
    assert [str(e.path) for e in update.errors] == [os.path.join("library", "broken.mp3")]
    found = index.query(os.path.join("library", "jazz", "synth-jazz.00000.wav"), k=3)
    assert len(found) == 3 and all(path.startswith("library/") for path, _ in found)
    assert all(Path(path).is_file() for path, _ in found)
    assert index.paths[0].startswith(str(library))  # the index itself stays absolute
