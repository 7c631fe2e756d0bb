"""tools/d3train: the PyTorch network and selection layer against deep3d_ref, and export."""

from __future__ import annotations

import os
import tempfile
import unittest

import numpy as np

import naive  # noqa: F401  (tools/ on sys.path)
import deep3d_ref as ref

try:
    import torch
except ImportError:  # python3-torch is optional for the rest of the suite
    torch = None  # type: ignore[assignment]


@unittest.skipIf(torch is None, "python3-torch not installed")
class D3TrainModelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        torch.set_num_threads(1)
        from d3train import model, selection
        cls.model = model
        cls.selection = selection

    def small_net(self, seed: int = 3):
        arch = self.model.Arch(input_width=64, input_height=32, stage_channels=(4, 6, 8, 8, 12),
                               stage_convs=(1, 2, 1, 1, 1), disparity_min=-3, disparity_max=4,
                               disparity_width=64)
        net = self.model.Deep3DNet(arch.spec())
        net.reset_parameters(seed)
        # Perturb every tensor so no layer is a trivial identity, then run a few training-mode
        # passes so the BatchNorm buffers hold real statistics.
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for name, p in net.named_parameters():
                p.add_(0.2 * p.abs().mean().clamp_min(0.05) * torch.randn(p.shape, generator=g))
            net.train()
            for _ in range(3):
                net(torch.rand(2, 3, 32, 64, generator=g) * 2 - 1)
        net.eval()
        return net

    def test_forward_equals_reference_on_exported_weights(self) -> None:
        from d3train.export import export_model, import_model
        net = self.small_net()
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "m.safetensors")
            export_model(net, path, {"training.test": "1"})
            spec, tensors = ref.load_model(path)
            self.assertEqual(spec, net.spec)
            rng = np.random.default_rng(5)
            px = ref.synthetic_image(rng, 32, 64)  # RGB 0..255, the spec's colour order is rgb
            x = ref.preprocess(spec, px)
            P_ref = ref.forward(spec, tensors, x)
            with torch.no_grad():
                xt = self.model.preprocess(spec, torch.from_numpy(px / 255.0).float()[None])
                np.testing.assert_allclose(xt[0].double().numpy(), x, atol=1e-6)
                P_t = net.probabilities(xt)[0].double().numpy()
            self.assertGreater(P_ref.max(axis=0).mean(), 1.5 / spec.K)  # not a flat softmax
            np.testing.assert_allclose(P_t, P_ref, atol=1e-4, rtol=0)
            # Round trip: the imported net computes the same.
            net2 = import_model(path).eval()
            with torch.no_grad():
                np.testing.assert_allclose(net2.probabilities(xt)[0].double().numpy(), P_t, atol=1e-6)

    def test_selection_equals_reference(self) -> None:
        rng = np.random.default_rng(2)
        K, hn, wn = 8, 6, 16
        z = rng.standard_normal((K, hn, wn)) * 2
        P = np.exp(z) / np.exp(z).sum(axis=0)
        for (ho, wo, dw, strength, conv, renorm) in [(6, 16, 16, 1.0, 0.0, False), (13, 37, 16, 1.3, -2.5, False),
                                                      (5, 11, 24, 0.7, 3.0, True), (6, 16, 32, 1.0, 0.0, False)]:
            with self.subTest(ho=ho, wo=wo, dw=dw):
                L = rng.uniform(0, 255, (ho, wo))
                want = ref.render_plane(P, L, -3, dw, strength, conv, renorm)
                got = self.selection.render(torch.from_numpy(P)[None], torch.from_numpy(L)[None, None], -3, dw,
                                         strength, conv, renorm)[0, 0].numpy()
                np.testing.assert_allclose(got, want, atol=1e-9)
                if (ho, wo, strength, conv, renorm) == (hn, wn, 1.0, 0.0, False):
                    fast = self.selection.render_net_res(torch.from_numpy(P)[None], torch.from_numpy(L)[None, None],
                                                      -3, dw)[0, 0].numpy()
                    np.testing.assert_allclose(fast, want, atol=1e-9)

    def test_selection_gradient_flows(self) -> None:
        P = torch.full((1, 5, 4, 8), 0.2, requires_grad=True)
        L = torch.rand(1, 3, 4, 8)
        self.selection.render_net_res(P, L, -2, 8).sum().backward()
        self.assertIsNotNone(P.grad)
        self.assertTrue(torch.all(P.grad[:, 0] == 0))  # the null plane renders nothing
        self.assertGreater(float(P.grad[:, 1:].abs().sum()), 0)

    def test_flops_match_bench_compact(self) -> None:
        # bench/run.sh's "compact" model is recorded as 0.92 GFLOP/frame.
        arch = self.model.Arch(stage_channels=(16, 32, 64, 128, 128), stage_convs=(1, 1, 1, 1, 1))
        self.assertAlmostEqual(self.model.flops_per_frame(arch.spec()) / 1e9, 0.92, delta=0.01)


if __name__ == "__main__":
    unittest.main()
