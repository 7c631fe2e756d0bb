"""tools/d3train/train.py: two torchrun processes train like one, a killed run resumes exactly.

Both run the real CLI on a tiny network on the CPU (gloo), one torch thread per process. About a
1 to 3 minutes (torchrun's start-up dominates), so not part of `make check`: `make check-train` runs it
(and CI, .ci/run).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import numpy as np

import naive
import deep3d_ref as ref

try:
    import torch
except ImportError:
    torch = None  # type: ignore[assignment]

TRAIN = str(naive.TOOLS_DIR / "d3train" / "train.py")
TINY = ["--input", "64x32", "--channels", "4,4,8,8,8", "--convs", "1,1,1,1,1", "--disparity=-3:3",
        "--val", "2", "--threads", "1", "--device", "cpu", "--minutes", "5", "--log-every", "0",
        "--w-sup", "0.1", "--w-grad", "0.5", "--w-smooth", "0.01"]
ENV = dict(os.environ, OMP_NUM_THREADS="1")
# Debian's torch 1.13 on Python 3.11: torchrun's default "--redirects 0" fails to parse (IntFlag
# iteration skips the 0 member), so name a stream; 1 = stdout, also copied to the console.
TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--redirects", "1", "--tee", "1"]


def weights(path: str) -> dict[str, np.ndarray]:
    return ref.load_model(path)[1]


def max_diff(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    return max(float(np.abs(a[k].astype(np.float64) - b[k]).max()) for k in a)


@unittest.skipIf(torch is None, "python3-torch not installed")
class DistributedTrainTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        from d3train.textures import procedural_pack
        cls.tmp = tempfile.TemporaryDirectory()
        cls.pack = os.path.join(cls.tmp.name, "tex.npz")
        np.savez_compressed(cls.pack, textures=procedural_pack(4, 32))

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def run_ok(self, cmd: list[str], timeout: int = 240) -> None:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=ENV)
        self.assertEqual(r.returncode, 0, r.stdout[-2000:] + r.stderr[-3000:])

    def test_two_processes_equal_one(self) -> None:
        # Global batch 4 in generator chunks of 2, no reuse pool: both runs train on the same pairs
        # (rank r generates chunk r of each step), the two ranks' batch statistics are summed and
        # DDP averages their gradients, so the maths is that of one process at batch 4.
        # In float64: in float32 the runs differ by up to 3.6e-4 (measured), all of it in weights
        # whose true gradient is 0 (conv5_1_bias feeds a batch norm that removes any shift); there
        # Adam divides rounding noise by its own running size and makes lr-sized steps of random sign.
        common = [*TINY, "--textures", self.pack, "--batch", "4", "--chunk", "2", "--fresh", "4", "--steps", "4",
                  "--val-every", "100", "--float64"]
        one, two = (os.path.join(self.tmp.name, n) for n in ("one", "two"))
        self.run_ok([sys.executable, TRAIN, "--out", one, *common])
        self.run_ok([*TORCHRUN, "--nproc_per_node=2", TRAIN, "--out", two, *common])
        from d3train import checkpoint
        from d3train.model import Arch, Deep3DNet
        ca, cb = checkpoint.load(os.path.join(one, "checkpoint.pt")), checkpoint.load(os.path.join(two, "checkpoint.pt"))
        a = {k: v.numpy() for k, v in ca["model"].items()}
        b = {k: v.numpy() for k, v in cb["model"].items()}
        self.assertEqual(a["conv1_1_weight"].dtype, np.float64)
        init = Deep3DNet(Arch(64, 32, (4, 4, 8, 8, 8), (1, 1, 1, 1, 1), -3, 3, 64).spec())
        init.reset_parameters(1)
        moved = max_diff({k: a[k] for k in init.shapes}, {k: v.numpy() for k, v in init.file_tensors().items()})
        # Tolerance 1e-9: only the order of additions differs (two partial sums of the batch
        # statistics and of the gradients instead of one), ~1e-16 relative in float64; even where
        # Adam amplifies noise (above) that stays below lr * 1e-16 / eps(1e-8) per step. Measured 5.6e-13.
        self.assertLess(max_diff(a, b), 1e-9)
        self.assertGreater(moved, 1e-3)  # four steps of lr ~1e-3 moved the weights: the test can fail
        self.assertEqual((ca["world"], cb["world"]), (1, 2))
        self.assertEqual(len(cb["rng"]), 2)  # both ranks' random states

    # A reuse pool (1 fresh pair per step into a ring of 4) so a resume must rebuild it.
    POOLED = ["--batch", "2", "--fresh", "1", "--pool", "4", "--chunk", "1", "--steps", "40", "--val-every", "1000"]

    def uninterrupted(self) -> dict[str, np.ndarray]:
        full = os.path.join(self.tmp.name, "full")
        if not os.path.exists(os.path.join(full, "model.safetensors")):
            self.run_ok([sys.executable, TRAIN, "--out", full, *TINY, "--textures", self.pack, *self.POOLED])
        return weights(os.path.join(full, "model.safetensors"))

    def start_and_signal(self, cmd: list[str], log: str, sig: int, after: str) -> tuple[subprocess.Popen, str]:
        """Start cmd, send `sig` once the log contains `after`; returns the process and the log then."""
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and p.poll() is None:
            if os.path.exists(log):
                with open(log) as f:
                    text = f.read()
                if after in text:
                    p.send_signal(sig)
                    p.wait(timeout=120)
                    return p, text
            time.sleep(0.02)
        p.kill()
        p.wait()
        self.fail("the run ended before it could be signalled")

    def test_kill_and_resume_is_exact(self) -> None:
        cut = os.path.join(self.tmp.name, "cut")
        common = [*TINY, "--textures", self.pack, *self.POOLED]
        log = os.path.join(cut, "train.log")
        _, before = self.start_and_signal([sys.executable, TRAIN, "--out", cut, *common, "--ckpt-steps", "5"], log,
                                          signal.SIGKILL, '"event": "checkpoint", "step": 15')
        self.assertNotIn('"event": "done"', before)
        self.run_ok([sys.executable, TRAIN, "--out", cut, *common, "--resume"])
        with open(log) as f:
            self.assertIn('"event": "resume", "step": ', f.read())
        a, b = self.uninterrupted(), weights(os.path.join(cut, "model.safetensors"))
        for k in a:
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)  # bit for bit

    def test_sigterm_stops_every_rank_with_a_checkpoint(self) -> None:
        # As Slurm does before a time limit: SIGTERM to torchrun, which passes it to both ranks;
        # they agree on the step to stop at, rank 0 saves, both exit; the resume finishes the run.
        run = os.path.join(self.tmp.name, "term")
        common = [*TINY, "--textures", self.pack, *self.POOLED]
        log = os.path.join(run, "train.log")
        p, _ = self.start_and_signal([*TORCHRUN, "--nproc_per_node=2", TRAIN, "--out", run, *common, "--batch", "4"],
                                     log, signal.SIGTERM, '"event": "train", "step": 5,')
        with open(log) as f:
            ev = [json.loads(line) for line in f if line.strip()]
        done = ev[-1]
        self.assertEqual(done["event"], "done")
        self.assertTrue(done["stopped_by_signal"])
        self.assertLess(done["step"], 40)
        ck = [e for e in ev if e["event"] == "checkpoint"]
        self.assertEqual(ck[0]["step"], done["step"])  # saved at once, before the final validation
        self.run_ok([*TORCHRUN, "--nproc_per_node=2", TRAIN, "--out", run, *common, "--batch", "4", "--resume"])
        with open(log) as f:
            ev = [json.loads(line) for line in f if line.strip()]
        self.assertEqual((ev[-1]["event"], ev[-1]["step"], ev[-1]["stopped_by_signal"]), ("done", 40, False))
        self.assertIn("restored", [e for e in ev if e["event"] == "resume"][-1]["rng"])

    def test_prefetch_changes_nothing(self) -> None:
        # The background thread makes the same pairs (a function of the step), in the same order.
        common = [*TINY, "--textures", self.pack, "--batch", "2", "--fresh", "1", "--pool", "4", "--chunk", "1",
                  "--steps", "5", "--val-every", "1000"]
        plain, pre = (os.path.join(self.tmp.name, n) for n in ("plain", "prefetch"))
        self.run_ok([sys.executable, TRAIN, "--out", plain, *common])
        self.run_ok([sys.executable, TRAIN, "--out", pre, *common, "--prefetch"])
        a, b = weights(os.path.join(plain, "model.safetensors")), weights(os.path.join(pre, "model.safetensors"))
        for k in a:
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)


if __name__ == "__main__":
    unittest.main()
