#!/usr/bin/python3
"""Write a random-weight deep3d model (docs/model-format.md) for tests and benchmarks.

Example:
  /usr/bin/python3 tools/make_model.py --arch fcn --input 64x32 --channels 8,8,16,16,16 \\
      --convs 1,1,1,1,1 --disparity -4:4 --seed 1 out.safetensors
"""

from __future__ import annotations

import argparse
import sys

from deep3d_ref import load_model, random_model
from safetensors_io import write_safetensors

# Options whose values may start with '-' ("-4:4"); argparse would take those for flags.
_NEGATIVE_OK: tuple[str, ...] = ("--disparity", "--input-mean")


def _join_negative_values(argv: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in _NEGATIVE_OK and i + 1 < len(argv):
            out.append(f"{a}={argv[i + 1]}")
            i += 2
        else:
            out.append(a)
            i += 1
    return out


def _size(s: str) -> tuple[int, int]:
    try:
        w, h = s.lower().split("x")
        return int(w), int(h)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{s!r} is not WIDTHxHEIGHT") from None


def _ints(s: str) -> list[int]:
    try:
        return [int(v) for v in s.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{s!r} is not a comma-separated list of integers") from None


def _floats(s: str) -> list[float]:
    try:
        return [float(v) for v in s.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{s!r} is not a comma-separated list of numbers") from None


def _disparity(s: str) -> tuple[int, int]:
    try:
        lo, hi = s.split(":")
        return int(lo), int(hi)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{s!r} is not MIN:MAX") from None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Write a random-weight deep3d model file.")
    p.add_argument("--arch", choices=("original", "fcn"), required=True)
    p.add_argument("--input", type=_size, required=True, metavar="WxH", help="network input size Wn x Hn")
    p.add_argument("--channels", type=_ints, required=True, metavar="C1,..,C5", help="stage_channels")
    p.add_argument("--convs", type=_ints, required=True, metavar="N1,..,N5", help="stage_convs")
    p.add_argument("--fc", type=int, metavar="F", help="fc_channels (original only; required there)")
    p.add_argument("--disparity", type=_disparity, required=True, metavar="MIN:MAX")
    p.add_argument("--disparity-width", type=int, metavar="W", help="default: input width")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--dtype", choices=("f32", "f16"), default="f32")
    p.add_argument("--color-order", choices=("bgr", "rgb"), default="bgr")
    p.add_argument("--input-scale", type=float, default=255.0)
    p.add_argument("--input-mean", type=_floats, default=[0.0, 0.0, 0.0], metavar="M0,M1,M2")
    p.add_argument("--no-calibrate", action="store_true",
                   help="skip the data-dependent weight scaling (faster; flatter or peakier softmax)")
    p.add_argument("out", help="output .safetensors path")
    args = p.parse_args(_join_negative_values(list(sys.argv[1:] if argv is None else argv)))

    if args.arch == "original" and args.fc is None:
        p.error("--fc is required for --arch original")
    if args.arch == "fcn" and args.fc is not None:
        p.error("--fc only applies to --arch original")
    if len(args.channels) != 5 or len(args.convs) != 5:
        p.error("--channels and --convs need 5 values each")
    if len(args.input_mean) != 3:
        p.error("--input-mean needs 3 values")
    w, h = args.input
    try:
        metadata, tensors = random_model(
            args.arch, w, h, args.channels, args.convs, args.fc, args.disparity[0], args.disparity[1],
            args.seed, dtype=args.dtype.upper(), color_order=args.color_order,
            input_scale=args.input_scale, input_mean=tuple(args.input_mean),
            disparity_width=args.disparity_width, calibrate=not args.no_calibrate)
    except ValueError as e:
        print(f"make_model: {e}", file=sys.stderr)
        return 1
    write_safetensors(args.out, tensors, metadata)
    load_model(args.out)  # self-check: the file must pass the strict reader
    return 0


if __name__ == "__main__":
    sys.exit(main())
