"""safetensors writer and strict reader (section 1)."""

from __future__ import annotations

import json
import os
import struct
import tempfile
import unittest
from typing import Any

import numpy as np

import naive  # noqa: F401  (sets up the tools/ import path)
from safetensors_io import (MAX_HEADER_LEN, ModelFormatError, decode_safetensors, encode_safetensors,
                            read_safetensors, write_safetensors)


def build(header: dict[str, Any] | str | bytes, data: bytes = b"", n: int | None = None) -> bytes:
    """A file from a raw header (object, JSON text or bytes) and data, bypassing the writer's checks."""
    if isinstance(header, dict):
        header = json.dumps(header)
    hb = header.encode("utf-8") if isinstance(header, str) else header
    return struct.pack("<Q", len(hb) if n is None else n) + hb + data


def entry(dtype: str, shape: list[int], begin: int, end: int) -> dict[str, Any]:
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


class RoundTripTest(unittest.TestCase):
    def test_f32_f16_round_trip(self) -> None:
        rng = np.random.default_rng(1)
        tensors = {
            "b": rng.standard_normal((3, 2, 5)).astype(np.float32),
            "a": rng.standard_normal(7).astype(np.float16),
            "c": np.array([[1.5]], np.float32),
        }
        md = {"deep3d.arch": "fcn", "x": "ünïcödé"}
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "m.safetensors")
            write_safetensors(path, tensors, md)
            blob = open(path, "rb").read()
            got, gmd = read_safetensors(path)
        self.assertEqual(gmd, md)
        self.assertEqual(list(got), ["b", "a", "c"])
        for k, v in tensors.items():
            self.assertEqual(got[k].dtype, v.dtype)
            np.testing.assert_array_equal(got[k], v)
        # Header padded with spaces to a multiple of 8; tensors contiguous in the given order.
        (n,) = struct.unpack_from("<Q", blob)
        self.assertEqual(n % 8, 0)
        header = json.loads(blob[8:8 + n])
        self.assertEqual(header["b"]["data_offsets"], [0, 120])
        self.assertEqual(header["a"]["data_offsets"], [120, 134])
        self.assertEqual(header["c"]["data_offsets"], [134, 138])
        self.assertEqual(header["a"]["dtype"], "F16")
        self.assertEqual(len(blob), 8 + n + 138)
        self.assertEqual(blob[8 + n:8 + n + 120], tensors["b"].astype("<f4").tobytes())

    def test_no_metadata(self) -> None:
        t, md = decode_safetensors(encode_safetensors({"x": np.ones(2, np.float32)}, {}))
        self.assertEqual(md, {})
        np.testing.assert_array_equal(t["x"], [1, 1])

    def test_writer_rejects_other_dtypes(self) -> None:
        with self.assertRaises(ModelFormatError):
            encode_safetensors({"x": np.ones(2, np.float64)}, {})


class StrictReaderTest(unittest.TestCase):
    def assertRejected(self, blob: bytes, *words: str) -> None:
        with self.assertRaises(ModelFormatError) as cm:
            decode_safetensors(blob)
        msg = str(cm.exception)
        for w in words:
            self.assertIn(w, msg)

    def good_header(self) -> dict[str, Any]:
        return {"__metadata__": {"k": "v"}, "x": entry("F32", [2, 3], 0, 24), "y": entry("F16", [4], 24, 32)}

    def test_good_file_accepted(self) -> None:
        t, md = decode_safetensors(build(self.good_header(), bytes(32)))
        self.assertEqual(t["x"].shape, (2, 3))
        self.assertEqual(md, {"k": "v"})

    def test_truncated_header_length(self) -> None:
        self.assertRejected(b"\x10\x00\x00", "truncated header length")
        self.assertRejected(b"", "truncated header length")

    def test_header_longer_than_file(self) -> None:
        self.assertRejected(build("{}", n=100), "header length 100", "past the end")

    def test_header_over_16_mib(self) -> None:
        self.assertRejected(build("{}", n=MAX_HEADER_LEN + 1), "limit")

    def test_bad_json(self) -> None:
        self.assertRejected(build('{"x": '), "not valid JSON")
        self.assertRejected(build("[1,2,3] "), "must be an object")
        self.assertRejected(build(b"\xff\xfe{}"), "UTF-8")
        self.assertRejected(build('{"x": NaN}'), "NaN")
        self.assertRejected(build('{"a":"1","a":"2"}'), "duplicate key 'a'")

    def test_padding_only_spaces(self) -> None:
        self.assertEqual(decode_safetensors(build("{}   "))[0], {})
        self.assertRejected(build("{}\n"), "space padding")
        self.assertRejected(build("{}\x00"), "space padding")
        self.assertRejected(build(" {}"), "JSON")

    def test_unknown_dtype(self) -> None:
        h = self.good_header()
        h["x"]["dtype"] = "F64"
        self.assertRejected(build(h, bytes(32)), "'x'", "F64")

    def test_shape_entries(self) -> None:
        for shape, word in (([2, 0], "shape entry 0"), ([], "non-empty"), ([2, 1.5], "1.5"), ([True], "True")):
            with self.subTest(shape=shape):
                h = self.good_header()
                h["x"]["shape"] = shape
                self.assertRejected(build(h, bytes(32)), "'x'", word)

    def test_shape_offset_mismatch(self) -> None:
        h = self.good_header()
        h["x"]["shape"] = [2, 2]
        self.assertRejected(build(h, bytes(32)), "'x'", "needs 16")

    def test_overlap(self) -> None:
        h = {"x": entry("F32", [2, 3], 0, 24), "y": entry("F32", [2], 20, 28)}
        self.assertRejected(build(h, bytes(28)), "'y'", "overlaps", "'x'")

    def test_hole(self) -> None:
        h = {"x": entry("F32", [2, 3], 0, 24), "y": entry("F32", [2], 28, 36)}
        self.assertRejected(build(h, bytes(36)), "'y'", "hole of 4 bytes")
        h = {"x": entry("F32", [2], 8, 16)}
        self.assertRejected(build(h, bytes(16)), "'x'", "hole of 8 bytes")

    def test_trailing_bytes(self) -> None:
        self.assertRejected(build(self.good_header(), bytes(33)), "1 trailing bytes")
        self.assertRejected(build("{}", bytes(4)), "4 trailing bytes")

    def test_offsets_outside_file(self) -> None:
        self.assertRejected(build(self.good_header(), bytes(30)), "'y'", "outside")

    def test_bad_offsets_field(self) -> None:
        for offs in ([0], [24, 0], [-4, 20], "0,24", [0.0, 24.0]):
            with self.subTest(offs=offs):
                h = self.good_header()
                h["x"]["data_offsets"] = offs
                self.assertRejected(build(h, bytes(32)), "'x'")

    def test_entry_fields(self) -> None:
        h = self.good_header()
        del h["x"]["dtype"]
        self.assertRejected(build(h, bytes(32)), "'x'", "missing")
        h = self.good_header()
        h["x"]["extra"] = 1
        self.assertRejected(build(h, bytes(32)), "'x'", "unknown field")
        h = self.good_header()
        h["x"] = [1]
        self.assertRejected(build(h, bytes(32)), "'x'")

    def test_metadata_values_must_be_strings(self) -> None:
        h = self.good_header()
        h["__metadata__"] = {"deep3d.version": 1}
        self.assertRejected(build(h, bytes(32)), "deep3d.version", "string")
        h["__metadata__"] = ["a"]
        self.assertRejected(build(h, bytes(32)), "__metadata__")

    def test_tensor_order_follows_offsets_not_names(self) -> None:
        # Header order differs from data order: still valid, and data is read by offset.
        data = np.array([1, 2], "<f4").tobytes() + np.array([3], "<f4").tobytes()
        h = {"second": entry("F32", [1], 8, 12), "first": entry("F32", [2], 0, 8)}
        t, _ = decode_safetensors(build(h, data))
        np.testing.assert_array_equal(t["first"], [1, 2])
        np.testing.assert_array_equal(t["second"], [3])


if __name__ == "__main__":
    unittest.main()
