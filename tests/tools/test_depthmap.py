"""tools/deep3d_depthmap.py (the depth map -> disparity reference) and tools/make_onnx_model.py."""

from __future__ import annotations

import pathlib
import sys
import unittest

import numpy as np

TOP = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TOP / "tools"))

import deep3d_depthmap as dm  # noqa: E402


class TestDepthMap(unittest.TestCase):
    def test_percentile_index(self) -> None:
        # floor(p * (n - 1) / 100): 2% of 101 values is index 2, 98% is index 98
        self.assertEqual(dm.percentile_index(2.0, 101), 2)
        self.assertEqual(dm.percentile_index(98.0, 101), 98)
        self.assertEqual(dm.percentile_index(98.0, 1), 0)
        self.assertEqual(dm.percentile_index(100.0, 7), 6)

    def test_hand_worked_example(self) -> None:
        # 101 values 0..100: lo = 2, hi = 98; z = 50 -> t = 0.5 -> d = 0 -> planes 9 and 10
        z = np.arange(101, dtype=np.float32).reshape(1, 101)
        p = dm.to_probs(z)
        self.assertEqual(p.shape, (18, 1, 101))
        self.assertEqual(p[9, 0, 50], 1.0)
        self.assertEqual(p[:, 0, 50].sum(), 1.0)
        # z = 98 and beyond: t = 1, nearest: disparity -8, plane 1
        self.assertEqual(p[1, 0, 98], 1.0)
        self.assertEqual(p[1, 0, 100], 1.0)
        # z <= 2: farthest, disparity 8: the last plane
        self.assertEqual(p[17, 0, 0], 1.0)
        # z = 26: t = 0.25 -> d = 4 -> f = 12: plane 13
        self.assertEqual(p[13, 0, 26], 1.0)
        # z = 27: t = 25/96 -> d = 8 - 16 * 25/96 = 3.8333 -> f = 11.8333: planes 12 and 13
        d = np.float32(np.float64(8) - np.float64(np.float32(25 / 96)) * 16)
        w = np.float32(d + 8) - np.float32(11)
        self.assertEqual(p[12, 0, 27], np.float32(1) - w)
        self.assertEqual(p[13, 0, 27], w)

    def test_expected_disparity_is_the_mapped_value(self) -> None:
        rng = np.random.default_rng(3)
        z = rng.normal(size=(20, 30)).astype(np.float32)
        p = dm.to_probs(z).astype(np.float64)
        planes = dm.DISP_MIN + np.arange(p.shape[0] - 1)
        ed = (p[1:] * planes[:, None, None]).sum(0) / p[1:].sum(0)
        np.testing.assert_allclose(ed, dm.disparity(z), atol=2e-6)
        self.assertTrue(np.all(p[0] == 0))
        self.assertTrue(np.all((p > 0).sum(0) <= 2))

    def test_larger_is_nearer(self) -> None:
        z = np.array([[0.0, 1.0, 2.0, 3.0]], np.float32)
        d = dm.disparity(z, lo_pct=0, hi_pct=100)
        self.assertTrue(np.all(np.diff(d[0]) < 0))
        self.assertEqual(d[0, -1], dm.DISP_MIN)
        self.assertEqual(d[0, 0], dm.DISP_MAX)

    def test_flat_map_sits_mid_range(self) -> None:
        self.assertTrue(np.all(dm.disparity(np.full((3, 3), 7, np.float32)) == 0))

    def test_affine_invariance(self) -> None:
        rng = np.random.default_rng(4)
        z = rng.random((16, 16)).astype(np.float32)
        np.testing.assert_allclose(dm.disparity(z * 4 + 3), dm.disparity(z), atol=1e-5)

    def test_outliers_do_not_stretch_the_range(self) -> None:
        z = np.tile(np.linspace(0, 1, 100, dtype=np.float32), (10, 1))
        z[0, :5] = 1e6
        d = dm.disparity(z)
        self.assertLess(np.abs(d[5:] - dm.disparity(np.tile(np.linspace(0, 1, 100, dtype=np.float32), (10, 1)))[5:]).max(), 0.5)

    def test_non_finite_refused(self) -> None:
        with self.assertRaises(ValueError):
            dm.to_probs(np.array([[0, np.nan]], np.float32))


class TestMakeOnnxModel(unittest.TestCase):
    def setUp(self) -> None:
        try:
            import onnx  # noqa: F401
        except ImportError:
            self.skipTest("python3-onnx is not installed")
        import make_onnx_model
        self.mk = make_onnx_model

    def test_committed_models_regenerate(self) -> None:
        for name, args in (("deep3d-onnx-rowramp.onnx", ("rowramp", 32, 24, False)),
                           ("deep3d-onnx-luma.onnx", ("luma", 32, 24, True))):
            with self.subTest(name=name):
                self.assertEqual(self.mk.build(*args), (TOP / "tests" / "data" / name).read_bytes())

    def test_good_models_pass_the_checker(self) -> None:
        import onnx
        for kind in ("luma", "luma4", "luma-half", "luma-fp16", "rowramp", "nan-dark"):
            with self.subTest(kind=kind):
                onnx.checker.check_model(onnx.load_from_string(self.mk.build(kind, 32, 24, False)))


if __name__ == "__main__":
    unittest.main()
