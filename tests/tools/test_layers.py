"""Each layer of deep3d_ref against a naive loop implementation."""

from __future__ import annotations

import unittest

import numpy as np

import naive  # sets up the tools/ import path
import deep3d_ref as ref


class ConvTest(unittest.TestCase):
    def test_conv3x3_pad1(self) -> None:
        rng = np.random.default_rng(1)
        x = rng.standard_normal((3, 5, 7))
        w = rng.standard_normal((4, 3, 3, 3))
        b = rng.standard_normal(4)
        got = ref.conv2d(x, w, b, 1)
        self.assertEqual(got.shape, (4, 5, 7))
        np.testing.assert_allclose(got, naive.conv2d_loops(x, w, b, 1, 1), rtol=1e-12, atol=1e-12)

    def test_conv_nonsquare_kernel_and_pads(self) -> None:
        rng = np.random.default_rng(2)
        x = rng.standard_normal((2, 6, 5))
        w = rng.standard_normal((3, 2, 2, 4))  # kh != kw, Ci != Co
        b = rng.standard_normal(3)
        for pad in [(0, 0), (1, 2), (2, 1)]:
            with self.subTest(pad=pad):
                got = ref.conv2d(x, w, b, pad)
                want = naive.conv2d_loops(x, w, b, *pad)
                self.assertEqual(got.shape, want.shape)
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)

    def test_conv_is_cross_correlation(self) -> None:
        # A kernel with a single tap at (0, 0) reads the pixel up-left of the output (pad 1).
        x = np.arange(12, dtype=np.float64).reshape(1, 3, 4)
        w = np.zeros((1, 1, 3, 3))
        w[0, 0, 0, 0] = 1
        got = ref.conv2d(x, w, np.zeros(1), 1)
        self.assertEqual(got[0, 1, 1], x[0, 0, 0])
        self.assertEqual(got[0, 2, 3], x[0, 1, 2])
        self.assertEqual(got[0, 0, 0], 0.0)

    def test_conv_channel_mismatch_raises(self) -> None:
        with self.assertRaises(ValueError):
            ref.conv2d(np.zeros((2, 4, 4)), np.zeros((1, 3, 3, 3)), None, 1)


class DeconvTest(unittest.TestCase):
    def test_against_loops(self) -> None:
        rng = np.random.default_rng(3)
        for ci, co, h, w, k, s, p in [
            (2, 3, 3, 5, 1, 1, 0),
            (3, 2, 2, 4, 4, 2, 1),
            (2, 3, 3, 2, 8, 4, 2),
            (1, 2, 2, 3, 3, 2, 0),
            (2, 1, 4, 3, 5, 1, 2),
        ]:
            with self.subTest(ci=ci, co=co, h=h, w=w, k=k, s=s, p=p):
                x = rng.standard_normal((ci, h, w))
                wt = rng.standard_normal((ci, co, k, k))
                b = rng.standard_normal(co)
                got = ref.deconv2d(x, wt, b, s, p)
                self.assertEqual(got.shape, (co, (h - 1) * s - 2 * p + k, (w - 1) * s - 2 * p + k))
                np.testing.assert_allclose(got, naive.deconv2d_loops(x, wt, b, s, p), rtol=1e-12, atol=1e-12)

    def test_weight_axis0_is_input_channel(self) -> None:
        # Input channel 1 only, weight only in [ci=1, co=0]: output lands in channel 0.
        x = np.zeros((2, 1, 1))
        x[1, 0, 0] = 2.0
        w = np.zeros((2, 3, 1, 1))
        w[1, 0, 0, 0] = 5.0
        out = ref.deconv2d(x, w, np.zeros(3), 1, 0)
        np.testing.assert_array_equal(out[:, 0, 0], [10.0, 0.0, 0.0])

    def test_no_kernel_flip(self) -> None:
        # One input pixel at (0,0), stride 2, pad 1: out[ky-1, kx-1] = w[ky, kx].
        x = np.ones((1, 2, 2))
        x[0, 0, 1] = x[0, 1, 0] = x[0, 1, 1] = 0
        w = np.arange(16, dtype=np.float64).reshape(1, 1, 4, 4)
        out = ref.deconv2d(x, w, np.zeros(1), 2, 1)
        self.assertEqual(out.shape, (1, 4, 4))
        np.testing.assert_array_equal(out[0, :3, :3], w[0, 0, 1:, 1:])

    def test_branch_geometry_lands_on_half_size(self) -> None:
        for b in range(1, 6):
            k, s, p = ref.branch_geometry(b)
            self.assertEqual((k, s, p), [(1, 1, 0), (4, 2, 1), (8, 4, 2), (16, 8, 4), (32, 16, 8)][b - 1])
            hin, win = 80 >> (b - 1), 192 >> (b - 1)
            self.assertEqual(((hin - 1) * s - 2 * p + k, (win - 1) * s - 2 * p + k), (80, 192))


class PoolBnFcSoftmaxTest(unittest.TestCase):
    def test_maxpool(self) -> None:
        rng = np.random.default_rng(4)
        x = rng.standard_normal((3, 6, 8))
        np.testing.assert_array_equal(ref.maxpool2x2(x), naive.maxpool_loops(x))

    def test_maxpool_odd_raises(self) -> None:
        with self.assertRaises(ValueError):
            ref.maxpool2x2(np.zeros((1, 3, 4)))

    def test_batchnorm_no_epsilon(self) -> None:
        rng = np.random.default_rng(5)
        x = rng.standard_normal((3, 4, 5)) * 10
        g, be, mu = rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal(3)
        r = np.array([0.5, 2.0, 1e-4])
        got = ref.batchnorm_inv_std(x, g, be, mu, r)
        for c in range(3):
            np.testing.assert_allclose(got[c], g[c] * r[c] * (x[c] - mu[c]) + be[c], rtol=1e-14)
        # With x = mean + 1/r, gamma 1, beta 0 the output is exactly 1: an eps would show.
        x2 = np.ones((1, 1, 1)) * (3.0 + 1 / 1e-4)
        self.assertEqual(ref.batchnorm_inv_std(x2, [1.0], [0.0], [3.0], [1e-4])[0, 0, 0], 1.0)

    def test_fc(self) -> None:
        rng = np.random.default_rng(6)
        v, w, b = rng.standard_normal(7), rng.standard_normal((4, 7)), rng.standard_normal(4)
        np.testing.assert_allclose(ref.fc(v, w, b), naive.fc_loops(v, w, b), rtol=1e-12)

    def test_softmax_channels(self) -> None:
        rng = np.random.default_rng(7)
        z = rng.standard_normal((5, 3, 4)) * 3
        z[:, 0, 0] += 1000.0  # max subtraction keeps this finite
        p = ref.softmax_channels(z)
        for y in range(3):
            for x in range(4):
                e = np.exp(z[:, y, x] - z[:, y, x].max())
                np.testing.assert_allclose(p[:, y, x], e / e.sum(), rtol=1e-12)
        np.testing.assert_allclose(p.sum(axis=0), 1.0, rtol=1e-12)

    def test_relu(self) -> None:
        np.testing.assert_array_equal(ref.relu(np.array([-2.0, 0.0, 3.0])), [0.0, 0.0, 3.0])


if __name__ == "__main__":
    unittest.main()
