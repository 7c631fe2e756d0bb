"""tools/mxnet_params.py against files from the independent test writer (mxnet_writer.py)."""

from __future__ import annotations

import struct
import unittest

import numpy as np

import naive  # noqa: F401  (sets up the tools/ import path)
import mxnet_writer as mw
from mxnet_params import ParamsFormatError, decode_params, split_names

DTYPES = (np.float32, np.float16, np.float64)


def sample_items(rng: np.random.Generator, dtype: type = np.float32) -> list[tuple[str, np.ndarray | None]]:
    return [
        ("arg:conv_weight", rng.normal(size=(4, 3, 3, 3)).astype(dtype)),
        ("arg:conv_bias", rng.normal(size=(4,)).astype(dtype)),
        ("aux:bn_moving_mean", rng.normal(size=(5,)).astype(dtype)),
        ("arg:fc_weight", rng.normal(size=(7, 2)).astype(dtype)),
        ("arg:empty", None),
        ("aux:x", rng.normal(size=(2, 1, 3)).astype(dtype)),
    ]


class RoundTripTest(unittest.TestCase):
    def test_every_record_and_dtype(self) -> None:
        rng = np.random.default_rng(1)
        for record in mw.RECORDS:
            for dtype in DTYPES:
                with self.subTest(record=record, dtype=dtype.__name__):
                    items = sample_items(rng, dtype)
                    pf = decode_params(mw.encode_params(items, record))
                    self.assertEqual(pf.names, [n for n, _ in items])
                    for (name, want), got in zip(items, pf.arrays):
                        self.assertEqual(got.record, record)
                        if want is None:
                            self.assertIsNone(got.data, name)
                            continue
                        assert got.data is not None
                        self.assertEqual(got.data.dtype, want.dtype)
                        self.assertEqual(got.data.shape, want.shape)
                        np.testing.assert_array_equal(got.data, want)
                        self.assertEqual(got.dtype_name, np.dtype(dtype).name)

    def test_mixed_records_gpu_context_and_unnamed(self) -> None:
        a = np.arange(6, dtype=np.float32).reshape(2, 3)
        recs = [mw.record_bytes(a, "legacy", dev_type=2, dev_id=3), mw.record_bytes(a * 2, "v2"),
                mw.record_bytes(a * 3, "v1", dev_type=3), mw.record_bytes(a * 4, "v3")]
        pf = decode_params(mw.list_bytes(recs, ["a", "b", "c", "d"]))
        self.assertEqual([x.record for x in pf.arrays], ["legacy", "v2", "v1", "v3"])
        for i, x in enumerate(pf.arrays):
            np.testing.assert_array_equal(x.data, a * (i + 1))
        pf = decode_params(mw.list_bytes(recs[:2], None))
        self.assertEqual((len(pf.arrays), pf.names), (2, []))
        with self.assertRaisesRegex(ParamsFormatError, "unnamed"):
            split_names(pf)

    def test_v3_scalar_and_unknown_shape(self) -> None:
        scalar = np.array(2.5, np.float32)
        rec = struct.pack("<Iii", 0xF993FACA, 0, 0) + struct.pack("<iii", 1, 0, 0) + scalar.tobytes()
        unknown_dim = struct.pack("<Iiiqq", 0xF993FACA, 0, 2, 3, -1)  # ndim 2, dims (3, -1): none
        pf = decode_params(mw.list_bytes([rec, unknown_dim, mw.record_bytes(None, "v3")], ["s", "u", "n"]))
        assert pf.arrays[0].data is not None
        self.assertEqual(pf.arrays[0].data.shape, ())
        self.assertEqual(float(pf.arrays[0].data), 2.5)
        self.assertIsNone(pf.arrays[1].data)
        self.assertIsNone(pf.arrays[2].data)

    def test_split_names(self) -> None:
        items = sample_items(np.random.default_rng(2))
        arrays, prefix = split_names(decode_params(mw.encode_params(items + [("plain", np.zeros(1, np.float32))])))
        self.assertEqual(list(arrays), ["conv_weight", "conv_bias", "bn_moving_mean", "fc_weight", "empty", "x",
                                        "plain"])
        self.assertEqual(prefix["bn_moving_mean"], "aux")
        self.assertEqual(prefix["fc_weight"], "arg")
        self.assertEqual(prefix["plain"], "")
        dup = [("arg:w", np.zeros(1, np.float32)), ("aux:w", np.zeros(1, np.float32))]
        with self.assertRaisesRegex(ParamsFormatError, "'w' occurs more than once"):
            split_names(decode_params(mw.encode_params(dup)))


class ErrorTest(unittest.TestCase):
    def bad(self, blob: bytes, *words: str) -> None:
        with self.assertRaises(ParamsFormatError) as cm:
            decode_params(blob)
        for w in words:
            self.assertIn(w, str(cm.exception))

    def test_wrong_magic(self) -> None:
        good = mw.encode_params(sample_items(np.random.default_rng(3)))
        self.bad(struct.pack("<Q", 0x113) + good[8:], "magic 0x113", "expected 0x112")
        self.bad(b"PK\x03\x04" + good[4:], "not an MXNet NDArray file")
        self.bad(b"\x12\x01", "not an MXNet NDArray file")

    def test_every_truncation(self) -> None:
        for record in mw.RECORDS:
            good = mw.encode_params(sample_items(np.random.default_rng(4), np.float16), record)
            decode_params(good)
            for cut in range(len(good)):
                with self.subTest(record=record, cut=cut):
                    with self.assertRaises(ParamsFormatError) as cm:
                        decode_params(good[:cut])
                    msg = str(cm.exception)
                    self.assertTrue("truncated" in msg or "not an MXNet" in msg or "impossible" in msg, msg)

    def test_trailing_bytes(self) -> None:
        good = mw.encode_params(sample_items(np.random.default_rng(5)))
        self.bad(good + b"\0", "1 unexpected trailing bytes")

    def test_unknown_and_unsupported_dtype(self) -> None:
        a = np.zeros((2, 2), np.float32)
        self.bad(mw.list_bytes([mw.record_bytes(a, type_flag=99)], ["x"]), "array 0", "unknown type flag 99")
        self.bad(mw.list_bytes([mw.record_bytes(a, "v2", type_flag=-3)], ["x"]), "unknown type flag -3")
        self.bad(mw.list_bytes([mw.record_bytes(a, type_flag=4)], ["x"]), "unsupported dtype int32")
        self.bad(mw.list_bytes([mw.record_bytes(a, "v1", type_flag=3)], ["x"]), "unsupported dtype uint8")

    def test_sparse_storage(self) -> None:
        a = np.zeros((2, 2), np.float32)
        ok = mw.record_bytes(a, "v2")
        self.bad(mw.list_bytes([ok, mw.record_bytes(a, "v2", stype=1)], ["x", "y"]), "array 1", "row_sparse")
        self.bad(mw.list_bytes([mw.record_bytes(a, "v2", stype=2)], ["x"]), "storage type 2 (csr)")
        self.bad(mw.list_bytes([mw.record_bytes(a, "v3", stype=7)], ["x"]), "storage type 7")

    def test_name_count_mismatch(self) -> None:
        a = np.zeros(3, np.float32)
        self.bad(mw.list_bytes([mw.record_bytes(a), mw.record_bytes(a)], ["only_one"]),
                 "name count 1 does not match array count 2")

    def test_bad_name_bytes(self) -> None:
        blob = mw.list_bytes([mw.record_bytes(np.zeros(1, np.float32))], ["ab"])
        self.bad(blob[:-2] + b"\xff\xfe", "not valid UTF-8")

    def test_absurd_sizes_fail_fast(self) -> None:
        head = struct.pack("<QQ", 0x112, 0)
        ctx = struct.pack("<iii", 1, 0, 0)
        # An array count no file could hold.
        self.bad(head + struct.pack("<Q", 1 << 60) + b"\0" * 64, "array count", "impossible")
        # Legacy dims whose product needs exabytes.
        rec = struct.pack("<I4I", 4, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF) + ctx
        self.bad(head + struct.pack("<Q", 1) + rec + b"\0" * 64, "truncated", "array 0")
        # A huge legacy "ndim" (neither magic nor a real rank).
        self.bad(head + struct.pack("<QI", 1, 0x7FFFFFFF) + b"\0" * 64, "neither a known record magic")
        # V1 and V2 int64 dims: huge and negative.
        rec = struct.pack("<Iiqq", 0xF993FAC8, 2, 1 << 62, 1 << 62) + ctx
        self.bad(head + struct.pack("<Q", 1) + rec + b"\0" * 64, "truncated")
        rec = struct.pack("<Iiiqq", 0xF993FAC9, 0, 2, 4, -5) + ctx
        self.bad(head + struct.pack("<Q", 1) + rec + b"\0" * 64, "negative dimension")
        rec = struct.pack("<Iii", 0xF993FAC9, 0, 1 << 30)
        self.bad(head + struct.pack("<Q", 1) + rec + b"\0" * 64, "implausible ndim")
        # Name count and name length.
        a = mw.record_bytes(np.zeros(1, np.float32))
        self.bad(head + struct.pack("<Q", 1) + a + struct.pack("<Q", 1 << 62), "name count")
        self.bad(head + struct.pack("<Q", 1) + a + struct.pack("<QQ", 1, 1 << 62) + b"abc",
                 "name 0 has length", "only 3 bytes follow")


if __name__ == "__main__":
    unittest.main()
