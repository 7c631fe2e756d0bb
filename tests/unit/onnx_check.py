#!/usr/bin/python3
"""Data and numpy references for tests/unit/test_onnx.sh (the ONNX depth source).

  onnx_check.py maps DIR           depth maps DIR/NAME.f32 and DIR/maps.txt for test_onnx
  onnx_check.py compare-maps DIR   test_onnx's NAME.probs.f32 against tools/deep3d_depthmap.py:
                                   bit for bit (the mapping is specified operation by operation)
  onnx_check.py compare-frames DIR test_onnx's tensors for each frame of DIR/frames.txt:
      input  within 2e-6 of the largest channel scale (1/std, ~4.4) of the numpy input:
             float32 resampling against float64, the bound of tests/unit/test_input.c;
      depth  the model's function of the C input tensor, within 1e-5 (ORT's float32 sums
             of three products of values up to ~2.6; exact for rowramp);
      image  RGB 0..1 at the depth map's size within 2e-6 (as input);
      probs  bit for bit to_probs(the C depth map).
  onnx_check.py compare-eye DIR NAME OUT.raw
      the filter's mode=right output against the numpy rendering (tools/deep3d_ref.py
      render_plane) of to_probs(NAME.depth.f32), the depth map test_onnx got for the frame:
      within 0.5 of an 8-bit step of the unrounded reference plus 2e-3 for float32 sums (the
      bound of tools/make_frame_fixture.py).
Prints "ok"/"not ok" lines.
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))

from deep3d_depthmap import DISP_MIN, DISP_WIDTH, to_probs  # noqa: E402
from deep3d_frame import read_raw, to_rgb  # noqa: E402
from deep3d_ref import render_plane  # noqa: E402

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)
LUMA = np.array([0.299, 0.587, 0.114], np.float32)

failed = 0


def report(ok: bool, msg: str) -> None:
    global failed
    print(f"{'ok' if ok else 'not ok'} - {msg}")
    failed += not ok


def make_maps(d: str) -> None:
    rng = np.random.default_rng(15)
    maps = {
        "map-normal": rng.normal(size=(23, 37)),
        "map-ties": np.round(rng.normal(size=(30, 40)) * 2) / 2,
        "map-flat": np.full((9, 11), 3.25),
        "map-outliers": np.where(rng.random((48, 64)) < 0.01, 1e6, rng.random((48, 64))),
        "map-ramp": np.tile(np.arange(64, dtype=np.float64), (48, 1)),
        "map-negative": -np.abs(rng.normal(size=(17, 19))) * 1e-3,
        "map-huge": rng.uniform(-3e38, 3e38, (16, 16)),
        "map-tiny": 1.0 + rng.integers(0, 4, (16, 16)) * np.float32(2 ** -23),
        "map-two": np.array([[0.0, 1.0]]),
    }
    with open(os.path.join(d, "maps.txt"), "w", encoding="ascii") as f:
        for name, m in maps.items():
            a = np.asarray(m, np.float32)
            assert np.all(np.isfinite(a)), name
            a.astype("<f4").tofile(os.path.join(d, name + ".f32"))
            f.write(f"map {name} {a.shape[1]} {a.shape[0]}\n")


def compare_maps(d: str) -> None:
    with open(os.path.join(d, "maps.txt"), encoding="ascii") as f:
        for line in f:
            _, name, w, h = line.split()
            depth = np.fromfile(os.path.join(d, name + ".f32"), "<f4").reshape(int(h), int(w))
            got = np.fromfile(os.path.join(d, name + ".probs.f32"), "<f4")
            ref = to_probs(depth)
            same = got.size == ref.size and np.array_equal(got.view(np.uint32), ref.ravel().view(np.uint32))
            ed = (ref[1:] * (DISP_MIN + np.arange(ref.shape[0] - 1, dtype=np.float64))[:, None, None]).sum(0)
            report(same, f"{name}: C probabilities equal tools/deep3d_depthmap.py bit for bit "
                         f"(expected disparity {ed.min():.3f} .. {ed.max():.3f})")


def model_depth(model: str, x: np.ndarray) -> np.ndarray:
    """The test model's output (H', W') for input x (3, H, W), in float64."""
    x = np.asarray(x, np.float64)
    if model.startswith("rowramp"):
        return np.repeat(np.arange(x.shape[1], dtype=np.float64)[:, None], x.shape[2], 1)
    luma = np.tensordot(LUMA.astype(np.float64), x, axes=1)
    if model.startswith("luma-half"):
        h, w = luma.shape[0] // 2 * 2, luma.shape[1] // 2 * 2
        return luma[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
    return luma


def numpy_input(frame, w: int, h: int) -> np.ndarray:
    rgb = to_rgb(frame, w, h)
    return rgb * (np.float32(1) / STD)[:, None, None].astype(np.float64) - (MEAN / STD)[:, None, None].astype(np.float64)


def frames(d: str):
    with open(os.path.join(d, "frames.txt"), encoding="ascii") as f:
        for line in f:
            p = line.split()
            if p and p[0] == "frame":
                yield p[1], p[2], int(p[3]), int(p[4]), p[5], p[6], p[7]


def read_frame(d: str, name: str, fmt: str, w: int, h: int, rng: str, matrix: str, path: str | None = None):
    with open(path or os.path.join(d, name + ".raw"), "rb") as f:
        return read_raw(f.read(), fmt, w, h, rng, matrix)


def compare_frames(d: str) -> None:
    for name, fmt, w, h, rng, matrix, model in frames(d):
        frame = read_frame(d, name, fmt, w, h, rng, matrix)
        x = np.fromfile(os.path.join(d, name + ".input.f32"), "<f4")
        depth = np.fromfile(os.path.join(d, name + ".depth.f32"), "<f4")
        image = np.fromfile(os.path.join(d, name + ".image.f32"), "<f4")
        probs = np.fromfile(os.path.join(d, name + ".probs.f32"), "<f4")
        # sizes: the input from the tensor's length and the frame's listed model size
        ih, iw = _input_size(d, name, model, x.size)
        x = x.reshape(3, ih, iw)
        ref_x = numpy_input(frame, iw, ih)
        dx = float(np.abs(x - ref_x).max())
        report(dx <= 2e-6 * float((1 / STD).max()), f"{name} ({model}, {fmt} {w}x{h}): input tensor "
               f"{iw}x{ih} within 2e-6 x 4.44 of numpy (max {dx:.2e})")
        ref_depth = model_depth(model, x)
        dh, dw = ref_depth.shape
        depth = depth.reshape(dh, dw)
        dd = float(np.abs(depth - ref_depth).max())
        report(dd <= 1e-5, f"{name}: depth map {dw}x{dh} is the model's function of the input (max diff {dd:.2e})")
        di = float(np.abs(image.reshape(3, dh, dw) - to_rgb(frame, dw, dh)).max())
        report(di <= 2e-6, f"{name}: image (RGB 0..1 at {dw}x{dh}) within 2e-6 of numpy (max {di:.2e})")
        ref_p = to_probs(depth)
        report(probs.size == ref_p.size and np.array_equal(probs.view(np.uint32), ref_p.ravel().view(np.uint32)),
               f"{name}: probabilities equal to_probs(depth map) bit for bit")


def _input_size(d: str, name: str, model: str, n: int) -> tuple[int, int]:
    with open(os.path.join(d, "frames.txt"), encoding="ascii") as f:
        for line in f:
            p = line.split()
            if p[:2] == ["frame", name]:
                if len(p) >= 10:
                    return int(p[9]), int(p[8])
    with open(os.path.join(d, "sizes.txt"), encoding="ascii") as f:  # a model's fixed size
        for line in f:
            m, w, h = line.split()
            if m == model:
                return int(h), int(w)
    raise ValueError(f"no input size for {name}")


def compare_eye(d: str, name: str, out: str) -> None:
    rows = {f[0]: f for f in frames(d)}
    _, fmt, w, h, rng, matrix, model = rows[name]
    left = read_frame(d, name, fmt, w, h, rng, matrix)
    right = read_frame(d, name, fmt, w, h, rng, matrix, out)
    ih, iw = _input_size(d, name, model, 0)
    dh, dw = (ih // 2, iw // 2) if model.startswith("luma-half") else (ih, iw)
    depth = np.fromfile(os.path.join(d, name + ".depth.f32"), "<f4").reshape(dh, dw)
    P = to_probs(depth).astype(np.float64)
    worst = 0.0
    step = ((1 << left.fmt.depth) - 1) / 255.0
    for lc, rc in zip(left.comps, right.comps):
        ref = render_plane(P, lc, DISP_MIN, DISP_WIDTH)
        worst = max(worst, float(np.abs(rc - ref).max()) / step)
    report(worst <= 0.5 + 2e-3, f"{name} ({model}, {fmt} {w}x{h}): the filter's right eye within 0.5 "
           f"of an 8-bit step of the numpy rendering (max {worst:.4f})")


def main(argv: list[str]) -> int:
    cmd, d = argv[0], argv[1]
    if cmd == "maps":
        make_maps(d)
        return 0
    if cmd == "compare-maps":
        compare_maps(d)
    elif cmd == "compare-frames":
        compare_frames(d)
    elif cmd == "compare-eye":
        compare_eye(d, argv[2], argv[3])
    else:
        raise SystemExit(f"unknown command {cmd}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
