"""Training on stereo films: frame filters, bar and cut handling, and a generated SBS film trained end to end.

The films are our own renders: left and right views from the procedural generator, packed side by
side, written losslessly by the ffmpeg under test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

import naive
import deep3d_ref as ref
from test_d3train_sbs import FFMPEG, write_video

try:
    import torch
except ImportError:
    torch = None  # type: ignore[assignment]

TRAIN = str(naive.TOOLS_DIR / "d3train" / "train.py")
W, H = 64, 32


def synth_pairs(n: int, seed: int, w: int = W, h: int = H) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n generated pairs as uint8 (n, h, w, 3) left and right, and the left view's true shift."""
    from d3train.synth import StereoSynth, SynthConfig
    from d3train.textures import TextureAtlas, procedural_pack
    syn = StereoSynth(TextureAtlas(procedural_pack(6, 64), "cpu", levels=4),
                      SynthConfig(width=w, height=h, objects=4, span_frac=0.08, range_frac=0.1), seed=seed)
    out = syn.sample(n)
    to8 = lambda t: (t.permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)  # noqa: E731
    return to8(out["left"]), to8(out["right"]), out["disp_left"][:, 0].numpy()


def film(L: np.ndarray, R: np.ndarray, shot: int = 3) -> np.ndarray:
    """Full side-by-side frames, each pair held for `shot` identical frames (one shot each)."""
    return np.repeat(np.concatenate([L, R], 2), shot, axis=0)


@unittest.skipIf(torch is None, "python3-torch not installed")
class FrameFilterTest(unittest.TestCase):
    def test_keeps_stereo_drops_2d_dark_and_flat(self) -> None:
        from d3train.frame_filters import PairFilter
        L, R, _ = synth_pairs(6, seed=3, w=128, h=80)
        f = PairFilter(max_shift=10)
        kept = [f.reason(a, b) for a, b in zip(L, R)]
        self.assertGreaterEqual(kept.count(None), 5, kept)  # generated scenes have depth
        # A 2D shot: the right eye is the left one moved by 3 px (convergence without depth).
        self.assertEqual([f.reason(a, np.roll(a, 3, axis=1)) for a in L], ["2d"] * 6)
        self.assertEqual(f.reason(L[0] // 12, R[0] // 12), "dark")
        grey = np.full_like(L[0], 128)
        self.assertEqual(f.reason(grey, grey), "dark")

    def test_tile_shift_matches_the_truth(self) -> None:
        from d3train.frame_filters import tile_disparities
        L, _, _ = synth_pairs(1, seed=5, w=128, h=80)
        right = np.roll(L[0], -4, axis=1)  # R(x - 4) = L(x): every tile has s = -4
        d = tile_disparities(L[0], right, 8)
        self.assertGreater(len(d), 10)
        self.assertTrue(np.all(d == -4), d)

    def test_active_area_finds_letterbox_bars(self) -> None:
        from d3train.frame_filters import active_area
        L, _, _ = synth_pairs(4, seed=6, w=96, h=60)
        boxed = [np.pad(a, ((10, 10), (0, 0), (0, 0))) for a in L]  # 60 -> 80 rows, 10 black each side
        x, y, w, h = active_area(boxed)
        self.assertEqual((x, w), (0.0, 1.0))
        self.assertAlmostEqual(y, 11 / 80)  # the bar plus one row of margin
        self.assertAlmostEqual(h, 58 / 80)
        self.assertEqual(active_area(list(L)), (0.0, 0.0, 1.0, 1.0))


@unittest.skipIf(torch is None, "python3-torch not installed")
class ManifestTest(unittest.TestCase):
    def test_parse(self) -> None:
        from d3train.manifest import parse_manifest
        films = parse_manifest("# films\na.mkv hsbs\n/x/b c.mkv\ttb\tval\n", base="/data")
        self.assertEqual([(f.path, f.layout, f.split) for f in films],
                         [("/data/a.mkv", "hsbs", "train"), ("/x/b c.mkv", "tb", "val")])
        for bad in ("a.mkv", "a.mkv sideways", "a.mkv sbs test", "", "a.mkv sbs val extra"):
            with self.subTest(bad=bad), self.assertRaises(ValueError):
                parse_manifest(bad)

    def test_train_reports_bad_film_input(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            bad = os.path.join(d, "films.tsv")
            with open(bad, "w") as f:
                f.write("a.mkv sideways\n")
            for extra, msg in ((["--manifest", bad], "train: manifest line 1: .*layout 'sideways'"),
                               (["--manifest", os.path.join(d, "none.tsv")], "train: .*No such file"),
                               (["--sbs", bad + ":sbs", "--ffmpeg", os.path.join(d, "nothing")], "train: no ffmpeg at")):
                with self.subTest(extra=extra):
                    r = subprocess.run([sys.executable, TRAIN, "--out", os.path.join(d, "run"), "--device", "cpu",
                                        *extra], capture_output=True, text=True, timeout=120)
                    self.assertNotEqual(r.returncode, 0)
                    self.assertRegex(r.stderr.strip().splitlines()[-1], msg)
                    self.assertNotIn("Traceback", r.stderr)


@unittest.skipIf(torch is None, "python3-torch not installed")
@unittest.skipUnless(os.access(FFMPEG, os.X_OK), "ffmpeg not built")
class FilmTrainingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        torch.set_num_threads(1)
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def test_scene_cuts_and_bars_are_removed_while_decoding(self) -> None:
        from d3train.sbs_reader import SbsSource, read_pairs
        from d3train.frame_filters import BAR_LEVEL, active_area
        L, R, _ = synth_pairs(4, seed=8)
        frames = film(np.pad(L, ((0, 0), (6, 6), (0, 0), (0, 0))), np.pad(R, ((0, 0), (6, 6), (0, 0), (0, 0))))
        path = os.path.join(self.tmp.name, "boxed.mkv")
        write_video(path, frames)  # 4 shots of 3 frames, letterboxed 6 rows top and bottom
        src = SbsSource(path, "sbs", W, H + 12, crop=False, ffmpeg=FFMPEG)
        active = active_area([a for a, _ in read_pairs(src)])
        pairs = list(read_pairs(SbsSource(path, "sbs", W, H, ffmpeg=FFMPEG, scene_max=0.3, active=active)))
        # Each cut drops the first frame of shots 2-4 (scene score ~1); the film's first frame has
        # no predecessor (score 0) and stays: 12 - 3 frames.
        self.assertEqual(len(pairs), 9)
        for a, _ in pairs:
            self.assertGreater(a[0].mean(), BAR_LEVEL)  # no bar rows left
            self.assertGreater(a[-1].mean(), BAR_LEVEL)

    def test_bars_measured_over_the_whole_film(self) -> None:
        # 12 s of titles (a white line on black: alone it looks like a picture 4 rows high), then 30 s
        # of letterboxed stereo shots; the probe samples the whole film, so the titles do not decide.
        import argparse
        from d3train.manifest import Film
        from d3train.video_batches import measure_bars
        L, R, _ = synth_pairs(4, seed=9)
        pad = ((0, 0), (6, 6), (0, 0), (0, 0))
        shots = film(np.pad(L, pad), np.pad(R, pad), shot=75)  # 300 frames at 10 fps
        titles = np.zeros((120, H + 12, 2 * W, 3), np.uint8)  # longer than a probe of the first frames
        titles[:, 20:24, 10:-10] = 255
        path = os.path.join(self.tmp.name, "titled.mkv")
        write_video(path, np.concatenate([titles, shots]))
        args = argparse.Namespace(ffmpeg=FFMPEG, sbs_step=6)
        x, y, w, h = measure_bars(Film(path, "sbs"), args)
        self.assertEqual((x, w), (0.0, 1.0))
        self.assertAlmostEqual(y * (H + 12), 7, delta=1.5)  # 6 bar rows plus a margin row, at 108/44 scale
        self.assertAlmostEqual(h * (H + 12), H - 2, delta=3)

    def test_generated_film_trains_end_to_end(self) -> None:
        d = self.tmp.name
        L, R, disp = synth_pairs(10, seed=11)
        # Training film: 6 stereo shots, 2 nearly-2D shots and 1 black shot, half-width SBS.
        twod = L[6:8]
        black = np.zeros_like(L[:1])
        fl = np.concatenate([L[:6], twod, black])
        fr = np.concatenate([R[:6], np.roll(twod, 2, axis=2), black])
        sq = lambda x: ((x[:, :, 0::2].astype(np.uint16) + x[:, :, 1::2] + 1) // 2).astype(np.uint8)  # noqa: E731
        write_video(os.path.join(d, "train.mkv"), film(sq(fl), sq(fr)))
        write_video(os.path.join(d, "held.mkv"), film(L[8:], R[8:]))
        with open(os.path.join(d, "films.tsv"), "w") as f:
            f.write("train.mkv\thsbs\nheld.mkv\tsbs\tval\n")
        # Real-pair validation from a file: two more generated pairs with their true disparity
        # (our shift is negative for near points; the file holds a positive disparity).
        np.savez(os.path.join(d, "real.npz"), left_0=L[0], right_0=R[0], gt_0=-disp[0].astype(np.float64),
                 left_1=L[1], right_1=R[1], gt_1=-disp[1].astype(np.float64))
        out = os.path.join(d, "run")
        args = [sys.executable, TRAIN, "--out", out, "--manifest", os.path.join(d, "films.tsv"), "--ffmpeg", FFMPEG,
                "--input", f"{W}x{H}", "--channels", "4,4,8,8,8", "--convs", "1,1,1,1,1", "--disparity=-3:3",
                "--batch", "4", "--sbs-step", "1", "--cache-pairs", "64", "--val", "2", "--threads", "1",
                "--device", "cpu", "--steps", "3", "--log-every", "0", "--val-every", "0",
                "--real-val", os.path.join(d, "real.npz")]
        r = subprocess.run(args, capture_output=True, text=True, timeout=240, env=dict(os.environ, OMP_NUM_THREADS="1"))
        self.assertEqual(r.returncode, 0, r.stdout[-2000:] + r.stderr[-2000:])
        with open(os.path.join(out, "train.log")) as f:
            ev = [json.loads(line) for line in f if line.strip()]
        done = [e for e in ev if e["event"] == "done"][-1]
        self.assertEqual((done["step"], done["samples"]), (3, 12))
        train = [e for e in ev if e["event"] == "train"][-1]
        # 9 shots of 3 frames: ffmpeg drops the first frame after each of the 8 cuts, 19 remain:
        # 3 + 5 x 2 stereo frames kept, 2 x 2 of the 2D shots and 2 black ones dropped here.
        self.assertEqual(train["pairs"], {"kept": 13, "2d": 4, "dark": 2}, train)
        self.assertEqual(train["cached"], 13)
        val = [e for e in ev if e["event"] == "val"][-1]
        for k in ("film_val_l1", "film_val_l1_identity", "val_l1", "real_spearman"):
            self.assertTrue(np.isfinite(val[k]), k)
        spec, _ = ref.load_model(os.path.join(out, "model.safetensors"))
        self.assertEqual((spec.input_width, spec.input_height), (W, H))
        self.assertTrue(os.path.exists(os.path.join(out, "best.safetensors")))
        _, md = __import__("safetensors_io").read_safetensors(os.path.join(out, "model.safetensors"))
        self.assertIn("train.mkv", md["training.data"])
        self.assertNotIn("held.mkv", md["training.data"])


if __name__ == "__main__":
    unittest.main()
