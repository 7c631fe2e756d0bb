"""tools/eval.py: its numpy baselines against the real filter binary and the reference, and its statistics."""

from __future__ import annotations

import os
import sys
import tempfile
import unittest

import numpy as np

import naive
import deep3d_ref as ref
from safetensors_io import write_safetensors

sys.path.insert(0, str(naive.TOOLS_DIR))
import eval as ev  # noqa: E402


def uniform_model(path: str) -> ref.ModelSpec:
    """An fcn model whose probabilities are exactly equal on planes 1..D (and ~0 on the null plane)."""
    md = ref.ModelSpec(arch="fcn", input_width=64, input_height=32, stage_channels=(2, 2, 2, 2, 2),
                       stage_convs=(1, 1, 1, 1, 1), fc_channels=None, disparity_min=-4, disparity_max=4,
                       disparity_width=64, color_order="rgb", input_scale=1.0, input_mean=(0, 0, 0)).to_metadata()
    spec = ref.parse_spec(md)
    t = {k: np.zeros(s, np.float32) for k, s in ref.expected_shapes(spec).items()}
    for b in range(1, 6):
        t[f"bn_pool{b}_moving_inv_var"][:] = 1
    t["convolution0_bias"][0] = -60.0
    write_safetensors(path, t, md)
    return spec


class EvalStatsTest(unittest.TestCase):
    def test_rank_and_spearman(self) -> None:
        np.testing.assert_array_equal(ev.rankdata(np.array([3.0, 1.0, 3.0, 2.0])), [3.5, 1, 3.5, 2])
        x = np.random.default_rng(1).normal(size=200)
        self.assertAlmostEqual(ev.spearman(x, np.exp(x)), 1.0)
        self.assertAlmostEqual(ev.spearman(x, -x ** 3), -1.0)

    def test_shift_render_is_the_selection_layer(self) -> None:
        rng = np.random.default_rng(3)
        L = rng.integers(0, 256, (5, 40, 3)).astype(np.uint8)
        # One-hot P on plane d = 2 at strength 1.5, convergence -3%: a global shift.
        K, d0 = 9, -4
        P = np.zeros((K, 4, 8))
        P[2 - d0 + 1] = 1
        want = ref.render_plane(P, L[..., 1].astype(float), d0, 64, 1.5, -3.0)
        s = (2 * 1.5 / 64 - 0.03) * 40
        got = ev.shift_render(L, np.full((1, 1), s))[..., 1]
        np.testing.assert_array_equal(got, np.clip(np.round(want), 0, 255))


@unittest.skipUnless(os.access(ev.FFMPEG, os.X_OK), "ffmpeg not built")
class EvalFilterTest(unittest.TestCase):
    def test_read_image_is_lossless_for_png(self) -> None:
        # Pillow where installed, else the ffmpeg binary: both must give the stored values.
        import subprocess
        rng = np.random.default_rng(7)
        rgb = rng.integers(0, 256, (9, 13, 3)).astype(np.uint8)
        grey = rng.integers(0, 256, (9, 13)).astype(np.uint8)
        with tempfile.TemporaryDirectory() as d:
            for arr, fmt, name in ((rgb, "rgb24", "c.png"), (grey, "gray", "g.png")):
                subprocess.run([ev.FFMPEG, "-v", "error", "-f", "rawvideo", "-pix_fmt", fmt, "-s", "13x9", "-i", "pipe:0",
                                "-frames:v", "1", os.path.join(d, name)], input=arr.tobytes(), check=True)
            np.testing.assert_array_equal(ev.read_image(os.path.join(d, "c.png")), rgb)
            np.testing.assert_array_equal(ev.read_image(os.path.join(d, "g.png"), gray=True), grey)
            with self.assertRaises((ValueError, OSError)):
                ev.read_image(os.path.join(d, "missing.png"))

    def test_uniform_baseline_equals_filter(self) -> None:
        rng = np.random.default_rng(4)
        L = np.clip(ref.synthetic_image(rng, 48, 96).transpose(1, 2, 0), 0, 255).astype(np.uint8)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "u.safetensors")
            spec = uniform_model(path)
            outs = ev.run_filter(L, [ev.deep3d_opts(path, mode="right", strength="1.5", convergence="-2"),
                                     ev.deep3d_opts(path, mode="right", strength="0.5", convergence="3")])
            for img, (a, c) in zip(outs, ((1.5, -2.0), (0.5, 3.0))):
                want = ev.uniform_render(L, spec, a, c)
                self.assertLessEqual(int(np.abs(img.astype(int) - want).max()), 1)
            ed = ev.filter_depth(path, spec, L)
            self.assertLess(float(np.abs(ed).max()), 0.02)  # the mean of planes -4..4

    def test_repeat_and_extra_options(self) -> None:
        """run_filter(repeat=n) scores the last of n identical frames; extra options reach the filter."""
        rng = np.random.default_rng(5)
        L = np.clip(ref.synthetic_image(rng, 32, 64).transpose(1, 2, 0), 0, 255).astype(np.uint8)
        model = os.path.join(naive.TOOLS_DIR, "..", "tests", "data", "deep3d-tiny-fcn.safetensors")
        self.assertEqual(ev.deep3d_opts("a:b", "smooth=8", mode="right"),
                         "deep3d=model=a\\:b:smooth=8:mode=right")
        one = ev.run_filter(L, [ev.deep3d_opts(model, "smooth=0", mode="right")])[0]
        last = ev.run_filter(L, [ev.deep3d_opts(model, "smooth=0", mode="right")], repeat=3)[0]
        np.testing.assert_array_equal(one, last)
        # a still picture: the smoothed volume is the per-frame one, up to float rounding
        smooth = ev.run_filter(L, [ev.deep3d_opts(model, "smooth=8", mode="right")], repeat=3)[0]
        self.assertLessEqual(int(np.abs(smooth.astype(int) - one).max()), 1)
        hard = ev.run_filter(L, [ev.deep3d_opts(model, "render=hard", mode="right", strength="4")])[0]
        soft = ev.run_filter(L, [ev.deep3d_opts(model, "render=soft", mode="right", strength="4")])[0]
        self.assertGreater(int(np.abs(hard.astype(int) - soft).max()), 0)


if __name__ == "__main__":
    unittest.main()
