#!/usr/bin/python3
"""Write a random MXNet .params file of the released Deep3D form (for the C parity test).

Uses the test suite's independent writer (mxnet_writer.py): the 60 `arg:`/`aux:` arrays of
the released graph (or a narrower variant) in a shuffled order, random well-conditioned
values, legacy records by default.

Example:
  /usr/bin/python3 tests/tools/make_params.py --seed 5 out.params
  /usr/bin/python3 tools/convert_mxnet.py out.params out.safetensors
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

import mxnet_writer as mw

_DTYPES = {"f32": np.float32, "f16": np.float16, "f64": np.float64}


def _ints(s: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in s.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{s!r} is not a comma-separated list of integers") from None


def _size(s: str) -> tuple[int, int]:
    try:
        w, h = s.lower().split("x")
        return int(w), int(h)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{s!r} is not WIDTHxHEIGHT") from None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Write a random Deep3D-shaped MXNet .params file.")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--record", choices=mw.RECORDS, default="legacy", help="array record format")
    p.add_argument("--dtype", choices=tuple(_DTYPES), default="f32", help="stored dtype")
    p.add_argument("--bn", choices=("inv_std", "variance"), default="inv_std",
                   help="what bn_pool*_moving_inv_var holds")
    p.add_argument("--input", type=_size, default=(384, 160), metavar="WxH")
    p.add_argument("--channels", type=_ints, default=(64, 128, 256, 512, 512), metavar="C1,..,C5")
    p.add_argument("--fc", type=int, default=512)
    p.add_argument("--planes", type=int, default=33, metavar="K", help="probability channels (D + 1)")
    p.add_argument("--symbol", metavar="JSON", help="also write the matching old-format symbol JSON")
    p.add_argument("out")
    args = p.parse_args(argv)
    w, h = args.input
    if w % 32 or h % 32 or len(args.channels) != 5:
        p.error("--input must be multiples of 32 and --channels needs 5 values")
    geom = dict(channels=args.channels, fc=args.fc, k=args.planes, h5=h // 32, w5=w // 32)
    rng = np.random.default_rng(args.seed)
    raw = mw.random_weights(rng, mw.deep3d_shapes(**geom), bn=args.bn)  # type: ignore[arg-type]
    names = list(raw)
    order = rng.permutation(len(names))
    items = [(names[i], raw[names[i]].astype(_DTYPES[args.dtype])) for i in order]
    mw.write_params(args.out, items, args.record)
    if args.symbol:
        d = args.planes - 1
        mw.write_symbol(args.symbol, mw.symbol_json(dmin=-(d // 2 - 1), dmax=d // 2, **geom))  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
