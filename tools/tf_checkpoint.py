"""Read TensorFlow V2 checkpoints (tensor bundles) without TensorFlow.

A checkpoint saved by ``tf.compat.v1.train.Saver`` under a prefix ``P`` is two files:

``P.index``
    A LevelDB-style sorted string table. Each key is a variable name; each value is a
    serialized ``BundleEntryProto`` (dtype, shape, shard, offset, size, crc32c). The empty
    key holds the ``BundleHeaderProto`` (number of shards, endianness). Tensor bundles
    write their tables uncompressed.
``P.data-SSSSS-of-NNNNN``
    The shards: the tensors' raw bytes, concatenated.

Only what a plain numeric checkpoint needs is parsed, by hand: protobuf varints,
fixed-width and length-delimited fields. Every table block and every tensor is checked
against its masked CRC-32C (Castagnoli), computed with numpy (see :func:`crc32c`).
String tensors and partitioned (sliced) variables are not supported and raise
:class:`ValueError`.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["crc32c", "read_checkpoint"]

_TABLE_MAGIC = 0xDB4775248B80FB57
_FOOTER_SIZE = 48  # two block handles padded to 40 bytes, then the 8-byte magic
_BLOCK_TRAILER_SIZE = 5  # compression type (1 byte) + masked crc32c (4 bytes)
_CRC_MASK_DELTA = 0xA282EAD8

# tensorflow/core/framework/types.proto: DataType -> little-endian numpy dtype
_DTYPES: dict[int, str] = {
    1: "<f4", 2: "<f8", 3: "<i4", 4: "u1", 5: "<i2", 6: "i1", 9: "<i8", 10: "?",
    17: "<u2", 19: "<f2", 22: "<u4", 23: "<u8",
}


class _Malformed(Exception):
    """Internal: the reason a file is not a readable checkpoint."""


# --------------------------------------------------------------------------- CRC-32C


def _crc_table() -> np.ndarray:
    poly = np.uint32(0x82F63B78)  # Castagnoli polynomial, bit-reversed
    crc = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        crc = np.where(crc & 1, (crc >> 1) ^ poly, crc >> 1).astype(np.uint32)
    return crc


_CRC_TABLE = _crc_table()


def _update(regs: np.ndarray, data: np.ndarray) -> np.ndarray:
    """Run the byte-wise CRC register update over the columns of ``data``, one register
    per row (``regs`` has shape ``(rows,)``, ``data`` ``(rows, length)``)."""
    for column in data.T:
        regs = _CRC_TABLE[(regs ^ column) & 0xFF] ^ (regs >> 8)
    return regs


def _apply(matrix: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Multiply 32-bit vectors by a GF(2) 32x32 matrix given as its 32 column words."""
    out = np.zeros_like(vectors)
    for bit in range(32):
        out ^= np.where((vectors >> bit) & 1, matrix[bit], np.uint32(0))
    return out


def crc32c(data: bytes | bytearray | memoryview | np.ndarray) -> int:
    """CRC-32C (Castagnoli) of a byte string, as LevelDB and TensorFlow compute it.

    Long inputs are cut into equal rows whose CRCs run in parallel with numpy; CRC
    linearity then folds the rows together: appending ``L`` bytes maps a register ``r``
    to ``Z_L(r) xor crc_0(bytes)``, where ``Z_L`` (appending ``L`` zero bytes) is a
    GF(2)-linear map applied by a pairwise tree reduction.

    Parameters
    ----------
    data : bytes-like or uint8 array
        The bytes.

    Returns
    -------
    int
        The unmasked CRC, in ``[0, 2**32)``; ``crc32c(b"123456789") == 0xE3069283``.
    """
    buf = np.frombuffer(bytes(data), dtype=np.uint8).copy()
    if buf.size < 4096:
        regs = _update(np.array([0xFFFFFFFF], dtype=np.uint32), buf[None, :])
        return int(regs[0] ^ np.uint32(0xFFFFFFFF))
    # An initial register of all ones equals a zero register with the first four bytes
    # inverted (reflected CRC); leading zero bytes leave a zero register unchanged, so the
    # data can be padded in front to fill a (2**k, length) grid.
    buf[:4] ^= 0xFF
    length = int(np.ceil(np.sqrt(buf.size)))
    rows = 1 << int(np.ceil(np.log2(-(-buf.size // length))))
    grid = np.zeros(rows * length, dtype=np.uint8)
    grid[grid.size - buf.size :] = buf
    regs = _update(np.zeros(rows, dtype=np.uint32), grid.reshape(rows, length))
    shift = _update(np.uint32(1) << np.arange(32, dtype=np.uint32),
                    np.zeros((32, length), dtype=np.uint8))  # Z_length, column by column
    while regs.size > 1:
        regs = _apply(shift, regs[0::2]) ^ regs[1::2]
        shift = _apply(shift, shift)
    return int(regs[0] ^ np.uint32(0xFFFFFFFF))


def _unmask(masked: int) -> int:
    rot = (masked - _CRC_MASK_DELTA) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF


# --------------------------------------------------------------------------- protobuf


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    """Decode a base-128 varint at ``pos``; return ``(value, next position)``."""
    value = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise _Malformed("truncated varint")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def _fields(buf: bytes) -> Iterator[tuple[int, int | bytes]]:
    """Yield ``(field number, value)`` of a serialized protobuf message; varint and
    fixed-width fields give ints, length-delimited ones give bytes."""
    pos = 0
    while pos < len(buf):
        tag, pos = _varint(buf, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire in (1, 5):
            width = 8 if wire == 1 else 4
            if pos + width > len(buf):
                raise _Malformed("truncated fixed-width field")
            value = int.from_bytes(buf[pos : pos + width], "little")
            pos += width
        elif wire == 2:
            size, pos = _varint(buf, pos)
            if pos + size > len(buf):
                raise _Malformed("truncated length-delimited field")
            value, pos = buf[pos : pos + size], pos + size
        else:
            raise _Malformed(f"unsupported protobuf wire type {wire}")
        yield number, value


def _int64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


@dataclass(frozen=True)
class _Entry:
    """The parts of a ``BundleEntryProto`` needed to read one tensor."""

    dtype: int
    shape: tuple[int, ...]
    shard: int
    offset: int
    size: int
    crc: int | None
    sliced: bool


def _shape(buf: bytes) -> tuple[int, ...]:
    dims = []
    for number, value in _fields(buf):
        if number == 2:  # TensorShapeProto.dim
            size = next((v for n, v in _fields(value) if n == 1), 0)
            dims.append(_int64(size))
        elif number == 3 and value:
            raise _Malformed("tensor of unknown rank")
    return tuple(dims)


def _entry(buf: bytes) -> _Entry:
    f = {"dtype": 0, "shape": (), "shard": 0, "offset": 0, "size": 0, "crc": None,
         "sliced": False}
    names = {1: "dtype", 3: "shard", 4: "offset", 5: "size", 6: "crc"}
    for number, value in _fields(buf):
        if number == 2:
            f["shape"] = _shape(value)
        elif number == 7:
            f["sliced"] = True
        elif number in names:
            f[names[number]] = value
    return _Entry(**f)


def _header(buf: bytes) -> int:
    """Check a ``BundleHeaderProto``; return its number of shards."""
    shards, endianness = 1, 0
    for number, value in _fields(buf):
        if number == 1:
            shards = value
        elif number == 2:
            endianness = value
    if endianness != 0:
        raise _Malformed("big-endian tensor bundle")
    return shards


# --------------------------------------------------------------------------- SSTable


def _block(data: bytes, handle: bytes) -> bytes:
    """The contents of the block a ``BlockHandle`` points at, its CRC checked."""
    offset, pos = _varint(handle, 0)
    size, _ = _varint(handle, pos)
    end = offset + size
    if end + _BLOCK_TRAILER_SIZE > len(data):
        raise _Malformed("block beyond the end of the file")
    if data[end] != 0:
        raise _Malformed(f"compressed block (type {data[end]})")
    (masked,) = struct.unpack_from("<I", data, end + 1)
    if crc32c(data[offset : end + 1]) != _unmask(masked):
        raise _Malformed(f"block at offset {offset}: CRC mismatch")
    return data[offset:end]


def _block_items(block: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Key-value pairs of a block: prefix-compressed keys, then the restart array."""
    if len(block) < 4:
        raise _Malformed("block too short")
    (restarts,) = struct.unpack_from("<I", block, len(block) - 4)
    limit = len(block) - 4 * (restarts + 1)
    if limit < 0:
        raise _Malformed("bad restart count")
    pos, key = 0, b""
    while pos < limit:
        shared, pos = _varint(block, pos)
        unshared, pos = _varint(block, pos)
        value_size, pos = _varint(block, pos)
        if shared > len(key) or pos + unshared + value_size > limit:
            raise _Malformed("bad block entry")
        key = key[:shared] + block[pos : pos + unshared]
        pos += unshared
        yield key, block[pos : pos + value_size]
        pos += value_size


def _table(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """All key-value pairs of an SSTable, in key order."""
    if len(data) < _FOOTER_SIZE:
        raise _Malformed("file too short for a table footer")
    footer = data[-_FOOTER_SIZE:]
    if int.from_bytes(footer[-8:], "little") != _TABLE_MAGIC:
        raise _Malformed("bad table magic number")
    _, pos = _varint(footer, 0)  # the metaindex handle (unused by tensor bundles)
    _, pos = _varint(footer, pos)
    for _, handle in _block_items(_block(data, footer[pos:])):
        yield from _block_items(_block(data, handle))


# --------------------------------------------------------------------------- bundle


def _tensor(name: str, entry: _Entry, shard: bytes) -> np.ndarray:
    if entry.sliced:
        raise _Malformed(f"{name}: partitioned variables are not supported")
    if entry.dtype not in _DTYPES:
        raise _Malformed(f"{name}: unsupported dtype enum {entry.dtype}")
    raw = shard[entry.offset : entry.offset + entry.size]
    dtype = np.dtype(_DTYPES[entry.dtype])
    if len(raw) != entry.size or entry.size != dtype.itemsize * int(np.prod(entry.shape)):
        raise _Malformed(f"{name}: {entry.size} bytes do not hold {entry.shape} {dtype}")
    if entry.crc is not None and crc32c(raw) != _unmask(entry.crc):
        raise _Malformed(f"{name}: CRC mismatch")
    return np.frombuffer(raw, dtype=dtype).reshape(entry.shape).astype(dtype.newbyteorder("="))


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such checkpoint file") from None


def read_checkpoint(prefix: str | Path) -> dict[str, np.ndarray]:
    """Read every variable of a TensorFlow V2 checkpoint.

    Parameters
    ----------
    prefix : str or Path
        The checkpoint prefix, as given to ``Saver.restore``: the files are
        ``<prefix>.index`` and ``<prefix>.data-00000-of-00001``. A prefix ending in a
        path separator (musicnn's ``"MTT_musicnn/"``) names the hidden files ``.index``
        and ``.data-...`` inside that folder.

    Returns
    -------
    dict[str, numpy.ndarray]
        Variable name (e.g. ``"conv2d/kernel"``) -> array of the stored dtype and shape,
        in the checkpoint's (sorted) order.

    Raises
    ------
    FileNotFoundError
        If the index or a data shard is missing.
    ValueError
        ``"<path>: not a TensorFlow checkpoint (<reason>)"`` if a file is malformed or a
        CRC does not match.
    """
    prefix = str(prefix)
    index_path = Path(prefix + ".index")
    index = _read_bytes(index_path)
    try:
        items = list(_table(index))
        if not items or items[0][0] != b"":
            raise _Malformed("no bundle header")
        n_shards = _header(items[0][1])
        entries = {key.decode(): _entry(value) for key, value in items[1:]}
    except (_Malformed, UnicodeDecodeError) as exc:
        raise ValueError(f"{index_path}: not a TensorFlow checkpoint ({exc})") from None
    shards: dict[int, tuple[Path, bytes]] = {}
    out: dict[str, np.ndarray] = {}
    for name, entry in entries.items():
        if entry.shard not in shards:
            path = Path(f"{prefix}.data-{entry.shard:05d}-of-{n_shards:05d}")
            shards[entry.shard] = (path, _read_bytes(path))
        path, shard = shards[entry.shard]
        try:
            out[name] = _tensor(name, entry, shard)
        except _Malformed as exc:
            raise ValueError(f"{path}: not a TensorFlow checkpoint ({exc})") from None
    return out
