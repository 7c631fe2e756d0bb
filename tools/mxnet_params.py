"""Reader for MXNet NDArray-list files (`*.params`), without MXNet.

Layout (all little-endian; ../shared/research/deep3d-spec.md section 2):

    u64 magic 0x112, u64 reserved
    u64 N, then N array records
    u64 M (0 or N), then M names: u64 length + that many bytes (UTF-8, no NUL)

An array record starts with a u32 that selects its version:

- 0xF993FAC8 (V1): i32 ndim + i64 dims[ndim], then context, type flag and data as legacy.
- 0xF993FAC9 (V2) / 0xF993FACA (V3): i32 storage type (0 dense; sparse is rejected here),
  i32 ndim + i64 dims[ndim], i32 dev_type, i32 dev_id, i32 type flag, data.
  V2 (classic shape semantics): ndim 0 is an empty ("none") array and nothing follows.
  V3 (numpy shape semantics): ndim -1 or any dim -1 is an unknown shape (an empty array,
  nothing follows); ndim 0 is a scalar holding one value.
- anything else (legacy, 2016): the u32 just read is ndim, then u32 dims[ndim];
  ndim 0 is an empty array and nothing follows; otherwise i32 dev_type, i32 dev_id,
  i32 type flag, then the data (C order).

Only dense float32 (type flag 0), float64 (1) and float16 (2) data is accepted. Every
size read from the file is checked against the bytes that remain before anything is
allocated, so a corrupt or hostile file fails with ParamsFormatError, never MemoryError.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

import numpy as np

LIST_MAGIC: int = 0x112
V1_MAGIC: int = 0xF993FAC8
V2_MAGIC: int = 0xF993FAC9
V3_MAGIC: int = 0xF993FACA

# mshadow type flags that are float data; the rest are named only for error messages.
FLOAT_TYPES: dict[int, np.dtype] = {
    0: np.dtype("<f4"),
    1: np.dtype("<f8"),
    2: np.dtype("<f2"),
}
OTHER_TYPES: dict[int, str] = {3: "uint8", 4: "int32", 5: "int8", 6: "int64", 7: "bool",
                               8: "int16", 9: "uint16", 10: "uint32", 11: "uint64", 12: "bfloat16"}
STORAGE_TYPES: dict[int, str] = {-1: "undefined", 0: "dense", 1: "row_sparse", 2: "csr"}

# A legacy record's first u32 is its ndim. Anything this large is not a real shape (MXNet
# itself caps ndim far lower); the check only makes the error message say what happened.
_MAX_NDIM: int = 32


class ParamsFormatError(ValueError):
    """The file is not a well-formed MXNet NDArray list (or holds data this reader rejects)."""


@dataclass(frozen=True)
class ParamsArray:
    """One array record. `data` is None for an empty ("none") array."""

    data: np.ndarray | None
    record: str        # "legacy", "v1", "v2" or "v3"
    type_flag: int     # mshadow type flag (-1 for an empty array)
    offset: int        # byte offset of the record in the file, for messages

    @property
    def dtype_name(self) -> str:
        if self.data is None:
            return "none"
        return {0: "float32", 1: "float64", 2: "float16"}[self.type_flag]


@dataclass(frozen=True)
class ParamsFile:
    arrays: list[ParamsArray]
    names: list[str]   # empty for an unnamed list, else one per array


class _Reader:
    def __init__(self, blob: bytes | memoryview) -> None:
        self.buf = memoryview(blob)
        self.pos = 0

    @property
    def left(self) -> int:
        return len(self.buf) - self.pos

    def need(self, n: int, what: str) -> None:
        if n > self.left:
            raise ParamsFormatError(
                f"truncated file: {what} needs {n} bytes at offset {self.pos}, only {self.left} left")

    def unpack(self, fmt: str, what: str) -> tuple[int, ...]:
        n = struct.calcsize(fmt)
        self.need(n, what)
        v = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += n
        return v

    def u32(self, what: str) -> int:
        return self.unpack("<I", what)[0]

    def i32(self, what: str) -> int:
        return self.unpack("<i", what)[0]

    def u64(self, what: str) -> int:
        return self.unpack("<Q", what)[0]

    def take(self, n: int, what: str) -> memoryview:
        self.need(n, what)
        v = self.buf[self.pos:self.pos + n]
        self.pos += n
        return v


def _shape_i64(r: _Reader, what: str) -> tuple[int, tuple[int, ...]]:
    """i32 ndim + i64 dims (mxnet::TShape::Save); returns (ndim, dims), dims empty for ndim <= 0."""
    ndim = r.i32(f"{what} ndim")
    if ndim < -1 or ndim > _MAX_NDIM:
        raise ParamsFormatError(f"{what}: implausible ndim {ndim}")
    if ndim <= 0:
        return ndim, ()
    r.need(8 * ndim, f"{what} dims")
    dims = r.unpack(f"<{ndim}q", f"{what} dims")
    return ndim, tuple(int(d) for d in dims)


def _read_data(r: _Reader, shape: tuple[int, ...], type_flag: int, what: str) -> np.ndarray:
    if type_flag not in FLOAT_TYPES:
        if type_flag in OTHER_TYPES:
            raise ParamsFormatError(
                f"{what}: unsupported dtype {OTHER_TYPES[type_flag]} (type flag {type_flag}); "
                "only float32, float16 and float64 are read")
        raise ParamsFormatError(f"{what}: unknown type flag {type_flag}")
    dt = FLOAT_TYPES[type_flag]
    count = 1
    for d in shape:
        if d < 0:
            raise ParamsFormatError(f"{what}: negative dimension in shape {shape}")
        count *= d  # Python ints: no overflow, checked against the file below
    nbytes = count * dt.itemsize
    if nbytes > r.left:
        raise ParamsFormatError(
            f"truncated file: {what} with shape {shape} ({dt.name}) needs {nbytes} bytes at "
            f"offset {r.pos}, only {r.left} left")
    raw = r.take(nbytes, what)
    return np.frombuffer(raw, dtype=dt).astype(dt.newbyteorder("="), copy=True).reshape(shape)


def _read_array(r: _Reader, index: int) -> ParamsArray:
    start = r.pos
    what = f"array {index}"
    head = r.u32(f"{what} header")
    if head == V1_MAGIC:
        record = "v1"
        ndim, shape = _shape_i64(r, what)
        if ndim <= 0:
            return ParamsArray(None, record, -1, start)
    elif head in (V2_MAGIC, V3_MAGIC):
        record = "v2" if head == V2_MAGIC else "v3"
        stype = r.i32(f"{what} storage type")
        if stype != 0:
            name = STORAGE_TYPES.get(stype, "unknown")
            raise ParamsFormatError(
                f"{what}: storage type {stype} ({name}) is not supported; only dense arrays are read")
        ndim, shape = _shape_i64(r, what)
        if record == "v2" and ndim <= 0:
            return ParamsArray(None, record, -1, start)
        if record == "v3" and (ndim < 0 or any(d == -1 for d in shape)):
            return ParamsArray(None, record, -1, start)
    else:
        record = "legacy"
        ndim = head
        if ndim > _MAX_NDIM:
            raise ParamsFormatError(
                f"{what} at offset {start}: record header 0x{head:08x} is neither a known record "
                f"magic nor a plausible legacy ndim")
        if ndim == 0:
            return ParamsArray(None, record, -1, start)
        r.need(4 * ndim, f"{what} dims")
        shape = tuple(int(d) for d in r.unpack(f"<{ndim}I", f"{what} dims"))
    r.i32(f"{what} dev_type")  # the context is informational only
    r.i32(f"{what} dev_id")
    type_flag = r.i32(f"{what} type flag")
    data = _read_data(r, shape, type_flag, what)
    return ParamsArray(data, record, type_flag, start)


def decode_params(blob: bytes | memoryview) -> ParamsFile:
    """Parse a whole NDArray-list file held in memory."""
    r = _Reader(blob)
    if r.left < 16:
        raise ParamsFormatError(f"not an MXNet NDArray file: {r.left} bytes, need at least 16 for the header")
    magic = r.u64("list magic")
    if magic != LIST_MAGIC:
        raise ParamsFormatError(
            f"not an MXNet NDArray file: magic 0x{magic:x}, expected 0x{LIST_MAGIC:x}")
    r.u64("reserved")
    n = r.u64("array count")
    # Every record takes at least 4 bytes (a legacy empty array).
    if n > r.left // 4:
        raise ParamsFormatError(f"array count {n} is impossible: only {r.left} bytes follow")
    arrays = [_read_array(r, i) for i in range(n)]
    m = r.u64("name count")
    if m != 0 and m != n:
        raise ParamsFormatError(f"name count {m} does not match array count {n}")
    if m > r.left // 8:
        raise ParamsFormatError(f"name count {m} is impossible: only {r.left} bytes follow")
    names: list[str] = []
    for i in range(m):
        ln = r.u64(f"name {i} length")
        if ln > r.left:
            raise ParamsFormatError(
                f"truncated file: name {i} has length {ln} but only {r.left} bytes follow")
        raw = bytes(r.take(ln, f"name {i}"))
        try:
            names.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise ParamsFormatError(f"name {i} is not valid UTF-8: {raw[:40]!r}") from None
    if r.left:
        raise ParamsFormatError(f"{r.left} unexpected trailing bytes after the name list")
    return ParamsFile(arrays, names)


def read_params(path: str | os.PathLike[str]) -> ParamsFile:
    with open(path, "rb") as f:
        blob = f.read()
    return decode_params(blob)


def split_names(pf: ParamsFile) -> tuple[dict[str, ParamsArray], dict[str, str]]:
    """Map names without their `arg:`/`aux:` prefix to arrays.

    Returns (arrays by bare name, prefix by bare name: "arg", "aux" or "" when the name
    had none). A name that occurs twice (also as arg: and aux:) is an error.
    """
    if pf.arrays and not pf.names:
        raise ParamsFormatError(f"the file holds {len(pf.arrays)} unnamed arrays; names are needed to map them")
    out: dict[str, ParamsArray] = {}
    prefix: dict[str, str] = {}
    for name, arr in zip(pf.names, pf.arrays):
        kind, sep, bare = name.partition(":")
        if sep and kind in ("arg", "aux"):
            key, pre = bare, kind
        else:
            key, pre = name, ""
        if not key:
            raise ParamsFormatError(f"empty array name {name!r}")
        if key in out:
            raise ParamsFormatError(f"array {key!r} occurs more than once")
        out[key] = arr
        prefix[key] = pre
    return out, prefix
