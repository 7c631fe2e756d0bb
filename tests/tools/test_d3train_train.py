"""tools/d3train/train.py end to end on a tiny network: train, checkpoint, resume, export."""

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

try:
    import torch
except ImportError:
    torch = None  # type: ignore[assignment]

TRAIN = str(naive.TOOLS_DIR / "d3train" / "train.py")
EXPORT = str(naive.TOOLS_DIR / "d3train" / "export.py")
TINY = ["--input", "64x32", "--channels", "4,4,8,8,8", "--convs", "1,1,1,1,1", "--disparity=-3:3",
        "--batch", "2", "--pool", "4", "--val", "2", "--threads", "1", "--device", "cpu", "--minutes", "5",
        "--log-every", "0", "--val-every", "0", "--w-sup", "0.1", "--w-grad", "0.5", "--w-smooth", "0.01"]


def events(path: str) -> list[dict]:
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


@unittest.skipIf(torch is None, "python3-torch not installed")
class TrainTest(unittest.TestCase):
    def test_train_resume_export(self) -> None:
        from d3train.textures import procedural_pack
        with tempfile.TemporaryDirectory() as d:
            pack = os.path.join(d, "tex.npz")
            np.savez_compressed(pack, textures=procedural_pack(4, 32))
            out = os.path.join(d, "run")
            env = dict(os.environ, OMP_NUM_THREADS="1")
            r = subprocess.run([sys.executable, TRAIN, "--out", out, "--steps", "3", "--textures", pack, *TINY],
                               capture_output=True, text=True, timeout=180, env=env)
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            ev = events(os.path.join(out, "train.log"))
            self.assertEqual(ev[0]["event"], "start")
            done = [e for e in ev if e["event"] == "done"]
            self.assertEqual(done[-1]["step"], 3)
            self.assertTrue(any(e["event"] == "train" and "sup" in e and "grad" in e for e in ev))
            val = [e for e in ev if e["event"] == "val"][-1]
            self.assertTrue(np.isfinite(val["val_l1"]))
            spec, tensors = ref.load_model(os.path.join(out, "model.safetensors"))
            self.assertEqual((spec.arch, spec.input_width, spec.D, spec.color_order), ("fcn", 64, 7, "rgb"))
            _, md = __import__("safetensors_io").read_safetensors(os.path.join(out, "model.safetensors"))
            self.assertEqual(md["training.steps"], "3")
            # Resume to 5 steps; the checkpoint carries step and samples.
            r = subprocess.run([sys.executable, TRAIN, "--out", out, "--steps", "5", "--resume", "--textures", pack,
                                *TINY], capture_output=True, text=True, timeout=180, env=env)
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            ev = events(os.path.join(out, "train.log"))
            self.assertTrue(any(e["event"] == "resume" and e["step"] == 3 for e in ev))
            self.assertEqual([e for e in ev if e["event"] == "done"][-1]["samples"], 10)
            # The export CLI writes the same model as the run's own export.
            m2 = os.path.join(d, "m2.safetensors")
            r = subprocess.run([sys.executable, EXPORT, os.path.join(out, "checkpoint.pt"), m2],
                               capture_output=True, text=True, timeout=120, env=env)
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            _, t1 = ref.load_model(os.path.join(out, "model.safetensors"))
            _, t2 = ref.load_model(m2)
            for k in t1:
                np.testing.assert_array_equal(t1[k], t2[k])


if __name__ == "__main__":
    unittest.main()
