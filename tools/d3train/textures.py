"""The texture pack: loading it, and trilinear mip-mapped sampling from a tile atlas on any device.

The pack (data/textures.npz, built by build_textures.py) holds N square RGB photos. They are
laid out as tiles of one atlas, and a pyramid of 2x2 box-filtered levels is built on the device.
`sample` takes per-point tile indices, texture coordinates in tile units (mirror-repeated, so
any real value is valid) and a level of detail, and returns RGB.
"""

from __future__ import annotations

import math
import os

import numpy as np
import torch
import torch.nn.functional as F

DEFAULT_PACK: str = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "textures.npz")


def load_pack(path: str = DEFAULT_PACK) -> np.ndarray:
    """(N, T, T, 3) uint8."""
    with np.load(path) as z:
        tex = z["textures"]
    if tex.ndim != 4 or tex.shape[3] != 3 or tex.shape[1] != tex.shape[2] or tex.dtype != np.uint8:
        raise ValueError(f"{path}: textures must be (N, T, T, 3) uint8, got {tex.shape} {tex.dtype}")
    return tex


def procedural_pack(n: int = 8, size: int = 64, seed: int = 0) -> np.ndarray:
    """A small stand-in pack (smooth noise and stripes) for tests that must not need the real one."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    out = np.empty((n, size, size, 3), np.uint8)
    for i in range(n):
        img = np.zeros((size, size, 3))
        for _ in range(4):
            fx, fy = rng.integers(1, 6, 2)  # whole periods so the tile repeats seamlessly
            ph = rng.uniform(0, 2 * math.pi)
            img += rng.uniform(10, 50, 3) * np.sin(2 * math.pi * (fx * xx + fy * yy) + ph)[..., None]
        img += rng.uniform(60, 190, 3)
        out[i] = np.clip(img + rng.normal(0, 8, img.shape), 0, 255).astype(np.uint8)
    return out


class TextureAtlas:
    """All textures as tiles of one atlas, with `levels` mip levels, on `device`."""

    def __init__(self, textures: np.ndarray, device: torch.device | str = "cpu", levels: int = 6,
                 dtype: torch.dtype = torch.float32) -> None:
        n, t, _, _ = textures.shape
        if t & (t - 1):
            raise ValueError(f"texture size {t} is not a power of two")
        self.n = n
        self.tile = t
        self.cols = math.ceil(math.sqrt(n))
        self.rows = math.ceil(n / self.cols)
        self.levels = max(1, min(levels, int(math.log2(t)) - 1))
        self.device = torch.device(device)
        atlas = torch.zeros(3, self.rows * t, self.cols * t, dtype=torch.float32)
        src = torch.from_numpy(textures).permute(0, 3, 1, 2).float() / 255.0
        for i in range(n):
            r, c = divmod(i, self.cols)
            atlas[:, r * t:(r + 1) * t, c * t:(c + 1) * t] = src[i]
        pyr = [atlas[None]]
        for _ in range(1, self.levels):
            pyr.append(F.avg_pool2d(pyr[-1], 2))
        self.pyramid = [p.to(self.device, dtype) for p in pyr]
        self.mean_color = src.mean(dim=(2, 3)).to(self.device)  # (N, 3)
        tc = torch.arange(n, device=self.device)
        self.tile_col = (tc % self.cols).float()
        self.tile_row = (tc // self.cols).float()

    def sample(self, tile: torch.Tensor, u: torch.Tensor, v: torch.Tensor, lod: torch.Tensor) -> torch.Tensor:
        """tile (long), u, v (tile units), lod (0 = full resolution) all of one shape S -> (3, *S)."""
        shape = u.shape
        tile = tile.reshape(-1).clamp(0, self.n - 1)
        fu = _mirror(u.reshape(-1))
        fv = _mirror(v.reshape(-1))
        lod = lod.reshape(-1).clamp(0, self.levels - 1)
        col = self.tile_col[tile]
        row = self.tile_row[tile]
        out = torch.zeros(3, fu.numel(), device=u.device, dtype=torch.float32)
        for lev, img in enumerate(self.pyramid):
            w = (1 - (lod - lev).abs()).clamp_min(0)
            if not bool((w > 0).any()):
                continue
            ts = self.tile >> lev
            m = 0.5 / ts  # clamp to the outer texel centres: bilinear taps stay inside the tile
            x = (col + fu.clamp(m, 1 - m)) / self.cols * 2 - 1
            y = (row + fv.clamp(m, 1 - m)) / self.rows * 2 - 1
            grid = torch.stack([x, y], dim=-1).view(1, -1, 1, 2).to(img.dtype)
            s = F.grid_sample(img, grid, mode="bilinear", padding_mode="border", align_corners=False)
            out += s.view(3, -1).float() * w
        return out.view(3, *shape)


def _mirror(u: torch.Tensor) -> torch.Tensor:
    """Mirror repeat into [0, 1]: 0..1 forwards, 1..2 backwards, period 2."""
    m = torch.remainder(u, 2.0)
    return torch.where(m > 1, 2 - m, m)
