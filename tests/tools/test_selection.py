"""Selection layer (section 5)."""

from __future__ import annotations

import unittest

import numpy as np

import naive  # sets up the tools/ import path
import deep3d_ref as ref

DMIN = -3
D = 7  # shifts -3..3
K = D + 1


def onehot(k: int, hn: int, wn: int) -> np.ndarray:
    P = np.zeros((K, hn, wn))
    P[k] = 1.0
    return P


def plane_of(d: int) -> int:
    return d - DMIN + 1


def random_probs(rng: np.random.Generator, hn: int, wn: int) -> np.ndarray:
    z = rng.standard_normal((K, hn, wn)) * 2
    e = np.exp(z)
    return e / e.sum(axis=0)


class SelectionTest(unittest.TestCase):
    def setUp(self) -> None:
        self.rng = np.random.default_rng(42)
        self.L = np.round(self.rng.uniform(0, 255, (6, 16)))

    def test_integer_shift_exact_with_edge_clamp(self) -> None:
        for d in (-3, -1, 0, 2, 3):
            with self.subTest(d=d):
                R = ref.render_plane(onehot(plane_of(d), 6, 16), self.L, DMIN, 16)
                cols = np.clip(np.arange(16) - d, 0, 15)
                np.testing.assert_array_equal(R, self.L[:, cols])

    def test_fractional_shift_is_linear(self) -> None:
        # d = 1 with strength 2.5 -> s = 2.5 pixels: average of columns.
        R = ref.render_plane(onehot(plane_of(1), 6, 16), self.L, DMIN, 16, strength=2.5)
        for X in range(16):
            xs = min(max(X - 2.5, 0.0), 15.0)
            x0 = int(np.floor(xs))
            x1 = min(x0 + 1, 15)
            want = (1 - (xs - x0)) * self.L[:, x0] + (xs - x0) * self.L[:, x1]
            np.testing.assert_allclose(R[:, X], want, rtol=1e-15, atol=0)
        np.testing.assert_allclose(R[:, 5], 0.5 * (self.L[:, 2] + self.L[:, 3]), rtol=1e-15)
        np.testing.assert_array_equal(R[:, 0], self.L[:, 0])  # clamped to the edge
        np.testing.assert_array_equal(R[:, 2], self.L[:, 0])

    def test_negative_fractional_shift_clamps_right_edge(self) -> None:
        R = ref.render_plane(onehot(plane_of(-1), 6, 16), self.L, DMIN, 16, strength=0.5)
        np.testing.assert_allclose(R[:, 3], 0.5 * (self.L[:, 3] + self.L[:, 4]), rtol=1e-15)
        np.testing.assert_array_equal(R[:, 15], self.L[:, 15])

    def test_convergence_shifts_everything(self) -> None:
        # 12.5 % of 32 px = 4 px, added to every plane's shift.
        L = np.round(self.rng.uniform(0, 255, (4, 32)))
        for d in (-2, 0, 1):
            with self.subTest(d=d):
                R = ref.render_plane(onehot(plane_of(d), 4, 32), L, DMIN, 32, convergence=12.5)
                np.testing.assert_array_equal(R, L[:, np.clip(np.arange(32) - d - 4, 0, 31)])

    def test_disparity_width_scales_shift(self) -> None:
        # Shifts are measured at disparity_width: d = 2 at width 8 is 4 px at Wo = 16.
        R = ref.render_plane(onehot(plane_of(2), 6, 16), self.L, DMIN, 8)
        np.testing.assert_array_equal(R, self.L[:, np.clip(np.arange(16) - 4, 0, 15)])

    def test_channel0_darkens_and_renormalize_restores(self) -> None:
        P = random_probs(self.rng, 6, 16)
        L = np.full((6, 16), 200.0)
        R = ref.render_plane(P, L, DMIN, 16)
        np.testing.assert_allclose(R, 200.0 * (1 - P[0]), rtol=1e-13)
        self.assertLess(R.max(), 200.0)
        Rn = ref.render_plane(P, L, DMIN, 16, renormalize=True)
        np.testing.assert_allclose(Rn, 200.0, rtol=1e-13)

    def test_renormalize_all_mass_in_channel0(self) -> None:
        R = ref.render_plane(onehot(0, 6, 16), self.L, DMIN, 16, renormalize=True)
        np.testing.assert_array_equal(R, 0.0)

    def test_same_size_is_original_depthdot(self) -> None:
        # spec 1.6: out = sum_{j=min..max} P[j - min + 1] * left[clamp(x - j)]
        P = random_probs(self.rng, 6, 16)
        R = ref.render_plane(P, self.L, DMIN, 16)
        want = np.zeros_like(self.L)
        for j in range(DMIN, DMIN + D):
            want += P[j - DMIN + 1] * self.L[:, np.clip(np.arange(16) - j, 0, 15)]
        np.testing.assert_allclose(R, want, rtol=1e-13)

    def test_double_size_scaled_shift_and_bilinear_probs(self) -> None:
        # Wo = 2 Wn: one-hot d = 1 shifts by exactly 2 px at the output size.
        L2 = np.round(self.rng.uniform(0, 255, (12, 32)))
        R = ref.render_plane(onehot(plane_of(1), 6, 16), L2, DMIN, 16)
        np.testing.assert_array_equal(R, L2[:, np.clip(np.arange(32) - 2, 0, 31)])
        # Random P: against the pixel-by-pixel loop, every parameter set.
        P = random_probs(self.rng, 6, 16)
        for strength, conv, renorm in ((1.0, 0.0, False), (2.5, 1.5, False), (0.7, -2.0, True)):
            with self.subTest(strength=strength, conv=conv, renorm=renorm):
                got = ref.render_plane(P, L2, DMIN, 16, strength, conv, renorm)
                want = naive.render_loops(P, L2, DMIN, 16, strength, conv, renorm)
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)

    def test_bilinear_probability_sampling(self) -> None:
        # Constant image, renormalize off: R = L * (1 - Pt0); Pt0 is P0 sampled bilinearly
        # with centre alignment. At 2x, output X = 1 sits at u = 0.25 between columns 0 and 1.
        P = random_probs(self.rng, 6, 16)
        L = np.full((12, 32), 100.0)
        R = ref.render_plane(P, L, DMIN, 16)
        # Y = 1 -> v = 0.25 too.
        p0 = (0.75 * (0.75 * P[0, 0, 0] + 0.25 * P[0, 0, 1]) + 0.25 * (0.75 * P[0, 1, 0] + 0.25 * P[0, 1, 1]))
        self.assertAlmostEqual(R[1, 1], 100.0 * (1 - p0), places=10)
        # X = 0 -> u = -0.25, clamped to column 0; last column clamped to Wn-1.
        self.assertAlmostEqual(R[0, 0], 100.0 * (1 - P[0, 0, 0]), places=10)
        self.assertAlmostEqual(R[11, 31], 100.0 * (1 - P[0, 5, 15]), places=10)

    def test_non_integer_ratio_matches_loops(self) -> None:
        P = random_probs(self.rng, 6, 16)
        L = np.round(self.rng.uniform(0, 255, (7, 23)))
        for strength, conv, renorm in ((1.0, 0.0, False), (2.5, 1.5, False), (0.7, -2.0, True)):
            with self.subTest(strength=strength, conv=conv, renorm=renorm):
                got = ref.render_plane(P, L, DMIN, 16, strength, conv, renorm)
                want = naive.render_loops(P, L, DMIN, 16, strength, conv, renorm)
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)

    def test_smaller_output(self) -> None:
        P = random_probs(self.rng, 6, 16)
        L = np.round(self.rng.uniform(0, 255, (3, 8)))
        got = ref.render_plane(P, L, DMIN, 16, 1.0, 0.0, False)
        np.testing.assert_allclose(got, naive.render_loops(P, L, DMIN, 16, 1.0, 0.0, False), rtol=1e-12)


if __name__ == "__main__":
    unittest.main()
