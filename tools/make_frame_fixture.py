#!/usr/bin/python3
"""Reference data for the real-frame parity test (tests/unit/test_input.sh).

Usage:
  make_frame_fixture.py fixture --model M.safetensors --dir DIR
      Reads DIR/frames.txt (lines: frame NAME PIX_FMT W H RANGE MATRIX, the frame in
      DIR/NAME.raw as FFmpeg's rawvideo writes it) and writes, per frame, raw little-endian
      float32 in C order:
        NAME.input.f32  (3, Hn, Wn)  frame_to_input (docs/model-format.md section 4a)
        NAME.probs.f32  (K, Hn, Wn)  forward(input) in float64
  make_frame_fixture.py compare-depth --model M.safetensors --dir DIR --name NAME --eye OUT.raw
      The same for mode=depth: the first component (every colour component for RGB formats)
      within 0.5 + 0.01 of a step of round(depth_plane * maxval), whose 0.01 covers the
      ~1e-5 float32 error of the expected disparity; chroma neutral, alpha opaque. This checks
      the filter's own probabilities, so the frame's matrix and range as FFmpeg passes them.
  make_frame_fixture.py compare-eye --model M.safetensors --dir DIR --name NAME --eye OUT.raw
      Checks OUT.raw, the filter's mode=right output for NAME (same format and size), against
      render_plane of every component plane on the reference probabilities: each sample within
      0.5 of an 8-bit step of the un-rounded reference, plus 2e-3 for float32 sums (the
      bound of tests/unit/test_engine.c). Prints one "ok"/"not ok" line; exit status 1 on failure.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

from deep3d_frame import frame_to_input, read_raw
from deep3d_ref import depth_plane, forward, load_model, render_plane


def _frames(d: str) -> list[tuple[str, str, int, int, str, str]]:
    out = []
    with open(os.path.join(d, "frames.txt"), encoding="ascii") as f:
        for line in f:
            p = line.split()
            if len(p) == 7 and p[0] == "frame":
                out.append((p[1], p[2], int(p[3]), int(p[4]), p[5], p[6]))
    if not out:
        raise ValueError(f"{d}/frames.txt lists no frame")
    return out


def _read(d: str, name: str, fmt: str, w: int, h: int, rng: str, matrix: str, suffix: str = ".raw"):
    with open(os.path.join(d, name + suffix), "rb") as f:
        return read_raw(f.read(), fmt, w, h, rng, matrix)


def _write_f32(path: str, a: np.ndarray) -> None:
    np.ascontiguousarray(a, dtype="<f4").tofile(path)


def make_fixture(model: str, d: str) -> None:
    spec, weights = load_model(model)
    for name, fmt, w, h, rng, matrix in _frames(d):
        x = frame_to_input(spec, _read(d, name, fmt, w, h, rng, matrix))
        x32 = x.astype(np.float32)
        _write_f32(os.path.join(d, name + ".input.f32"), x32)
        # the oracle runs on the float32 tensor the C test compares against
        _write_f32(os.path.join(d, name + ".probs.f32"), forward(spec, weights, x32))


def compare_eye(model: str, d: str, name: str, eye: str) -> bool:
    spec, _ = load_model(model)
    frames = {f[0]: f for f in _frames(d)}
    _, fmt, w, h, rng, matrix = frames[name]
    left = _read(d, name, fmt, w, h, rng, matrix)
    with open(eye, "rb") as f:
        right = read_raw(f.read(), fmt, w, h, rng, matrix)
    P = np.fromfile(os.path.join(d, name + ".probs.f32"), "<f4").astype(np.float64)
    P = P.reshape(spec.K, spec.input_height, spec.input_width)
    worst = 0.0
    for lc, rc in zip(left.comps, right.comps):
        ref = render_plane(P, lc, spec.disparity_min, spec.disparity_width)
        step = ((1 << left.fmt.depth) - 1) / 255.0  # one 8-bit step in sample units
        worst = max(worst, float(np.abs(rc - ref).max()) / step)
    ok = worst <= 0.5 + 2e-3
    print(f"{'ok' if ok else 'not ok'} - {name} ({fmt} {w}x{h}): filter's right eye within 0.5 "
          f"of an 8-bit step of the reference (max {worst:.4f})")
    return ok


def compare_depth(model: str, d: str, name: str, out: str) -> bool:
    spec, _ = load_model(model)
    frames = {f[0]: f for f in _frames(d)}
    _, fmt, w, h, rng, matrix = frames[name]
    with open(out, "rb") as f:
        got = read_raw(f.read(), fmt, w, h, rng, matrix)
    P = np.fromfile(os.path.join(d, name + ".probs.f32"), "<f4").astype(np.float64)
    P = P.reshape(spec.K, spec.input_height, spec.input_width)
    maxval = (1 << got.fmt.depth) - 1
    ref = depth_plane(P, h, w) * maxval
    worst = 0.0
    ok = True
    for i, c in enumerate(got.comps):
        if got.fmt.kind == "rgb" or i == 0:
            worst = max(worst, float(np.abs(c - ref).max()))
        else:  # chroma neutral grey
            ok = ok and bool(np.all(c == 1 << (got.fmt.depth - 1)))
    ok = ok and worst <= 0.51
    print(f"{'ok' if ok else 'not ok'} - {name} ({fmt} {w}x{h}): filter's depth picture within "
          f"0.51 step of the reference (max {worst:.4f}), chroma neutral")
    return ok


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Real-frame parity fixtures for the deep3d filter.")
    p.add_argument("command", choices=("fixture", "compare-eye", "compare-depth"))
    p.add_argument("--model", required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--name")
    p.add_argument("--eye")
    a = p.parse_args(argv)
    try:
        if a.command == "fixture":
            make_fixture(a.model, a.dir)
            return 0
        if not a.name or not a.eye:
            p.error(f"{a.command} needs --name and --eye")
        compare = compare_eye if a.command == "compare-eye" else compare_depth
        return 0 if compare(a.model, a.dir, a.name, a.eye) else 1
    except (ValueError, OSError, KeyError) as e:
        print(f"not ok - make_frame_fixture: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
