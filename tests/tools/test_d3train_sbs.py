"""tools/d3train/sbs_reader.py on small stereo videos written from generated pairs."""

from __future__ import annotations

import os
import subprocess
import tempfile
import unittest

import numpy as np

import naive

# The build under test: $BUILD as the Makefile exports it (tests/run-checks.sh), else this checkout's.
FFMPEG = os.path.join(os.environ.get("BUILD") or str(naive.TOOLS_DIR.parent / "_build"), "ffmpeg-build", "ffmpeg")

try:
    import torch
except ImportError:
    torch = None  # type: ignore[assignment]


def write_video(path: str, frames: np.ndarray) -> None:
    """(N, H, W, 3) uint8 RGB -> lossless FFV1 in Matroska."""
    n, h, w, _ = frames.shape
    subprocess.run([FFMPEG, "-hide_banner", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                    "-s", f"{w}x{h}", "-r", "10", "-i", "pipe:0", "-c:v", "ffv1", "-pix_fmt", "bgr0", path],
                   input=frames.tobytes(), check=True, timeout=60)


@unittest.skipIf(torch is None, "python3-torch not installed")
@unittest.skipUnless(os.access(FFMPEG, os.X_OK), "ffmpeg not built")
class SbsReaderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        torch.set_num_threads(1)
        from d3train.synth import StereoSynth, SynthConfig
        from d3train.textures import TextureAtlas, procedural_pack
        syn = StereoSynth(TextureAtlas(procedural_pack(6, 64), "cpu", levels=4),
                          SynthConfig(width=64, height=40, objects=4), seed=4)
        out = syn.sample(6)
        cls.L = (out["left"].permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
        cls.R = (out["right"].permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def read(self, frames: np.ndarray, layout: str, **kw):  # type: ignore[no-untyped-def]
        from d3train.sbs_reader import SbsSource, load_pairs
        path = os.path.join(self.tmp.name, f"{layout}.mkv")
        write_video(path, frames)
        return load_pairs([SbsSource(path, layout, 64, 40, ffmpeg=FFMPEG, **kw)])

    def test_full_sbs_and_tb_exact(self) -> None:
        for layout, packed in (("sbs", np.concatenate([self.L, self.R], 2)),
                               ("tb", np.concatenate([self.L, self.R], 1)),
                               ("sbsr", np.concatenate([self.R, self.L], 2))):
            with self.subTest(layout=layout):
                L, R = self.read(packed, layout)
                self.assertEqual(L.shape, self.L.shape)
                np.testing.assert_array_equal(L, self.L)
                np.testing.assert_array_equal(R, self.R)

    def test_half_sbs_unsqueezed(self) -> None:
        def squeeze(x: np.ndarray) -> np.ndarray:  # W -> W/2 by averaging column pairs
            return ((x[:, :, 0::2].astype(np.uint16) + x[:, :, 1::2] + 1) // 2).astype(np.uint8)
        L, R = self.read(np.concatenate([squeeze(self.L), squeeze(self.R)], 2), "hsbs")
        self.assertEqual(L.shape, self.L.shape)
        errL = np.abs(L.astype(int) - self.L).mean()
        errR = np.abs(R.astype(int) - self.R).mean()
        cross = np.abs(R.astype(int) - self.L).mean()
        self.assertLess(errL, 6.0)
        self.assertLess(errR, 6.0)
        self.assertLess(errR, cross)  # the eyes are not swapped

    def test_step_and_crop(self) -> None:
        packed = np.concatenate([self.L, self.R], 2)
        L, R = self.read(packed, "sbs", step=2)
        self.assertEqual(len(L), 3)
        np.testing.assert_array_equal(L, self.L[0::2])
        from d3train.sbs_reader import SbsSource, filter_graph
        # A 16:9 half-SBS 1920x1080 frame cropped to 256x160 (1.6): each eye keeps 1728 of 1920 picture columns.
        g = filter_graph(SbsSource("x", "hsbs", 256, 160), 1920, 1080)
        self.assertIn("crop=864:1080:48:0", g)
        self.assertIn("crop=864:1080:1008:0", g)


if __name__ == "__main__":
    unittest.main()
