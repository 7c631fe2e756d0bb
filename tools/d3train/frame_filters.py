"""Which decoded film frames make training pairs: black bars, dark or flat frames, nearly-2D shots.

Scene cuts are dropped by ffmpeg while decoding (sbs_reader's `scene_max`); the rest is here, in
numpy on uint8 (H, W, 3) RGB eyes at the network size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BAR_LEVEL: float = 24.0  # a bar row or column never gets brighter than this (8-bit levels)


def luma(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float32) @ np.array([0.2126, 0.7152, 0.0722], np.float32)


def active_area(frames: list[np.ndarray], level: float = BAR_LEVEL) -> tuple[float, float, float, float]:
    """(x, y, w, h) as fractions of the picture: what remains after removing the rows and columns
    at the edges that stay darker than `level` in every frame (letterbox and pillarbox bars).
    Several frames are needed: a dark scene alone would look like one big bar."""
    if not frames:
        raise ValueError("active_area: no frames")
    peak = np.max(np.stack([luma(f) for f in frames]), axis=0)  # (H, W): brightest over the frames
    h, w = peak.shape
    rows = np.flatnonzero(peak.max(axis=1) > level)
    cols = np.flatnonzero(peak.max(axis=0) > level)
    if len(rows) == 0 or len(cols) == 0:
        return (0.0, 0.0, 1.0, 1.0)  # all dark: nothing to learn about the bars
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    # One row/column of margin: scaled bar edges blend into the picture.
    if y0 > 0 or y1 < h:
        y0, y1 = min(y0 + 1, y1 - 1), max(y1 - 1, y0 + 1)
    if x0 > 0 or x1 < w:
        x0, x1 = min(x0 + 1, x1 - 1), max(x1 - 1, x0 + 1)
    return (x0 / w, y0 / h, (x1 - x0) / w, (y1 - y0) / h)


def is_dark_or_flat(left: np.ndarray, min_mean: float = 16.0, min_std: float = 6.0) -> bool:
    """Fades, black frames, title cards on a flat colour: nothing for the depth to learn."""
    y = luma(left)
    return float(y.mean()) < min_mean or float(y.std()) < min_std


def tile_disparities(left: np.ndarray, right: np.ndarray, max_shift: int, tiles: tuple[int, int] = (4, 6),
                     min_std: float = 4.0) -> np.ndarray:
    """Best integer shift s per textured tile, R(x + s) ~ L(x) (sum of absolute differences over
    s in -max_shift..max_shift); tiles flatter than min_std levels are left out."""
    yl, yr = luma(left), luma(right)
    h, w = yl.shape
    m = max_shift
    th, tw = h // tiles[0], (w - 2 * m) // tiles[1]
    if th < 2 or tw < 2:
        raise ValueError(f"tile_disparities: {w}x{h} is too small for {tiles} tiles and shift {m}")
    shifts = np.arange(-m, m + 1)
    out = []
    for i in range(tiles[0]):
        for j in range(tiles[1]):
            y0, x0 = i * th, m + j * tw
            patch = yl[y0:y0 + th, x0:x0 + tw]
            if patch.std() < min_std:
                continue
            sad = [np.abs(yr[y0:y0 + th, x0 + s:x0 + s + tw] - patch).mean() for s in shifts]
            out.append(shifts[int(np.argmin(sad))])
    return np.array(out, np.float64)


@dataclass(frozen=True)
class PairFilter:
    """A pair is kept if it is neither dark/flat nor nearly 2D (its textured tiles agree on one
    shift to within `min_spread` pixels: a flat shot, a 2D insert, a far landscape)."""
    max_shift: int = 12
    min_spread: float = 1.0
    min_tiles: int = 4

    def reason(self, left: np.ndarray, right: np.ndarray) -> str | None:
        """None to keep the pair, else why it is dropped."""
        if is_dark_or_flat(left):
            return "dark"
        d = tile_disparities(left, right, self.max_shift)
        if len(d) < self.min_tiles:
            return "flat"
        if float(np.percentile(d, 90) - np.percentile(d, 10)) < self.min_spread:
            return "2d"
        return None
