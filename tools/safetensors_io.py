"""Minimal safetensors writer and strict reader (docs/model-format.md section 1).

Only F32 and F16 are supported: those are the only dtypes a deep3d model may use.
The reader rejects everything section 1 forbids, so a file it accepts is one the C
engine must accept too.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any

import numpy as np

# The header of a real model is a few kB; the cap stops absurd allocations.
MAX_HEADER_LEN: int = 16 * 1024 * 1024

# safetensors dtype name -> little-endian numpy dtype.
DTYPES: dict[str, np.dtype] = {
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
}

_TENSOR_FIELDS: frozenset[str] = frozenset({"dtype", "shape", "data_offsets"})


class ModelFormatError(ValueError):
    """A model file or its contents break docs/model-format.md."""


def _dtype_name(arr: np.ndarray, name: str) -> str:
    if arr.dtype == np.float32:
        return "F32"
    if arr.dtype == np.float16:
        return "F16"
    raise ModelFormatError(f"tensor {name!r}: unsupported numpy dtype {arr.dtype} (want float32 or float16)")


def encode_safetensors(tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> bytes:
    """Serialise to bytes; tensors are laid out contiguously in dict order."""
    header: dict[str, Any] = {}
    if metadata:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise ModelFormatError(f"metadata {k!r}: keys and values must be strings")
        header["__metadata__"] = dict(metadata)
    chunks: list[bytes] = []
    offset = 0
    for name, arr in tensors.items():
        if name == "__metadata__" or not name:
            raise ModelFormatError(f"invalid tensor name {name!r}")
        arr = np.asarray(arr)
        dt = _dtype_name(arr, name)
        if arr.ndim == 0 or 0 in arr.shape:
            raise ModelFormatError(f"tensor {name!r}: shape {arr.shape} needs >= 1 dims, each >= 1")
        data = np.ascontiguousarray(arr, dtype=DTYPES[dt]).tobytes()
        header[name] = {
            "dtype": dt,
            "shape": [int(d) for d in arr.shape],
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    hjson = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    # Pad with spaces so the data area starts 8-byte aligned.
    hjson += b" " * (-len(hjson) % 8)
    return struct.pack("<Q", len(hjson)) + hjson + b"".join(chunks)


def write_safetensors(path: str | os.PathLike[str], tensors: dict[str, np.ndarray],
                      metadata: dict[str, str]) -> None:
    """Write tensors (float32 -> F32, float16 -> F16) and string metadata to path."""
    blob = encode_safetensors(tensors, metadata)
    with open(path, "wb") as f:
        f.write(blob)


def _reject_constant(name: str) -> Any:
    # json accepts NaN/Infinity by default; they are not JSON.
    raise ModelFormatError(f"header JSON: invalid constant {name}")


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ModelFormatError(f"header JSON: duplicate key {k!r}")
        out[k] = v
    return out


def _is_int(v: Any) -> bool:
    # bool is an int subclass in Python but not a JSON integer.
    return isinstance(v, int) and not isinstance(v, bool)


def decode_safetensors(blob: bytes) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Parse and validate a whole file held in memory."""
    size = len(blob)
    if size < 8:
        raise ModelFormatError(f"truncated header length: file has {size} bytes, need 8")
    (n,) = struct.unpack_from("<Q", blob, 0)
    if n > MAX_HEADER_LEN:
        raise ModelFormatError(f"header length {n} exceeds the {MAX_HEADER_LEN}-byte limit")
    if 8 + n > size:
        raise ModelFormatError(f"header length {n} runs past the end of the {size}-byte file")
    raw = blob[8:8 + n]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ModelFormatError(f"header is not valid UTF-8: {e}") from None
    decoder = json.JSONDecoder(object_pairs_hook=_unique_pairs, parse_constant=_reject_constant)
    try:
        # raw_decode does not skip leading whitespace, so the object must start at byte 0.
        header, end = decoder.raw_decode(text)
    except json.JSONDecodeError as e:
        raise ModelFormatError(f"header is not valid JSON: {e}") from None
    if text[end:].strip(" ") != "":
        raise ModelFormatError("header JSON is followed by something other than space padding")
    if not isinstance(header, dict):
        raise ModelFormatError(f"header JSON must be an object, got {type(header).__name__}")

    metadata: dict[str, str] = {}
    if "__metadata__" in header:
        md = header["__metadata__"]
        if not isinstance(md, dict):
            raise ModelFormatError("__metadata__ must be a JSON object")
        for k, v in md.items():
            if not isinstance(v, str):
                raise ModelFormatError(f"__metadata__ key {k!r}: value must be a string, got {type(v).__name__}")
            metadata[k] = v

    data_start = 8 + n
    data_len = size - data_start
    entries: list[tuple[int, int, str, str, tuple[int, ...]]] = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(info, dict):
            raise ModelFormatError(f"tensor {name!r}: entry must be an object")
        missing = _TENSOR_FIELDS - info.keys()
        if missing:
            raise ModelFormatError(f"tensor {name!r}: missing field(s) {sorted(missing)}")
        extra = info.keys() - _TENSOR_FIELDS
        if extra:
            raise ModelFormatError(f"tensor {name!r}: unknown field(s) {sorted(extra)}")
        dt = info["dtype"]
        if dt not in DTYPES:
            raise ModelFormatError(f"tensor {name!r}: unsupported dtype {dt!r} (want F32 or F16)")
        shape = info["shape"]
        if not isinstance(shape, list) or not shape:
            raise ModelFormatError(f"tensor {name!r}: shape must be a non-empty list")
        for d in shape:
            if not _is_int(d) or d < 1:
                raise ModelFormatError(f"tensor {name!r}: shape entry {d!r} must be an integer >= 1")
        offs = info["data_offsets"]
        if (not isinstance(offs, list) or len(offs) != 2 or not all(_is_int(o) for o in offs)):
            raise ModelFormatError(f"tensor {name!r}: data_offsets must be two integers")
        begin, end = offs
        if begin < 0 or end < begin:
            raise ModelFormatError(f"tensor {name!r}: data_offsets [{begin}, {end}] are not an ascending range")
        nbytes = DTYPES[dt].itemsize
        for d in shape:
            nbytes *= d
        if end - begin != nbytes:
            raise ModelFormatError(
                f"tensor {name!r}: data_offsets [{begin}, {end}] span {end - begin} bytes but "
                f"{dt} shape {shape} needs {nbytes}")
        if end > data_len:
            raise ModelFormatError(
                f"tensor {name!r}: data_offsets [{begin}, {end}] lie outside the {data_len}-byte data area")
        entries.append((begin, end, name, dt, tuple(shape)))

    # Ranges must tile the data area exactly: sort and walk.
    entries.sort()
    pos = 0
    prev = ""
    for begin, end, name, _, _ in entries:
        if begin < pos:
            raise ModelFormatError(f"tensor {name!r}: data overlaps tensor {prev!r}")
        if begin > pos:
            after = f"after tensor {prev!r}" if prev else "at the start of the data area"
            raise ModelFormatError(f"tensor {name!r}: hole of {begin - pos} bytes {after}")
        pos = end
        prev = name
    if pos != data_len:
        raise ModelFormatError(f"{data_len - pos} trailing bytes after the last tensor")

    tensors: dict[str, np.ndarray] = {}
    # Return in header order (the order a writer chose), not offset order.
    by_name = {e[2]: e for e in entries}
    for name in header:
        if name == "__metadata__":
            continue
        begin, end, _, dt, shape = by_name[name]
        arr = np.frombuffer(blob, dtype=DTYPES[dt], count=(end - begin) // DTYPES[dt].itemsize,
                            offset=data_start + begin)
        tensors[name] = arr.astype(DTYPES[dt].newbyteorder("="), copy=True).reshape(shape)
    return tensors, metadata


def read_safetensors(path: str | os.PathLike[str]) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Read a safetensors file strictly; raises ModelFormatError naming the offending field."""
    with open(path, "rb") as f:
        blob = f.read()
    return decode_safetensors(blob)
