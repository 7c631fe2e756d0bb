#!/usr/bin/env python3
"""A random-weight deep3d model with the Python standard library only.

bench/gpu.sh uses tools/make_model.py when numpy is importable and this
otherwise (a GPU machine's Python may lack numpy). Speed does not depend on
the weights, so they are He-scaled Gaussian blocks repeated to fill each
tensor: finite, bounded activations, written in a few seconds even for the
original-size network. The file follows docs/model-format.md (safetensors,
F32, every tensor of section 3 in graph order).

  bench/make_bench_model.py --arch original --input 384x160 --channels 64,128,256,512,512 \\
      --convs 1,1,2,2,2 --fc 512 --disparity -15:16 out.safetensors
"""

import argparse
import array
import json
import math
import random
import struct
import sys

BLOCK = 1 << 16


def shapes(arch, w, h, ch, convs, fc, K):
    out, cin = [], 3
    for s in range(5):
        for i in range(convs[s]):
            out += [(f"conv{s + 1}_{i + 1}_weight", (ch[s], cin, 3, 3)), (f"conv{s + 1}_{i + 1}_bias", (ch[s],))]
            cin = ch[s]
    branches = 4 if arch == "original" else 5
    for b in range(1, branches + 1):
        c = ch[b - 1]
        out += [(f"bn_pool{b}_{p}", (c,)) for p in ("gamma", "beta", "moving_mean", "moving_inv_var")]
        k = 1 if b == 1 else 2 ** b
        out += [(f"pred{b}_weight", (K, c, 3, 3)), (f"pred{b}_bias", (K,)),
                (f"deconv_pred{b}_weight", (K, K, k, k)), (f"deconv_pred{b}_bias", (K,))]
    if arch == "original":
        hw5 = (w // 32) * (h // 32)
        out += [("fc6_weight", (fc, ch[4] * hw5)), ("fc6_bias", (fc,)), ("fc7_weight", (fc, fc)),
                ("fc7_bias", (fc,)), ("pred5_weight", (K * hw5, fc)), ("pred5_bias", (K * hw5,)),
                ("deconv_pred5_weight", (K, K, 32, 32)), ("deconv_pred5_bias", (K,))]
    out += [("deconv_predup_weight", (K, K, 4, 4)), ("deconv_predup_bias", (K,)),
            ("convolution0_weight", (K, K, 3, 3)), ("convolution0_bias", (K,))]
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--arch", choices=("original", "fcn"), required=True)
    p.add_argument("--input", required=True, help="WxH")
    p.add_argument("--channels", required=True)
    p.add_argument("--convs", required=True)
    p.add_argument("--fc", type=int)
    p.add_argument("--disparity", required=True, help="MIN:MAX")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("out")
    argv = sys.argv[1:]
    for i, a in enumerate(argv[:-1]):  # "--disparity -15:16": the value starts with '-'
        if a == "--disparity":
            argv[i:i + 2] = [f"--disparity={argv[i + 1]}"]
            break
    a = p.parse_args(argv)
    w, h = (int(v) for v in a.input.lower().split("x"))
    ch = [int(v) for v in a.channels.split(",")]
    convs = [int(v) for v in a.convs.split(",")]
    dmin, dmax = (int(v) for v in a.disparity.split(":"))
    K = dmax - dmin + 2
    rng = random.Random(a.seed)
    blocks = {}

    def block(std):
        if std not in blocks:
            blocks[std] = array.array("f", (rng.gauss(0.0, std) for _ in range(BLOCK))).tobytes()
        return blocks[std]

    def data(name, shape):
        n = math.prod(shape)
        if name.endswith("_gamma") or name.endswith("_moving_inv_var"):
            return array.array("f", [1.0] * n).tobytes()
        if name.endswith("_weight"):
            fan_in = math.prod(shape[1:])
            std = math.sqrt(2.0 / fan_in) / (255.0 if name == "conv1_1_weight" else 1.0)
        else:
            std = 0.01
        b = block(std)
        reps = -(-4 * n // len(b))
        return (b * reps)[:4 * n]

    meta = {
        "deep3d.version": "1", "deep3d.arch": a.arch,
        "deep3d.input_width": str(w), "deep3d.input_height": str(h),
        "deep3d.stage_channels": ",".join(map(str, ch)), "deep3d.stage_convs": ",".join(map(str, convs)),
    }
    if a.arch == "original":
        meta["deep3d.fc_channels"] = str(a.fc)
    meta.update({
        "deep3d.disparity_min": str(dmin), "deep3d.disparity_max": str(dmax),
        "deep3d.disparity_width": str(w), "deep3d.color_order": "bgr",
        "deep3d.input_scale": "255", "deep3d.input_mean": "0,0,0",
        "source": f"bench/make_bench_model.py seed={a.seed}",
    })
    header, chunks, off = {"__metadata__": meta}, [], 0
    for name, shape in shapes(a.arch, w, h, ch, convs, a.fc, K):
        d = data(name, shape)
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [off, off + len(d)]}
        chunks.append(d)
        off += len(d)
    hdr = json.dumps(header, separators=(",", ":")).encode()
    hdr += b" " * (-len(hdr) % 8)
    with open(a.out, "wb") as f:
        f.write(struct.pack("<Q", len(hdr)))
        f.write(hdr)
        for c in chunks:
            f.write(c)
    return 0


if __name__ == "__main__":
    sys.exit(main())
