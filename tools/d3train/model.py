"""The Deep3D `fcn` family (docs/model-format.md sections 3 and 4) in PyTorch.

Every tensor of the model file is a parameter or buffer of `Deep3DNet` under the file's own
name, with the file's shape, so export is a dict copy (plus the BatchNorm variance, which the
file stores as `moving_inv_var = 1 / sqrt(var + eps)`: section 4 applies it with no epsilon).
The `original` arch (FC head) is not trained here: its 384x160 FC layers are 20x the cost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from d3train import paths  # noqa: F401  (tools/ on sys.path)
from deep3d_ref import ModelSpec, branch_geometry, expected_shapes, parse_spec

BN_EPS: float = 1e-5
BN_MOMENTUM: float = 0.05


@dataclass(frozen=True)
class Arch:
    """The hyperparameters a trained model needs; `spec()` turns them into a format-checked ModelSpec."""

    input_width: int = 256
    input_height: int = 160
    stage_channels: tuple[int, int, int, int, int] = (16, 32, 64, 96, 128)
    stage_convs: tuple[int, int, int, int, int] = (1, 1, 2, 1, 1)
    disparity_min: int = -8
    disparity_max: int = 8
    disparity_width: int = 256

    def spec(self) -> ModelSpec:
        md = ModelSpec(
            arch="fcn", input_width=self.input_width, input_height=self.input_height,
            stage_channels=self.stage_channels, stage_convs=self.stage_convs, fc_channels=None,
            disparity_min=self.disparity_min, disparity_max=self.disparity_max,
            disparity_width=self.disparity_width, color_order="rgb", input_scale=2.0,
            input_mean=(1.0, 1.0, 1.0)).to_metadata()
        return parse_spec(md)  # validates every value against the format


def preprocess(spec: ModelSpec, rgb01: torch.Tensor) -> torch.Tensor:
    """(B,3,H,W) RGB in 0..1 -> network input (pixel * scale - mean, in the spec's colour order)."""
    x = rgb01 if spec.color_order == "rgb" else rgb01.flip(1)
    mean = torch.tensor(spec.input_mean, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return x * spec.input_scale - mean


def _bilinear_kernel(k: int, stride: int) -> torch.Tensor:
    """The k x k kernel of a stride-`stride` transposed conv that upsamples bilinearly."""
    if k == 1:
        return torch.ones(1, 1)
    c = (k - 1) / 2.0
    t = torch.arange(k, dtype=torch.float64)
    w1 = 1 - (t - c).abs() / stride
    return (w1[:, None] * w1[None, :]).float()


class Deep3DNet(nn.Module):
    """fcn Deep3D: trunk -> 5 BN/conv/deconv side branches -> predup -> convolution0 -> logits."""

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__()
        if spec.arch != "fcn":
            raise ValueError("Deep3DNet trains the fcn arch only")
        self.spec = spec
        self.shapes = expected_shapes(spec)
        for name, shape in self.shapes.items():
            if name.endswith(("_moving_mean", "_moving_inv_var")):
                self.register_buffer(name, torch.zeros(shape))
            else:
                self.register_parameter(name, nn.Parameter(torch.zeros(shape)))
        for b in range(1, 6):
            # The running variance behind moving_inv_var (not a file tensor).
            self.register_buffer(f"bn_pool{b}_running_var", torch.ones(spec.stage_channels[b - 1]))
        # Set by distributed training: x -> the sum of x over every rank (differentiable), so the
        # batch statistics are those of the whole global batch, as in one process.
        self.batch_sum: Callable[[torch.Tensor], torch.Tensor] | None = None
        self.reset_parameters()

    def reset_parameters(self, seed: int | None = None) -> None:
        g = torch.Generator().manual_seed(seed) if seed is not None else None
        K = self.spec.K
        with torch.no_grad():
            for name, p in list(self.named_parameters()) + list(self.named_buffers()):
                if name.endswith("_running_var"):
                    p.fill_(1.0)
                elif name.endswith("_moving_inv_var"):
                    p.fill_(1.0 / math.sqrt(1.0 + BN_EPS))
                elif name.endswith(("_bias", "_beta", "_moving_mean")):
                    p.zero_()
                elif name.endswith("_gamma"):
                    p.fill_(1.0)
                elif name.startswith("deconv_"):
                    k = p.shape[2]
                    stride = 2 if name == "deconv_predup_weight" else max(1, k // 2)
                    p.zero_()
                    ker = _bilinear_kernel(k, stride)
                    for c in range(K):
                        p[c, c] = ker
                elif name == "convolution0_weight":
                    p.normal_(0.0, 0.01, generator=g)
                    for c in range(K):
                        p[c, c, 1, 1] += 1.0
                else:  # trunk and pred convs: He normal
                    fan_in = p.shape[1] * p.shape[2] * p.shape[3]
                    p.normal_(0.0, math.sqrt(2.0 / fan_in), generator=g)
            # Start with little mass on the null plane (it renders black).
            self.convolution0_bias[0] = -3.0

    def _bn(self, b: int, x: torch.Tensor) -> torch.Tensor:
        gamma = getattr(self, f"bn_pool{b}_gamma")
        beta = getattr(self, f"bn_pool{b}_beta")
        mean_buf = getattr(self, f"bn_pool{b}_moving_mean")
        inv_buf = getattr(self, f"bn_pool{b}_moving_inv_var")
        var_buf = getattr(self, f"bn_pool{b}_running_var")
        if self.training:
            xf = x if x.dtype == torch.float64 else x.float()  # float32 under autocast
            n = xf.numel() / xf.shape[1]
            if self.batch_sum is None:
                mean = xf.mean(dim=(0, 2, 3))
                var = xf.var(dim=(0, 2, 3), unbiased=False)
            else:  # two passes over the global batch, as numerically sound as var() itself
                s1 = self.batch_sum(torch.cat([xf.sum(dim=(0, 2, 3)), xf.new_tensor([n])]))
                n = float(s1[-1])
                mean = s1[:-1] / n
                var = self.batch_sum(((xf - mean.view(1, -1, 1, 1)) ** 2).sum(dim=(0, 2, 3))) / n
            with torch.no_grad():
                mean_buf.lerp_(mean, BN_MOMENTUM)
                var_buf.lerp_(var * n / max(n - 1, 1), BN_MOMENTUM)
                inv_buf.copy_(torch.rsqrt(var_buf + BN_EPS))
            inv = torch.rsqrt(var + BN_EPS)
        else:
            mean, inv = mean_buf, inv_buf
        scale = (gamma * inv).to(x.dtype).view(1, -1, 1, 1)
        return (x - mean.to(x.dtype).view(1, -1, 1, 1)) * scale + beta.to(x.dtype).view(1, -1, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Network input (B,3,Hn,Wn) (already preprocessed) -> logits (B,K,Hn,Wn)."""
        spec = self.spec
        pools: list[torch.Tensor] = []
        for s in range(1, 6):
            for i in range(1, spec.stage_convs[s - 1] + 1):
                x = F.relu(F.conv2d(x, getattr(self, f"conv{s}_{i}_weight"),
                                    getattr(self, f"conv{s}_{i}_bias"), padding=1))
            x = F.max_pool2d(x, 2)
            pools.append(x)
        z: torch.Tensor | None = None
        for b in range(1, 6):
            y = self._bn(b, pools[b - 1])
            y = F.relu(F.conv2d(y, getattr(self, f"pred{b}_weight"), getattr(self, f"pred{b}_bias"), padding=1))
            _, st, pd = branch_geometry(b)
            y = F.conv_transpose2d(y, getattr(self, f"deconv_pred{b}_weight"),
                                   getattr(self, f"deconv_pred{b}_bias"), stride=st, padding=pd)
            z = y if z is None else z + y
        assert z is not None
        z = F.relu(z)
        z = F.relu(F.conv_transpose2d(z, self.deconv_predup_weight, self.deconv_predup_bias, stride=2, padding=1))
        return F.conv2d(z, self.convolution0_weight, self.convolution0_bias, padding=1)

    def probabilities(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.forward(x).float(), dim=1)

    def file_tensors(self) -> dict[str, torch.Tensor]:
        """Every tensor of the model file, in graph order, as float32 CPU tensors."""
        own = dict(self.named_parameters())
        own.update(dict(self.named_buffers()))
        return {name: own[name].detach().float().cpu().clone() for name in self.shapes}

    def load_file_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        """Inverse of file_tensors (the running variance is rebuilt from moving_inv_var)."""
        own = dict(self.named_parameters())
        own.update(dict(self.named_buffers()))
        with torch.no_grad():
            for name in self.shapes:
                own[name].copy_(torch.as_tensor(tensors[name]))
            for b in range(1, 6):
                inv = getattr(self, f"bn_pool{b}_moving_inv_var")
                getattr(self, f"bn_pool{b}_running_var").copy_(1.0 / inv.clamp_min(1e-12) ** 2 - BN_EPS)


def flops_per_frame(spec: ModelSpec) -> int:
    """Multiply-adds x 2 of convolutions and deconvolutions for one frame (BN, ReLU, softmax not counted)."""
    H, W = spec.input_height, spec.input_width
    C = spec.stage_channels
    K = spec.K
    macs = 0
    cin = 3
    for s in range(1, 6):
        h, w = H >> (s - 1), W >> (s - 1)
        for _ in range(spec.stage_convs[s - 1]):
            macs += h * w * cin * C[s - 1] * 9
            cin = C[s - 1]
    for b in range(1, 6):
        h, w = H >> b, W >> b
        macs += h * w * C[b - 1] * K * 9  # pred conv
        k, st, _ = branch_geometry(b)
        macs += h * w * K * K * k * k  # deconv: every input pixel scatters a k x k kernel
    macs += (H // 2) * (W // 2) * K * K * 16  # predup
    macs += H * W * K * K * 9  # convolution0
    return 2 * macs


def count_parameters(spec: ModelSpec) -> int:
    return sum(math.prod(s) for s in expected_shapes(spec).values())
