"""tools/make_model.py and tools/make_parity_fixture.py end to end."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

import naive
import deep3d_ref as ref
from safetensors_io import read_safetensors

TOOLS = naive.TOOLS_DIR


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(TOOLS / args[0]), *args[1:]], capture_output=True, text=True,
                          cwd=tempfile.gettempdir(), timeout=120)


def read_f32(path: str, shape: tuple[int, ...]) -> np.ndarray:
    a = np.fromfile(path, dtype="<f4")
    assert a.size == int(np.prod(shape)), (path, a.size, shape)
    return a.reshape(shape)


class MakeModelTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def p(self, name: str) -> str:
        return os.path.join(self.tmp.name, name)

    def test_fcn_f16_and_original(self) -> None:
        r = run_tool("make_model.py", "--arch", "fcn", "--input", "64x32", "--channels", "8,8,16,16,16",
                     "--convs", "1,1,1,1,1", "--disparity", "-4:4", "--seed", "1", "--dtype", "f16",
                     self.p("fcn.safetensors"))
        self.assertEqual(r.returncode, 0, r.stderr)
        tensors, md = read_safetensors(self.p("fcn.safetensors"))
        self.assertEqual(md["deep3d.arch"], "fcn")
        self.assertEqual((md["deep3d.disparity_min"], md["deep3d.disparity_max"]), ("-4", "4"))
        self.assertNotIn("deep3d.fc_channels", md)
        self.assertTrue(all(v.dtype == np.float16 for v in tensors.values()))
        spec, _ = ref.load_model(self.p("fcn.safetensors"))
        self.assertEqual((spec.K, spec.input_width, spec.input_height), (10, 64, 32))

        r = run_tool("make_model.py", "--arch", "original", "--input", "64x32", "--channels", "8,8,16,16,16",
                     "--convs", "1,1,1,1,1", "--fc", "32", "--disparity", "-4:4", "--seed", "1",
                     self.p("orig.safetensors"))
        self.assertEqual(r.returncode, 0, r.stderr)
        spec, w = ref.load_model(self.p("orig.safetensors"))
        self.assertEqual((spec.arch, spec.fc_channels), ("original", 32))
        self.assertEqual(w["fc6_weight"].shape, (32, 16 * 1 * 2))
        # Same as the library call with the same arguments, bit for bit.
        _, t = ref.random_model("original", 64, 32, (8, 8, 16, 16, 16), (1, 1, 1, 1, 1), 32, -4, 4, seed=1)
        for k in t:
            np.testing.assert_array_equal(w[k], t[k])

    def test_errors(self) -> None:
        base = ["make_model.py", "--input", "64x32", "--channels", "8,8,16,16,16", "--convs", "1,1,1,1,1",
                "--seed", "1"]
        cases = [
            (["--arch", "original", "--disparity", "-4:4"], "--fc"),
            (["--arch", "fcn", "--fc", "8", "--disparity", "-4:4"], "--fc"),
            (["--arch", "fcn", "--disparity", "4:-4"], "disparity_max"),
            (["--arch", "fcn", "--disparity", "-4:4", "--input", "60x32"], "multiple of 32"),
        ]
        for extra, word in cases:
            with self.subTest(extra=extra):
                r = run_tool(*base, *extra, self.p("x.safetensors"))
                self.assertNotEqual(r.returncode, 0)
                self.assertIn(word, r.stderr)
        self.assertFalse(os.path.exists(self.p("x.safetensors")))


class ParityFixtureTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory()
        cls.model = os.path.join(cls.tmp.name, "m.safetensors")
        cls.out = os.path.join(cls.tmp.name, "fx")
        r = run_tool("make_model.py", "--arch", "original", "--input", "64x32", "--channels", "4,4,8,8,8",
                     "--convs", "1,1,1,1,1", "--fc", "16", "--disparity", "-3:4", "--seed", "2",
                     "--input-scale", "1", "--input-mean", "0.5,0.25,0.75", cls.model)
        assert r.returncode == 0, r.stderr
        r = run_tool("make_parity_fixture.py", "--model", cls.model, "--outdir", cls.out, "--seed", "5",
                     "--render", "64x32,128x64,50x21")
        assert r.returncode == 0, r.stderr

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def f(self, name: str) -> str:
        return os.path.join(self.out, name)

    def test_cases_file(self) -> None:
        lines = open(self.f("cases.txt")).read().splitlines()
        self.assertEqual(lines[0], "model 64 32 9 -3 64")
        self.assertEqual(len(lines), 1 + 3 * 3)
        self.assertEqual(lines[1], "render 64 32 1.0 0.0 0 left_64x32.f32 right_64x32_0.f32")
        self.assertEqual(lines[5], "render 128 64 2.5 1.5 0 left_128x64.f32 right_128x64_1.f32")
        self.assertEqual(lines[9], "render 50 21 0.7 -2.0 1 left_50x21.f32 right_50x21_2.f32")

    def test_input_and_probs(self) -> None:
        spec, w = ref.load_model(self.model)
        x = read_f32(self.f("input.f32"), (3, 32, 64))
        # input_scale 1, means 0.5/0.25/0.75: each channel within [-mean, 1 - mean].
        for c, m in enumerate((0.5, 0.25, 0.75)):
            self.assertGreaterEqual(float(x[c].min()), -m - 1e-6)
            self.assertLessEqual(float(x[c].max()), 1 - m + 1e-6)
            self.assertGreater(float(x[c].std()), 0.02)  # not flat
        P = read_f32(self.f("probs.f32"), (9, 32, 64))
        np.testing.assert_array_equal(P, ref.forward(spec, w, x).astype(np.float32))
        np.testing.assert_allclose(P.sum(axis=0), 1.0, atol=1e-5)

    def test_renders(self) -> None:
        spec, w = ref.load_model(self.model)
        P = ref.forward(spec, w, read_f32(self.f("input.f32"), (3, 32, 64)))
        for line in open(self.f("cases.txt")).read().splitlines()[1:]:
            _, wo, ho, strength, conv, renorm, lname, rname = line.split()
            with self.subTest(line=line):
                shape = (int(ho), int(wo))
                L = read_f32(self.f(lname), shape)
                self.assertTrue(np.all(L == np.round(L)) and L.min() >= 0 and L.max() <= 255)
                self.assertGreater(float(L.std()), 5.0)
                R = read_f32(self.f(rname), shape)
                want = ref.render_plane(P, L, spec.disparity_min, spec.disparity_width, float(strength),
                                        float(conv), renorm == "1")
                np.testing.assert_array_equal(R, want.astype(np.float32))
                # The render really moved pixels: not just a copy of the left plane.
                self.assertGreater(float(np.abs(R - L).mean()), 0.5)

    def test_deterministic(self) -> None:
        out2 = os.path.join(self.tmp.name, "fx2")
        r = run_tool("make_parity_fixture.py", "--model", self.model, "--outdir", out2, "--seed", "5",
                     "--render", "50x21")
        self.assertEqual(r.returncode, 0, r.stderr)
        for name in ("input.f32", "probs.f32", "left_50x21.f32", "right_50x21_1.f32"):
            self.assertEqual(open(self.f(name), "rb").read(), open(os.path.join(out2, name), "rb").read(), name)

    def test_bad_render_size(self) -> None:
        r = run_tool("make_parity_fixture.py", "--model", self.model, "--outdir", self.f("bad"),
                     "--render", "64x")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("WIDTHxHEIGHT", r.stderr)


if __name__ == "__main__":
    unittest.main()
