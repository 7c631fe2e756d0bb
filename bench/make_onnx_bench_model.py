#!/usr/bin/python3
"""A random-weight depth network the size of Depth Anything V2 Small, exported to ONNX,
for the speed benchmark of the ONNX depth source (bench/onnx.sh). No pretrained weights:
speed does not depend on the values.

The layout follows the published architecture (facts, not code, from the Depth Anything
V2 paper and DINOv2): a ViT-S/14 encoder (patch 14, width 384, 12 blocks of 6-head
attention and a 1536-wide MLP, a class token), features taken after blocks 3, 6, 9 and 12,
and a DPT head: per level a 1x1 projection to 48/96/192/384 channels resized to 4x, 2x,
1x and 1/2 of the patch grid, 3x3 convolutions to 64 channels, four fusion blocks (two
residual 3x3 units each, 2x bilinear upsampling), then 3x3 64->32, upsampling to the
input size, 3x3 32->32, ReLU, 1x1 32->1, ReLU. 24.3 M parameters at 364x196 (Depth
Anything V2 Small: 24.8 M; the difference is in details of the head).

Usage: make_onnx_bench_model.py OUT.onnx WxH [--fp16]   (W and H multiples of 14)
Debian's python3-torch 1.13 (CPU), opset 14, fixed input size. --fp16: the float32 export
rewritten to float16 (tensors, input, output, casts and constants; the float inputs of
Resize, its scales and roi, stay float32 as ONNX requires), the GPU benchmark's model
(torch 1.13 cannot trace the network in half on the CPU).
"""

from __future__ import annotations

import sys

import torch
from torch import nn
import torch.nn.functional as F

PATCH = 14
WIDTH = 384
DEPTH = 12
HEADS = 6
MLP = 1536
TAPS = (2, 5, 8, 11)
OUT_CH = (48, 96, 192, 384)
FEAT = 64


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.n1 = nn.LayerNorm(WIDTH, eps=1e-6)
        self.qkv = nn.Linear(WIDTH, 3 * WIDTH)
        self.proj = nn.Linear(WIDTH, WIDTH)
        self.n2 = nn.LayerNorm(WIDTH, eps=1e-6)
        self.fc1 = nn.Linear(WIDTH, MLP)
        self.fc2 = nn.Linear(MLP, WIDTH)
        self.ls1 = nn.Parameter(torch.full((WIDTH,), 1e-1))
        self.ls2 = nn.Parameter(torch.full((WIDTH,), 1e-1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        qkv = self.qkv(self.n1(x)).reshape(b, n, 3, HEADS, c // HEADS).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        a = torch.softmax(q @ k.transpose(-2, -1) * (c // HEADS) ** -0.5, dim=-1)
        x = x + self.ls1 * self.proj((a @ v).transpose(1, 2).reshape(b, n, c))
        return x + self.ls2 * self.fc2(F.gelu(self.fc1(self.n2(x))))


class ResUnit(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(FEAT, FEAT, 3, padding=1)
        self.c2 = nn.Conv2d(FEAT, FEAT, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.c2(F.relu(self.c1(F.relu(x))))


class Fusion(nn.Module):
    def __init__(self, first: bool) -> None:
        super().__init__()
        self.r1 = None if first else ResUnit()
        self.r2 = ResUnit()
        self.out = nn.Conv2d(FEAT, FEAT, 1)

    def forward(self, x: torch.Tensor, skip: torch.Tensor | None, size: tuple[int, int]) -> torch.Tensor:
        if skip is not None:
            x = x + self.r1(skip)
        x = self.r2(x)
        return self.out(F.interpolate(x, size=size, mode="bilinear", align_corners=True))


class DepthNet(nn.Module):
    def __init__(self, w: int, h: int) -> None:
        super().__init__()
        self.gw, self.gh = w // PATCH, h // PATCH
        self.w, self.h = w, h
        self.embed = nn.Conv2d(3, WIDTH, PATCH, PATCH)
        self.cls = nn.Parameter(torch.zeros(1, 1, WIDTH))
        self.pos = nn.Parameter(torch.randn(1, 1 + self.gw * self.gh, WIDTH) * 0.02)
        self.blocks = nn.ModuleList(Block() for _ in range(DEPTH))
        self.norm = nn.LayerNorm(WIDTH, eps=1e-6)
        self.project = nn.ModuleList(nn.Conv2d(WIDTH, c, 1) for c in OUT_CH)
        self.resize = nn.ModuleList([nn.ConvTranspose2d(OUT_CH[0], OUT_CH[0], 4, 4),
                                     nn.ConvTranspose2d(OUT_CH[1], OUT_CH[1], 2, 2),
                                     nn.Identity(),
                                     nn.Conv2d(OUT_CH[3], OUT_CH[3], 3, 2, 1)])
        self.rn = nn.ModuleList(nn.Conv2d(c, FEAT, 3, padding=1, bias=False) for c in OUT_CH)
        self.fuse = nn.ModuleList(Fusion(i == 3) for i in range(4))
        self.head1 = nn.Conv2d(FEAT, FEAT // 2, 3, padding=1)
        self.head2 = nn.Conv2d(FEAT // 2, 32, 3, padding=1)
        self.head3 = nn.Conv2d(32, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = self.embed(x).flatten(2).transpose(1, 2)
        t = torch.cat([self.cls.expand(t.shape[0], -1, -1), t], 1) + self.pos
        feats = []
        for i, blk in enumerate(self.blocks):
            t = blk(t)
            if i in TAPS:
                f = self.norm(t)[:, 1:].transpose(1, 2).reshape(t.shape[0], WIDTH, self.gh, self.gw)
                feats.append(f)
        lv = [self.rn[i](self.resize[i](self.project[i](f))) for i, f in enumerate(feats)]
        p = self.fuse[3](lv[3], None, lv[2].shape[2:])
        p = self.fuse[2](p, lv[2], lv[1].shape[2:])
        p = self.fuse[1](p, lv[1], lv[0].shape[2:])
        p = self.fuse[0](p, lv[0], (lv[0].shape[2] * 2, lv[0].shape[3] * 2))
        p = F.interpolate(self.head1(p), size=(self.h, self.w), mode="bilinear", align_corners=True)
        return F.relu(self.head3(F.relu(self.head2(p))))[:, 0]


def to_fp16(path: str) -> None:
    """Rewrite the float32 ONNX file at path to float16, in place."""
    import numpy as np
    import onnx
    from onnx import TensorProto, numpy_helper

    m = onnx.load(path)
    g = m.graph
    keep = set()                # float tensors that must stay float32: Resize's roi and scales
    for n in g.node:
        if n.op_type == "Resize":
            keep.update(n.input[1:3])
    keep.discard("")            # an absent optional input, not a tensor's name

    def half_tensor(t):
        if t.data_type == TensorProto.FLOAT and t.name not in keep:
            t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t).astype(np.float16), t.name))

    for t in g.initializer:
        half_tensor(t)
    for n in g.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.TENSOR and not (n.op_type == "Constant" and n.output[0] in keep):
                half_tensor(a.t)
            if n.op_type == "Cast" and a.name == "to" and a.i == TensorProto.FLOAT and n.output[0] not in keep:
                a.i = TensorProto.FLOAT16
    for v in list(g.input) + list(g.output):
        if v.type.tensor_type.elem_type == TensorProto.FLOAT:
            v.type.tensor_type.elem_type = TensorProto.FLOAT16
    del g.value_info[:]
    onnx.checker.check_model(m)
    onnx.save(m, path)


def main(argv: list[str]) -> int:
    fp16 = "--fp16" in argv
    argv = [a for a in argv if a != "--fp16"]
    out, size = argv[0], argv[1]
    w, h = (int(v) for v in size.split("x"))
    if w % PATCH or h % PATCH:
        raise SystemExit(f"{size}: width and height must be multiples of {PATCH}")
    torch.manual_seed(15)
    net = DepthNet(w, h).eval()
    n = sum(p.numel() for p in net.parameters())
    x = torch.rand(1, 3, h, w)
    with torch.no_grad():
        torch.onnx.export(net, x, out, input_names=["image"], output_names=["depth"], opset_version=14,
                          do_constant_folding=True)
    if fp16:
        to_fp16(out)
    print(f"{out}: {n / 1e6:.2f} M parameters, input 1x3x{h}x{w}{' float16' if fp16 else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
