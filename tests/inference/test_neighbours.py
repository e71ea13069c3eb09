"""The one nearest-neighbour index and its two storage back ends (a folder's Parquet file,
a library's SQLite file): the same embeddings give the same neighbours through either."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from genriflow.inference.neighbours import (
    Embeddings,
    MemoryEmbeddings,
    NeighbourIndex,
    ParquetEmbeddings,
    normalise,
)
from genriflow.library.db import LibraryError, connect
from genriflow.library.query import LibraryEmbeddings

N_SONGS, WIDTH, CLUSTERS = 60, 753, 6


@pytest.fixture(scope="module")
def songs() -> Embeddings:
    """60 songs in 6 clusters of 753-value embeddings (unnormalised, as stored)."""
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(CLUSTERS, WIDTH))
    cluster = np.arange(N_SONGS) % CLUSTERS
    scale = rng.uniform(0.5, 20.0, size=(N_SONGS, 1))  # norms differ, as real embeddings'
    vectors = (centres[cluster] + 0.8 * rng.normal(size=(N_SONGS, WIDTH))) * scale
    paths = [f"/music/{c}/song-{i:02d}.flac" for i, c in enumerate(cluster)]
    return Embeddings(paths, vectors.astype(np.float32), [f"content-{i}" for i in range(N_SONGS)])


def labels_of(embeddings: Embeddings) -> list[str]:
    return [Path(p).parent.name for p in embeddings.paths]


def write_library(db: Path, embeddings: Embeddings, *, model: str = "gtzan") -> None:
    """A library index whose ``model`` analysed every song, storing ``embeddings`` as
    ``library classify`` stores them (float32 bytes per analysis)."""
    conn = connect(db)
    now = time.time()
    conn.execute(
        "INSERT INTO models (identity, name, labels, last_run) VALUES (?, ?, ?, ?)",
        (f"{model}@1", model, json.dumps(["a", "b"]), now),
    )
    for i, (path, vector) in enumerate(zip(embeddings.paths, embeddings.vectors, strict=True)):
        conn.execute(
            "INSERT INTO songs (id, path, size, mtime_ns, content, status, scanned_at) "
            "VALUES (?, ?, 1, 1, ?, 'ok', ?)",
            (i + 1, path, f"hash-{i}", now),
        )
        conn.execute(
            "INSERT INTO analyses (song_id, model_id, content, genre, probability, "
            "probabilities, tags, moods, voice, vocal_probability, embedding, analysed_at) "
            "VALUES (?, 1, ?, 'a', 0.6, ?, '[]', '[]', 'vocal', 0.5, ?, ?)",
            (
                i + 1,
                f"hash-{i}",
                json.dumps({"a": 0.6, "b": 0.4}),
                vector.astype("<f4").tobytes(),
                now,
            ),
        )
    conn.close()


@pytest.fixture(scope="module")
def both(songs, tmp_path_factory) -> tuple[NeighbourIndex, NeighbourIndex]:
    """The same embeddings through each back end: (Parquet, library SQLite)."""
    root = tmp_path_factory.mktemp("neighbours")
    parquet = ParquetEmbeddings(root / "similarity" / "index.parquet")
    parquet.save(songs, {"library": "/music"})
    write_library(root / "library.db", songs)
    return (
        NeighbourIndex(parquet),
        NeighbourIndex(LibraryEmbeddings(connect(root / "library.db"))),
    )


def test_both_back_ends_load_the_same_songs_and_normalised_embeddings(songs, both):
    parquet, library = both
    assert len(parquet) == len(library) == N_SONGS
    assert parquet.paths == songs.paths
    assert library.paths == sorted(songs.paths)  # the library lists songs by path
    order = [parquet.paths.index(p) for p in library.paths]
    np.testing.assert_allclose(library.matrix, parquet.matrix[order], atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(parquet.matrix, axis=1), 1.0, rtol=1e-5)


def test_both_back_ends_give_the_same_neighbours(both):
    parquet, library = both
    by_parquet = [[parquet.paths[j] for j in row] for row in parquet.neighbours(5)]
    by_library = [[library.paths[j] for j in row] for row in library.neighbours(5)]
    assert dict(zip(library.paths, by_library, strict=True)) == dict(
        zip(parquet.paths, by_parquet, strict=True)
    )
    rng = np.random.default_rng(3)
    for vector in rng.normal(size=(5, WIDTH)) * 4.0:
        a, b = parquet.nearest(vector, 7), library.nearest(vector, 7)
        assert [p for p, _ in a] == [p for p, _ in b]
        np.testing.assert_allclose([s for _, s in a], [s for _, s in b], atol=1e-6)


def test_precision_at_k_is_the_same_through_both_and_well_above_chance(songs, both):
    parquet, library = both
    by_parquet = parquet.precision_at_k(labels_of(Embeddings(parquet.paths, songs.vectors)), 5)
    by_library = library.precision_at_k(labels_of(Embeddings(library.paths, songs.vectors)), 5)
    assert by_parquet == pytest.approx(by_library, abs=1e-12)
    assert by_parquet > 0.9  # chance: (10 - 1) / 59 = 0.15; the clusters are well apart


def test_nearest_is_the_cosine_best_first_and_excludes_what_it_is_told(songs):
    index = NeighbourIndex(MemoryEmbeddings(songs))
    vector = songs.vectors[4] * 3.0  # scale does not matter to a cosine
    found = index.nearest(vector, 3)
    assert found[0] == (songs.paths[4], pytest.approx(1.0, abs=1e-5))
    raw = np.asarray(songs.vectors, dtype=np.float64)
    cosine = raw @ raw[4] / (np.linalg.norm(raw, axis=1) * np.linalg.norm(raw[4]))
    expected = np.argsort(-cosine, kind="stable")[:3]
    assert [p for p, _ in found] == [songs.paths[i] for i in expected]
    np.testing.assert_allclose([s for _, s in found], cosine[expected], atol=1e-5)

    mask = np.zeros(N_SONGS, dtype=bool)
    mask[4] = True
    others = index.nearest(vector, 3, exclude=mask)
    ranked = [i for i in np.argsort(-cosine, kind="stable") if i != 4][:3]
    assert [p for p, _ in others] == [songs.paths[i] for i in ranked]
    assert len(index.nearest(vector, 500, exclude=mask)) == N_SONGS - 1


def test_neighbours_never_list_the_song_itself_and_zero_rows_stay_zero():
    vectors = np.array([[1, 0, 0], [0.9, 0.1, 0], [0, 0, 0], [0, 1, 0]], np.float32)
    index = NeighbourIndex(MemoryEmbeddings(Embeddings(list("abcd"), vectors)))
    nearest = index.neighbours(10)
    assert nearest.shape == (4, 3) and not (nearest == np.arange(4)[:, None]).any()
    assert nearest[0, 0] == 1 and nearest[1, 0] == 0
    np.testing.assert_array_equal(normalise(vectors)[2], 0.0)
    silent = index.nearest(np.zeros(3), 4)  # a silent song is like none: cosine 0
    assert len(silent) == 4 and all(s == pytest.approx(0.0, abs=1e-12) for _, s in silent)


def test_empty_back_ends_find_nothing(tmp_path):
    parquet = NeighbourIndex(ParquetEmbeddings(tmp_path / "missing.parquet"))
    library = NeighbourIndex(LibraryEmbeddings(connect(tmp_path / "empty.db")))
    for index in (parquet, library):
        assert len(index) == 0 and index.nearest(np.ones(4), 5) == []
        assert index.neighbours(5).shape == (0, 0)
    with pytest.raises(ValueError, match="at least two songs"):
        parquet.precision_at_k([], 5)


def test_an_index_file_written_before_the_shared_index_is_read_as_it_was(songs, tmp_path):
    """The Parquet layout of the folder index (path, key, fixed-size float32 list), written
    here directly with pyarrow, loads unchanged; an unreadable file loads as empty."""
    file = tmp_path / "similarity" / "0123456789abcdef.parquet"
    file.parent.mkdir()
    values = pa.array(songs.vectors.ravel(), type=pa.float32())
    table = pa.table(
        {
            "path": pa.array(songs.paths, pa.string()),
            "key": pa.array(songs.keys, pa.string()),
            "embedding": pa.FixedSizeListArray.from_arrays(values, WIDTH),
        }
    )
    pq.write_table(table.replace_schema_metadata({"library": "/music"}), file)
    loaded = ParquetEmbeddings(file).load()
    assert loaded.paths == songs.paths and loaded.keys == songs.keys
    np.testing.assert_allclose(loaded.vectors, songs.vectors, rtol=1e-7)

    again = ParquetEmbeddings(tmp_path / "again.parquet")
    again.save(loaded, {"library": "/music"})
    assert pq.read_schema(again.file).metadata[b"library"] == b"/music"
    np.testing.assert_allclose(again.load().vectors, songs.vectors, rtol=1e-7)

    file.write_bytes(b"not parquet")
    assert ParquetEmbeddings(file).load().paths == []


def test_the_library_back_end_loads_only_the_named_models_current_analyses(songs, tmp_path):
    db = tmp_path / "library.db"
    write_library(db, songs, model="gtzan")
    conn = connect(db)
    conn.execute("UPDATE songs SET content = 'changed' WHERE id = 1")  # analysis now stale
    conn.execute("UPDATE songs SET status = 'removed' WHERE id = 2")
    loaded = LibraryEmbeddings(conn, "gtzan").load()
    assert songs.paths[0] not in loaded.paths and songs.paths[1] not in loaded.paths
    assert len(loaded.paths) == N_SONGS - 2 and loaded.vectors.shape == (N_SONGS - 2, WIDTH)
    with pytest.raises(LibraryError, match="model other has not classified"):
        LibraryEmbeddings(conn, "other").load()


def test_embeddings_refuse_rows_that_do_not_match_their_paths():
    with pytest.raises(ValueError, match="2 paths for 3 embeddings"):
        Embeddings(["a", "b"], np.zeros((3, 4), np.float32))
