"""Independent writer of MXNet NDArray-list files and of Deep3D-shaped weights, for the tests.

Written from the published byte layout (../shared/research/deep3d-spec.md sections 2.1-2.3)
and the released tensor table (section 1.4); it does not import tools/mxnet_params.py or
tools/convert_mxnet.py, so a misreading of the format has to be made twice to slip through.

Also writes an old-style (pre-NNVM) symbol JSON of the released graph (section 1.3), with the
2016 uint32 encoding of the DepthDot scale.
"""

from __future__ import annotations

import json
import struct
from typing import Any, Sequence

import numpy as np

# Record formats; see section 2.3.
RECORDS: tuple[str, ...] = ("legacy", "v1", "v2", "v3")
_MAGIC = {"v1": 0xF993FAC8, "v2": 0xF993FAC9, "v3": 0xF993FACA}
_TYPE_FLAG = {np.dtype(np.float32): 0, np.dtype(np.float64): 1, np.dtype(np.float16): 2}


# ---------------------------------------------------------------------------
# Byte layout


def record_bytes(arr: np.ndarray | None, record: str = "legacy", dev_type: int = 1, dev_id: int = 0,
                 type_flag: int | None = None, stype: int = 0) -> bytes:
    """One NDArray record. None writes an empty ("none") array. type_flag/stype override for error tests."""
    out = bytearray()
    if arr is None:
        if record == "legacy":
            return struct.pack("<I", 0)
        if record == "v1":
            return struct.pack("<Ii", _MAGIC["v1"], 0)
        if record == "v2":
            return struct.pack("<Iii", _MAGIC["v2"], stype, 0)
        return struct.pack("<Iii", _MAGIC["v3"], stype, -1)
    a = np.asarray(arr)
    flag = _TYPE_FLAG[a.dtype] if type_flag is None else type_flag
    if record == "legacy":
        out += struct.pack("<I", a.ndim)
        out += struct.pack(f"<{a.ndim}I", *a.shape)
    elif record == "v1":
        out += struct.pack("<Ii", _MAGIC["v1"], a.ndim)
        out += struct.pack(f"<{a.ndim}q", *a.shape)
    elif record in ("v2", "v3"):
        out += struct.pack("<Ii", _MAGIC[record], stype)
        out += struct.pack("<i", a.ndim)
        out += struct.pack(f"<{a.ndim}q", *a.shape)
    else:
        raise ValueError(record)
    out += struct.pack("<iii", dev_type, dev_id, flag)
    out += a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes(order="C")
    return bytes(out)


def list_bytes(records: Sequence[bytes], names: Sequence[str] | None, magic: int = 0x112) -> bytes:
    """The list container around pre-encoded records: magic, reserved, arrays, names."""
    out = bytearray(struct.pack("<QQ", magic, 0))
    out += struct.pack("<Q", len(records))
    for r in records:
        out += r
    names = list(names or [])
    out += struct.pack("<Q", len(names))
    for n in names:
        b = n.encode("utf-8")
        out += struct.pack("<Q", len(b)) + b
    return bytes(out)


def encode_params(items: Sequence[tuple[str, np.ndarray | None]], record: str = "legacy",
                  dev_type: int = 1) -> bytes:
    """A whole .params file with the arrays in the given order (names as given, prefixes included)."""
    return list_bytes([record_bytes(a, record, dev_type) for _, a in items], [n for n, _ in items])


def write_params(path: str, items: Sequence[tuple[str, np.ndarray | None]], record: str = "legacy",
                 dev_type: int = 1) -> None:
    with open(path, "wb") as f:
        f.write(encode_params(items, record, dev_type))


# ---------------------------------------------------------------------------
# The released tensor table (section 1.4), for any channel widths


def deep3d_shapes(channels: Sequence[int] = (64, 128, 256, 512, 512), fc: int = 512, k: int = 33,
                  h5: int = 5, w5: int = 12) -> dict[str, tuple[int, ...]]:
    """MXNet names (with arg:/aux: prefix) -> shape; 52 arg + 8 aux for the released graph."""
    c1, c2, c3, c4, c5 = channels
    s: dict[str, tuple[int, ...]] = {}

    def arg(name: str, shape: tuple[int, ...]) -> None:
        s["arg:" + name] = shape

    arg("conv1_1_weight", (c1, 3, 3, 3))
    arg("conv2_1_weight", (c2, c1, 3, 3))
    arg("conv3_1_weight", (c3, c2, 3, 3))
    arg("conv3_2_weight", (c3, c3, 3, 3))
    arg("conv4_1_weight", (c4, c3, 3, 3))
    arg("conv4_2_weight", (c4, c4, 3, 3))
    arg("conv5_1_weight", (c5, c4, 3, 3))
    arg("conv5_2_weight", (c5, c5, 3, 3))
    for n, c in (("conv1_1", c1), ("conv2_1", c2), ("conv3_1", c3), ("conv3_2", c3),
                 ("conv4_1", c4), ("conv4_2", c4), ("conv5_1", c5), ("conv5_2", c5)):
        arg(n + "_bias", (c,))
    arg("fc6_weight", (fc, c5 * h5 * w5))
    arg("fc6_bias", (fc,))
    arg("fc7_weight", (fc, fc))
    arg("fc7_bias", (fc,))
    arg("pred5_weight", (k * h5 * w5, fc))
    arg("pred5_bias", (k * h5 * w5,))
    for b, c in enumerate((c1, c2, c3, c4), start=1):
        arg(f"bn_pool{b}_gamma", (c,))
        arg(f"bn_pool{b}_beta", (c,))
        arg(f"pred{b}_weight", (k, c, 3, 3))
        arg(f"pred{b}_bias", (k,))
    for b, ks in ((1, 1), (2, 4), (3, 8), (4, 16), (5, 32)):
        arg(f"deconv_pred{b}_weight", (k, k, ks, ks))
        arg(f"deconv_pred{b}_bias", (k,))
    arg("deconv_predup_weight", (k, k, 4, 4))
    arg("deconv_predup_bias", (k,))
    arg("convolution0_weight", (k, k, 3, 3))
    arg("convolution0_bias", (k,))
    for b, c in enumerate((c1, c2, c3, c4), start=1):
        s[f"aux:bn_pool{b}_moving_mean"] = (c,)
        s[f"aux:bn_pool{b}_moving_inv_var"] = (c,)
    return s


def random_weights(rng: np.random.Generator, shapes: dict[str, tuple[int, ...]],
                   bn: str = "inv_std") -> dict[str, np.ndarray]:
    """Random float64 weights with scales that keep a forward pass on 0..255 input well conditioned.

    He-normal convolutions (activations stay of the order of the 0..255 input through the
    trunk), BN statistics of that order (mean 0..150, std 50..400) stored as inverse std
    (bn="inv_std", what cuDNN v4 kept) or as variance (bn="variance"), fc6 scaled down so the
    FC branch is O(1) like the conv branches, small biases.
    """
    w: dict[str, np.ndarray] = {}
    for name, shape in shapes.items():
        bare = name.split(":", 1)[1]
        if bare.endswith("_moving_mean"):
            w[name] = rng.uniform(0.0, 150.0, shape)
        elif bare.endswith("_moving_inv_var"):
            std = rng.uniform(50.0, 400.0, shape)
            w[name] = 1.0 / np.sqrt(std ** 2 + 1e-3) if bn == "inv_std" else std ** 2
        elif bare.endswith("_gamma"):
            w[name] = rng.uniform(0.5, 1.5, shape)
        elif bare.endswith("_beta") or bare.endswith("_bias"):
            w[name] = rng.normal(0.0, 0.1, shape)
        elif bare.startswith("deconv_"):
            ci, _, k, _ = shape
            stride = {1: 1, 4: 2, 8: 4, 16: 8, 32: 16}[k]
            w[name] = rng.normal(0.0, 1.0, shape) * np.sqrt(2.0 / (ci * max(1, (k // stride) ** 2)))
        else:  # conv and FC weights
            fan_in = int(np.prod(shape[1:]))
            w[name] = rng.normal(0.0, 1.0, shape) * np.sqrt(2.0 / fan_in)
    w["arg:fc6_weight"] /= 100.0  # pool5 values are ~100: bring the FC head to O(1)
    return w


# ---------------------------------------------------------------------------
# Old-format symbol JSON of the released graph (section 1.3 node order)


class _SymbolBuilder:
    def __init__(self) -> None:
        self.nodes: list[dict[str, Any]] = []

    def add(self, op: str, name: str, inputs: Sequence[int], param: dict[str, str] | None = None) -> int:
        self.nodes.append({"op": op, "param": dict(param or {}), "name": name,
                           "inputs": [[i, 0] for i in inputs], "backward_source_id": -1})
        return len(self.nodes) - 1

    def var(self, name: str) -> int:
        return self.add("null", name, [])

    def layer(self, op: str, name: str, x: int, param: dict[str, str], weights: Sequence[str] = ()) -> int:
        ids = [x] + [self.var(f"{name}_{w}") for w in weights]
        return self.add(op, name, ids, param)


def _conv_param(nf: int) -> dict[str, str]:
    return {"dilate": "(1,1)", "kernel": "(3,3)", "no_bias": "False", "num_filter": str(nf),
            "num_group": "1", "pad": "(1,1)", "stride": "(1,1)", "workspace": "512"}


def _deconv_param(k: int, s: int, p: int, nf: int) -> dict[str, str]:
    return {"kernel": f"({k},{k})", "no_bias": "False", "num_filter": str(nf), "num_group": "1",
            "pad": f"({p},{p})", "stride": f"({s},{s})", "workspace": "0"}


_POOL = {"kernel": "(2,2)", "pad": "(0,0)", "pool_type": "max", "stride": "(2,2)"}
_RELU = {"act_type": "relu"}


def symbol_json(channels: Sequence[int] = (64, 128, 256, 512, 512), fc: int = 512, k: int = 33,
                h5: int = 5, w5: int = 12, dmin: int = -15, dmax: int = 16) -> dict[str, Any]:
    """The released deep3d-symbol.json structure (pre-NNVM: op/param/name/inputs per node)."""
    sb = _SymbolBuilder()
    act = iter(range(100))
    x = sb.var("left")
    deconvs: list[int] = []
    geo = {1: (1, 1, 0), 2: (4, 2, 1), 3: (8, 4, 2), 4: (16, 8, 4)}
    convs = {1: 1, 2: 1, 3: 2, 4: 2, 5: 2}
    for s in range(1, 6):
        for i in range(1, convs[s] + 1):
            x = sb.layer("Convolution", f"conv{s}_{i}", x, _conv_param(channels[s - 1]), ("weight", "bias"))
            # The released graph names the ReLU after conv5_2 "conv1_2".
            x = sb.layer("Activation", "conv1_2" if (s, i) == (5, 2) else f"relu{s}_{i}", x, _RELU)
        x = sb.layer("Pooling", f"pool{s}", x, _POOL)
        if s <= 4:
            y = sb.layer("CuDNNBatchNorm", f"bn_pool{s}", x, {"eps": "0.001", "fix_gamma": "False",
                                                              "momentum": "0.9"}, ("gamma", "beta"))
            y = sb.layer("Convolution", f"pred{s}", y, _conv_param(k), ("weight", "bias"))
            y = sb.layer("Activation", f"activation{next(act)}", y, _RELU)
            kk, st, p = geo[s]
            deconvs.append(sb.layer("Deconvolution", f"deconv_pred{s}", y, _deconv_param(kk, st, p, k),
                                    ("weight", "bias")))
    x = sb.layer("Flatten", "flatten", x, {})
    for n in ("6", "7"):
        x = sb.layer("FullyConnected", f"fc{n}", x, {"no_bias": "False", "num_hidden": str(fc)}, ("weight", "bias"))
        x = sb.layer("Activation", f"relu{n}", x, _RELU)
        x = sb.layer("Dropout", f"drop{n}", x, {"p": "0.5"})
    x = sb.layer("FullyConnected", "pred5", x, {"no_bias": "False", "num_hidden": str(k * h5 * w5)},
                 ("weight", "bias"))
    x = sb.layer("Reshape", "reshape0", x, {"target_shape": f"(0,{k},{h5},{w5})"})
    x = sb.layer("Activation", f"activation{next(act)}", x, _RELU)
    deconvs.append(sb.layer("Deconvolution", "deconv_pred5", x, _deconv_param(32, 16, 8, k), ("weight", "bias")))
    x = sb.add("ElementWiseSum", "elementwisesum0", deconvs, {"num_args": "5"})
    x = sb.layer("Activation", "feat_relu", x, _RELU)
    x = sb.layer("Deconvolution", "deconv_predup", x, _deconv_param(4, 2, 1, k), ("weight", "bias"))
    x = sb.layer("Activation", f"activation{next(act)}", x, _RELU)
    x = sb.layer("Convolution", "convolution0", x, _conv_param(k), ("weight", "bias"))
    x = sb.layer("SoftmaxActivation", "softmax", x, {"type": "channel"})
    left0 = sb.var("left0")
    lo = dmin if dmin >= 0 else dmin + (1 << 32)  # the 2016 uint32 quirk
    x = sb.add("DepthDot", "depth", [x, left0], {"scale": f"({lo},{dmax + 1})", "upsample": "1"})
    label = sb.var("l1_label")
    x = sb.add("MAERegressionOutput", "l1", [x, label], {"grad_scale": "1"})
    args = [i for i, n in enumerate(sb.nodes) if n["op"] == "null"]
    return {"nodes": sb.nodes, "arg_nodes": args, "heads": [[x, 0]]}


def write_symbol(path: str, doc: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
