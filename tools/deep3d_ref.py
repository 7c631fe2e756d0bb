"""NumPy reference of the deep3d model contract (docs/model-format.md sections 2 to 5).

This module is the oracle for the C engine's parity tests, so it is written for
clarity and float64 accuracy, not speed:

- `forward` computes in float64 and returns float64 probabilities.
- `render_plane` returns the un-rounded float64 right-eye samples (section 5 steps 1-4).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np

from safetensors_io import ModelFormatError, read_safetensors

FORMAT_VERSION: int = 1
ARCHES: tuple[str, ...] = ("original", "fcn")
COLOR_ORDERS: tuple[str, ...] = ("bgr", "rgb")

# Every deep3d.* key the contract knows; any other deep3d.* key is an error.
KNOWN_KEYS: frozenset[str] = frozenset({
    "deep3d.version", "deep3d.arch", "deep3d.input_width", "deep3d.input_height",
    "deep3d.stage_channels", "deep3d.stage_convs", "deep3d.fc_channels",
    "deep3d.disparity_min", "deep3d.disparity_max", "deep3d.disparity_width",
    "deep3d.color_order", "deep3d.input_scale", "deep3d.input_mean",
})

_INT_RE = re.compile(r"-?[0-9]+")
# Plain decimal numbers only: Python's float() would also take "nan", "inf" and "1_0".
_FLOAT_RE = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")


# ---------------------------------------------------------------------------
# Section 2: metadata


@dataclass(frozen=True)
class ModelSpec:
    arch: str
    input_width: int
    input_height: int
    stage_channels: tuple[int, int, int, int, int]
    stage_convs: tuple[int, int, int, int, int]
    fc_channels: int | None
    disparity_min: int
    disparity_max: int
    disparity_width: int
    color_order: str
    input_scale: float
    input_mean: tuple[float, float, float]

    @property
    def D(self) -> int:
        return self.disparity_max - self.disparity_min + 1

    @property
    def K(self) -> int:
        return self.D + 1

    @property
    def h5(self) -> int:
        return self.input_height // 32

    @property
    def w5(self) -> int:
        return self.input_width // 32

    @property
    def num_conv_branches(self) -> int:
        return 4 if self.arch == "original" else 5

    def to_metadata(self) -> dict[str, str]:
        md = {
            "deep3d.version": str(FORMAT_VERSION),
            "deep3d.arch": self.arch,
            "deep3d.input_width": str(self.input_width),
            "deep3d.input_height": str(self.input_height),
            "deep3d.stage_channels": ",".join(str(c) for c in self.stage_channels),
            "deep3d.stage_convs": ",".join(str(c) for c in self.stage_convs),
        }
        if self.fc_channels is not None:
            md["deep3d.fc_channels"] = str(self.fc_channels)
        md.update({
            "deep3d.disparity_min": str(self.disparity_min),
            "deep3d.disparity_max": str(self.disparity_max),
            "deep3d.disparity_width": str(self.disparity_width),
            "deep3d.color_order": self.color_order,
            "deep3d.input_scale": _fmt_float(self.input_scale),
            "deep3d.input_mean": ",".join(_fmt_float(m) for m in self.input_mean),
        })
        return md


def _fmt_float(v: float) -> str:
    # Shortest round-trip form; integers print without a fraction ("255", not "255.0").
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))


def _get(md: dict[str, str], key: str) -> str:
    if key not in md:
        raise ModelFormatError(f"metadata {key}: missing")
    v = md[key]
    if not isinstance(v, str):
        raise ModelFormatError(f"metadata {key}: value must be a string")
    return v


def _parse_int(key: str, s: str, lo: int | None = None, hi: int | None = None) -> int:
    if not _INT_RE.fullmatch(s):
        raise ModelFormatError(f"metadata {key}: {s!r} is not an integer")
    v = int(s)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise ModelFormatError(f"metadata {key}: {v} is outside {lo}..{hi}")
    return v


def _parse_float(key: str, s: str) -> float:
    if not _FLOAT_RE.fullmatch(s):
        raise ModelFormatError(f"metadata {key}: {s!r} is not a decimal number")
    v = float(s)
    if not math.isfinite(v):
        raise ModelFormatError(f"metadata {key}: {s!r} is not finite")
    return v


def _parse_int_list(key: str, s: str, n: int, lo: int, hi: int) -> tuple[int, ...]:
    parts = s.split(",")
    if len(parts) != n:
        raise ModelFormatError(f"metadata {key}: {s!r} must have {n} comma-separated values")
    return tuple(_parse_int(key, p, lo, hi) for p in parts)


def parse_spec(metadata: dict[str, str]) -> ModelSpec:
    """Validate section 2 metadata and return the spec; errors name the key."""
    for k in metadata:
        if k.startswith("deep3d.") and k not in KNOWN_KEYS:
            raise ModelFormatError(f"metadata {k}: unknown deep3d key")
    version = _parse_int("deep3d.version", _get(metadata, "deep3d.version"))
    if version != FORMAT_VERSION:
        raise ModelFormatError(f"metadata deep3d.version: unsupported version {version} (want {FORMAT_VERSION})")
    arch = _get(metadata, "deep3d.arch")
    if arch not in ARCHES:
        raise ModelFormatError(f"metadata deep3d.arch: unknown arch {arch!r} (want original or fcn)")
    dims = {}
    for key in ("deep3d.input_width", "deep3d.input_height"):
        v = _parse_int(key, _get(metadata, key), 32, 4096)
        if v % 32:
            raise ModelFormatError(f"metadata {key}: {v} is not a multiple of 32")
        dims[key] = v
    chans = _parse_int_list("deep3d.stage_channels", _get(metadata, "deep3d.stage_channels"), 5, 1, 4096)
    convs = _parse_int_list("deep3d.stage_convs", _get(metadata, "deep3d.stage_convs"), 5, 1, 8)
    fc: int | None = None
    if arch == "original":
        fc = _parse_int("deep3d.fc_channels", _get(metadata, "deep3d.fc_channels"), 1, 4096)
    elif "deep3d.fc_channels" in metadata:
        # The doc says "absent for fcn"; a present value would be silently meaningless.
        raise ModelFormatError("metadata deep3d.fc_channels: must be absent for arch fcn")
    dmin = _parse_int("deep3d.disparity_min", _get(metadata, "deep3d.disparity_min"))
    dmax = _parse_int("deep3d.disparity_max", _get(metadata, "deep3d.disparity_max"))
    if dmax < dmin:
        raise ModelFormatError(f"metadata deep3d.disparity_max: {dmax} is less than disparity_min {dmin}")
    if not 2 <= dmax - dmin + 1 <= 256:
        raise ModelFormatError(
            f"metadata deep3d.disparity_max: D = {dmax - dmin + 1} planes is outside 2..256")
    dwidth = _parse_int("deep3d.disparity_width", _get(metadata, "deep3d.disparity_width"), 1, 65536)
    if max(abs(dmin), abs(dmax)) > dwidth:
        # a plane that shifts by more than the whole width renders nothing of the picture,
        # and its shift (times strength, at the output width) sizes the filter's row buffers
        raise ModelFormatError(f"metadata deep3d.disparity_width: disparities {dmin}..{dmax} shift "
                               f"by more than the width {dwidth}")
    color = _get(metadata, "deep3d.color_order")
    if color not in COLOR_ORDERS:
        raise ModelFormatError(f"metadata deep3d.color_order: {color!r} is not bgr or rgb")
    scale = _parse_float("deep3d.input_scale", _get(metadata, "deep3d.input_scale"))
    if scale <= 0:
        raise ModelFormatError(f"metadata deep3d.input_scale: {scale} must be > 0")
    mean_s = _get(metadata, "deep3d.input_mean").split(",")
    if len(mean_s) != 3:
        raise ModelFormatError("metadata deep3d.input_mean: must have 3 comma-separated values")
    mean = tuple(_parse_float("deep3d.input_mean", m) for m in mean_s)
    return ModelSpec(
        arch=arch, input_width=dims["deep3d.input_width"], input_height=dims["deep3d.input_height"],
        stage_channels=chans, stage_convs=convs, fc_channels=fc,  # type: ignore[arg-type]
        disparity_min=dmin, disparity_max=dmax, disparity_width=dwidth, color_order=color,
        input_scale=scale, input_mean=mean)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# Section 3: tensors


def branch_geometry(b: int) -> tuple[int, int, int]:
    """(kernel, stride, pad) of deconv_pred{b}: upsampling by f = 2^(b-1)."""
    f = 1 << (b - 1)
    return (1, 1, 0) if f == 1 else (2 * f, f, f // 2)


def expected_shapes(spec: ModelSpec) -> dict[str, tuple[int, ...]]:
    """Every tensor of the model with its shape, in graph order (the order files are written)."""
    K = spec.K
    C = spec.stage_channels
    shapes: dict[str, tuple[int, ...]] = {}
    cin = 3
    for s in range(1, 6):
        for i in range(1, spec.stage_convs[s - 1] + 1):
            shapes[f"conv{s}_{i}_weight"] = (C[s - 1], cin, 3, 3)
            shapes[f"conv{s}_{i}_bias"] = (C[s - 1],)
            cin = C[s - 1]
    for b in range(1, spec.num_conv_branches + 1):
        for p in ("gamma", "beta", "moving_mean", "moving_inv_var"):
            shapes[f"bn_pool{b}_{p}"] = (C[b - 1],)
        shapes[f"pred{b}_weight"] = (K, C[b - 1], 3, 3)
        shapes[f"pred{b}_bias"] = (K,)
        k, _, _ = branch_geometry(b)
        shapes[f"deconv_pred{b}_weight"] = (K, K, k, k)
        shapes[f"deconv_pred{b}_bias"] = (K,)
    if spec.arch == "original":
        F = spec.fc_channels
        assert F is not None
        hw5 = spec.h5 * spec.w5
        shapes["fc6_weight"] = (F, C[4] * hw5)
        shapes["fc6_bias"] = (F,)
        shapes["fc7_weight"] = (F, F)
        shapes["fc7_bias"] = (F,)
        shapes["pred5_weight"] = (K * hw5, F)
        shapes["pred5_bias"] = (K * hw5,)
        shapes["deconv_pred5_weight"] = (K, K, 32, 32)
        shapes["deconv_pred5_bias"] = (K,)
    shapes["deconv_predup_weight"] = (K, K, 4, 4)
    shapes["deconv_predup_bias"] = (K,)
    shapes["convolution0_weight"] = (K, K, 3, 3)
    shapes["convolution0_bias"] = (K,)
    return shapes


def check_tensors(spec: ModelSpec, tensors: dict[str, np.ndarray]) -> None:
    """Every expected tensor present with its exact shape, nothing else."""
    shapes = expected_shapes(spec)
    for name, shape in shapes.items():
        if name not in tensors:
            raise ModelFormatError(f"tensor {name!r}: missing (expected shape {shape})")
        got = tuple(tensors[name].shape)
        if got != shape:
            raise ModelFormatError(f"tensor {name!r}: shape {got}, expected {shape}")
    for name in tensors:
        if name not in shapes:
            raise ModelFormatError(f"tensor {name!r}: not part of a {spec.arch} model")


def load_model(path: str | os.PathLike[str]) -> tuple[ModelSpec, dict[str, np.ndarray]]:
    """Read and fully validate a model; weights come back as float32 (F16 widened, as the engine does)."""
    tensors, metadata = read_safetensors(path)
    spec = parse_spec(metadata)
    check_tensors(spec, tensors)
    return spec, {k: v.astype(np.float32) for k, v in tensors.items()}


# ---------------------------------------------------------------------------
# Layers (C, H, W) layout, float64


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


def _pair(v: int | tuple[int, int]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, pad: int | tuple[int, int] = 1) -> np.ndarray:
    """Cross-correlation, stride 1, zero padding: x (Ci,H,W), w (Co,Ci,kh,kw) -> (Co,Ho,Wo)."""
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    ci, h, wd = x.shape
    co, wci, kh, kw = w.shape
    if wci != ci:
        raise ValueError(f"conv2d: input has {ci} channels, weight expects {wci}")
    ph, pw = _pair(pad)
    xp = np.pad(x, ((0, 0), (ph, ph), (pw, pw)))
    ho, wo = h + 2 * ph - kh + 1, wd + 2 * pw - kw + 1
    out = np.zeros((co, ho * wo))
    # One matmul per kernel tap keeps memory at one shifted copy of x. Contiguous
    # operands matter: numpy's matmul skips BLAS for strided views.
    wt = np.ascontiguousarray(w.transpose(2, 3, 0, 1))
    for ky in range(kh):
        for kx in range(kw):
            out += wt[ky, kx] @ np.ascontiguousarray(xp[:, ky:ky + ho, kx:kx + wo]).reshape(ci, -1)
    out = out.reshape(co, ho, wo)
    if b is not None:
        out += np.asarray(b, np.float64)[:, None, None]
    return out


def maxpool2x2(x: np.ndarray) -> np.ndarray:
    """2x2 max pool, stride 2 (H and W must be even, as they are for Hn, Wn multiples of 32)."""
    c, h, w = x.shape
    if h % 2 or w % 2:
        raise ValueError(f"maxpool2x2: odd size {h}x{w}")
    return np.asarray(x).reshape(c, h // 2, 2, w // 2, 2).max(axis=(2, 4))


def batchnorm_inv_std(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, mean: np.ndarray,
                      inv_std: np.ndarray) -> np.ndarray:
    """y = gamma * inv_std * (x - mean) + beta per channel; no epsilon (spec 1.5)."""
    col = lambda a: np.asarray(a, np.float64)[:, None, None]  # noqa: E731
    return col(gamma) * col(inv_std) * (np.asarray(x, np.float64) - col(mean)) + col(beta)


def deconv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, stride: int, pad: int) -> np.ndarray:
    """Transposed conv, weight (Ci,Co,kh,kw), no kernel flip:
    out[co, iy*s - p + ky, ix*s - p + kx] += x[ci, iy, ix] * w[ci, co, ky, kx]."""
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    ci, h, wd = x.shape
    wci, co, kh, kw = w.shape
    if wci != ci:
        raise ValueError(f"deconv2d: input has {ci} channels, weight expects {wci}")
    s, p = stride, pad
    ho, wo = (h - 1) * s - 2 * p + kh, (wd - 1) * s - 2 * p + kw
    if ho < 1 or wo < 1 or p < 0 or s < 1:
        raise ValueError("deconv2d: bad geometry")
    # Accumulate into the un-cropped output, then drop `pad` from each side.
    full = np.zeros((co, (h - 1) * s + kh, (wd - 1) * s + kw))
    xf = np.ascontiguousarray(x).reshape(ci, -1)
    wt = np.ascontiguousarray(w.transpose(2, 3, 1, 0))  # (kh, kw, Co, Ci) for BLAS-friendly matmuls
    for ky in range(kh):
        for kx in range(kw):
            contrib = (wt[ky, kx] @ xf).reshape(co, h, wd)
            full[:, ky:ky + (h - 1) * s + 1:s, kx:kx + (wd - 1) * s + 1:s] += contrib
    out = full[:, p:p + ho, p:p + wo].copy()
    if b is not None:
        out += np.asarray(b, np.float64)[:, None, None]
    return out


def fc(v: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """y = W v + b, W of shape (out, in)."""
    return np.asarray(w, np.float64) @ np.asarray(v, np.float64) + np.asarray(b, np.float64)


def softmax_channels(z: np.ndarray) -> np.ndarray:
    """Softmax over axis 0 at every pixel, max-subtracted."""
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


# ---------------------------------------------------------------------------
# Section 4: forward pass

Trace = Callable[[str, np.ndarray], None]


def _w(weights: dict[str, np.ndarray], name: str) -> np.ndarray:
    return np.asarray(weights[name], np.float64)


def trunk(spec: ModelSpec, weights: dict[str, np.ndarray], x: np.ndarray,
          trace: Trace | None = None) -> list[np.ndarray]:
    """Stages 1..5; returns [pool1, ..., pool5]."""
    pools: list[np.ndarray] = []
    for s in range(1, 6):
        for i in range(1, spec.stage_convs[s - 1] + 1):
            x = relu(conv2d(x, _w(weights, f"conv{s}_{i}_weight"), _w(weights, f"conv{s}_{i}_bias"), 1))
            if trace:
                trace(f"conv{s}_{i}", x)
        x = maxpool2x2(x)
        if trace:
            trace(f"pool{s}", x)
        pools.append(x)
    return pools


def conv_branch(weights: dict[str, np.ndarray], b: int, pool: np.ndarray,
                trace: Trace | None = None) -> np.ndarray:
    """BN -> conv3x3 -> relu -> deconv: K x Hn/2 x Wn/2."""
    y = batchnorm_inv_std(pool, _w(weights, f"bn_pool{b}_gamma"), _w(weights, f"bn_pool{b}_beta"),
                          _w(weights, f"bn_pool{b}_moving_mean"), _w(weights, f"bn_pool{b}_moving_inv_var"))
    y = relu(conv2d(y, _w(weights, f"pred{b}_weight"), _w(weights, f"pred{b}_bias"), 1))
    if trace:
        trace(f"pred{b}", y)
    _, s, p = branch_geometry(b)
    y = deconv2d(y, _w(weights, f"deconv_pred{b}_weight"), _w(weights, f"deconv_pred{b}_bias"), s, p)
    if trace:
        trace(f"branch{b}", y)
    return y


def fc_head(spec: ModelSpec, weights: dict[str, np.ndarray], pool5: np.ndarray,
            trace: Trace | None = None) -> np.ndarray:
    """flatten -> fc6 -> relu -> fc7 -> relu -> pred5 -> reshape (K,h5,w5) -> relu (before deconv)."""
    v = np.asarray(pool5, np.float64).reshape(-1)  # C order: c*h5*w5 + h*w5 + w
    v = relu(fc(v, _w(weights, "fc6_weight"), _w(weights, "fc6_bias")))
    v = relu(fc(v, _w(weights, "fc7_weight"), _w(weights, "fc7_bias")))
    v = fc(v, _w(weights, "pred5_weight"), _w(weights, "pred5_bias"))
    # C-order reshape: j -> (j / (h5*w5), (j / w5) mod h5, j mod w5)
    v = relu(v.reshape(spec.K, spec.h5, spec.w5))
    if trace:
        trace("pred5", v)
    return v


def forward(spec: ModelSpec, weights: dict[str, np.ndarray], x: np.ndarray,
            trace: Trace | None = None) -> np.ndarray:
    """Network input (3,Hn,Wn), already scaled/mean-subtracted -> P (K,Hn,Wn), float64.

    Computed entirely in float64 whatever the weight dtype. `trace(name, array)`, if
    given, receives intermediates (conv{s}_{i}, pool{s}, pred{b}, branch{b}, sum,
    predup, logits) for debugging a port.
    """
    x = np.asarray(x, np.float64)
    want = (3, spec.input_height, spec.input_width)
    if x.shape != want:
        raise ValueError(f"forward: input shape {x.shape}, expected {want}")
    pools = trunk(spec, weights, x, trace)
    z = np.zeros((spec.K, spec.input_height // 2, spec.input_width // 2))
    for b in range(1, spec.num_conv_branches + 1):
        z += conv_branch(weights, b, pools[b - 1], trace)
    if spec.arch == "original":
        v = fc_head(spec, weights, pools[4], trace)
        _, s, p = branch_geometry(5)
        y = deconv2d(v, _w(weights, "deconv_pred5_weight"), _w(weights, "deconv_pred5_bias"), s, p)
        if trace:
            trace("branch5", y)
        z += y
    z = relu(z)
    if trace:
        trace("sum", z)
    z = relu(deconv2d(z, _w(weights, "deconv_predup_weight"), _w(weights, "deconv_predup_bias"), 2, 1))
    if trace:
        trace("predup", z)
    z = conv2d(z, _w(weights, "convolution0_weight"), _w(weights, "convolution0_bias"), 1)
    if trace:
        trace("logits", z)
    return softmax_channels(z)


def preprocess(spec: ModelSpec, pixels: np.ndarray) -> np.ndarray:
    """Pixels (3,H,W) in 0..255, already in color_order -> network input (pixel/255 * scale - mean)."""
    mean = np.asarray(spec.input_mean, np.float64)[:, None, None]
    return np.asarray(pixels, np.float64) / 255.0 * spec.input_scale - mean


# ---------------------------------------------------------------------------
# Section 5: selection layer


def render_plane(P: np.ndarray, left: np.ndarray, disparity_min: int, disparity_width: int,
                 strength: float = 1.0, convergence: float = 0.0, renormalize: bool = False) -> np.ndarray:
    """Right-eye plane (Ho,Wo) from probabilities P (K,Hn,Wn) and left plane (Ho,Wo); float64, unrounded."""
    P = np.asarray(P, np.float64)
    L = np.asarray(left, np.float64)
    if P.ndim != 3 or P.shape[0] < 3 or L.ndim != 2 or disparity_width < 1:
        raise ValueError(f"render_plane: bad arguments P {P.shape}, left {L.shape}, "
                         f"disparity_width {disparity_width}")
    K, hn, wn = P.shape
    ho, wo = L.shape
    D = K - 1

    # Step 1: centre-aligned bilinear sample positions in P.
    X = np.arange(wo, dtype=np.float64)
    u = np.clip((X + 0.5) * wn / wo - 0.5, 0.0, wn - 1)
    px0 = np.floor(u).astype(np.intp)
    px1 = np.minimum(px0 + 1, wn - 1)
    fx = u - px0
    Y = np.arange(ho, dtype=np.float64)
    v = np.clip((Y + 0.5) * hn / ho - 0.5, 0.0, hn - 1)
    py0 = np.floor(v).astype(np.intp)
    py1 = np.minimum(py0 + 1, hn - 1)
    fy = v - py0

    # Steps 2-3: the taps depend only on X and k, so precompute them once.
    d = disparity_min + np.arange(D, dtype=np.float64)  # d_k for k = 1..D
    shift = (d * strength / disparity_width + convergence / 100.0) * wo
    xs = np.clip(X[None, :] - shift[:, None], 0.0, wo - 1)
    tx0 = np.floor(xs).astype(np.intp)
    tx1 = np.minimum(tx0 + 1, wo - 1)
    tf = xs - tx0

    R = np.empty((ho, wo))
    for y in range(ho):  # row by row keeps memory at D x Wo
        a = P[1:, py0[y]]
        c = P[1:, py1[y]]
        top = (1 - fx) * a[:, px0] + fx * a[:, px1]
        bot = (1 - fx) * c[:, px0] + fx * c[:, px1]
        pt = (1 - fy[y]) * top + fy[y] * bot  # (D, Wo), channel 0 dropped: it renders nothing
        row = L[y]
        taps = (1 - tf) * row[tx0] + tf * row[tx1]
        r = (pt * taps).sum(axis=0)
        if renormalize:
            ssum = pt.sum(axis=0)
            r = np.where(ssum > 0, r / np.where(ssum > 0, ssum, 1.0), r)
        R[y] = r
    return R


def depth_plane(P: np.ndarray, ho: int, wo: int) -> np.ndarray:
    """mode=depth: the expected disparity over planes 1..D at (Ho,Wo), 1 at the nearest shift
    (disparity_min) and 0 at the farthest; probabilities sampled as in render_plane step 1."""
    P = np.asarray(P, np.float64)
    K, hn, wn = P.shape
    D = K - 1
    u = np.clip((np.arange(wo) + 0.5) * wn / wo - 0.5, 0.0, wn - 1)
    px0 = np.floor(u).astype(np.intp)
    px1 = np.minimum(px0 + 1, wn - 1)
    fx = u - px0
    v = np.clip((np.arange(ho) + 0.5) * hn / ho - 0.5, 0.0, hn - 1)
    py0 = np.floor(v).astype(np.intp)
    py1 = np.minimum(py0 + 1, hn - 1)
    fy = v - py0
    t = (D - 1 - np.arange(D, dtype=np.float64))[:, None] / (D - 1)
    out = np.empty((ho, wo))
    for y in range(ho):
        a, c = P[1:, py0[y]], P[1:, py1[y]]
        pt = (1 - fy[y]) * ((1 - fx) * a[:, px0] + fx * a[:, px1]) + \
            fy[y] * ((1 - fx) * c[:, px0] + fx * c[:, px1])
        mass = pt.sum(axis=0)
        out[y] = np.where(mass > 0, (pt * t).sum(axis=0) / np.where(mass > 0, mass, 1.0), 0.0)
    return out


# ---------------------------------------------------------------------------
# Random models


def synthetic_image(rng: np.random.Generator, h: int, w: int, channels: int = 3) -> np.ndarray:
    """A natural-looking (channels,h,w) image in 0..255: smooth gradients, waves, rectangles, noise."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    yy /= max(h - 1, 1)
    xx /= max(w - 1, 1)
    img = np.empty((channels, h, w))
    for c in range(channels):
        a = rng.uniform(-1, 1, 3)
        g = 128 + 60 * (a[0] * xx + a[1] * yy) + 20 * a[2]
        for _ in range(3):  # low-frequency waves
            fxq, fyq, ph = rng.uniform(0.5, 3.0), rng.uniform(0.5, 3.0), rng.uniform(0, 2 * np.pi)
            g += rng.uniform(5, 25) * np.sin(2 * np.pi * (fxq * xx + fyq * yy) + ph)
        img[c] = g
    # Rectangles shared by all channels give object edges, as in real frames.
    for _ in range(4):
        y0, x0 = rng.uniform(0, 0.8, 2)
        hh, ww = rng.uniform(0.1, 0.4, 2)
        m = (yy >= y0) & (yy < y0 + hh) & (xx >= x0) & (xx < x0 + ww)
        img[:, m] += rng.uniform(-60, 60, (channels, 1))
    img += rng.normal(0, 6, img.shape)
    return np.clip(img, 0, 255)


def _round_sig(v: np.ndarray | float, digits: int = 3) -> np.ndarray:
    """Round to a few significant digits so calibration does not pass BLAS rounding noise into the file."""
    a = np.asarray(v, np.float64)
    mag = np.where(a == 0, 1.0, 10.0 ** (np.floor(np.log10(np.abs(np.where(a == 0, 1.0, a)))) - digits + 1))
    return np.round(a / mag) * mag


def random_model(arch: str, input_w: int, input_h: int, stage_channels: tuple[int, ...] | list[int],
                 stage_convs: tuple[int, ...] | list[int], fc_channels: int | None,
                 disparity_min: int, disparity_max: int, seed: int, dtype: str = "F32",
                 color_order: str = "bgr", input_scale: float = 255, input_mean: tuple[float, ...] = (0, 0, 0),
                 disparity_width: int | None = None, calibrate: bool = True,
                 ) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    """Random weights in graph order, deterministic from seed; returns (metadata, tensors).

    Weights are He-normal. With `calibrate` (default) one forward pass on a synthetic
    image fixes the scales the way a trained net would have them: trunk biases centre
    each channel, BN mean/inv_std are the pool statistics, branch layers are scaled to
    unit output, and convolution0 is scaled so the median per-pixel max probability is
    about 0.5. Without it only fixed analytic scales are used (cheap, for shape tests).
    """
    md = ModelSpec(
        arch=arch, input_width=input_w, input_height=input_h,
        stage_channels=tuple(stage_channels), stage_convs=tuple(stage_convs),  # type: ignore[arg-type]
        fc_channels=fc_channels if arch == "original" else None,
        disparity_min=disparity_min, disparity_max=disparity_max,
        disparity_width=input_w if disparity_width is None else disparity_width,
        color_order=color_order, input_scale=float(input_scale),
        input_mean=tuple(float(m) for m in input_mean),  # type: ignore[arg-type]
    ).to_metadata()
    md["source"] = f"tools/deep3d_ref.py random_model seed={seed}"
    spec = parse_spec(md)  # validates every value
    if dtype.upper() not in ("F32", "F16"):
        raise ValueError(f"dtype {dtype!r}: want F32 or F16")
    shapes = expected_shapes(spec)
    rng = np.random.default_rng(seed)

    # Draw everything up front in graph order so the stream does not depend on calibration.
    w: dict[str, np.ndarray] = {}
    for name, shape in shapes.items():
        if name.endswith("_weight"):
            if name.startswith("deconv_"):
                k = shape[2]
                stride = 2 if name == "deconv_predup_weight" else max(1, k // 2)
                fan_in = shape[0] * max(1, (k // stride) ** 2)
            else:
                fan_in = int(np.prod(shape[1:]))
            w[name] = rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)
        elif name.endswith("_gamma"):
            w[name] = 1.0 + 0.2 * rng.standard_normal(shape)
        elif name.endswith("_moving_inv_var"):
            w[name] = np.exp(rng.uniform(-1, 0, shape))  # positive; replaced when calibrating
        else:  # biases, beta, moving_mean: unit normals, scaled below
            w[name] = rng.standard_normal(shape)
    # Calibration batch: natural images and uniform noise, enough of them that pool5
    # holds a few dozen samples per channel.
    n_cal = max(2, min(8, -(-32 // (spec.h5 * spec.w5))))
    calib_px = [synthetic_image(rng, input_h, input_w) if i % 2 == 0
                else rng.uniform(0, 255, (3, input_h, input_w)) for i in range(n_cal)]

    if not calibrate:
        for name in shapes:
            if name.endswith("_bias") or name.endswith("_beta") or name.endswith("_moving_mean"):
                w[name] *= 0.1
        # Input values are up to input_scale; start the trunk near unit scale.
        w["conv1_1_weight"] /= max(spec.input_scale, 1.0)
    else:
        _calibrate(spec, w, [preprocess(spec, px) for px in calib_px])

    npdt = np.float32 if dtype.upper() == "F32" else np.float16
    tensors = {name: w[name].astype(npdt) for name in shapes}
    return md, tensors


def _calibrate(spec: ModelSpec, w: dict[str, np.ndarray], xs: list[np.ndarray]) -> None:
    """Data-dependent scaling (in place) on a batch of calibration inputs, one forward pass each.

    Statistics are pooled over the whole batch so deep, tiny maps (pool5 is 1x2 at 64x32)
    still give stable BN statistics.
    """
    def cat(ys: list[np.ndarray]) -> np.ndarray:
        return np.stack(ys)

    def unit(name: str, y0s: list[np.ndarray], target: float = 1.0) -> list[np.ndarray]:
        # Scale a layer so its pre-bias output has std `target`; small random bias.
        sd = float(cat(y0s).std()) or 1.0
        g = float(_round_sig(target / sd))
        w[f"{name}_weight"] *= g
        w[f"{name}_bias"] = _round_sig(0.1 * target * w[f"{name}_bias"])
        return [y * g for y in y0s]

    col = lambda a: a[:, None, None]  # noqa: E731
    pools: list[list[np.ndarray]] = []
    for s in range(1, 6):
        for i in range(1, spec.stage_convs[s - 1] + 1):
            n = f"conv{s}_{i}"
            y0s = [conv2d(x, w[f"{n}_weight"], None, 1) for x in xs]
            # Centre each channel (input is all-positive, so otherwise half the channels die).
            m = cat(y0s).mean(axis=(0, 2, 3))
            sd = cat(y0s).std(axis=(0, 2, 3))
            w[f"{n}_bias"] = _round_sig(-m + 0.5 * sd * w[f"{n}_bias"])
            xs = [relu(y + col(w[f"{n}_bias"])) for y in y0s]
        xs = [maxpool2x2(x) for x in xs]
        pools.append(xs)

    n_img = len(xs)
    zs = [np.zeros((spec.K, spec.input_height // 2, spec.input_width // 2)) for _ in range(n_img)]
    for b in range(1, spec.num_conv_branches + 1):
        p = cat(pools[b - 1])
        mean = p.mean(axis=(0, 2, 3))
        sd = p.std(axis=(0, 2, 3))
        # Dead or near-constant channels: keep inv_std finite and modest.
        floor = max(0.25 * float(np.median(sd)), 1e-3)
        w[f"bn_pool{b}_moving_mean"] = _round_sig(mean)
        w[f"bn_pool{b}_moving_inv_var"] = _round_sig(1.0 / np.maximum(sd, floor))
        w[f"bn_pool{b}_gamma"] = _round_sig(w[f"bn_pool{b}_gamma"])
        w[f"bn_pool{b}_beta"] = _round_sig(0.1 * w[f"bn_pool{b}_beta"])
        ys = [batchnorm_inv_std(q, w[f"bn_pool{b}_gamma"], w[f"bn_pool{b}_beta"],
                                w[f"bn_pool{b}_moving_mean"], w[f"bn_pool{b}_moving_inv_var"])
              for q in pools[b - 1]]
        y0s = unit(f"pred{b}", [conv2d(y, w[f"pred{b}_weight"], None, 1) for y in ys])
        ys = [relu(y + col(w[f"pred{b}_bias"])) for y in y0s]
        _, st, pd = branch_geometry(b)
        y0s = unit(f"deconv_pred{b}", [deconv2d(y, w[f"deconv_pred{b}_weight"], None, st, pd) for y in ys])
        for z, y in zip(zs, y0s):
            z += y + col(w[f"deconv_pred{b}_bias"])
    if spec.arch == "original":
        vs = [q.reshape(-1) for q in pools[4]]
        for n in ("fc6", "fc7"):
            zero = np.zeros(w[f"{n}_bias"].shape)
            v0s = unit(n, [fc(v, w[f"{n}_weight"], zero) for v in vs])
            vs = [relu(v + w[f"{n}_bias"]) for v in v0s]
        zero = np.zeros(w["pred5_bias"].shape)
        v0s = unit("pred5", [fc(v, w["pred5_weight"], zero) for v in vs])
        vs = [relu((v + w["pred5_bias"]).reshape(spec.K, spec.h5, spec.w5)) for v in v0s]
        y0s = unit("deconv_pred5", [deconv2d(v, w["deconv_pred5_weight"], None, 16, 8) for v in vs])
        for z, y in zip(zs, y0s):
            z += y + col(w["deconv_pred5_bias"])
    zs = [relu(z) for z in zs]
    y0s = unit("deconv_predup", [deconv2d(z, w["deconv_predup_weight"], None, 2, 1) for z in zs])
    zs = [relu(y + col(w["deconv_predup_bias"])) for y in y0s]

    # Logit scale: bisect so the median per-pixel max probability is about 0.5
    # (neither uniform nor one-hot), then round the factor.
    l0 = cat([conv2d(z, w["convolution0_weight"], None, 1) for z in zs])
    sd0 = float(l0.std()) or 1.0
    l0 = np.moveaxis(l0 / sd0, 1, 0).reshape(spec.K, -1)  # channels first: softmax over axis 0
    l0 = l0[:, ::max(1, l0.shape[1] // 16384)]  # a fixed subsample is plenty for a median
    w["convolution0_bias"] = _round_sig(w["convolution0_bias"] * 0.1)
    bias = w["convolution0_bias"][:, None]
    lo, hi = 1e-3, 1e3
    for _ in range(40):
        mid = math.sqrt(lo * hi)
        med = float(np.median(softmax_channels(mid * l0 + bias).max(axis=0)))
        lo, hi = (mid, hi) if med < 0.5 else (lo, mid)
    w["convolution0_weight"] *= float(_round_sig(math.sqrt(lo * hi) / sd0))
