"""tools/d3train/checkpoint.py: atomic writes, the size cap, random states, loading our own files."""

from __future__ import annotations

import os
import random
import tempfile
import unittest

import numpy as np

import naive  # noqa: F401  (tools/ on sys.path)

try:
    import torch
except ImportError:
    torch = None  # type: ignore[assignment]


@unittest.skipIf(torch is None, "python3-torch not installed")
class CheckpointTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.tmp.name, "checkpoint.pt")

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def state(self) -> dict:
        from d3train import checkpoint
        return {"model": {"w": torch.arange(6.0)}, "step": 3, "rng": [checkpoint.rng_state()],
                "torch": torch.__version__, "args": {"lr": 1e-3, "channels": (4, 8)}}

    def test_round_trip_restores_every_random_state(self) -> None:
        from d3train import checkpoint
        torch.manual_seed(5)
        random.seed(6)
        np.random.seed(7)
        checkpoint.save(self.path, self.state())
        want = (torch.rand(3), random.random(), np.random.rand())
        torch.manual_seed(99)
        random.seed(99)
        np.random.seed(99)
        ck = checkpoint.load(self.path)
        st = ck["rng"][0]
        self.assertEqual(st["torch_cpu"].dtype, torch.uint8)
        self.assertEqual(st["torch_cpu"].device.type, "cpu")
        checkpoint.set_rng_state(st)
        got = (torch.rand(3), random.random(), np.random.rand())
        self.assertTrue(torch.equal(want[0], got[0]))
        self.assertEqual(want[1:], got[1:])
        self.assertEqual(ck["step"], 3)
        self.assertEqual(ck["args"]["channels"], (4, 8))

    def test_loads_what_a_weights_only_load_refuses(self) -> None:
        # torch >= 2.6 defaults to weights_only=True, which refuses our file (numpy random state,
        # TorchVersion); checkpoint.load asks for the full unpickler explicitly.
        from d3train import checkpoint
        checkpoint.save(self.path, self.state())
        import inspect
        if "weights_only" in inspect.signature(torch.load).parameters:
            with self.assertRaises(Exception):
                torch.load(self.path, weights_only=True)
        self.assertEqual(checkpoint.load(self.path)["step"], 3)

    def test_size_cap_keeps_the_old_file(self) -> None:
        from d3train import checkpoint
        checkpoint.save(self.path, self.state())
        before = open(self.path, "rb").read()
        big = dict(self.state(), model={"w": torch.zeros(1 << 20)})  # 4 MB
        with self.assertRaisesRegex(ValueError, "more than"):
            checkpoint.save(self.path, big, max_bytes=1 << 20)
        self.assertEqual(open(self.path, "rb").read(), before)
        self.assertFalse(os.path.exists(self.path + ".tmp"))

    def test_refuses_other_files(self) -> None:
        from d3train import checkpoint
        torch.save({"weights": torch.zeros(2)}, self.path)
        with self.assertRaisesRegex(ValueError, "not a d3train checkpoint"):
            checkpoint.load(self.path)

    def test_default_architecture_fits(self) -> None:
        # Model + Adam moments of the default network: the 2026-12-04 checkpoint was 8.8 MB.
        from d3train import checkpoint
        from d3train.model import Arch, Deep3DNet
        net = Deep3DNet(Arch().spec())
        opt = torch.optim.Adam(net.parameters())
        net(torch.zeros(2, 3, 160, 256)).mean().backward()
        opt.step()
        size = checkpoint.save(self.path, {"model": net.state_dict(), "optimizer": opt.state_dict(), "step": 1})
        self.assertLess(size, checkpoint.MAX_BYTES)
        self.assertGreater(size, 3 * 4 * 700_000)  # weights and two moments, float32


if __name__ == "__main__":
    unittest.main()
