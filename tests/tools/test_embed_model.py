"""tools/embed_model.py: the C text holds exactly the model's bytes."""

from __future__ import annotations

import ast
import hashlib
import os
import re
import tempfile
import unittest

import naive  # noqa: F401  (puts tools/ on sys.path)
import embed_model


def literal_bytes(text: str) -> bytes:
    """The concatenated string literal of deep3d_default_model_data, decoded as C would."""
    body = text.split("deep3d_default_model_data", 1)[1].split("=", 1)[1]
    pieces = re.findall(r'"((?:[^"\\]|\\.)*)"', body)
    # \xNN escapes only: Python's bytes literal reads them exactly as C does
    return b"".join(ast.literal_eval('b"' + p + '"') for p in pieces)


class EmbedModelTest(unittest.TestCase):
    def test_round_trip(self) -> None:
        for data in (b"", b"\x00", bytes(range(256)) * 3 + b"\xff\x00\"\\"):
            with self.subTest(size=len(data)):
                text = embed_model.c_source(data, "m.safetensors")
                self.assertEqual(literal_bytes(text), data)
                self.assertIn(f"#define DEEP3D_DEFAULT_MODEL_SIZE {len(data)}\n", text)
                self.assertIn(hashlib.sha256(data).hexdigest(), text)
                self.assertIn(f"[{len(data)} + 1]", text)

    def test_rewrites_only_on_change(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            model, out = os.path.join(d, "m.safetensors"), os.path.join(d, "m.inc")
            with open(model, "wb") as f:
                f.write(b"abc")
            self.assertEqual(embed_model.main([model, out]), 0)
            os.utime(out, (1, 1))
            self.assertEqual(embed_model.main([model, out]), 0)
            self.assertEqual(os.stat(out).st_mtime, 1)  # unchanged: not rewritten
            with open(model, "wb") as f:
                f.write(b"abcd")
            self.assertEqual(embed_model.main([model, out]), 0)
            self.assertNotEqual(os.stat(out).st_mtime, 1)
            with open(out, encoding="ascii") as f:
                self.assertEqual(literal_bytes(f.read()), b"abcd")

    def test_missing_model(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            self.assertEqual(embed_model.main([os.path.join(d, "none"), os.path.join(d, "o")]), 1)
            self.assertEqual(embed_model.main(["only-one"]), 2)


if __name__ == "__main__":
    unittest.main()
