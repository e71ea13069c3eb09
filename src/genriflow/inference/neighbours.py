"""Nearest neighbours by embedding: the one index behind every "songs like this".

A :class:`NeighbourIndex` reads songs' embeddings from a storage back end (an
:class:`EmbeddingStore`), normalises them, and answers by cosine similarity: a song's ``k``
nearest songs (with or without the song itself), every song's nearest others, and how
often those share its label (precision@k). The back ends only store and load; all the
arithmetic is here, so every caller gets the same answer from the same embeddings:

* :class:`ParquetEmbeddings`, one Parquet file in the feature store, written by the folder
  index :class:`~genriflow.inference.similar.SimilarityIndex` (``genriflow similar``,
  :func:`genriflow.similar`);
* ``LibraryEmbeddings`` (:mod:`genriflow.library.query`), the embeddings a
  :class:`~genriflow.library.Library` stored when it classified its songs
  (:meth:`Library.similar <genriflow.library.Library.similar>`, the service's
  ``?similar=true``).

Examples
--------
>>> import numpy as np
>>> store = MemoryEmbeddings(Embeddings(["a", "b", "c"],
...                                     np.array([[1, 0], [2, 1], [0, 1]], np.float32)))
>>> index = NeighbourIndex(store)
>>> [(p, round(s, 3)) for p, s in index.nearest(np.array([1.0, 0.1]), k=2)]
[('a', 0.995), ('b', 0.934)]
>>> index.neighbours(1).ravel().tolist()
[1, 0, 1]
>>> index.precision_at_k(["x", "x", "y"], k=1)
0.666...
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from genriflow.features.extract import extract
from genriflow.features.options import RunOptions
from genriflow.features.sampling import DEFAULT_SAMPLING, Sampling
from genriflow.features.sets import FeatureConfig

#: Rows of the similarity matrix computed at once by :meth:`NeighbourIndex.neighbours`.
BLOCK_ROWS = 1024

#: The embedding "songs like this" compares by default.
SIMILARITY_FEATURES = FeatureConfig(set="msd-musicnn", options={"layer": "mean_pool"})


@dataclass(frozen=True)
class Embeddings:
    """Songs' raw (unnormalised) embeddings, as a back end stores them.

    Attributes
    ----------
    paths : list of str
        One per row of ``vectors``.
    vectors : np.ndarray, shape (n_songs, n_values), float32
        ``(0, 0)`` when there are no songs.
    keys : list of str or None
        Each song's content identity (its feature-store keys), one per row, so that a
        byte-identical copy of a song counts as the song itself; ``None`` when the back end
        keeps none.
    """

    paths: list[str]
    vectors: np.ndarray
    keys: list[str] | None = None

    def __post_init__(self) -> None:
        if len(self.vectors) != len(self.paths) or (
            self.keys is not None and len(self.keys) != len(self.paths)
        ):
            raise ValueError(
                f"{len(self.paths)} paths for {len(self.vectors)} embeddings"
                + ("" if self.keys is None else f" and {len(self.keys)} keys")
            )


class EmbeddingStore(Protocol):
    """A storage back end of a :class:`NeighbourIndex`: where the embeddings live."""

    def load(self) -> Embeddings:
        """The stored embeddings (none when nothing is stored yet)."""
        ...


class MemoryEmbeddings:
    """Embeddings held in memory: a back end for embeddings computed on the spot."""

    def __init__(self, embeddings: Embeddings) -> None:
        self.embeddings = embeddings

    def load(self) -> Embeddings:
        return self.embeddings


class ParquetEmbeddings:
    """Embeddings in one Parquet file, written atomically; what a folder's index keeps::

        path        binary            absolute path of the song, as the file system's bytes
                                      (a name need not be UTF-8; a file of an older
                                      version holds text, which reads back the same)
        key         str               its feature-store keys (content hash @ window), joined
        embedding   fixed_size_list<float32>[n_values]   the raw (unnormalised) embedding

    Parameters
    ----------
    file : path
        The file; it need not exist yet (then :meth:`load` finds no songs).
    """

    def __init__(self, file: str | os.PathLike) -> None:
        self.file = Path(file)

    def load(self) -> Embeddings:
        """The file's embeddings; none when the file is missing or unreadable (the folder
        index then rebuilds it from the feature store)."""
        import pyarrow as pa  # here: the library's index and the service never read Parquet
        import pyarrow.parquet as pq

        empty = Embeddings([], stack_rows([]), [])
        if not self.file.is_file():
            return empty
        try:
            table = pq.read_table(self.file)
            paths = [os.fsdecode(p) for p in table["path"].to_pylist()]
            keys = table["key"].to_pylist()
            column = table["embedding"].combine_chunks()
            if not paths:
                return empty
            values = column.flatten().to_numpy(zero_copy_only=False)
            return Embeddings(paths, values.astype(np.float32).reshape(len(paths), -1), keys)
        except (OSError, KeyError, ValueError, pa.ArrowException):
            return empty

    def save(self, embeddings: Embeddings, metadata: dict[str, str]) -> None:
        """Write ``embeddings`` (with ``metadata`` in the file's schema), atomically: a
        temporary file renamed into place.

        Raises
        ------
        OSError
            The file could not be written (a read-only store, a full disk); nothing is
            left of the attempt.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        raw = embeddings.vectors
        width = raw.shape[1] if raw.size else 1  # Arrow wants a positive width, even empty
        keys = embeddings.keys if embeddings.keys is not None else [""] * len(embeddings.paths)
        values = pa.array(np.asarray(raw, dtype=np.float32).ravel(), type=pa.float32())
        table = pa.table(
            {
                "path": pa.array([os.fsencode(p) for p in embeddings.paths], pa.binary()),
                "key": pa.array(keys, pa.string()),
                "embedding": pa.FixedSizeListArray.from_arrays(values, width),
            }
        )
        self.file.parent.mkdir(parents=True, exist_ok=True)
        # its own name: two runs indexing one folder at once must not write into one file
        tmp = self.file.with_name(f"{self.file.name}.{os.getpid()}.{id(self):x}.tmp")
        try:
            pq.write_table(table.replace_schema_metadata(metadata), tmp)
            os.replace(tmp, self.file)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            raise


class NeighbourIndex:
    """Cosine nearest neighbours over the embeddings of a storage back end.

    The embeddings are read from ``store`` on construction (again by :meth:`reload`) and
    L2-normalised once; a song asked about is embedded as the stored ones were (the same
    feature set and sampling).

    Parameters
    ----------
    store : EmbeddingStore
        :class:`ParquetEmbeddings`, ``LibraryEmbeddings`` (:mod:`genriflow.library.query`)
        or :class:`MemoryEmbeddings`.
    config : FeatureConfig or None
        The stored embedding; default :data:`SIMILARITY_FEATURES`.
    sampling : Sampling
        How much of a song the stored embeddings cover.
    """

    def __init__(
        self,
        store: EmbeddingStore,
        *,
        config: FeatureConfig | None = None,
        sampling: Sampling = DEFAULT_SAMPLING,
    ) -> None:
        self.store = store
        self.config = config or SIMILARITY_FEATURES
        self.sampling = sampling
        self.reload()

    def reload(self) -> None:
        """Read the embeddings from the store again."""
        stored = self.store.load()
        self._paths = list(stored.paths)
        self._keys = list(stored.keys) if stored.keys is not None else None
        self._matrix = normalise(stored.vectors)

    @property
    def paths(self) -> list[str]:
        """Indexed songs, in index order (the rows of :attr:`matrix`)."""
        return list(self._paths)

    @property
    def keys(self) -> list[str] | None:
        """The songs' content identities, as the store gave them (``None``: none kept)."""
        return None if self._keys is None else list(self._keys)

    @property
    def matrix(self) -> np.ndarray:
        """L2-normalised embeddings, shape (n_songs, n_values), float32."""
        return self._matrix

    def __len__(self) -> int:
        return len(self._paths)

    def embed(
        self, song: str | os.PathLike, *, options: RunOptions | None = None
    ) -> tuple[np.ndarray, str]:
        """A song's normalised embedding, shape (n_values,), and its store keys (joined).

        Raises
        ------
        AudioError
            If the song is missing or cannot be embedded.
        """
        raw, key = self._embed_raw(song, options)
        return normalise(raw[None])[0], key

    def _embed_raw(
        self, song: str | os.PathLike, options: RunOptions | None
    ) -> tuple[np.ndarray, str]:
        result = extract(
            [song],
            self.config,
            sampling=self.sampling,
            options=options if options is not None else RunOptions(n_jobs=1),
        )
        if result.errors:
            raise result.errors[0]
        item = result.files[0]
        return stack_rows([item.row()])[0], "|".join(item.keys)

    def query(
        self,
        song: str | os.PathLike,
        k: int = 5,
        *,
        exclude_song: bool = True,
        options: RunOptions | None = None,
    ) -> list[tuple[str, float]]:
        """The ``k`` indexed songs most similar to ``song``, best first.

        Parameters
        ----------
        song : path
            Any audio file, indexed or not; embedded first (so a bad file raises even when
            the index is empty).
        k : int
            How many songs (fewer if the index holds fewer).
        exclude_song : bool
            Leave out the song itself when it is indexed: the same resolved path, or the
            same content (a byte-identical copy counts as the song itself, where the store
            keeps content keys). ``False``: an indexed song is its own nearest
            (similarity 1).
        options : RunOptions or None
            Feature store and workers for embedding ``song``; ``None``: no store, one
            worker.

        Returns
        -------
        list of (str, float)
            Path and cosine similarity in [-1, 1], most similar first.

        Raises
        ------
        AudioError
            If the song is missing or cannot be embedded.
        """
        vector, key = self._embed_raw(song, options)  # normalised once, by nearest()
        excluded = self._is_song(Path(song).resolve(), key) if exclude_song and len(self) else None
        return self.nearest(vector, k, exclude=excluded)

    def nearest(
        self, vector: np.ndarray, k: int = 5, *, exclude: np.ndarray | None = None
    ) -> list[tuple[str, float]]:
        """The ``k`` indexed songs whose embeddings are most like ``vector``, best first.

        Parameters
        ----------
        vector : np.ndarray, shape (n_values,)
            An embedding (need not be normalised).
        k : int
        exclude : np.ndarray of bool, shape (n_songs,), or None
            Songs never to return.

        Returns
        -------
        list of (str, float)
            Path and cosine similarity in [-1, 1], most similar first.
        """
        if not len(self):
            return []
        similarity = self._matrix @ normalise(stack_rows([vector]))[0]
        if exclude is not None:
            similarity[exclude] = -np.inf
        best = top_k(similarity[None], min(k, int(np.isfinite(similarity).sum())))[0]
        return [(self._paths[i], float(np.clip(similarity[i], -1.0, 1.0))) for i in best]

    def neighbours(self, k: int = 5) -> np.ndarray:
        """Each indexed song's ``k`` nearest other songs, most similar first.

        Computed block by block of :data:`BLOCK_ROWS` rows, so a large index never holds
        the whole (n_songs, n_songs) similarity matrix.

        Returns
        -------
        np.ndarray, shape (n_songs, min(k, n_songs - 1)), int
            Row ``i`` holds indices into :attr:`paths`; never ``i`` itself.
        """
        n = len(self)
        k = max(min(k, n - 1), 0)
        out = np.empty((n, k), dtype=np.intp)
        for start in range(0, n, BLOCK_ROWS):
            block = self._matrix[start : start + BLOCK_ROWS] @ self._matrix.T
            rows = np.arange(len(block))
            block[rows, start + rows] = -np.inf
            out[start : start + len(block)] = top_k(block, k)
        return out

    def precision_at_k(self, labels: Sequence[str], k: int = 5) -> float:
        """Mean share of each song's ``k`` nearest neighbours that have its label.

        Parameters
        ----------
        labels : sequence of str, length n_songs
            One per song of :attr:`paths`, in that order.
        k : int

        Returns
        -------
        float
            In [0, 1]; with ``c`` balanced classes chance is about ``(n/c - 1) / (n - 1)``.

        Raises
        ------
        ValueError
            Not one label per song, or fewer than two songs.
        """
        return float(self.song_precisions(labels, k).mean())

    def song_precisions(self, labels: Sequence[str], k: int = 5) -> np.ndarray:
        """Each song's share of its ``k`` nearest neighbours that have its label, shape
        (n_songs,); :meth:`precision_at_k` is their mean. Same ``labels`` and errors."""
        if len(labels) != len(self):
            raise ValueError(f"{len(labels)} labels for an index of {len(self)} songs")
        if len(self) < 2:
            raise ValueError("precision@k needs at least two songs")
        labels = np.asarray(labels)
        return (labels[self.neighbours(k)] == labels[:, None]).mean(axis=1)

    def _is_song(self, resolved: Path, key: str) -> np.ndarray:
        """Mask, shape (n_songs,): indexed songs that are ``resolved`` or share its content."""
        keys = self._keys if self._keys is not None else [None] * len(self._paths)
        return np.array(
            [p == str(resolved) or q == key for p, q in zip(self._paths, keys, strict=True)],
            dtype=bool,
        )


def top_k(similarity: np.ndarray, k: int) -> np.ndarray:
    """Column indices of each row's ``k`` largest values, largest first, shape (rows, k).

    >>> top_k(np.array([[0.1, 0.9, 0.5]]), 2).tolist()
    [[1, 2]]
    """
    if k <= 0:
        return np.empty((len(similarity), 0), dtype=np.intp)
    part = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(similarity, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def stack_rows(rows: Sequence[np.ndarray]) -> np.ndarray:
    """Embeddings stacked as float32, shape (n_songs, n_values); (0, 0) when empty."""
    if not len(rows):
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([np.asarray(r, dtype=np.float32).ravel() for r in rows])


def normalise(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (all-zero rows stay zero), shape unchanged, float32.

    >>> normalise(np.array([[3.0, 4.0], [0.0, 0.0]])).tolist()
    [[0.6000000238418579, 0.800000011920929], [0.0, 0.0]]
    """
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, np.finfo(np.float32).tiny)).astype(np.float32)
