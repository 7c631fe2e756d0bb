#!/usr/bin/python3
"""Convert the released Deep3D MXNet weights (deep3d-0050.params) to a deep3d model file.

Usage:
  /usr/bin/python3 tools/convert_mxnet.py deep3d-0050.params deep3d-original.safetensors \\
      [--symbol deep3d-symbol.json] [--mean B,G,R] [--dtype f32|f16] [--bn-var]

The 60 arrays of the released graph (52 `arg:` + 8 `aux:`, ../shared/research/deep3d-spec.md
section 1.4) keep their names without the prefix and their layouts (docs/model-format.md
section 3 uses the MXNet names and layouts). `bn_pool{n}_moving_inv_var` is the cuDNN v4
running inverse standard deviation and is stored unchanged (no epsilon); with --bn-var the
values are taken as variances instead and stored as 1/sqrt(v + 1e-3). See
docs/convert-original.md.

Exit status 0 on success, 1 on any error (one line per problem on stderr).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any, NoReturn

import numpy as np

from deep3d_ref import ModelSpec, expected_shapes, load_model, parse_spec
from mxnet_params import ParamsArray, ParamsFormatError, read_params, split_names
from safetensors_io import ModelFormatError, write_safetensors

PROG = "convert_mxnet"
BN_EPS: float = 1e-3  # CuDNNBatchNorm eps of the released graph (spec 1.3)
# cuDNN v4 keeps a running average of 1/sqrt(var + eps) <= 1/sqrt(eps): larger values cannot be that.
INV_STD_MAX: float = 1.0 / math.sqrt(BN_EPS)
AUX_SUFFIXES: tuple[str, ...] = ("_moving_mean", "_moving_inv_var")
F16_MAX: float = 65504.0


class ConvertError(Exception):
    """One or more problems, each a one-line message."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def released_spec(input_mean: tuple[float, float, float] = (0.0, 0.0, 0.0),
                  width: int = 384, height: int = 160,
                  channels: tuple[int, ...] = (64, 128, 256, 512, 512), fc: int = 512,
                  disparity: tuple[int, int] = (-15, 16)) -> ModelSpec:
    """The `original` topology of deep3d-0050.params (defaults), or a variant geometry of it."""
    md = ModelSpec(
        arch="original", input_width=width, input_height=height,
        stage_channels=tuple(channels), stage_convs=(1, 1, 2, 2, 2),  # type: ignore[arg-type]
        fc_channels=fc, disparity_min=disparity[0], disparity_max=disparity[1], disparity_width=width,
        color_order="bgr", input_scale=255.0, input_mean=input_mean,
    ).to_metadata()
    return parse_spec(md)  # validates the geometry


# ---------------------------------------------------------------------------
# BatchNorm statistic: inverse std or variance?


@dataclass(frozen=True)
class BnStats:
    layer: str
    median: float
    maximum: float
    nonpositive: int
    over_bound: int            # channels above 1/sqrt(eps): impossible for an inverse std
    dev_inv_std: float | None  # median |log(mean * r)|: how far mean/std is from 1 if r = 1/std
    dev_var: float | None      # median |log(mean / sqrt(r))|: the same if r = var

    @property
    def verdict(self) -> str:
        """'inv_std', 'variance' or 'ambiguous'."""
        if self.over_bound:
            return "variance"
        mu_says_var = (self.dev_inv_std is not None and self.dev_var is not None
                       and self.dev_var < self.dev_inv_std)
        mu_says_inv = (self.dev_inv_std is not None and self.dev_var is not None
                       and self.dev_inv_std < self.dev_var)
        if self.median > 1.0:
            return "ambiguous" if mu_says_inv else "variance"
        return "ambiguous" if mu_says_var else "inv_std"

    def describe(self) -> str:
        s = f"{self.layer}: median {self.median:.4g}, max {self.maximum:.4g}"
        if self.over_bound:
            s += f", {self.over_bound} channel(s) above 1/sqrt(eps) = {INV_STD_MAX:.2f}"
        if self.dev_inv_std is not None and self.dev_var is not None:
            s += (f", median |log(mean*r)| {self.dev_inv_std:.2f} vs "
                  f"|log(mean/sqrt(r))| {self.dev_var:.2f}")
        return s


def bn_stats(layer: str, mean: np.ndarray, r: np.ndarray) -> BnStats:
    """Evidence on whether r is an inverse std (cuDNN v4) or a variance.

    - An inverse std with eps 1e-3 is at most 1/sqrt(1e-3) = 31.62 (a running average of
      values that each are); a variance of 0..255-scale activations easily exceeds it.
    - The BN input is a max-pooled ReLU output, so each channel's mean and std are of the same
      order (mean/std is about 1.3 for a half-normal). If r = 1/std, mean*r is near 1; if r is
      the variance, mean/sqrt(r) is. Whichever hypothesis puts the typical ratio nearer 1 wins.
      This test does not depend on the activation scale.
    - median(r) > 1 would mean a typical pool channel with std < 1 on 0..255 input
      (spec 1.5): implausible for an inverse std.
    """
    r = np.asarray(r, np.float64)
    mean = np.asarray(mean, np.float64)
    with np.errstate(all="ignore"):
        sel = (mean > 0) & (r > 0) & np.isfinite(mean) & np.isfinite(r)
        dev_inv = dev_var = None
        if int(sel.sum()) >= 4:
            dev_inv = float(np.median(np.abs(np.log(mean[sel] * r[sel]))))
            dev_var = float(np.median(np.abs(np.log(mean[sel] / np.sqrt(r[sel])))))
    return BnStats(layer=layer, median=float(np.median(r)), maximum=float(np.max(r)),
                   nonpositive=int(np.sum(r <= 0)), over_bound=int(np.sum(r > INV_STD_MAX * (1 + 1e-4))),
                   dev_inv_std=dev_inv, dev_var=dev_var)


# ---------------------------------------------------------------------------
# Old (pre-NNVM) and NNVM symbol JSON


def _parse_tuple(s: str) -> tuple[int, ...]:
    t = s.strip()
    if not (t.startswith("(") and t.endswith(")")) and not (t.startswith("[") and t.endswith("]")):
        raise ValueError(f"{s!r} is not a tuple")
    body = t[1:-1].strip()
    if not body:
        return ()
    parts = [p.strip() for p in body.split(",")]
    if parts and parts[-1] == "":  # "(3,)"
        parts = parts[:-1]
    out = []
    for p in parts:
        if p.endswith("L"):  # Python 2 longs
            p = p[:-1]
        out.append(int(p))
    return tuple(out)


def _parse_bool(s: str) -> bool:
    t = s.strip().lower()
    if t in ("true", "1"):
        return True
    if t in ("false", "0"):
        return False
    raise ValueError(f"{s!r} is not a boolean")


def _uint32_to_int(v: int) -> int:
    """MXNet of 2016 wrote negative int tuple entries through uint32 (spec 1.6: 4294967281 = -15)."""
    return v - (1 << 32) if (1 << 31) <= v < (1 << 32) else v


class _Symbol:
    """A parsed symbol graph plus the mismatches found while walking it."""

    def __init__(self, doc: Any) -> None:
        if not isinstance(doc, dict) or not isinstance(doc.get("nodes"), list):
            raise ConvertError(["symbol: not an MXNet symbol JSON (no 'nodes' list)"])
        self.nodes: list[dict[str, Any]] = []
        for i, n in enumerate(doc["nodes"]):
            if not isinstance(n, dict) or not isinstance(n.get("op"), str) or not isinstance(n.get("name"), str):
                raise ConvertError([f"symbol: node {i} has no string 'op' and 'name'"])
            inputs = n.get("inputs", [])
            if not isinstance(inputs, list):
                raise ConvertError([f"symbol: node {i} ({n['name']}): 'inputs' is not a list"])
            for e in inputs:
                if (not isinstance(e, list) or len(e) < 2 or not all(isinstance(v, int) for v in e)
                        or not 0 <= e[0] < len(doc["nodes"])):
                    raise ConvertError([f"symbol: node {i} ({n['name']}): bad input entry {e!r}"])
            params = n.get("param", n.get("attrs", n.get("attr", {})))
            if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
                raise ConvertError([f"symbol: node {i} ({n['name']}): parameters must be strings"])
            self.nodes.append(n)
        self.mismatches: list[str] = []
        self.notes: list[str] = []
        self.visited: set[int] = set()

    # -- helpers -----------------------------------------------------------

    def label(self, i: int) -> str:
        return f"node {i} '{self.nodes[i]['name']}' ({self.nodes[i]['op']})"

    def params(self, i: int) -> dict[str, str]:
        n = self.nodes[i]
        p = n.get("param", n.get("attrs", n.get("attr", {})))
        return p  # type: ignore[no-any-return]

    def bad(self, msg: str) -> None:
        self.mismatches.append(msg)

    def inp(self, i: int, k: int, role: str) -> int | None:
        ins = self.nodes[i].get("inputs", [])
        if k >= len(ins):
            self.bad(f"{role}: {self.label(i)} has {len(ins)} input(s), expected at least {k + 1}")
            return None
        if ins[k][1] != 0:
            self.bad(f"{role}: {self.label(i)} reads output {ins[k][1]} of its input {k}, expected output 0")
        return int(ins[k][0])

    def op(self, i: int | None, ops: tuple[str, ...], role: str) -> bool:
        if i is None:
            return False
        self.visited.add(i)
        if self.nodes[i]["op"] not in ops:
            self.bad(f"{role}: found {self.label(i)}, expected {' or '.join(ops)}")
            return False
        return True

    def param(self, i: int, key: str, want: Any, kind: str, default: Any, role: str,
              alt: str | None = None) -> Any:
        p = self.params(i)
        raw = p.get(key, p.get(alt) if alt else None)
        if raw is None:
            got = default
        else:
            try:
                got = {"tuple": _parse_tuple, "int": int, "float": float, "bool": _parse_bool, "str": str}[kind](raw)
            except ValueError:
                self.bad(f"{role}: {self.label(i)} has unreadable {key}={raw!r}")
                return None
        if want is not None and got != want:
            shown = "absent" if raw is None else repr(raw)
            self.bad(f"{role}: {self.label(i)} has {key} {shown} ({got}), expected {want}")
        return got

    def var(self, i: int, k: int, names: tuple[str, ...], role: str) -> None:
        j = self.inp(i, k, role)
        if j is None:
            return
        n = self.nodes[j]
        if n["op"] != "null" or n["name"] not in names:
            self.bad(f"{role}: input {k} of {self.label(i)} is {self.label(j)}, expected variable {names[0]!r}")

    def relu(self, i: int | None, role: str) -> int | None:
        """Expect a ReLU at i (skipping Dropout, the identity at inference); return its input."""
        while i is not None and self.nodes[i]["op"] == "Dropout":
            self.visited.add(i)
            i = self.inp(i, 0, role)
        if i is None:
            return None
        n = self.nodes[i]
        if n["op"] == "relu":
            self.visited.add(i)
        elif self.op(i, ("Activation",), f"{role} ReLU"):
            self.param(i, "act_type", "relu", "str", None, role)
        else:
            return None
        return self.inp(i, 0, role)

    def conv(self, i: int | None, name: str, filters: int, role: str) -> int | None:
        """A 3x3 stride-1 pad-1 Convolution with weight/bias `name`_weight/_bias; returns its input."""
        if not self.op(i, ("Convolution",), role):
            return None
        assert i is not None
        self.param(i, "kernel", (3, 3), "tuple", None, role)
        self.param(i, "stride", (1, 1), "tuple", (1, 1), role)
        self.param(i, "pad", (1, 1), "tuple", (0, 0), role)
        self.param(i, "dilate", (1, 1), "tuple", (1, 1), role)
        self.param(i, "num_group", 1, "int", 1, role)
        self.param(i, "num_filter", filters, "int", None, role)
        self.param(i, "no_bias", False, "bool", False, role)
        self.var(i, 1, (f"{name}_weight",), role)
        self.var(i, 2, (f"{name}_bias",), role)
        return self.inp(i, 0, role)

    def deconv(self, i: int, name: str, filters: int, k: int, s: int, p: int, role: str) -> int | None:
        self.param(i, "kernel", (k, k), "tuple", None, role)
        self.param(i, "stride", (s, s), "tuple", (1, 1), role)
        self.param(i, "pad", (p, p), "tuple", (0, 0), role)
        self.param(i, "adj", (0, 0), "tuple", (0, 0), role)
        self.param(i, "dilate", (1, 1), "tuple", (1, 1), role)
        self.param(i, "num_group", 1, "int", 1, role)
        self.param(i, "num_filter", filters, "int", None, role)
        # MXNet's Deconvolution defaults to no bias; the released graph sets no_bias False.
        self.param(i, "no_bias", False, "bool", True, role)
        self.var(i, 1, (f"{name}_weight",), role)
        self.var(i, 2, (f"{name}_bias",), role)
        return self.inp(i, 0, role)

    def fc(self, i: int | None, name: str, hidden: int, role: str) -> int | None:
        if not self.op(i, ("FullyConnected",), role):
            return None
        assert i is not None
        self.param(i, "num_hidden", hidden, "int", None, role)
        self.param(i, "no_bias", False, "bool", False, role)
        self.param(i, "flatten", True, "bool", True, role)
        self.var(i, 1, (f"{name}_weight",), role)
        self.var(i, 2, (f"{name}_bias",), role)
        return self.inp(i, 0, role)

    def maxpool(self, i: int | None, role: str) -> bool:
        if not self.op(i, ("Pooling",), role):
            return False
        assert i is not None
        self.param(i, "kernel", (2, 2), "tuple", None, role)
        self.param(i, "stride", (2, 2), "tuple", (1, 1), role)
        self.param(i, "pad", (0, 0), "tuple", (0, 0), role)
        self.param(i, "pool_type", "max", "str", "max", role)
        self.param(i, "global_pool", False, "bool", False, role)
        return True

    # -- the graph of docs/model-format.md section 4, walked from the softmax back --

    def check(self, spec: ModelSpec) -> None:
        K, F = spec.K, spec.fc_channels
        dd = [i for i, n in enumerate(self.nodes) if n["op"] == "DepthDot"]
        if len(dd) > 1:
            self.bad(f"symbol has {len(dd)} DepthDot nodes, expected 1")
            return
        if dd:
            d = dd[0]
            self.visited.add(d)
            self.check_depthdot(d, spec)
            sm = self.inp(d, 0, "DepthDot")
            if sm is None:
                return
            self.var(d, 1, tuple(n["name"] for n in self.nodes if n["op"] == "null"), "DepthDot image")
        else:
            sms = [i for i, n in enumerate(self.nodes) if n["op"] == "SoftmaxActivation"]
            if len(sms) != 1:
                self.bad("symbol has no DepthDot node and no single SoftmaxActivation to start from")
                return
            sm = sms[0]
            self.notes.append("symbol has no DepthDot selection layer; only the network was checked")
        if not self.op(sm, ("SoftmaxActivation",), "softmax"):
            return
        self.param(sm, "type", "channel", "str", "instance", "softmax", alt="mode")
        x = self.conv(self.inp(sm, 0, "softmax"), "convolution0", K, "final conv")
        x = self.relu(x, "after deconv_predup")
        if x is None or not self.op(x, ("Deconvolution",), "deconv_predup"):
            return
        x = self.deconv(x, "deconv_predup", K, 4, 2, 1, "deconv_predup")
        s = self.relu(x, "after the branch sum")
        if s is None or not self.op(s, ("ElementWiseSum", "add_n"), "branch sum"):
            return
        nb = spec.num_conv_branches + 1
        self.param(s, "num_args", nb, "int", None, "branch sum")
        ins = self.nodes[s].get("inputs", [])
        branches: dict[int, int] = {}
        for k in range(len(ins)):
            j = self.inp(s, k, "branch sum")
            if j is None or not self.op(j, ("Deconvolution",), f"branch sum input {k}"):
                continue
            wj = self.inp(j, 1, "branch deconv")
            wname = self.nodes[wj]["name"] if wj is not None else ""
            b = next((b for b in range(1, nb + 1) if wname == f"deconv_pred{b}_weight"), None)
            if b is None:
                self.bad(f"branch sum input {k}: {self.label(j)} has weight {wname!r}, not deconv_pred1..{nb}_weight")
            elif b in branches:
                self.bad(f"branch sum: deconv_pred{b} appears twice")
            else:
                branches[b] = j
        for b in range(1, nb + 1):
            if b not in branches:
                self.bad(f"branch sum: no input from deconv_pred{b}")
        branch_pools: dict[int, int] = {}
        for b, j in sorted(branches.items()):
            f = 1 << (b - 1)
            k, st, p = (1, 1, 0) if f == 1 else (2 * f, f, f // 2)
            role = f"branch {b}"
            x = self.deconv(j, f"deconv_pred{b}", K, k, st, p, role)
            x = self.relu(x, role)
            if b <= spec.num_conv_branches:
                x = self.conv(x, f"pred{b}", K, role)
                if x is None or not self.op(x, ("CuDNNBatchNorm", "BatchNorm"), f"{role} BN"):
                    continue
                self.check_bn(x, b, role)
                pool = self.inp(x, 0, role)
                if pool is not None and self.maxpool(pool, f"{role} input"):
                    branch_pools[b] = pool
            else:
                self.check_fc_head(x, spec, F, branch_pools)
        self.check_trunk(spec, branch_pools)
        self.check_unvisited(dd[0] if dd else None)

    def check_depthdot(self, d: int, spec: ModelSpec) -> None:
        raw = self.params(d).get("scale")
        if raw is None:
            self.bad(f"DepthDot: {self.label(d)} has no scale")
        else:
            try:
                vals = _parse_tuple(raw)
            except ValueError:
                self.bad(f"DepthDot: unreadable scale {raw!r}")
                vals = None
            if vals is not None:
                fixed = tuple(_uint32_to_int(v) for v in vals)
                if fixed != vals:
                    self.notes.append(f"DepthDot scale {raw} read as {fixed} (negative values stored as uint32)")
                want = (spec.disparity_min, spec.disparity_max + 1)
                if fixed != want:
                    self.bad(f"DepthDot: scale {fixed} (shifts {fixed[0]}..{fixed[-1] - 1} if a pair), "
                             f"expected {want} (shifts {spec.disparity_min}..{spec.disparity_max})")
        up = self.params(d).get("upsample", "1")
        if up.strip() != "1":
            self.notes.append(f"DepthDot upsample={up}: the filter renders at the output size itself")

    def check_bn(self, i: int, b: int, role: str) -> None:
        name = f"bn_pool{b}"
        if self.nodes[i]["op"] == "BatchNorm":
            self.notes.append(f"{role}: {self.label(i)} is BatchNorm, not CuDNNBatchNorm: its moving "
                              "statistic may be a variance (see --bn-var)")
        self.param(i, "eps", BN_EPS, "float", BN_EPS, role)
        self.param(i, "fix_gamma", False, "bool", True, role)
        self.var(i, 1, (f"{name}_gamma",), role)
        self.var(i, 2, (f"{name}_beta",), role)
        if len(self.nodes[i].get("inputs", [])) >= 5:  # NNVM graphs list the aux states as inputs
            self.var(i, 3, (f"{name}_moving_mean",), role)
            self.var(i, 4, (f"{name}_moving_inv_var", f"{name}_moving_var"), role)

    def check_fc_head(self, x: int | None, spec: ModelSpec, F: int | None,
                      branch_pools: dict[int, int]) -> None:
        role = "branch 5"
        if x is None or not self.op(x, ("Reshape",), f"{role} reshape"):
            return
        p = self.params(x)
        if "target_shape" not in p and "shape" not in p:
            self.bad(f"{role}: {self.label(x)} has no target_shape")
        shp = self.param(x, "target_shape", None, "tuple", None, role, alt="shape")
        if shp is not None and (len(shp) != 4 or shp[0] not in (0, -1)
                                or tuple(shp[1:]) != (spec.K, spec.h5, spec.w5)):
            self.bad(f"{role}: {self.label(x)} reshapes to {shp}, expected (0,{spec.K},{spec.h5},{spec.w5})")
        x = self.fc(self.inp(x, 0, role), "pred5", spec.K * spec.h5 * spec.w5, role)
        x = self.relu(x, role)
        x = self.fc(x, "fc7", int(F or 0), role)
        x = self.relu(x, role)
        x = self.fc(x, "fc6", int(F or 0), role)
        if x is None:
            return
        if self.nodes[x]["op"] == "Flatten":
            self.visited.add(x)
            x = self.inp(x, 0, role)
        if x is not None and self.maxpool(x, f"{role} input"):
            branch_pools[5] = x

    def check_trunk(self, spec: ModelSpec, branch_pools: dict[int, int]) -> None:
        if 5 not in branch_pools:
            return
        x: int | None = branch_pools[5]
        for s in range(5, 0, -1):
            role = f"stage {s}"
            if x is None:
                return
            if s < 5 and s in branch_pools and branch_pools[s] != x:
                self.bad(f"{role}: branch {s} reads {self.label(branch_pools[s])}, "
                         f"but the trunk's pool{s} is {self.label(x)}")
            if not self.maxpool(x, f"{role} pool"):
                return
            x = self.inp(x, 0, role)
            for c in range(spec.stage_convs[s - 1], 0, -1):
                x = self.relu(x, role)
                x = self.conv(x, f"conv{s}_{c}", spec.stage_channels[s - 1], f"{role} conv{s}_{c}")
                if x is None:
                    return
        if x is not None and self.nodes[x]["op"] != "null":
            self.bad(f"network input: conv1_1 reads {self.label(x)}, expected the data variable")

    def check_unvisited(self, depthdot: int | None) -> None:
        after: set[int] = set()
        if depthdot is not None:
            after.add(depthdot)
            for i, n in enumerate(self.nodes):
                if any(e[0] in after for e in n.get("inputs", [])):
                    after.add(i)
        for i, n in enumerate(self.nodes):
            if n["op"] != "null" and i not in self.visited and i not in after:
                self.bad(f"{self.label(i)} is not part of the network this converter maps")


def check_symbol(path: str, spec: ModelSpec) -> tuple[list[str], list[str]]:
    """(mismatches, notes) of the symbol at path against what the filter runs for spec."""
    try:
        with open(path, "rb") as f:
            doc = json.loads(f.read().decode("utf-8"))
    except OSError as e:
        raise ConvertError([f"symbol {path}: {e.strerror or e}"]) from None
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ConvertError([f"symbol {path}: not valid JSON ({e})"]) from None
    sym = _Symbol(doc)
    sym.check(spec)
    return sym.mismatches, sym.notes


# ---------------------------------------------------------------------------
# Conversion


@dataclass
class Conversion:
    tensors: dict[str, np.ndarray]
    metadata: dict[str, str]
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _show(name: str) -> str:
    """A name as it can appear on one line of a message (control characters escaped)."""
    return name if name.isprintable() else name.encode("unicode_escape").decode("ascii")


def _file_facts(arrays: dict[str, ParamsArray]) -> str:
    records = sorted({a.record for a in arrays.values()})
    dtypes = sorted({a.dtype_name for a in arrays.values()})
    return f"records {','.join(records)}, dtypes {','.join(dtypes)}"


def convert(params_path: str, spec: ModelSpec, dtype: str = "f32", bn_var: bool = False,
            symbol: str | None = None) -> Conversion:
    """Read, check and convert; raises ConvertError with every problem found."""
    try:
        pf = read_params(params_path)
        arrays, prefixes = split_names(pf)
    except OSError as e:
        raise ConvertError([f"{params_path}: {e.strerror or e}"]) from None
    except ParamsFormatError as e:
        raise ConvertError([f"{params_path}: {e}"]) from None

    shapes = expected_shapes(spec)
    errors: list[str] = []
    warnings: list[str] = []
    for name, shape in shapes.items():
        pre = "aux" if name.endswith(AUX_SUFFIXES) else "arg"
        if name not in arrays:
            errors.append(f"missing tensor {pre}:{name} (expected shape {shape})")
            continue
        a = arrays[name]
        if a.data is None:
            errors.append(f"tensor {name}: empty array in the file, expected shape {shape}")
        elif tuple(a.data.shape) != shape:
            errors.append(f"tensor {name}: shape {tuple(a.data.shape)}, expected {shape}")
        elif not np.all(np.isfinite(a.data)):
            errors.append(f"tensor {name}: contains NaN or infinite values")
        if prefixes[name] and prefixes[name] != pre:
            warnings.append(f"tensor {name} is stored as {prefixes[name]}:, expected {pre}:")
    extra = [_show(f"{prefixes[n] + ':' if prefixes[n] else ''}{n}") for n in arrays if n not in shapes]
    if extra:
        errors.append(f"{len(extra)} unexpected tensor(s) not in the original Deep3D graph: {', '.join(extra)}")
    if errors:
        raise ConvertError(errors)

    mismatches: list[str] = []
    notes: list[str] = []
    if symbol is not None:
        mismatches, notes = check_symbol(symbol, spec)
        if mismatches:
            raise ConvertError([f"symbol mismatch: {m}" for m in mismatches])

    w: dict[str, np.ndarray] = {n: np.asarray(arrays[n].data, np.float64) for n in shapes}
    evidence = [bn_stats(f"bn_pool{b}", w[f"bn_pool{b}_moving_mean"], w[f"bn_pool{b}_moving_inv_var"])
                for b in range(1, spec.num_conv_branches + 1)]
    looks_var = [s for s in evidence if s.verdict == "variance"]
    looks_inv = [s for s in evidence if s.verdict == "inv_std"]
    unclear = [s for s in evidence if s.verdict == "ambiguous"]
    if not bn_var:
        for s in evidence:
            if s.nonpositive:
                warnings.append(f"{s.layer}_moving_inv_var has {s.nonpositive} value(s) <= 0: "
                                "not an inverse standard deviation")
        if looks_var:
            warnings.append("moving_inv_var looks like a variance, not cuDNN v4's inverse std: "
                            + "; ".join(s.describe() for s in looks_var)
                            + ". If the file came from a variance-storing BatchNorm, convert again with --bn-var")
        elif unclear:
            warnings.append("cannot tell whether moving_inv_var holds inverse std or variance: "
                            + "; ".join(s.describe() for s in unclear)
                            + " (kept as inverse std; see docs/convert-original.md)")
    else:
        if looks_inv:
            warnings.append("--bn-var given, but moving_inv_var looks like an inverse std: "
                            + "; ".join(s.describe() for s in looks_inv))
        for b in range(1, spec.num_conv_branches + 1):
            v = w[f"bn_pool{b}_moving_inv_var"]
            if np.any(v + BN_EPS <= 0):
                raise ConvertError([f"--bn-var: bn_pool{b}_moving_inv_var has values <= -{BN_EPS}, "
                                    "not a variance"])
            w[f"bn_pool{b}_moving_inv_var"] = 1.0 / np.sqrt(v + BN_EPS)

    npdt = np.float32 if dtype == "f32" else np.float16
    if npdt is np.float16:
        for n, a in w.items():
            m = float(np.max(np.abs(a)))
            if m > F16_MAX:
                raise ConvertError([f"tensor {n}: max |value| {m:.6g} overflows float16; use --dtype f32"])
    # Through float32 first: float64 input is rounded once, as a float32 graph would hold it.
    tensors = {n: w[n].astype(np.float32).astype(npdt) for n in shapes}

    md = spec.to_metadata()
    with open(params_path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    md["source"] = (f"{os.path.basename(params_path)}: MXNet NDArray list ({_file_facts(arrays)}), "
                    f"sha256 {digest}")
    bn_text = ("bn_pool*_moving_inv_var converted from variance as 1/sqrt(v + 0.001) (--bn-var)" if bn_var
               else "bn_pool*_moving_inv_var kept as cuDNN v4 inverse std (no eps)")
    md["conversion"] = (f"tools/convert_mxnet.py: arg:/aux: prefixes dropped, names and layouts unchanged; "
                        f"{bn_text}; stored as {dtype.upper()}"
                        + ("; graph checked against " + os.path.basename(symbol) if symbol else ""))
    md["license"] = ("the Deep3D weights were released without a licence: do not redistribute this file")
    return Conversion(tensors, md, warnings, notes)


def write_model(conv: Conversion, out_path: str) -> None:
    """Write atomically (a failed run leaves no partial file) and re-read with the strict loader."""
    d = os.path.dirname(os.path.abspath(out_path))
    fd, tmp = tempfile.mkstemp(prefix=".convert_mxnet.", suffix=".tmp", dir=d)
    os.close(fd)
    try:
        write_safetensors(tmp, conv.tensors, conv.metadata)
        load_model(tmp)
        os.replace(tmp, out_path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# ---------------------------------------------------------------------------
# Command line


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        print(f"{PROG}: error: {message} (see --help)", file=sys.stderr)
        sys.exit(1)


def _floats3(s: str) -> tuple[float, float, float]:
    parts = s.split(",")
    try:
        vals = tuple(float(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{s!r} is not three comma-separated numbers") from None
    if len(vals) != 3 or not all(math.isfinite(v) for v in vals):
        raise argparse.ArgumentTypeError(f"{s!r} is not three comma-separated finite numbers")
    return vals  # type: ignore[return-value]


def _size(s: str) -> tuple[int, int]:
    try:
        w, h = s.lower().split("x")
        return int(w), int(h)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{s!r} is not WIDTHxHEIGHT") from None


def _ints5(s: str) -> tuple[int, ...]:
    try:
        v = tuple(int(p) for p in s.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{s!r} is not five comma-separated integers") from None
    if len(v) != 5:
        raise argparse.ArgumentTypeError(f"{s!r} is not five comma-separated integers")
    return v


def _disparity(s: str) -> tuple[int, int]:
    try:
        lo, hi = s.split(":")
        return int(lo), int(hi)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{s!r} is not MIN:MAX") from None


def _join_negative_values(argv: list[str]) -> list[str]:
    # "--mean -10,0,0" and "--disparity -15:16": argparse would take the value for an option.
    out: list[str] = []
    i = 0
    while i < len(argv):
        if argv[i] in ("--mean", "--disparity") and i + 1 < len(argv):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def main(argv: list[str] | None = None) -> int:
    p = _Parser(prog="convert_mxnet.py",
                description="Convert the released Deep3D MXNet weights (deep3d-0050.params) to a deep3d "
                            "model file for the FFmpeg deep3d filter. See docs/convert-original.md.")
    p.add_argument("params", help="MXNet weights, e.g. deep3d-0050.params")
    p.add_argument("out", help="output model, e.g. deep3d-original.safetensors")
    p.add_argument("--symbol", metavar="JSON", help="deep3d-symbol.json: check that its graph is the one the filter runs")
    p.add_argument("--mean", type=_floats3, default=(0.0, 0.0, 0.0), metavar="B,G,R",
                   help="per-channel mean subtracted from the 0..255 BGR input (default 0,0,0, as the "
                        "released notebook)")
    p.add_argument("--dtype", choices=("f32", "f16"), default="f32", help="stored precision (default f32)")
    p.add_argument("--bn-var", action="store_true",
                   help="treat bn_pool*_moving_inv_var as variances: store 1/sqrt(v + 1e-3)")
    g = p.add_argument_group("variant geometry (not needed for deep3d-0050.params; for retrained "
                             "variants of the same graph and for tests)")
    g.add_argument("--input", type=_size, default=(384, 160), metavar="WxH", help="network input size")
    g.add_argument("--channels", type=_ints5, default=(64, 128, 256, 512, 512), metavar="C1,..,C5")
    g.add_argument("--fc", type=int, default=512, metavar="F", help="fc6/fc7 width")
    g.add_argument("--disparity", type=_disparity, default=(-15, 16), metavar="MIN:MAX")
    args = p.parse_args(_join_negative_values(list(sys.argv[1:] if argv is None else argv)))

    try:
        spec = released_spec(args.mean, args.input[0], args.input[1], args.channels, args.fc, args.disparity)
    except ModelFormatError as e:
        p.error(str(e))
    if os.path.exists(args.out) and os.path.realpath(args.out) == os.path.realpath(args.params):
        p.error("the output would overwrite the input")
    try:
        conv = convert(args.params, spec, args.dtype, args.bn_var, args.symbol)
        for n in conv.notes:
            print(f"{PROG}: note: {n}", file=sys.stderr)
        for wmsg in conv.warnings:
            print(f"{PROG}: warning: {wmsg}", file=sys.stderr)
        write_model(conv, args.out)
    except ConvertError as e:
        for m in e.messages:
            print(f"{PROG}: error: {m}", file=sys.stderr)
        return 1
    except (OSError, ModelFormatError) as e:
        print(f"{PROG}: error: {args.out}: {e}", file=sys.stderr)
        return 1
    except MemoryError:
        print(f"{PROG}: error: out of memory (the conversion holds about 0.5 GB)", file=sys.stderr)
        return 1
    total = sum(int(t.size) for t in conv.tensors.values())
    print(f"{PROG}: wrote {args.out}: {len(conv.tensors)} tensors, {total} values, {args.dtype.upper()}, "
          f"input {spec.input_width}x{spec.input_height} BGR 0..255 minus mean "
          f"{','.join(repr(m) for m in spec.input_mean)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
