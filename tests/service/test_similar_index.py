"""The service's similar songs and :func:`genriflow.similar` search one index class, over
the library's SQLite file and a folder's Parquet file, and agree on real songs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import genriflow
from genriflow.inference.neighbours import NeighbourIndex


def test_the_service_and_genriflow_similar_go_through_one_index(
    client, songs, tmp_path, monkeypatch
):
    calls: list[tuple[str, list[tuple[str, float]]]] = []
    search = NeighbourIndex.query

    def spied(self, song, k=5, **kwargs):
        found = search(self, song, k, **kwargs)
        calls.append((type(self.store).__name__, found))
        return found

    monkeypatch.setattr(NeighbourIndex, "query", spied)  # the service runs in this process
    jazz = songs["jazz"]
    with open(jazz, "rb") as f:
        body = client.post(
            "/v1/classify", params={"similar": "true"}, files={"file": ("jazz.wav", f)}
        ).json()
    found = genriflow.similar(
        jazz, jazz.parent, k=2, options=genriflow.RunOptions(store=tmp_path / "store", n_jobs=1)
    )

    assert [store for store, _ in calls] == ["LibraryEmbeddings", "ParquetEmbeddings"]
    by_service, by_api = calls[0][1], calls[1][1]
    assert [s["path"] for s in body["similar"]] == [p for p, _ in by_service]
    assert [s["similarity"] for s in body["similar"]] == pytest.approx(
        [s for _, s in by_service], abs=1e-9
    )
    assert found.neighbours == by_api
    # The library lists the song itself first; genriflow.similar leaves it out. The other
    # songs, embedded from the same files by each path, come in the same order.
    assert by_service[0][0] == str(jazz) and by_service[0][1] == pytest.approx(1.0, abs=1e-4)
    assert [p for p, _ in by_service[1:]] == [p for p, _ in by_api]
    np.testing.assert_allclose([s for _, s in by_service[1:]], [s for _, s in by_api], atol=1e-4)


def test_the_library_and_a_folder_index_hold_the_same_embeddings(library_db, songs, tmp_path):
    """The same three songs: stored by ``library classify`` (SQLite) and by the folder index
    (Parquet) give the same normalised embeddings and the same neighbours."""
    folder = genriflow.similar(
        None, songs["rock"].parent, options=genriflow.RunOptions(store=tmp_path / "store", n_jobs=1)
    ).index
    with genriflow.Library(library_db) as library:
        stored = library.similarity_index()
    assert sorted(folder.paths) == stored.paths and len(stored) == 3
    order = [folder.paths.index(p) for p in stored.paths]
    np.testing.assert_allclose(stored.matrix, folder.matrix[order], atol=1e-4)
    as_paths = [[stored.paths[j] for j in row] for row in stored.neighbours(2)]
    expected = [[folder.paths[j] for j in folder.neighbours(2)[i]] for i in order]
    assert as_paths == expected
    assert all(Path(p).parent == songs["rock"].parent for p in stored.paths)
