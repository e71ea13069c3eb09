"""The feature store: computed features on disk, keyed by file content and configuration.

Layout, one folder per feature configuration::

    <root>/<set>-<config digest>/
        config.json                 the configuration (reproducible from the folder)
        part-<id>.npy               float32 values of a batch of entries, concatenated
        part-<id>.parquet           the batch's index: key, path, offset, shape
        matrix-<digest>.npy         a dataset's rows packed for training (memory-mapped)

A part is committed by renaming its Parquet index into place after its ``.npy`` is
complete, so a killed extraction leaves only whole parts (plus, at worst, an orphan
``.npy`` that nothing references and :meth:`FeatureStore.open` removes). Entries are
keyed by the BLAKE2b hash of the file's bytes and the analysed window, so a changed file
is recomputed and a renamed one is not. Values are read back memory-mapped.

The Parquet files are read and written with pyarrow alone (pandas, whose import costs half
a second, is not needed to serve a song from the store).

A part damaged after it was committed (a truncated ``.npy`` or an unreadable ``.parquet``:
a full disk, a copy cut short) is found when the store's index is read: its files are
removed and its entries count as missing, so they are computed again, not a crash.

Many processes use one store at once (every command, the beets plugin, the service).
Parts have unique names, so writers never touch each other's; a writer holds a shared
lock on ``writers.lock`` while its files are not yet committed, and leftovers are cleared
only under the exclusive lock, so no process takes another's part in progress for a
killed run's leftover. ``file-hashes.parquet`` is read, merged and replaced under its own
lock (``file-hashes.lock``), so two runs never lose each other's entries. The locks are
the operating system's (``flock``), released when a process dies, even by SIGKILL.

A store that cannot be written (a read-only folder, a full disk) still serves what it
holds: :attr:`FeatureStore.unwritable` says why, and a write raises :class:`OSError`,
leaving no half-written file behind.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import time
import uuid
import warnings
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from genriflow.errors import ConfigError, GenriflowWarning
from genriflow.features.sets import FeatureConfig
from genriflow.locations import STORE_ENVIRONMENT, store_field

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no shared locks; see _clear_leftovers
    fcntl = None

#: A leftover older than this is cleared where the file system has no locks (some
#: network shares, Windows): no write in progress takes that long.
STALE_SECONDS = 3600.0


def content_hash(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    """BLAKE2b digest (16 hex characters) of a file's bytes."""
    digest = hashlib.blake2b(digest_size=8)
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def warn_not_kept(root: str | os.PathLike, reason: OSError | str) -> None:
    """Say (a :class:`~genriflow.errors.GenriflowWarning`; the command line shows a line
    once a run) that the store ``root`` cannot be written: what is computed is answered,
    and not kept."""
    if isinstance(reason, OSError):
        reason = reason.strerror or str(reason)
    named = f" (named by {STORE_ENVIRONMENT})" if store_field(root) != "store" else ""
    warnings.warn(GenriflowWarning(f"the feature store {root}{named} cannot be written "
                                   f"({reason}): features are computed and not kept"),
                  stacklevel=2)


@dataclass(frozen=True)
class Entry:
    """One computed array: ``key`` (content hash and window), its file and its values."""

    key: str
    path: str
    values: np.ndarray


class FeatureStore:
    """Append-only store of one feature configuration's arrays.

    Parameters
    ----------
    root : path
        The store's top folder (shared by all configurations).
    config : FeatureConfig
    """

    def __init__(self, root: str | os.PathLike, config: FeatureConfig) -> None:
        self.config = config
        self.folder = Path(root) / f"{config.set}-{config.digest()}"
        #: Why nothing can be written here (``"Permission denied"``,
        #: ``"Read-only file system"``, ...), or ``None``; what is stored is still read.
        self.unwritable: str | None = None
        self._index: dict[str, Located] | None = None
        self._arrays: dict[str, np.ndarray] = {}

    @classmethod
    def open(cls, root: str | os.PathLike, config: FeatureConfig) -> FeatureStore:
        """Open (creating if needed) and clear uncommitted leftovers of killed runs.

        A store that cannot be written (read-only, or a folder that cannot be made for
        lack of permission or space) opens with :attr:`unwritable` set.

        Raises
        ------
        ConfigError
            ``root`` cannot be a folder (a file is in the way).
        """
        store = cls(root, config)
        if Path(root).exists() and not Path(root).is_dir():  # else named by a sub-folder
            raise ConfigError(store_field(root), f"{root}: cannot be used as the feature "
                              "store (it is a file, not a folder)")
        try:
            store.folder.mkdir(parents=True, exist_ok=True)
            with _writing(store.folder):
                config_file = store.folder / "config.json"
                if not config_file.exists():
                    _atomic_write(config_file, json.dumps(config.to_dict(), indent=2).encode())
        except OSError as exc:
            if exc.errno in (errno.ENOTDIR, errno.EEXIST):  # the user's setting: one line
                raise ConfigError(store_field(root), f"{root}: cannot be used as the feature store "
                                  f"({exc.strerror or exc}: {exc.filename})") from None
            store.unwritable = exc.strerror or str(exc)
            return store
        _clear_leftovers(store.folder)
        return store

    def index(self) -> dict[str, Located]:
        """Where every committed entry lies, by key (latest part wins); a damaged part is
        removed (see the module docstring)."""
        if self._index is None:
            index: dict[str, Located] = {}
            for part in sorted(self.folder.glob("part-*.parquet")):
                rows = _whole_part(part)
                if rows is None:
                    for damaged in (part, part.with_suffix(".npy")):
                        with contextlib.suppress(OSError):  # a read-only store keeps it
                            damaged.unlink(missing_ok=True)
                    continue
                for key, path, offset, shape in rows:
                    index[key] = Located(part.stem, path, offset, shape)
            self._index = index
        return self._index

    def keys(self) -> set[str]:
        return set(self.index())

    def get(self, key: str) -> np.ndarray | None:
        """The stored array for ``key`` (a read-only memory map), or ``None``."""
        where = self.index().get(key)
        if where is None:
            return None
        if where.part not in self._arrays:
            self._arrays[where.part] = np.load(self.folder / f"{where.part}.npy",
                                               mmap_mode="r")
        size = int(np.prod(where.shape))
        return self._arrays[where.part][where.offset:where.offset + size].reshape(where.shape)

    def write(self, entries: Iterable[Entry]) -> int:
        """Commit a batch of entries as one part; returns how many were written.

        Raises
        ------
        OSError
            The part could not be written (no space, no permission); nothing of it is left.
        """
        entries = list(entries)
        if not entries:
            return 0
        name = f"part-{uuid.uuid4().hex[:12]}"
        flat = [np.ascontiguousarray(e.values, dtype=np.float32).ravel() for e in entries]
        offsets = np.concatenate([[0], np.cumsum([f.size for f in flat])[:-1]])
        values, index = self.folder / f"{name}.npy", self.folder / f"{name}.parquet"
        with _writing(self.folder), _removed_on_error(values):
            with _temporary(values) as tmp, open(tmp, "wb") as f:
                np.save(f, np.concatenate(flat), allow_pickle=False)
                f.flush()
                os.fsync(f.fileno())
            with _temporary(index) as tmp:
                _write_parquet(tmp, {
                    "key": [e.key for e in entries],
                    "path": [e.path for e in entries],
                    "offset": [int(o) for o in offsets],
                    "shape": [[int(n) for n in np.shape(e.values)] for e in entries],
                }, {"path": "path", "offset": "int64", "shape": "list<int64>"})
        self._index = None
        return len(entries)

    def matrix(self, keys: Sequence[str], rows: Sequence[np.ndarray]) -> np.ndarray:
        """Rows packed into one array on disk, returned as a read-only memory map.

        Written once per distinct list of rows (``matrix-<digest>.npy``, the digest of
        ``keys`` and the row shape), row by row, so packing never holds more than one row in
        memory. Training then reads batches from it without loading the dataset.

        Parameters
        ----------
        keys : sequence of str
            One per row, identifying its content (the entries' keys).
        rows : sequence of np.ndarray
            Arrays of one shape, typically memory-mapped views of this store.
        """
        shape = (len(rows), *np.shape(rows[0]))
        digest = hashlib.blake2b("\n".join([*keys, str(shape)]).encode(), digest_size=8)
        path = self.folder / f"matrix-{digest.hexdigest()}.npy"
        if not path.exists():
            with _writing(self.folder), _temporary(path) as tmp:
                packed = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32,
                                                   shape=shape)
                for i, row in enumerate(rows):
                    packed[i] = row
                packed.flush()
                del packed
                with open(tmp, "rb+") as f:
                    os.fsync(f.fileno())
        return np.load(path, mmap_mode="r")


class Located(NamedTuple):
    """Where a stored array lies: its part, the file it came from, its offset in the
    part's values and its shape."""

    part: str
    path: str
    offset: int
    shape: tuple[int, ...]


class Known(NamedTuple):
    """What :class:`HashCache` remembers of an unchanged file."""

    content: str  #: the content hash (:func:`content_hash`)
    duration: float | None  #: seconds of audio that decode (``None``: not recorded)
    #: What its header declares when less decodes (a cut file); ``None``: a whole file, or
    #: not recorded (a cache written before this was kept: the file was then analysed, and
    #: its cut said, before)
    declared: float | None = None


class HashCache:
    """Content hashes and durations of files, reused while a file's size and modification
    time are unchanged.

    Hashing every file of a library on every run would cost more than reading its features
    back; like git's index, a file whose ``stat`` matches is not read again, not even its
    header (the duration that plans its windows is kept too, and the length a cut file's
    header declares, so that its warning keeps the header check's words). Saved as
    ``<root>/file-hashes.parquet`` (path, size, mtime_ns, content, duration, declared);
    a file written before a column was added reads with that column unknown.

    :meth:`save` merges this run's entries into the file as it is on disk then, under
    ``<root>/file-hashes.lock``: runs saving at once keep each other's entries.
    """

    def __init__(self, root: str | os.PathLike) -> None:
        self.path = Path(root) / "file-hashes.parquet"
        self._table = _read_hashes(self.path)
        self._mine: dict[str, tuple[int, int, str, float | None, float | None]] = {}

    def get(self, path: str | os.PathLike) -> Known | None:
        """What is known of ``path``, or ``None`` if it is unknown or changed."""
        try:
            st = os.stat(path)
        except OSError:
            return None
        entry = self._table.get(str(Path(path).resolve()))
        if entry is None or entry[:2] != (st.st_size, st.st_mtime_ns):
            return None
        return Known(*entry[2:])

    def put(self, path: str | os.PathLike, content: str, duration: float | None,
            declared: float | None = None) -> None:
        st = os.stat(path)
        entry = (st.st_size, st.st_mtime_ns, content, duration, declared)
        self._table[str(Path(path).resolve())] = self._mine[str(Path(path).resolve())] = entry

    def save(self) -> None:
        """Merge the entries put since the last save into the file on disk.

        Raises
        ------
        OSError
            The file could not be written; the entries stay, for the next save.
        """
        if not self._mine:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _exclusive(self.path.with_name("file-hashes.lock")) as alone:
            if alone:  # no save is in progress: a temporary file is a killed one's
                for leftover in self.path.parent.glob(f"{self.path.name}.*.tmp"):
                    with contextlib.suppress(OSError):
                        leftover.unlink()
            table = _read_hashes(self.path)
            table.update(self._mine)
            paths = list(table)
            size, mtime_ns, content, duration, declared = (list(c) for c in zip(
                *table.values(), strict=True)) if paths else ([], [], [], [], [])
            with _temporary(self.path) as tmp:
                _write_parquet(tmp, {"path": paths, "size": size, "mtime_ns": mtime_ns,
                                     "content": content, "duration": duration,
                                     "declared": declared},
                               {"path": "path", "size": "int64", "mtime_ns": "int64",
                                "duration": "float64", "declared": "float64"})
        self._table = table
        self._mine = {}


def _read_hashes(path: Path) -> dict[str, tuple[int, int, str, float | None, float | None]]:
    """The entries of a ``file-hashes.parquet`` by path (none if it is missing or
    unreadable: the files are hashed again)."""
    if not path.is_file():
        return {}
    try:
        columns = _read_parquet(path)
        n = len(columns["path"])
        return {
            os.fsdecode(p): (int(size), int(mtime), str(content), _seconds(d), _seconds(cut))
            for p, size, mtime, content, d, cut in zip(
                columns["path"], columns["size"], columns["mtime_ns"], columns["content"],
                columns.get("duration", [None] * n), columns.get("declared", [None] * n),
                strict=True)}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _whole_part(part: Path) -> list[tuple[str, str, int, tuple[int, ...]]] | None:
    """A part's entries ``(key, path, offset, shape)``, if its index reads and its ``.npy``
    holds every value it lists; else None."""
    try:
        columns = _read_parquet(part)
        rows = [(str(k), os.fsdecode(p), int(o), tuple(int(n) for n in s)) for k, p, o, s in zip(
            columns["key"], columns["path"], columns["offset"], columns["shape"],
            strict=True)]
        with open(part.with_suffix(".npy"), "rb") as f:
            version = np.lib.format.read_magic(f)
            header = (np.lib.format.read_array_header_1_0 if version == (1, 0) else
                      np.lib.format.read_array_header_2_0)
            shape, _, dtype = header(f)
            expected = f.tell() + int(np.prod(shape)) * np.dtype(dtype).itemsize
            size = os.fstat(f.fileno()).st_size
    except (OSError, ValueError, EOFError, KeyError, TypeError):
        return None  # pyarrow's errors are ValueError or OSError
    needed = max((offset + int(np.prod(s)) for _, _, offset, s in rows), default=0)
    if size < expected or len(shape) != 1 or shape[0] < needed:
        return None
    return rows


def _seconds(value) -> float | None:
    """A stored length: ``None`` for a null or NaN (``float64`` writes ``None`` as NaN)."""
    return None if value is None or value != value else float(value)


def _read_parquet(path: Path) -> dict[str, list]:
    """A Parquet file's columns as Python lists (nulls as ``None``)."""
    import pyarrow.parquet as pq

    # ParquetFile, not read_table: that goes through pyarrow.dataset, which imports pandas
    with pq.ParquetFile(path) as f:
        return f.read().to_pydict()


def _write_parquet(path: Path, columns: dict[str, list], types: dict[str, str]) -> None:
    """Write ``columns`` (name -> values) as a Parquet table. ``types`` names the columns
    that are ``int64``, ``float64`` (``None`` written as NaN), ``list<int64>`` or ``path``
    (file names as the file system's bytes, which need not be UTF-8: read back with
    :func:`os.fsdecode`, which also takes the strings of stores written before); the
    others are strings.

    The arrays are built from NumPy buffers: building them from Python values makes
    pyarrow import pandas (half a second of a single song's cold start) to check whether
    they are pandas objects.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    def text(data: list[bytes], kind: pa.DataType) -> pa.Array:
        offsets = np.cumsum([0, *(len(d) for d in data)], dtype=np.int32)
        return pa.Array.from_buffers(kind, len(data),
                                     [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))])

    def strings(values: list[str]) -> pa.Array:
        return text([str(v).encode() for v in values], pa.string())

    def paths(values: list[str]) -> pa.Array:
        return text([os.fsencode(v) for v in values], pa.binary())

    def numbers(values: list, dtype: type) -> pa.Array:
        array = np.array([np.nan if v is None else v for v in values], dtype=dtype)
        return pa.Array.from_buffers(pa.from_numpy_dtype(array.dtype), len(array),
                                     [None, pa.py_buffer(array)])

    def int_lists(values: list[list[int]]) -> pa.Array:
        offsets = np.cumsum([0, *(len(v) for v in values)], dtype=np.int32)
        flat = [n for v in values for n in v]
        return pa.ListArray.from_arrays(
            pa.Array.from_buffers(pa.int32(), len(offsets), [None, pa.py_buffer(offsets)]),
            numbers(flat, np.int64))

    build = {"int64": lambda v: numbers(v, np.int64), "float64": lambda v: numbers(v, np.float64),
             "list<int64>": int_lists, "path": paths}
    arrays = [build.get(types.get(name), strings)(values) for name, values in columns.items()]
    pq.write_table(pa.Table.from_arrays(arrays, names=list(columns)), path)


def _atomic_write(path: Path, data: bytes) -> None:
    with _temporary(path) as tmp:
        tmp.write_bytes(data)


@contextmanager
def _temporary(path: Path) -> Iterator[Path]:
    """A temporary name beside ``path`` (unique: two processes writing the same file never
    share one), renamed to ``path`` when the block succeeds, removed when it fails."""
    tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise


@contextmanager
def _removed_on_error(path: Path) -> Iterator[None]:
    """``path`` removed if the block fails (a part's values whose index was not written)."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        raise


def _lock(path: Path, operation: int) -> int | None:
    """Open ``path`` (created if needed) and ``flock`` it: the open descriptor, ``-1``
    where the file system has no locks (the caller goes on unlocked), ``None`` when another
    process holds it and ``operation`` does not wait.

    Raises
    ------
    OSError
        The lock file cannot be made (a read-only folder, a full disk).
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    if fcntl is None:  # pragma: no cover - Windows
        os.close(fd)
        return -1
    try:
        fcntl.flock(fd, operation)
    except BlockingIOError:
        os.close(fd)
        return None
    except OSError as exc:  # ENOLCK, EOPNOTSUPP: a share without locks
        os.close(fd)
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return None
        return -1
    return fd


@contextmanager
def _writing(folder: Path) -> Iterator[None]:
    """Hold ``folder``'s writers' lock, shared with other writers, while files that are not
    committed yet exist there (see :func:`_clear_leftovers`)."""
    fd = _lock(folder / "writers.lock", fcntl.LOCK_SH if fcntl else 0)
    try:
        yield
    finally:
        if fd is not None and fd >= 0:
            os.close(fd)


@contextmanager
def _exclusive(path: Path, wait: float = 10.0) -> Iterator[bool]:
    """Hold the lock file ``path`` alone, waiting up to ``wait`` seconds; past that (a
    holder stopped, not killed) the block runs unlocked rather than hang the run. Yields
    whether the lock is held."""
    deadline = time.monotonic() + wait
    while (fd := _lock(path, fcntl.LOCK_EX | fcntl.LOCK_NB if fcntl else 0)) is None:
        if time.monotonic() > deadline:
            break
        time.sleep(0.01)
    try:
        yield fd is not None and fd >= 0
    finally:
        if fd is not None and fd >= 0:
            os.close(fd)


def _clear_leftovers(folder: Path) -> None:
    """Remove what killed runs left (temporary files, a part's values without its index),
    only while no process is writing here: under the writers' lock taken alone, or, where
    the file system has no locks, files older than :data:`STALE_SECONDS`."""
    try:
        fd = _lock(folder / "writers.lock", fcntl.LOCK_EX | fcntl.LOCK_NB if fcntl else 0)
    except OSError:
        return  # read-only: nothing can be removed anyway
    if fd is None:
        return  # another run is writing: what looks left over may be its part in progress
    try:
        committed = {p.stem for p in folder.glob("part-*.parquet")}
        leftovers = [*folder.glob("*.tmp"),
                     *(p for p in folder.glob("part-*.npy") if p.stem not in committed)]
        for leftover in leftovers:
            with contextlib.suppress(OSError):
                if fd < 0 and time.time() - leftover.stat().st_mtime < STALE_SECONDS:
                    continue
                leftover.unlink(missing_ok=True)
    finally:
        if fd >= 0:
            os.close(fd)
