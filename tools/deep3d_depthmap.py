"""Reference: a relative inverse-depth map as disparity probabilities (docs/onnx.md).

Mirrors libavfilter/deep3d_depthmap.c operation by operation, in the same
precision at each step, so the C result can be compared exactly:
  lo, hi = order statistics floor(pct * (n - 1) / 100) of the map;
  t = clip((z - lo) / (hi - lo), 0, 1) in float64, rounded to float32 (0.5 when hi <= lo);
  d = disp_max - t * (disp_max - disp_min) in float64 (the product is exact), to float32;
  f = d - disp_min, k = min(floor(f), D - 2), w = f - k in float32;
  plane 1 + k gets 1 - w, plane 2 + k gets w.
"""

from __future__ import annotations

import math

import numpy as np

# The geometry of an ONNX depth source (deep3d_depthmap.h): the built-in model's planes.
DISP_MIN = -8
DISP_MAX = 8
DISP_WIDTH = 256
LO_PCT = 2.0
HI_PCT = 98.0


def percentile_index(pct: float, n: int) -> int:
    """The 0-based ascending order statistic the C code takes for pct (floor, in double)."""
    return min(int(math.floor(pct * (n - 1) / 100.0)), n - 1)


def robust_range(depth: np.ndarray, lo_pct: float = LO_PCT, hi_pct: float = HI_PCT) -> tuple[np.float32, np.float32]:
    z = np.sort(np.asarray(depth, np.float32).ravel())
    return z[percentile_index(lo_pct, z.size)], z[percentile_index(hi_pct, z.size)]


def disparity(depth: np.ndarray, disp_min: int = DISP_MIN, disp_max: int = DISP_MAX,
              lo_pct: float = LO_PCT, hi_pct: float = HI_PCT) -> np.ndarray:
    """Per-pixel disparity (float32), nearest = disp_min."""
    z = np.asarray(depth, np.float32)
    if not np.all(np.isfinite(z)):
        raise ValueError("depth map has a value that is not finite")
    lo, hi = robust_range(z, lo_pct, hi_pct)
    if hi > lo:
        t = np.clip((z.astype(np.float64) - np.float64(lo)) / (np.float64(hi) - np.float64(lo)), 0.0, 1.0)
        t = t.astype(np.float32)
    else:
        t = np.full(z.shape, 0.5, np.float32)
    d = np.float64(disp_max) - t.astype(np.float64) * np.float64(disp_max - disp_min)
    return d.astype(np.float32)


def to_probs(depth: np.ndarray, disp_min: int = DISP_MIN, disp_max: int = DISP_MAX,
             lo_pct: float = LO_PCT, hi_pct: float = HI_PCT) -> np.ndarray:
    """(H, W) map -> (D + 1, H, W) float32 probabilities, two neighbouring planes per pixel."""
    z = np.asarray(depth, np.float32)
    nb_disp = disp_max - disp_min + 1
    d = disparity(z, disp_min, disp_max, lo_pct, hi_pct)
    f = d - np.float32(disp_min)
    k = np.minimum(np.floor(f).astype(np.int64), nb_disp - 2)
    w = f - k.astype(np.float32)
    probs = np.zeros((nb_disp + 1,) + z.shape, np.float32)
    rows, cols = np.indices(z.shape)
    probs[1 + k, rows, cols] = np.float32(1) - w
    probs[2 + k, rows, cols] = w
    return probs
