"""Property tests (Hypothesis) of the MXNet .params reader and the converter on hostile input.

The contract (tools/mxnet_params.py, tools/convert_mxnet.py): any byte string is either a
well-formed NDArray list or refused with ParamsFormatError; the converter turns every defect
into ConvertError. Never another exception, never MemoryError, never an allocation the file
cannot back. Inputs: arbitrary bytes; valid files cut, overwritten or extended at arbitrary
places; headers with huge counts, dims and name lengths.

Derandomized (the same examples on every run, so a CI failure reproduces) and without an
example database; HYPOTHESIS_EXAMPLES raises the count for a longer local run.
"""

from __future__ import annotations

import os
import struct
import tempfile
import unittest

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import naive  # noqa: F401  (sets up the tools/ import path)
import mxnet_writer as mw
from convert_mxnet import ConvertError, convert, released_spec
from mxnet_params import ParamsFile, ParamsFormatError, decode_params

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "300"))
SETTINGS = settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

SMALL = dict(channels=(4, 6, 8, 8, 12), fc=16, h5=2, w5=4)
SMALL_SPEC = released_spec(width=128, height=64, channels=(4, 6, 8, 8, 12), fc=16)


def _valid_blobs() -> list[bytes]:
    rng = np.random.default_rng(3)
    items = [("arg:w", rng.normal(size=(2, 3, 3)).astype(np.float32)),
             ("aux:m", rng.normal(size=(4,)).astype(np.float16)),
             ("arg:e", None),
             ("arg:d", rng.normal(size=(1, 2)).astype(np.float64))]
    return [mw.encode_params(items, record) for record in mw.RECORDS]


VALID = _valid_blobs()
RECORDS = {record: i for i, record in enumerate(mw.RECORDS)}


def decode_or_refuse(blob: bytes) -> ParamsFile | None:
    """decode_params, with ParamsFormatError as None; any other exception propagates."""
    try:
        pf = decode_params(blob)
    except ParamsFormatError as e:
        assert str(e), "an error must say what is wrong"
        return None
    # a file that decodes is self-consistent: every array's bytes came from the file
    assert sum(a.data.nbytes for a in pf.arrays if a.data is not None) <= len(blob)
    assert not pf.names or len(pf.names) == len(pf.arrays)
    return pf


class ReaderPropertyTest(unittest.TestCase):
    def test_valid_files_decode(self) -> None:
        for blob in VALID:
            self.assertIsNotNone(decode_or_refuse(blob))

    @SETTINGS
    @given(st.binary(max_size=2048))
    def test_arbitrary_bytes(self, blob: bytes) -> None:
        decode_or_refuse(blob)

    @SETTINGS
    @given(st.binary(max_size=512))
    def test_arbitrary_bytes_after_the_magic(self, tail: bytes) -> None:
        decode_or_refuse(struct.pack("<QQ", 0x112, 0) + tail)

    @SETTINGS
    @given(st.sampled_from(range(len(VALID))), st.data())
    def test_truncated(self, which: int, data: st.DataObject) -> None:
        blob = VALID[which]
        cut = data.draw(st.integers(0, len(blob) - 1))
        self.assertIsNone(decode_or_refuse(blob[:cut]), f"a file cut at {cut} of {len(blob)} decoded")

    @SETTINGS
    @given(st.sampled_from(range(len(VALID))), st.data())
    def test_overwritten(self, which: int, data: st.DataObject) -> None:
        blob = bytearray(VALID[which])
        for _ in range(data.draw(st.integers(1, 4))):
            at = data.draw(st.integers(0, len(blob) - 1))
            new = data.draw(st.binary(min_size=1, max_size=8))
            blob[at:at + len(new)] = new
        decode_or_refuse(bytes(blob))

    @SETTINGS
    @given(st.sampled_from(range(len(VALID))), st.data())
    def test_huge_field(self, which: int, data: st.DataObject) -> None:
        """A count, dim or length field replaced by a huge or negative value."""
        blob = bytearray(VALID[which])
        at = data.draw(st.integers(0, len(blob) - 8))
        value = data.draw(st.sampled_from([2**31 - 1, 2**31, 2**32 - 1, 2**62, 2**63 - 1, 2**64 - 1,
                                           2**40 + 3, 0xFFFFFFF0]))
        width = data.draw(st.sampled_from([4, 8]))
        blob[at:at + width] = (value & (2**(8 * width) - 1)).to_bytes(width, "little")
        decode_or_refuse(bytes(blob))

    def test_huge_counts_are_refused_before_allocation(self) -> None:
        for n in (2**63 - 1, 2**64 - 1, 10**12):
            with self.subTest(n=n), self.assertRaises(ParamsFormatError):
                decode_params(struct.pack("<QQQ", 0x112, 0, n))
        # a legacy record claiming a 2^32-1 x 2^32-1 float array in a 40-byte file
        rec = struct.pack("<II", 2, 0xFFFFFFFF) + struct.pack("<I", 0xFFFFFFFF) + struct.pack("<iii", 1, 0, 0)
        with self.assertRaises(ParamsFormatError):
            decode_params(mw.list_bytes([rec], ["arg:x"]))
        # a name 2^62 bytes long
        with self.assertRaises(ParamsFormatError):
            decode_params(struct.pack("<QQQQQ", 0x112, 0, 0, 1, 2**62))


class ConverterPropertyTest(unittest.TestCase):
    """convert() on hostile files: ConvertError, nothing else."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory()
        raw = mw.random_weights(np.random.default_rng(5), mw.deep3d_shapes(**SMALL))
        cls.items = [(n, a.astype(np.float32)) for n, a in raw.items()]
        cls.valid = mw.encode_params(cls.items)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def convert_blob(self, blob: bytes) -> None:
        path = os.path.join(self.tmp.name, "x.params")
        with open(path, "wb") as f:
            f.write(blob)
        try:
            convert(path, SMALL_SPEC)
        except ConvertError as e:
            self.assertTrue(e.messages)

    def test_valid_converts(self) -> None:
        path = os.path.join(self.tmp.name, "ok.params")
        with open(path, "wb") as f:
            f.write(self.valid)
        self.assertTrue(convert(path, SMALL_SPEC).tensors)

    @settings(SETTINGS, max_examples=max(1, EXAMPLES // 3))
    @given(st.binary(max_size=1024))
    def test_arbitrary_bytes(self, blob: bytes) -> None:
        self.convert_blob(blob)

    @settings(SETTINGS, max_examples=max(1, EXAMPLES // 3))
    @given(st.data())
    def test_overwritten(self, data: st.DataObject) -> None:
        blob = bytearray(self.valid)
        for _ in range(data.draw(st.integers(1, 3))):
            at = data.draw(st.integers(0, len(blob) - 1))
            new = data.draw(st.binary(min_size=1, max_size=8))
            blob[at:at + len(new)] = new
        self.convert_blob(bytes(blob))

    @settings(SETTINGS, max_examples=max(1, EXAMPLES // 3))
    @given(st.data())
    def test_non_finite_or_huge_weight(self, data: st.DataObject) -> None:
        """A NaN, an infinity or a huge value in any tensor is refused or converted finite."""
        i = data.draw(st.integers(0, len(self.items) - 1))
        bad = data.draw(st.sampled_from([np.nan, np.inf, -np.inf, 3.4e38, -3.4e38]))
        items = [(n, a.copy()) for n, a in self.items]
        flat = items[i][1].reshape(-1)
        flat[data.draw(st.integers(0, flat.size - 1))] = bad
        path = os.path.join(self.tmp.name, "bad.params")
        mw.write_params(path, items)
        try:
            conv = convert(path, SMALL_SPEC)
        except ConvertError as e:
            self.assertTrue(e.messages)
            if not np.isfinite(bad):
                self.assertIn("NaN or infinite", " ".join(e.messages))
            return
        self.assertTrue(np.isfinite(bad), "a NaN or infinite weight was converted")
        for name, t in conv.tensors.items():
            self.assertTrue(np.all(np.isfinite(t)), f"{name} holds a non-finite value after conversion")


if __name__ == "__main__":
    unittest.main()
