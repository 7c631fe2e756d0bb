"""tools/d3train/train.py: two torchrun processes train like one, a killed run resumes exactly.

Both run the real CLI on a tiny network on the CPU (gloo), one torch thread per process. About 1
to 3 minutes (torchrun's start-up dominates), so not part of `make check`: `make check-train` runs it
(and CI, .ci/run).
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
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


def torchrun() -> list[str]:
    """torchrun for one node, its store on a port that is free now.

    Not --standalone: that always rendezvouses on port 29400, and torch 1.13's c10d backend, when it
    cannot bind it, joins whatever answers there as a client, so back-to-back runs could meet.
    One fresh port per run, static rendezvous, the workers share the agent's store.
    Debian's torch 1.13 on Python 3.11: torchrun's default "--redirects 0" fails to parse (IntFlag
    iteration skips the 0 member), so name a stream; 1 = stdout, also copied to the console.
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return [sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--master_addr", "127.0.0.1",
            "--master_port", str(port), "--redirects", "1", "--tee", "1"]


def log_tail(cmd: list[str], lines: int = 15) -> str:
    """The last lines of the run's train.log (the directory after --out), for a failure message."""
    path = os.path.join(cmd[cmd.index("--out") + 1], "train.log")
    try:
        with open(path) as f:
            return "".join(f.readlines()[-lines:])
    except OSError as e:
        return f"({path}: {e.strerror})"


def children(pid: int) -> list[int]:
    """The processes whose parent is pid (from /proc)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended meanwhile
            if int(fields[1]) == pid:
                out.append(int(d))
    return out


def environ(pid: int) -> dict[str, str]:
    """A process's environment (from /proc); empty if it has ended."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            items = f.read().split(b"\0")
    except OSError:
        return {}
    return dict(i.decode(errors="replace").split("=", 1) for i in items if b"=" in i)


def kill_group(p: subprocess.Popen) -> None:
    """Stop a run and every process it started (torchrun's workers too: its own session)."""
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    p.wait()


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
        # Its own session, so that a run past the limit is stopped with its workers (none is left
        # behind to hold a port or the CPU) and the failure shows how far it got.
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV,
                             start_new_session=True)
        try:
            out, _ = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(p)
            out = p.stdout.read() if p.stdout else ""
            self.fail(f"still running after {timeout} s: {shlex.join(cmd)}\n"
                      f"output:\n{out[-3000:]}\ntrain.log:\n{log_tail(cmd)}")
        self.assertEqual(p.returncode, 0, f"{out[-4000:]}\ntrain.log:\n{log_tail(cmd)}")

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
        self.run_ok([*torchrun(), "--nproc_per_node=2", TRAIN, "--out", two, *common])
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

    def start_and_signal(self, cmd: list[str], log: str, sig: int, after: str,
                         rank: int | None = None) -> tuple[subprocess.Popen, str]:
        """Start cmd, send `sig` once the log contains `after` (to the launcher, or to torchrun's
        worker of that `rank`); returns the ended process and the log then."""
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV,
                             start_new_session=True)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and p.poll() is None:
            if os.path.exists(log):
                with open(log) as f:
                    text = f.read()
                if after in text:
                    if rank is None:
                        p.send_signal(sig)  # to the launcher only, as a scheduler's notice would be
                    else:
                        pids = [c for c in children(p.pid) if environ(c).get("RANK") == str(rank)]
                        if len(pids) != 1:
                            kill_group(p)
                            self.fail(f"rank {rank} among torchrun's workers: {len(pids)} processes")
                        os.kill(pids[0], sig)
                    try:
                        p.wait(timeout=120)
                    except subprocess.TimeoutExpired:
                        kill_group(p)
                        self.fail(f"still running 120 s after the signal\ntrain.log:\n{log_tail(cmd)}")
                    kill_group(p)  # a worker the launcher left behind would still write the log
                    return p, text
            time.sleep(0.02)
        kill_group(p)
        self.fail(f"the run ended before it could be signalled\ntrain.log:\n{log_tail(cmd)}")

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
        p, _ = self.start_and_signal([*torchrun(), "--nproc_per_node=2", TRAIN, "--out", run, *common, "--batch", "4"],
                                     log, signal.SIGTERM, '"event": "train", "step": 5,')
        with open(log) as f:
            ev = [json.loads(line) for line in f if line.strip()]
        done = ev[-1]
        self.assertEqual(done["event"], "done")
        self.assertTrue(done["stopped_by_signal"])
        self.assertLess(done["step"], 40)
        ck = [e for e in ev if e["event"] == "checkpoint"]
        self.assertEqual(ck[0]["step"], done["step"])  # saved at once, before the final validation
        self.run_ok([*torchrun(), "--nproc_per_node=2", TRAIN, "--out", run, *common, "--batch", "4", "--resume"])
        with open(log) as f:
            ev = [json.loads(line) for line in f if line.strip()]
        self.assertEqual((ev[-1]["event"], ev[-1]["step"], ev[-1]["stopped_by_signal"]), ("done", 40, False))
        self.assertIn("restored", [e for e in ev if e["event"] == "resume"][-1]["rng"])

    def test_signal_to_one_rank_stops_every_rank(self) -> None:
        # A signal reaches the ranks at different moments (here only rank 1 gets one): the ranks
        # agree on it each step, so both stop at the same step, both take part in the stop's save
        # and rank 0 reports the stop it never received itself.
        run = os.path.join(self.tmp.name, "one-rank")
        common = [*TINY, "--textures", self.pack, *self.POOLED, "--batch", "4"]
        log = os.path.join(run, "train.log")
        p, _ = self.start_and_signal([*torchrun(), "--nproc_per_node=2", TRAIN, "--out", run, *common],
                                     log, signal.SIGTERM, '"event": "train", "step": 5,', rank=1)
        self.assertEqual(p.returncode, 0)
        with open(log) as f:
            ev = [json.loads(line) for line in f if line.strip()]
        done = ev[-1]
        self.assertEqual((done["event"], done["stopped_by_signal"]), ("done", True))
        self.assertLess(done["step"], 40)
        ck = [e["step"] for e in ev if e["event"] == "checkpoint"]
        self.assertEqual(ck, [done["step"], done["step"]])  # the stop's save, then the final one

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
