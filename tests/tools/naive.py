"""Independent, deliberately naive implementations of docs/model-format.md for the tests.

Nothing here imports deep3d_ref: these are second implementations written from the
doc, so a shared misreading would have to be made twice to slip through.
"""

from __future__ import annotations

import math
import pathlib
import sys

import numpy as np

TOOLS_DIR: pathlib.Path = pathlib.Path(__file__).resolve().parents[2] / "tools"
if str(TOOLS_DIR) not in sys.path:
    sys.path.insert(0, str(TOOLS_DIR))


# --- scalar loops (tiny sizes only) -----------------------------------------


def conv2d_loops(x: np.ndarray, w: np.ndarray, b: np.ndarray, ph: int, pw: int) -> np.ndarray:
    ci_n, h, wd = x.shape
    co_n, _, kh, kw = w.shape
    ho, wo = h + 2 * ph - kh + 1, wd + 2 * pw - kw + 1
    out = np.zeros((co_n, ho, wo))
    for co in range(co_n):
        for oy in range(ho):
            for ox in range(wo):
                acc = float(b[co])
                for ci in range(ci_n):
                    for ky in range(kh):
                        for kx in range(kw):
                            iy, ix = oy + ky - ph, ox + kx - pw
                            if 0 <= iy < h and 0 <= ix < wd:
                                acc += float(x[ci, iy, ix]) * float(w[co, ci, ky, kx])
                out[co, oy, ox] = acc
    return out


def deconv2d_loops(x: np.ndarray, w: np.ndarray, b: np.ndarray, s: int, p: int) -> np.ndarray:
    ci_n, h, wd = x.shape
    _, co_n, kh, kw = w.shape
    ho, wo = (h - 1) * s - 2 * p + kh, (wd - 1) * s - 2 * p + kw
    out = np.zeros((co_n, ho, wo))
    for co in range(co_n):
        out[co] = b[co]
    for ci in range(ci_n):
        for iy in range(h):
            for ix in range(wd):
                for co in range(co_n):
                    for ky in range(kh):
                        for kx in range(kw):
                            oy, ox = iy * s - p + ky, ix * s - p + kx
                            if 0 <= oy < ho and 0 <= ox < wo:
                                out[co, oy, ox] += float(x[ci, iy, ix]) * float(w[ci, co, ky, kx])
    return out


def maxpool_loops(x: np.ndarray) -> np.ndarray:
    c, h, w = x.shape
    out = np.zeros((c, h // 2, w // 2))
    for ch in range(c):
        for y in range(h // 2):
            for xx in range(w // 2):
                out[ch, y, xx] = max(x[ch, 2 * y, 2 * xx], x[ch, 2 * y, 2 * xx + 1],
                                     x[ch, 2 * y + 1, 2 * xx], x[ch, 2 * y + 1, 2 * xx + 1])
    return out


def fc_loops(v: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.zeros(w.shape[0])
    for o in range(w.shape[0]):
        acc = float(b[o])
        for i in range(w.shape[1]):
            acc += float(w[o, i]) * float(v[i])
        out[o] = acc
    return out


def render_loops(P: np.ndarray, L: np.ndarray, dmin: int, dwidth: int, strength: float,
                 convergence: float, renormalize: bool) -> np.ndarray:
    """Section 5 pixel by pixel."""
    K, hn, wn = P.shape
    ho, wo = L.shape
    R = np.zeros((ho, wo))
    for Y in range(ho):
        v = min(max((Y + 0.5) * hn / ho - 0.5, 0.0), hn - 1)
        y0 = math.floor(v)
        y1 = min(y0 + 1, hn - 1)
        fy = v - y0
        for X in range(wo):
            u = min(max((X + 0.5) * wn / wo - 0.5, 0.0), wn - 1)
            x0 = math.floor(u)
            x1 = min(x0 + 1, wn - 1)
            fx = u - x0
            acc = 0.0
            psum = 0.0
            for k in range(1, K):
                pt = ((1 - fy) * ((1 - fx) * P[k, y0, x0] + fx * P[k, y0, x1])
                      + fy * ((1 - fx) * P[k, y1, x0] + fx * P[k, y1, x1]))
                d = dmin + k - 1
                sk = (d * strength / dwidth + convergence / 100) * wo
                xs = min(max(X - sk, 0.0), wo - 1)
                t0 = math.floor(xs)
                t1 = min(t0 + 1, wo - 1)
                f = xs - t0
                acc += pt * ((1 - f) * L[Y, t0] + f * L[Y, t1])
                psum += pt
            if renormalize and psum > 0:
                acc /= psum
            R[Y, X] = acc
    return R


# --- per-pixel vectorised versions (fast enough for a whole small network) ---


def conv3x3_pixels(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    ci, h, wd = x.shape
    co = w.shape[0]
    xp = np.zeros((ci, h + 2, wd + 2))
    xp[:, 1:-1, 1:-1] = x
    wm = w.reshape(co, -1)
    out = np.zeros((co, h, wd))
    for y in range(h):
        for xx in range(wd):
            out[:, y, xx] = wm @ xp[:, y:y + 3, xx:xx + 3].reshape(-1) + b
    return out


def deconv_pixels(x: np.ndarray, w: np.ndarray, b: np.ndarray, s: int, p: int) -> np.ndarray:
    ci, h, wd = x.shape
    co, k = w.shape[1], w.shape[2]
    ho, wo = (h - 1) * s - 2 * p + k, (wd - 1) * s - 2 * p + k
    out = np.zeros((co, ho, wo)) + b[:, None, None]
    for iy in range(h):
        for ix in range(wd):
            patch = np.einsum("c,cokl->okl", x[:, iy, ix], w)  # (co, k, k)
            for ky in range(k):
                oy = iy * s - p + ky
                if not 0 <= oy < ho:
                    continue
                for kx in range(k):
                    ox = ix * s - p + kx
                    if 0 <= ox < wo:
                        out[:, oy, ox] += patch[:, ky, kx]
    return out


def forward_naive(md: dict[str, str], t: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """Section 4 from scratch; metadata parsed here too (only what the pass needs)."""
    W = {k: np.asarray(v, np.float64) for k, v in t.items()}
    arch = md["deep3d.arch"]
    convs = [int(c) for c in md["deep3d.stage_convs"].split(",")]
    hn, wn = int(md["deep3d.input_height"]), int(md["deep3d.input_width"])
    K = int(md["deep3d.disparity_max"]) - int(md["deep3d.disparity_min"]) + 2
    a = np.asarray(x, np.float64)
    pools = []
    for s in range(1, 6):
        for i in range(1, convs[s - 1] + 1):
            a = np.maximum(conv3x3_pixels(a, W[f"conv{s}_{i}_weight"], W[f"conv{s}_{i}_bias"]), 0)
        a = maxpool_loops(a)
        pools.append(a)
    total = np.zeros((K, hn // 2, wn // 2))
    geom = {1: (1, 0), 2: (2, 1), 3: (4, 2), 4: (8, 4), 5: (16, 8)}  # stride, pad
    for b in range(1, 5 if arch == "original" else 6):
        g, be = W[f"bn_pool{b}_gamma"], W[f"bn_pool{b}_beta"]
        mu, r = W[f"bn_pool{b}_moving_mean"], W[f"bn_pool{b}_moving_inv_var"]
        y = np.empty_like(pools[b - 1])
        for c in range(y.shape[0]):
            y[c] = g[c] * r[c] * (pools[b - 1][c] - mu[c]) + be[c]
        y = np.maximum(conv3x3_pixels(y, W[f"pred{b}_weight"], W[f"pred{b}_bias"]), 0)
        s, p = geom[b]
        total += deconv_pixels(y, W[f"deconv_pred{b}_weight"], W[f"deconv_pred{b}_bias"], s, p)
    if arch == "original":
        h5, w5 = hn // 32, wn // 32
        c5 = pools[4].shape[0]
        v = np.zeros(c5 * h5 * w5)
        for c in range(c5):
            for yy in range(h5):
                for xx in range(w5):
                    v[c * h5 * w5 + yy * w5 + xx] = pools[4][c, yy, xx]
        v = np.maximum(W["fc6_weight"] @ v + W["fc6_bias"], 0)
        v = np.maximum(W["fc7_weight"] @ v + W["fc7_bias"], 0)
        v = W["pred5_weight"] @ v + W["pred5_bias"]
        m = np.zeros((K, h5, w5))
        for j in range(v.size):
            m[j // (h5 * w5), (j // w5) % h5, j % w5] = v[j]
        m = np.maximum(m, 0)
        total += deconv_pixels(m, W["deconv_pred5_weight"], W["deconv_pred5_bias"], 16, 8)
    z = np.maximum(total, 0)
    z = np.maximum(deconv_pixels(z, W["deconv_predup_weight"], W["deconv_predup_bias"], 2, 1), 0)
    z = conv3x3_pixels(z, W["convolution0_weight"], W["convolution0_bias"])
    P = np.empty_like(z)
    for y in range(z.shape[1]):
        for xx in range(z.shape[2]):
            e = np.exp(z[:, y, xx] - z[:, y, xx].max())
            P[:, y, xx] = e / e.sum()
    return P
