"""NumPy reference of the frame -> network input conversion (docs/model-format.md section 4a).

The oracle for the C input conversion (libavfilter/deep3d_input.c) and the CUDA input
kernel: each component plane is resampled on its own to the network size with a
centre-aligned tent filter, then converted to RGB in 0..1 with the frame's matrix and
range, clamped, scaled and mean-subtracted. Everything in float64.

`read_raw` understands the rawvideo layouts of the pixel formats the filter accepts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from deep3d_ref import ModelSpec

# Kr, Kb of the luma/chroma matrices, by FFmpeg's colour space name (libavutil/csp.c).
LUMA_COEFFS: dict[str, tuple[float, float]] = {
    "bt709": (0.2126, 0.0722),
    "fcc": (0.30, 0.11),
    "bt470bg": (0.299, 0.114),
    "smpte170m": (0.299, 0.114),
    "smpte240m": (0.212, 0.087),
    "bt2020nc": (0.2627, 0.0593),
    "bt2020c": (0.2627, 0.0593),
}
DEFAULT_MATRIX = "bt470bg"  # BT.601: what an unspecified matrix means


@dataclass(frozen=True)
class PixFmt:
    kind: str                # "yuv", "rgb" or "gray"
    depth: int               # bits per sample
    log2_chroma: tuple[int, int] = (0, 0)  # (w, h) subsampling of U and V
    layout: str = "planar"   # planar, semi (Y + interleaved UV), packed3, packed4, gbrp
    order: str = "rgb"       # packed component order (rgb24 vs bgr24 ...)
    msb: bool = False        # samples in the high bits of 16-bit words (p010)
    full: bool = False       # full range whatever the frame says (yuvj)


PIX_FMTS: dict[str, PixFmt] = {
    "gray": PixFmt("gray", 8),
    "yuv420p": PixFmt("yuv", 8, (1, 1)),
    "yuv422p": PixFmt("yuv", 8, (1, 0)),
    "yuv444p": PixFmt("yuv", 8),
    "yuvj420p": PixFmt("yuv", 8, (1, 1), full=True),
    "yuvj422p": PixFmt("yuv", 8, (1, 0), full=True),
    "yuvj444p": PixFmt("yuv", 8, full=True),
    "nv12": PixFmt("yuv", 8, (1, 1), layout="semi"),
    "yuv420p10le": PixFmt("yuv", 10, (1, 1)),
    "yuv422p10le": PixFmt("yuv", 10, (1, 0)),
    "yuv444p10le": PixFmt("yuv", 10),
    "p010le": PixFmt("yuv", 10, (1, 1), layout="semi", msb=True),
    "rgb24": PixFmt("rgb", 8, layout="packed3", order="rgb"),
    "bgr24": PixFmt("rgb", 8, layout="packed3", order="bgr"),
    "rgba": PixFmt("rgb", 8, layout="packed4", order="rgb"),
    "bgra": PixFmt("rgb", 8, layout="packed4", order="bgr"),
    "gbrp": PixFmt("rgb", 8, layout="gbrp"),
}


@dataclass
class Frame:
    """Component planes (Y, U, V), (R, G, B) or (Y,) as integer sample values."""
    fmt: PixFmt
    comps: list[np.ndarray]
    full: bool
    matrix: str


def raw_size(pix_fmt: str, w: int, h: int) -> int:
    f = PIX_FMTS[pix_fmt]
    b = 2 if f.depth > 8 else 1
    cw, ch = -(-w >> f.log2_chroma[0]), -(-h >> f.log2_chroma[1])
    if f.kind == "gray":
        return w * h * b
    if f.layout in ("packed3", "gbrp"):
        return w * h * 3
    if f.layout == "packed4":
        return w * h * 4
    return (w * h + 2 * cw * ch) * b


def read_raw(data: bytes, pix_fmt: str, w: int, h: int, color_range: str = "unknown",
             matrix: str = "unknown") -> Frame:
    """One rawvideo frame (as FFmpeg writes it: tightly packed planes) -> Frame."""
    if pix_fmt not in PIX_FMTS:
        raise ValueError(f"unsupported pixel format {pix_fmt}")
    f = PIX_FMTS[pix_fmt]
    if len(data) != raw_size(pix_fmt, w, h):
        raise ValueError(f"{pix_fmt} {w}x{h}: {len(data)} bytes, want {raw_size(pix_fmt, w, h)}")
    dt = np.dtype("<u2") if f.depth > 8 else np.dtype("u1")
    a = np.frombuffer(data, dt).astype(np.int64)
    cw, ch = -(-w >> f.log2_chroma[0]), -(-h >> f.log2_chroma[1])
    if f.kind == "gray":
        comps = [a.reshape(h, w)]
    elif f.layout in ("packed3", "packed4"):
        px = a.reshape(h, w, 3 if f.layout == "packed3" else 4)
        comps = [px[:, :, i] for i in ((0, 1, 2) if f.order == "rgb" else (2, 1, 0))]
    elif f.layout == "gbrp":
        g, b, r = a.reshape(3, h, w)
        comps = [r, g, b]
    elif f.layout == "semi":
        y = a[: w * h].reshape(h, w)
        uv = a[w * h:].reshape(ch, cw, 2)
        comps = [y, uv[:, :, 0], uv[:, :, 1]]
    else:
        y = a[: w * h].reshape(h, w)
        u = a[w * h: w * h + cw * ch].reshape(ch, cw)
        v = a[w * h + cw * ch:].reshape(ch, cw)
        comps = [y, u, v]
    if f.msb:
        comps = [c >> (16 - f.depth) for c in comps]
    if f.kind == "gray":
        full = color_range != "tv"
    else:
        full = f.full or color_range == "pc"
    return Frame(f, comps, full, matrix)


def tent_taps(src: int, dst: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per output sample: (source indices clamped to the plane, weights summing to 1)."""
    scale = src / dst
    r = max(scale, 1.0)
    out: list[tuple[np.ndarray, np.ndarray]] = []
    for o in range(dst):
        c = (o + 0.5) * scale - 0.5
        i = np.arange(math.floor(c - r) + 1, math.ceil(c + r))
        w = 1.0 - np.abs(i - c) / r
        keep = w > 0
        i, w = i[keep], w[keep]
        out.append((np.clip(i, 0, src - 1), w / w.sum()))
    return out


def resample(plane: np.ndarray, nw: int, nh: int) -> np.ndarray:
    """(H, W) samples -> (nh, nw) float64, separable tent filter."""
    p = np.asarray(plane, np.float64)
    h, w = p.shape
    rows = np.stack([(p[i] * wt[:, None]).sum(axis=0) for i, wt in tent_taps(h, nh)])
    return np.stack([(rows[:, i] * wt[None, :]).sum(axis=1) for i, wt in tent_taps(w, nw)], axis=1)


def to_rgb(frame: Frame, nw: int, nh: int) -> np.ndarray:
    """(3, nh, nw) R, G, B in 0..1."""
    f = frame.fmt
    maxval = (1 << f.depth) - 1
    planes = [resample(c, nw, nh) for c in frame.comps]
    if f.kind == "rgb":
        rgb = np.stack(planes) / maxval
    else:
        s = 1 << (f.depth - 8)
        if frame.full:
            y = planes[0] / maxval
            cdiv = maxval
        else:
            y = (planes[0] - 16 * s) / (219 * s)
            cdiv = 224 * s
        if f.kind == "gray":
            u = v = np.zeros_like(y)
        else:
            u = (planes[1] - (1 << (f.depth - 1))) / cdiv
            v = (planes[2] - (1 << (f.depth - 1))) / cdiv
        kr, kb = LUMA_COEFFS.get(frame.matrix, LUMA_COEFFS[DEFAULT_MATRIX])
        kg = 1.0 - kr - kb
        r = y + 2 * (1 - kr) * v
        g = y - 2 * kb * (1 - kb) / kg * u - 2 * kr * (1 - kr) / kg * v
        b = y + 2 * (1 - kb) * u
        rgb = np.stack([r, g, b])
    return np.clip(rgb, 0.0, 1.0)


def frame_to_input(spec: ModelSpec, frame: Frame) -> np.ndarray:
    """Frame -> network input (3, Hn, Wn) in color_order: pixel (0..1) * input_scale - input_mean."""
    rgb = to_rgb(frame, spec.input_width, spec.input_height)
    if spec.color_order == "bgr":
        rgb = rgb[::-1]
    mean = np.asarray(spec.input_mean, np.float64)[:, None, None]
    return rgb * spec.input_scale - mean
