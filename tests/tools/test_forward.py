"""Forward pass (section 4), FC head ordering and random models."""

from __future__ import annotations

import unittest

import numpy as np

import naive  # sets up the tools/ import path
import deep3d_ref as ref

SMALL = dict(input_w=64, input_h=32, stage_channels=(4, 4, 6, 6, 8), stage_convs=(1, 2, 1, 1, 2),
             disparity_min=-2, disparity_max=3)


def small_model(arch: str, seed: int = 1, fc: int | None = 12) -> tuple[ref.ModelSpec, dict[str, str],
                                                                        dict[str, np.ndarray]]:
    md, t = ref.random_model(arch, fc_channels=fc if arch == "original" else None, seed=seed, **SMALL)
    return ref.parse_spec(md), md, t


def small_input(spec: ref.ModelSpec, seed: int = 9) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return ref.preprocess(spec, ref.synthetic_image(rng, spec.input_height, spec.input_width)).astype(np.float32)


class ForwardTest(unittest.TestCase):
    def test_matches_naive_both_arches(self) -> None:
        for arch in ("fcn", "original"):
            with self.subTest(arch=arch):
                spec, md, t = small_model(arch)
                x = small_input(spec)
                P = ref.forward(spec, t, x)
                self.assertEqual(P.shape, (spec.K, 32, 64))
                self.assertEqual(P.dtype, np.float64)
                np.testing.assert_allclose(P, naive.forward_naive(md, t, x), rtol=1e-9, atol=1e-12)

    def test_probabilities(self) -> None:
        for arch in ("fcn", "original"):
            with self.subTest(arch=arch):
                spec, _, t = small_model(arch, seed=2)
                P = ref.forward(spec, t, small_input(spec))
                self.assertEqual(P.shape, (spec.K, spec.input_height, spec.input_width))
                self.assertTrue(np.all(P >= 0))
                np.testing.assert_allclose(P.sum(axis=0), 1.0, rtol=0, atol=1e-12)

    def test_arches_differ_only_by_branch5(self) -> None:
        spec_o, _, t_o = small_model("original", seed=3)
        spec_f, _, t_f = small_model("fcn", seed=4)
        # Same weights wherever both arches have the same tensor (pred5 is FC in one, conv in the other).
        shared = {k: t_o[k] for k in t_f if k in t_o and t_o[k].shape == t_f[k].shape}
        self.assertNotIn("pred5_weight", shared)
        t_f = {**t_f, **shared}
        x = small_input(spec_o)
        P_o = ref.forward(spec_o, t_o, x)
        P_f = ref.forward(spec_f, t_f, x)
        self.assertGreater(np.abs(P_o - P_f).max(), 1e-3)
        # Silence branch 5 in both: then the two arches compute the same thing.
        for t in (t_o, t_f):
            t["deconv_pred5_weight"] = np.zeros_like(t["deconv_pred5_weight"])
            t["deconv_pred5_bias"] = np.zeros_like(t["deconv_pred5_bias"])
        np.testing.assert_allclose(ref.forward(spec_o, t_o, x), ref.forward(spec_f, t_f, x), rtol=1e-12)

    def test_input_shape_checked(self) -> None:
        spec, _, t = small_model("fcn")
        with self.assertRaises(ValueError):
            ref.forward(spec, t, np.zeros((3, 64, 32), np.float32))

    def test_trace_names(self) -> None:
        spec, _, t = small_model("original")
        seen: dict[str, tuple[int, ...]] = {}
        ref.forward(spec, t, small_input(spec), trace=lambda n, a: seen.__setitem__(n, a.shape))
        self.assertEqual(seen["pool5"], (8, 1, 2))
        self.assertEqual(seen["pred5"], (spec.K, 1, 2))
        for b in range(1, 6):
            self.assertEqual(seen[f"branch{b}"], (spec.K, 16, 32))
        self.assertEqual(seen["logits"], (spec.K, 32, 64))


class FcHeadOrderTest(unittest.TestCase):
    """flatten is C order over (C5,h5,w5); pred5 output j maps to (j/(h5w5), (j/w5)%h5, j%w5)."""

    def setUp(self) -> None:
        # 96x64 gives h5 = 2, w5 = 3 (non-square, so a transposition shows).
        md, t = ref.random_model("original", 96, 64, (2, 2, 2, 2, 3), (1, 1, 1, 1, 1), 4, 0, 1, seed=5,
                                 calibrate=False)
        self.spec = ref.parse_spec(md)
        self.t = {k: np.zeros_like(v) for k, v in t.items()}
        self.t["fc7_weight"] = np.eye(4, dtype=np.float32)

    def test_flatten_order(self) -> None:
        spec, t = self.spec, self.t
        C5, h5, w5 = 3, 2, 3
        t["pred5_weight"][0, 0] = 1.0  # fc7 unit 0 -> pred5 output 0 = (c 0, h 0, w 0)
        for c in range(C5):
            for h in range(h5):
                for w in range(w5):
                    t["fc6_weight"][:] = 0
                    t["fc6_weight"][0, c * h5 * w5 + h * w5 + w] = 1.0
                    for c2 in range(C5):
                        for hh in range(h5):
                            for ww in range(w5):
                                pool5 = np.zeros((C5, h5, w5))
                                pool5[c2, hh, ww] = 2.0
                                out = ref.fc_head(spec, t, pool5)
                                want = 2.0 if (c2, hh, ww) == (c, h, w) else 0.0
                                self.assertEqual(out[0, 0, 0], want, (c, h, w, c2, hh, ww))

    def test_pred5_reshape_order(self) -> None:
        spec, t = self.spec, self.t
        K, h5, w5 = spec.K, 2, 3
        t["fc6_bias"][0] = 1.0  # v = e0 after fc6/fc7 whatever pool5 is
        for j in range(K * h5 * w5):
            t["pred5_weight"][:] = 0
            t["pred5_weight"][j, 0] = 3.0
            out = ref.fc_head(spec, t, np.zeros((3, h5, w5)))
            nz = list(zip(*np.nonzero(out)))
            self.assertEqual(nz, [(j // (h5 * w5), (j // w5) % h5, j % w5)], j)
            self.assertEqual(float(out[nz[0]]), 3.0)

    def test_pred5_bias_lands_in_full_forward(self) -> None:
        # Only pred5_bias[j] non-zero (and an identity deconv_pred5): branch5 is non-zero only
        # in channel c, in the 32x32 footprint of pool5 cell (h, w) (stride 16, pad 8).
        spec, t = self.spec, self.t
        K, h5, w5 = spec.K, 2, 3
        for ci in range(K):
            t["deconv_pred5_weight"][ci, ci] = 1.0
        j = 1 * h5 * w5 + 1 * w5 + 2  # c 1, h 1, w 2
        t["pred5_bias"][j] = 1.0
        got: dict[str, np.ndarray] = {}
        ref.forward(spec, t, np.zeros((3, 64, 96), np.float32), trace=lambda n, a: got.__setitem__(n, a))
        b5 = got["branch5"]
        want = np.zeros_like(b5)
        want[1, 16 - 8:16 - 8 + 32, 32 - 8:32 - 8 + 32] = 1.0  # clipped at 32 rows, 48 cols
        np.testing.assert_array_equal(b5, want)


class RealShapesTest(unittest.TestCase):
    def test_original_384x160_real_widths(self) -> None:
        md, t = ref.random_model("original", 384, 160, (64, 128, 256, 512, 512), (1, 1, 2, 2, 2), 512,
                                 -15, 16, seed=7)
        spec = ref.parse_spec(md)
        shapes = ref.expected_shapes(spec)
        # spec section 1.4: 52 arg + 8 aux arrays, 28,026,705 floats.
        self.assertEqual(len(shapes), 60)
        self.assertEqual(sum(int(np.prod(s)) for s in shapes.values()), 28026705)
        self.assertEqual(shapes["fc6_weight"], (512, 30720))
        self.assertEqual(shapes["pred5_weight"], (1980, 512))
        self.assertEqual(shapes["deconv_pred4_weight"], (33, 33, 16, 16))
        rng = np.random.default_rng(1)
        x = ref.preprocess(spec, ref.synthetic_image(rng, 160, 384)).astype(np.float32)
        P = ref.forward(spec, t, x)
        self.assertEqual(P.shape, (33, 160, 384))
        np.testing.assert_allclose(P.sum(axis=0), 1.0, atol=1e-12)
        m = P.max(axis=0)
        self.assertTrue(0.2 < np.median(m) < 0.9, np.median(m))


class RandomModelTest(unittest.TestCase):
    def test_deterministic_from_seed(self) -> None:
        _, md1, t1 = small_model("original", seed=11)
        _, md2, t2 = small_model("original", seed=11)
        _, _, t3 = small_model("original", seed=12)
        self.assertEqual(md1, md2)
        self.assertEqual(list(t1), list(t2))
        for k in t1:
            np.testing.assert_array_equal(t1[k], t2[k])
        self.assertFalse(np.array_equal(t1["conv1_1_weight"], t3["conv1_1_weight"]))

    def test_matches_expected_shapes_and_dtype(self) -> None:
        for dtype, npdt in (("F32", np.float32), ("F16", np.float16)):
            md, t = ref.random_model("fcn", seed=1, fc_channels=None, dtype=dtype, **SMALL)
            spec = ref.parse_spec(md)
            ref.check_tensors(spec, t)
            self.assertEqual(list(t), list(ref.expected_shapes(spec)))
            self.assertTrue(all(v.dtype == npdt for v in t.values()))
            self.assertTrue(all(np.isfinite(v).all() for v in t.values()))

    def test_bn_inv_std_positive(self) -> None:
        for arch in ("fcn", "original"):
            spec, _, t = small_model(arch, seed=6)
            for b in range(1, spec.num_conv_branches + 1):
                r = t[f"bn_pool{b}_moving_inv_var"]
                self.assertTrue(np.all(r > 0) and np.all(np.isfinite(r)), (arch, b))

    def test_softmax_neither_uniform_nor_onehot(self) -> None:
        rng = np.random.default_rng(99)
        for arch in ("fcn", "original"):
            for seed in (1, 2):
                spec, _, t = small_model(arch, seed=seed)
                for kind in ("natural", "noise"):
                    with self.subTest(arch=arch, seed=seed, kind=kind):
                        px = (ref.synthetic_image(rng, 32, 64) if kind == "natural"
                              else rng.uniform(0, 255, (3, 32, 64)))
                        m = ref.forward(spec, t, ref.preprocess(spec, px)).max(axis=0)
                        frac = float(np.mean((m > 0.2) & (m < 0.9)))
                        self.assertGreater(frac, 0.5, np.percentile(m, [5, 50, 95]))

    def test_input_scale_and_mean(self) -> None:
        md, _ = ref.random_model("fcn", seed=1, fc_channels=None, input_scale=1.0,
                                 input_mean=(0.5, 0.25, -1.5), color_order="rgb", **SMALL)
        spec = ref.parse_spec(md)
        self.assertEqual((spec.input_scale, spec.input_mean, spec.color_order), (1.0, (0.5, 0.25, -1.5), "rgb"))
        x = ref.preprocess(spec, np.full((3, 32, 64), 255.0))
        np.testing.assert_allclose(x[:, 0, 0], [0.5, 0.75, 2.5])


if __name__ == "__main__":
    unittest.main()
