#!/usr/bin/python3
"""Write reference data for the C engine's parity test (docs/model-format.md sections 4-5).

Usage:
  /usr/bin/python3 tools/make_parity_fixture.py --model M.safetensors --outdir DIR --seed S \\
      --render WxH[,WxH...]

Files in DIR (all raw little-endian float32, C order, no header):
  input.f32          (3, Hn, Wn)  network input tensor itself (already scaled and mean-subtracted)
  probs.f32          (K, Hn, Wn)  forward(input), computed in float64, stored as float32
  left_WxH.f32       (H, W)       left-eye plane, integer sample values 0..255
  right_WxH_<i>.f32  (H, W)       render_plane(float64 probs, left, case i), un-rounded
  cases.txt          line 1: model <Wn> <Hn> <K> <disparity_min> <disparity_width>
                     then per case: render <Wo> <Ho> <strength> <convergence> <renormalize 0|1>
                                    left_WxH.f32 right_WxH_<i>.f32
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

from deep3d_ref import forward, load_model, preprocess, render_plane, synthetic_image

# (strength, convergence, renormalize): default, stronger with convergence, weaker with renorm.
RENDER_CASES: tuple[tuple[float, float, bool], ...] = (
    (1.0, 0.0, False),
    (2.5, 1.5, False),
    (0.7, -2.0, True),
)


def _sizes(s: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for part in s.split(","):
        try:
            w, h = part.lower().split("x")
            wh = (int(w), int(h))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{part!r} is not WIDTHxHEIGHT") from None
        if wh[0] < 1 or wh[1] < 1:
            raise argparse.ArgumentTypeError(f"{part!r}: sizes must be positive")
        if wh in out:
            raise argparse.ArgumentTypeError(f"{part!r} given twice")
        out.append(wh)
    return out


def _write_f32(path: str, a: np.ndarray) -> None:
    np.ascontiguousarray(a, dtype="<f4").tofile(path)


def make_fixture(model: str, outdir: str, seed: int, sizes: list[tuple[int, int]]) -> None:
    spec, weights = load_model(model)
    os.makedirs(outdir, exist_ok=True)
    # Independent streams per file, so adding a render size does not change the others.
    rng = np.random.default_rng([seed, 0])
    x = preprocess(spec, synthetic_image(rng, spec.input_height, spec.input_width))
    x32 = x.astype(np.float32)
    # The oracle runs on exactly the float32 tensor the C test will read.
    P = forward(spec, weights, x32)
    _write_f32(os.path.join(outdir, "input.f32"), x32)
    _write_f32(os.path.join(outdir, "probs.f32"), P)

    lines = [f"model {spec.input_width} {spec.input_height} {spec.K} {spec.disparity_min} {spec.disparity_width}"]
    for wo, ho in sizes:
        lrng = np.random.default_rng([seed, 1, wo, ho])
        left = np.round(synthetic_image(lrng, ho, wo, channels=1)[0])  # frame samples are integers
        lname = f"left_{wo}x{ho}.f32"
        _write_f32(os.path.join(outdir, lname), left)
        for i, (strength, conv, renorm) in enumerate(RENDER_CASES):
            R = render_plane(P, left, spec.disparity_min, spec.disparity_width, strength, conv, renorm)
            rname = f"right_{wo}x{ho}_{i}.f32"
            _write_f32(os.path.join(outdir, rname), R)
            lines.append(f"render {wo} {ho} {strength!r} {conv!r} {int(renorm)} {lname} {rname}")
    with open(os.path.join(outdir, "cases.txt"), "w", encoding="ascii") as f:
        f.write("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Write parity-test reference data for a deep3d model.")
    p.add_argument("--model", required=True, help="model .safetensors")
    p.add_argument("--outdir", required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--render", type=_sizes, required=True, metavar="WxH[,WxH...]",
                   help="output plane sizes to render")
    args = p.parse_args(argv)
    try:
        make_fixture(args.model, args.outdir, args.seed, args.render)
    except (ValueError, OSError) as e:
        print(f"make_parity_fixture: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
