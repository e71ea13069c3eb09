"""Songs like this: nearest neighbours of a song among a library's, by embedding similarity.

A :class:`SimilarityIndex` holds one embedding per song of a music folder (by default the
``msd-musicnn`` embedding averaged over the song's excerpts) and finds a song's nearest
neighbours by cosine similarity, through the
:class:`~genriflow.inference.neighbours.NeighbourIndex` that also searches a library's
stored embeddings. Embeddings come through the feature store, read from the same
``musicnn`` analysis as tags and zero-shot genres (a song ``predict --tags`` has seen is
not analysed again), so updating the index after adding a few songs computes only those;
the index itself is one Parquet file in the store (never in the music folder, see
:class:`~genriflow.inference.neighbours.ParquetEmbeddings`)::

    <store>/similarity/<digest>.parquet
        path        str               absolute path of the song
        key         str               its feature-store keys (content hash @ window), joined
        embedding   fixed_size_list<float32>[n_values]   the raw (unnormalised) embedding

``<digest>`` is a BLAKE2b hash of the library's absolute path, the feature configuration's
digest and the sampling; the file's schema metadata also records them in clear.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from genriflow.audio import AudioError
from genriflow.datasets.discover import DatasetError, discover, find_audio_files
from genriflow.features.extract import extract
from genriflow.features.options import RunOptions
from genriflow.features.sampling import DEFAULT_SAMPLING, Sampling
from genriflow.features.sets import FeatureConfig
from genriflow.features.store import warn_not_kept
from genriflow.inference.neighbours import (
    BLOCK_ROWS,
    SIMILARITY_FEATURES,
    Embeddings,
    MemoryEmbeddings,
    NeighbourIndex,
    ParquetEmbeddings,
    stack_rows,
)
from genriflow.intervals import mean_interval
from genriflow.locations import default_store_dir
from genriflow.reprs import brief_repr

__all__ = ["BLOCK_ROWS", "SIMILARITY_FEATURES", "IndexUpdate", "SimilarityIndex",
           "library_labels", "precision_at_k", "precision_with_interval"]


@dataclass
class IndexUpdate:
    """What :meth:`SimilarityIndex.update` changed.

    Attributes
    ----------
    added : list of str
        Songs new to the index.
    removed : list of str
        Songs that left it (deleted, or now unreadable: see ``errors``).
    kept : int
        Songs indexed before and now, with unchanged content.
    changed : list of str
        Songs indexed before and now whose content changed (re-embedded).
    errors : list of AudioError
        Files that could not be embedded; they are left out of the index.
    computed : int
        Embeddings computed by this update (the rest came from the feature store).
    """

    __repr__ = brief_repr  # short in a notebook, whatever the library's size

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: int = 0
    errors: list[AudioError] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    computed: int = 0


class SimilarityIndex:
    """Embeddings of a library's songs, for nearest-neighbour search by cosine similarity.

    The last saved index of the library is loaded on construction (if any); call
    :meth:`update` to bring it in line with the folder. The search itself is
    :attr:`neighbour_index`'s, over the index file.

    Parameters
    ----------
    library : path
        The music folder (searched recursively).
    store : path or None
        Feature store folder; ``None`` uses :func:`default_store_dir`.
    config : FeatureConfig or None
        The embedding; default :data:`SIMILARITY_FEATURES` (msd-musicnn's ``mean_pool``:
        precision@5 0.70 against 0.61 for ``max_pool`` on a 300-clip demo corpus). Any
        vector set works.
    sampling : Sampling
        How much of each song is embedded (by default the excerpts ``predict`` analyses,
        so that both share the store's entries).
    options : RunOptions or None
        How songs are computed (engine, network back end, device); its store, workers and
        progress bar are the index's and each call's.
    """

    def __init__(self, library: str | os.PathLike, store: str | os.PathLike | None = None,
                 config: FeatureConfig | None = None, *,
                 sampling: Sampling = DEFAULT_SAMPLING,
                 options: RunOptions | None = None) -> None:
        self.library = Path(library).resolve()
        self.given = Path(library)
        self.options = options if options is not None else RunOptions()
        self.store = Path(store) if store is not None else default_store_dir()
        self.config = config or SIMILARITY_FEATURES
        self.sampling = sampling
        self.neighbour_index = NeighbourIndex(ParquetEmbeddings(self.file),
                                              config=self.config, sampling=sampling)

    @property
    def file(self) -> Path:
        """The index file: ``<store>/similarity/<digest>.parquet``."""
        payload = f"{self.library}\n{self.config.digest()}\n{self.sampling}".encode()
        digest = hashlib.blake2b(payload, digest_size=8).hexdigest()
        return self.store / "similarity" / f"{digest}.parquet"

    @property
    def paths(self) -> list[str]:
        """Indexed songs, in index order (the rows of :attr:`matrix`)."""
        return self.neighbour_index.paths

    @property
    def matrix(self) -> np.ndarray:
        """L2-normalised embeddings, shape (n_songs, n_values), float32."""
        return self.neighbour_index.matrix

    def __len__(self) -> int:
        return len(self.neighbour_index)

    def update(self, n_jobs: int | None = None, progress: bool = True) -> IndexUpdate:
        """Re-scan the library, embed new and changed songs, and save the index.

        Unchanged songs are read back from the feature store without being decoded or
        hashed again. A file that cannot be embedded is reported in ``errors`` and left out.

        Parameters
        ----------
        n_jobs : int or None
            Worker processes; ``None`` uses every core.
        progress : bool
            Show a progress bar.

        Returns
        -------
        IndexUpdate
            Compared with the index file as it was before this update; its paths are
            below the library as it was given (:meth:`as_given`), as the index's are not.

        Raises
        ------
        DatasetError
            If the library folder does not exist.
        """
        if self.library.exists() and not self.library.is_dir():
            raise DatasetError(f"{self.given}: not a folder; give the folder of songs to "
                               "search (a song to match comes first)")
        if not self.library.is_dir():
            raise DatasetError(f"{self.given}: no such folder")
        files, unlisted = find_audio_files(self.library)  # a folder it may not list: failed
        result = extract(files, self.config, sampling=self.sampling,
                         options=self._options(n_jobs, progress))
        store = ParquetEmbeddings(self.file)
        old = store.load()
        new = Embeddings([item.path for item in result.files],
                         stack_rows([item.row() for item in result.files]),
                         ["|".join(item.keys) for item in result.files])
        try:
            store.save(new, self._metadata())
            self.neighbour_index.reload()
        except OSError as exc:  # answered from memory, as the features were
            warn_not_kept(self.store, exc)
            self.neighbour_index = NeighbourIndex(MemoryEmbeddings(new), config=self.config,
                                                  sampling=self.sampling)
        report = _compare(dict(zip(old.paths, old.keys or [], strict=True)),
                          dict(zip(new.paths, new.keys or [], strict=True)))
        report.added, report.removed, report.changed = (
            [self.as_given(p) for p in paths]
            for paths in (report.added, report.removed, report.changed))
        report.errors = [AudioError(self.as_given(e.path), e.reason, e.kind)
                         for e in [*unlisted, *result.errors]]
        report.computed = result.computed
        return report

    def as_given(self, path: str | os.PathLike) -> str:
        """An indexed (absolute) path as the library was given: ``music/jazz/a.mp3`` for
        a library given as ``music``, as ``predict`` prints its songs; a path outside the
        library is left as it is."""
        try:
            below = Path(path).relative_to(self.library)
        except ValueError:
            return str(path)
        return str(self.given / below)

    def embed(self, song: str | os.PathLike, n_jobs: int = 1) -> tuple[np.ndarray, str]:
        """A song's normalised embedding, shape (n_values,), and its store key.

        Raises
        ------
        AudioError
            If the song is missing or cannot be embedded.
        """
        return self.neighbour_index.embed(song, options=self._options(n_jobs))

    def query(self, song: str | os.PathLike, k: int = 5,
              n_jobs: int = 1) -> list[tuple[str, float]]:
        """The ``k`` library songs most similar to ``song``, best first.

        The song itself is left out when it is in the library: the same resolved path, or
        the same content (a byte-identical copy counts as the song itself).

        Parameters
        ----------
        song : path
            Any audio file, in the library or not.
        k : int
            How many neighbours (fewer if the library holds fewer other songs).
        n_jobs : int
            Worker processes for embedding the song.

        Returns
        -------
        list of (str, float)
            Path (below the library as it was given, see :meth:`as_given`) and cosine
            similarity in [-1, 1], most similar first.

        Raises
        ------
        AudioError
            If the song is missing or cannot be embedded.
        """
        found = self.neighbour_index.query(song, k, exclude_song=True,
                                           options=self._options(n_jobs))
        return [(self.as_given(path), similarity) for path, similarity in found]

    def neighbours(self, k: int = 5) -> np.ndarray:
        """Each library song's ``k`` nearest other songs, most similar first (computed
        block by block of :data:`BLOCK_ROWS` rows by the shared
        :class:`~genriflow.inference.neighbours.NeighbourIndex`).

        Returns
        -------
        np.ndarray, shape (n_songs, min(k, n_songs - 1)), int
            Row ``i`` holds indices into :attr:`paths`; never ``i`` itself.
        """
        return self.neighbour_index.neighbours(k)

    def _options(self, n_jobs: int | None, progress: bool = False) -> RunOptions:
        return replace(self.options, store=self.store, n_jobs=n_jobs, progress=progress)

    def _metadata(self) -> dict[str, str]:
        return {"library": str(self.library), "config": json.dumps(self.config.to_dict()),
                "config_digest": self.config.digest(), "sampling": str(self.sampling)}


def precision_at_k(index: SimilarityIndex | NeighbourIndex, labels: Sequence[str],
                   k: int = 5) -> float:
    """Mean share of each song's ``k`` nearest neighbours that have its label; see
    :meth:`NeighbourIndex.precision_at_k
    <genriflow.inference.neighbours.NeighbourIndex.precision_at_k>`.

    Parameters
    ----------
    index : SimilarityIndex or NeighbourIndex
    labels : sequence of str, length n_songs
        One per song of ``index.paths``, in that order.
    k : int

    Returns
    -------
    float
        In [0, 1]; with ``c`` balanced classes chance is about ``(n/c - 1) / (n - 1)``.
    """
    if isinstance(index, SimilarityIndex):
        index = index.neighbour_index
    return index.precision_at_k(labels, k)


def precision_with_interval(index: SimilarityIndex | NeighbourIndex, labels: Sequence[str],
                            k: int = 5) -> tuple[float, tuple[float, float]]:
    """:func:`precision_at_k` and its 95 % interval: a bootstrap of the songs as queries
    (:func:`~genriflow.intervals.mean_interval` of each song's share)."""
    if isinstance(index, SimilarityIndex):
        index = index.neighbour_index
    shares = index.song_precisions(labels, k)
    return float(shares.mean()), mean_interval(shares)


def library_labels(index: SimilarityIndex) -> list[str] | None:
    """Labels of the indexed songs from the library's folder-per-genre layout.

    Returns
    -------
    list of str or None
        One per song of ``index.paths`` (the name of its folder, or its manifest label);
        ``None`` when the library is not labelled or some song has no label.
    """
    try:
        table = discover(index.library)
    except DatasetError:
        return None
    known = dict(zip(table["path"], table["label"], strict=True))
    labels = [known.get(str(Path(p).resolve())) for p in index.paths]
    return None if None in labels or not labels else labels


def _compare(old: dict[str, str], new: dict[str, str]) -> IndexUpdate:
    """Added, removed, kept and changed songs between two ``path -> key`` maps."""
    both = [p for p in new if p in old]
    return IndexUpdate(added=[p for p in new if p not in old],
                       removed=[p for p in old if p not in new],
                       kept=sum(old[p] == new[p] for p in both),
                       changed=[p for p in both if old[p] != new[p]])
