"""The released Deep3D graph (deep3d-spec.md section 1.3) computed straight from MXNet-named arrays.

An oracle for the converter tests: it reads the raw `arg:`/`aux:` arrays as they sit in the
.params file, hard-codes the graph of the released symbol (layer order, deconv geometry,
FC flatten and reshape orders, cuDNN v4 BatchNorm with an inverse std, DepthDot with channel 0
unused) and imports nothing from tools/. Float64 throughout.
"""

from __future__ import annotations

import numpy as np

# Deconvolution (kernel, stride, pad) of the released symbol, copied from its table.
DECONV: dict[str, tuple[int, int, int]] = {
    "deconv_pred1": (1, 1, 0),
    "deconv_pred2": (4, 2, 1),
    "deconv_pred3": (8, 4, 2),
    "deconv_pred4": (16, 8, 4),
    "deconv_pred5": (32, 16, 8),
    "deconv_predup": (4, 2, 1),
}
TRUNK: tuple[tuple[str, ...], ...] = (
    ("conv1_1",), ("conv2_1",), ("conv3_1", "conv3_2"), ("conv4_1", "conv4_2"), ("conv5_1", "conv5_2"))


def conv3x3(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """MXNet Convolution kernel (3,3) pad (1,1): cross-correlation, im2col formulation."""
    ci, h, wd = x.shape
    xp = np.zeros((ci, h + 2, wd + 2))
    xp[:, 1:-1, 1:-1] = x
    win = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(1, 2))  # (ci, h, wd, 3, 3)
    cols = np.ascontiguousarray(win.transpose(1, 2, 0, 3, 4)).reshape(h * wd, ci * 9)
    out = cols @ np.ascontiguousarray(w.reshape(w.shape[0], -1).T)
    return out.T.reshape(-1, h, wd) + b[:, None, None]


def deconv(x: np.ndarray, w: np.ndarray, b: np.ndarray, k: int, s: int, p: int) -> np.ndarray:
    """MXNet Deconvolution, weight (C_in, C_out, k, k): input pixel (iy, ix) adds w[ci, :, ky, kx]*x
    at output (iy*s - p + ky, ix*s - p + kx); no kernel flip. One input pixel at a time."""
    ci, h, wd = x.shape
    wci, co, kh, kw = w.shape
    assert wci == ci and kh == kw == k
    contrib = np.tensordot(x, w, axes=([0], [0]))  # (h, wd, co, k, k)
    full = np.zeros((co, (h - 1) * s + k, (wd - 1) * s + k))
    for iy in range(h):
        for ix in range(wd):
            full[:, iy * s:iy * s + k, ix * s:ix * s + k] += contrib[iy, ix]
    ho, wo = (h - 1) * s - 2 * p + k, (wd - 1) * s - 2 * p + k
    return full[:, p:p + ho, p:p + wo] + b[:, None, None]


def maxpool(x: np.ndarray) -> np.ndarray:
    return np.maximum(np.maximum(x[:, 0::2, 0::2], x[:, 0::2, 1::2]),
                      np.maximum(x[:, 1::2, 0::2], x[:, 1::2, 1::2]))


def relu(x: np.ndarray) -> np.ndarray:
    return np.where(x > 0, x, 0.0)


def forward(raw: dict[str, np.ndarray], left: np.ndarray, bn_eps_var: bool = False) -> dict[str, np.ndarray]:
    """Network on `left` (3,H,W BGR 0..255 as fed to the released graph). Returns logits and softmax.

    `raw` maps MXNet names with prefixes ("arg:conv1_1_weight", "aux:bn_pool1_moving_inv_var")
    to arrays. With bn_eps_var, the aux statistic is a variance: r = 1/sqrt(v + 1e-3).
    """
    W = {k: np.asarray(v, np.float64) for k, v in raw.items()}

    def a(n: str) -> np.ndarray:
        return W["arg:" + n]

    x = np.asarray(left, np.float64)
    pools = []
    for names in TRUNK:
        for n in names:
            x = relu(conv3x3(x, a(n + "_weight"), a(n + "_bias")))
        x = maxpool(x)
        pools.append(x)
    branches = []
    for b in range(1, 5):
        mu = W[f"aux:bn_pool{b}_moving_mean"]
        r = W[f"aux:bn_pool{b}_moving_inv_var"]
        if bn_eps_var:
            r = 1.0 / np.sqrt(r + 1e-3)
        g, be = a(f"bn_pool{b}_gamma"), a(f"bn_pool{b}_beta")
        y = (pools[b - 1] - mu[:, None, None]) * (g * r)[:, None, None] + be[:, None, None]
        y = relu(conv3x3(y, a(f"pred{b}_weight"), a(f"pred{b}_bias")))
        branches.append(deconv(y, a(f"deconv_pred{b}_weight"), a(f"deconv_pred{b}_bias"),
                               *DECONV[f"deconv_pred{b}"]))
    # flatten: C order over (C5, h5, w5), index c*h5*w5 + h*w5 + w, written out.
    p5 = pools[4]
    c5, h5, w5 = p5.shape
    v = np.empty(c5 * h5 * w5)
    for c in range(c5):
        for hh in range(h5):
            for ww in range(w5):
                v[c * h5 * w5 + hh * w5 + ww] = p5[c, hh, ww]
    v = relu(a("fc6_weight") @ v + a("fc6_bias"))  # Dropout: identity at inference
    v = relu(a("fc7_weight") @ v + a("fc7_bias"))
    v = a("pred5_weight") @ v + a("pred5_bias")
    K = a("pred5_bias").size // (h5 * w5)
    m = np.empty((K, h5, w5))
    for j in range(v.size):  # reshape0 to (K, h5, w5)
        m[j // (h5 * w5), (j // w5) % h5, j % w5] = v[j]
    branches.append(deconv(relu(m), a("deconv_pred5_weight"), a("deconv_pred5_bias"), *DECONV["deconv_pred5"]))
    z = relu(sum(branches[1:], branches[0]))
    z = relu(deconv(z, a("deconv_predup_weight"), a("deconv_predup_bias"), *DECONV["deconv_predup"]))
    logits = conv3x3(z, a("convolution0_weight"), a("convolution0_bias"))
    e = np.exp(logits - logits.max(axis=0))
    return {"logits": logits, "softmax": e / e.sum(axis=0)}


def depth_dot(P: np.ndarray, left0: np.ndarray, s0: int = -15, s1: int = 17) -> np.ndarray:
    """DepthDot, upsample 1: out[c,y,x] = sum_{j=s0}^{s1-1} P[j-s0+1,y,x] * left0[c,y,clamp(x-j)]."""
    _, _, wd = left0.shape
    out = np.zeros(left0.shape)
    xs = np.arange(wd)
    for j in range(s0, s1):
        src = np.clip(xs - j, 0, wd - 1)
        out += P[j - s0 + 1][None] * left0[:, :, src]
    return out
