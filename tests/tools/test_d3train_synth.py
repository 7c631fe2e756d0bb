"""tools/d3train/synth.py: shapes, determinism, the disparity normalisation and the stereo geometry."""

from __future__ import annotations

import unittest

import numpy as np

import naive  # noqa: F401

try:
    import torch
except ImportError:
    torch = None  # type: ignore[assignment]


def warp_error(L, R, dR):  # type: ignore[no-untyped-def]
    """Mean |R(X) - L(X - s_R(X))| (linear taps) and mean |R - L|, over the central columns."""
    B, C, H, W = L.shape
    xs = (torch.arange(W, dtype=torch.float32).view(1, 1, W) - dR[:, 0]).clamp(0, W - 1)
    x0 = xs.floor().long()
    x1 = (x0 + 1).clamp(max=W - 1)
    f = (xs - x0)[:, None]
    g0 = L.gather(3, x0[:, None].expand(B, C, H, W))
    g1 = L.gather(3, x1[:, None].expand(B, C, H, W))
    Rw = g0 + f * (g1 - g0)
    cs = slice(W // 8, W - W // 8)
    return float((Rw - R)[..., cs].abs().mean()), float((L - R)[..., cs].abs().mean())


@unittest.skipIf(torch is None, "python3-torch not installed")
class SynthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        torch.set_num_threads(1)
        from d3train import synth, textures
        cls.synth = synth
        cls.atlas = textures.TextureAtlas(textures.procedural_pack(8, 64), "cpu", levels=4)

    def make(self, seed: int = 1, **kw):  # type: ignore[no-untyped-def]
        cfg = self.synth.SynthConfig(width=96, height=64, objects=6, **kw)
        return self.synth.StereoSynth(self.atlas, cfg, seed=seed)

    def test_shapes_ranges_determinism(self) -> None:
        a = self.make(3).sample(4)
        b = self.make(3).sample(4)
        for k, shape in (("left", (4, 3, 64, 96)), ("right", (4, 3, 64, 96)),
                         ("disp_left", (4, 1, 64, 96)), ("disp_right", (4, 1, 64, 96))):
            self.assertEqual(tuple(a[k].shape), shape)
            self.assertTrue(torch.isfinite(a[k]).all())
            self.assertTrue(torch.equal(a[k], b[k]), k)
        self.assertGreaterEqual(float(a["left"].min()), 0.0)
        self.assertLessEqual(float(a["left"].max()), 1.0)
        c = self.make(4).sample(4)
        self.assertFalse(torch.equal(a["left"], c["left"]))

    def test_normalisation(self) -> None:
        cfg_span = 0.025 * 96
        out = self.make(5, p_flip=0.0).sample(8)
        d = out["disp_left"].flatten(1)
        med = d.median(dim=1).values
        q = torch.quantile(d, torch.tensor([0.05, 0.95]), dim=1)
        span = q[1] - q[0]
        self.assertLess(float(med.abs().max()), 0.15)
        # Never wider than asked; equal to it unless the tails had to be pulled into the plane range.
        self.assertTrue(bool((span <= cfg_span * 1.1).all()), span)
        self.assertGreater(int((span > cfg_span * 0.8).sum()), 2)
        lim = 8 / 256 * 96
        self.assertLess(float(torch.quantile(d.abs(), 0.99)), lim * 1.2)
        # Near points have the most negative shift: at the bottom rows (ground) d is below the median.
        self.assertLess(float(out["disp_left"][..., -4:, :].mean()), 0.0)

    def test_geometry(self) -> None:
        for flip in (0.0, 1.0):
            with self.subTest(flip=flip):
                out = self.make(6, p_haze=0.0, p_defocus=0.0, p_flip=flip, noise=0.0, exposure=0.0).sample(4)
                err, ident = warp_error(out["left"], out["right"], out["disp_right"])
                self.assertLess(err, 0.4 * ident)
                # And the other way: L(x) = R(x + s_L(x)) (mirror everything to reuse warp_error).
                err2, ident2 = warp_error(out["right"].flip(-1), out["left"].flip(-1), out["disp_left"].flip(-1))
                self.assertLess(err2, 0.4 * ident2)


@unittest.skipIf(torch is None, "python3-torch not installed")
class AtlasTest(unittest.TestCase):
    def test_texel_centres_mirror_and_levels(self) -> None:
        from d3train.textures import TextureAtlas, procedural_pack
        torch.set_num_threads(1)
        tex = procedural_pack(5, 16, seed=3)
        atlas = TextureAtlas(tex, "cpu", levels=3)
        self.assertEqual((atlas.cols, atlas.rows, atlas.levels), (3, 2, 3))
        t = torch.tensor([0, 4, 2])
        iy, ix = torch.tensor([0, 7, 15]), torch.tensor([3, 0, 15])
        u = (ix.float() + 0.5) / 16
        v = (iy.float() + 0.5) / 16
        got = atlas.sample(t, u, v, torch.zeros(3)).T * 255
        want = torch.from_numpy(tex[t.numpy(), iy.numpy(), ix.numpy()]).float()
        # Level 0 at a texel centre is that texel.
        self.assertLess(float((got - want).abs().max()), 1e-3)
        # Mirror repeat: u and 2 - u sample the same point; u + 2 too.
        a = atlas.sample(t, u, v, torch.zeros(3))
        torch.testing.assert_close(atlas.sample(t, 2 - u, v, torch.zeros(3)), a, atol=1e-5, rtol=0)
        torch.testing.assert_close(atlas.sample(t, u + 2, v - 2, torch.zeros(3)), a, atol=1e-5, rtol=0)
        # The coarsest level is the tile's 4x4 box average; lod beyond it clamps.
        c = atlas.sample(t, torch.full((3,), 0.5), torch.full((3,), 0.5), torch.full((3,), 9.0)).T * 255
        mean = torch.from_numpy(tex[t.numpy()].astype(np.float64).mean(axis=(1, 2))).float()
        self.assertLess(float((c - mean).abs().max()), 40.0)


if __name__ == "__main__":
    unittest.main()
