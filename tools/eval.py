#!/usr/bin/python3
"""Score deep3d models on real stereo pairs by running the real filter binary, next to baselines.

For every pair (left, right, ground-truth disparity of the left view) and every model:
  - `mode=right` renders (the Deep3D soft render) over a per-pair grid of strength and
    convergence, coarse then fine; the best MAE is kept (an oracle fit, the same for every method);
  - `mode=depth` gives the expected disparity E[d] (nearest plane white); from it a sharp render
    R(X) = L(X - s(X)) with s = (E[d] * strength / disparity_width + convergence / 100) * W is
    fitted by the same grid, and the Spearman rank correlation of -E[d] (near = large) with the
    true disparity is measured on the valid pixels.
Baselines, fitted by the same grid (numpy, docs/model-format.md section 5 semantics):
  (ii) no 3D (right = left); (iii) the best global shift (convergence only); (iv) uniform
  selection (equal probabilities on every plane: a box blur plus a shift; MAE rewards blur);
  (v) the ground-plane row prior (disparity linear in the row, bottom nearest), a sharp render.
MAE and PSNR are in 8-bit levels over all rows and the central 80% of the columns.
Flicker: on a fixed-camera clip (vtest.avi), the mean |E[d]_t - E[d]_{t-1}| in planes, of the network
alone (smooth=0; the filter smooths by default).

--temporal runs the temporal scorecard instead (issue 7): for each filter option set of
--temporal-opts, the flicker score on the real fixed-camera clips (vtest.avi frames 0-99 and
400-499, Debian opencv-doc; kphotoalbum's demo movie.avi, a webcam, all 68 frames) and the
right-view MAE on Aloe (soft render, strength and convergence fitted as above) with the pair fed
as --still-frames identical frames, the last one scored (the temporal state is warm).

Pairs: Middlebury 2006 Aloe (Debian opencv-doc) and Middlebury 2014 Motorcycle (Debian
python3-skimage), and optionally MPI Sintel ambush_5 (opencv-doc; CGI, no ground truth, so no
Spearman: `--pairs aloe,motorcycle,sintel`); all are fetched with `apt-get download` into _build/media and unpacked
with dpkg-deb (nothing is committed). Pairs are box-downscaled by an integer factor so the
width is at most --max-width (default 800: Aloe 641x555, Motorcycle 741x500).

Usage:
  python3 tools/eval.py --model NAME=path.safetensors [--model ...] [--pairs aloe,motorcycle]
                        [--flicker-frames 100] [--json out.json] [--md out.md]
  python3 tools/eval.py --model NAME=path --temporal [--temporal-opts "smooth=0;smooth=8"] [--md out.md]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from deep3d_ref import ModelSpec, load_model  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FFMPEG = os.path.join(REPO, "_build", "ffmpeg-build", "ffmpeg")
MEDIA = os.path.join(REPO, "_build", "media")
OPENCV_DATA = "x-opencv-doc/usr/share/doc/opencv-doc/examples/data"
SKIMAGE_DATA = "x-python3-skimage/usr/lib/python3/dist-packages/skimage/data"
PACKAGES = {"opencv-doc": "4.6.0+dfsg-12", "python3-skimage": "0.19.3-8"}

STRENGTHS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0)
CONVERGENCES = tuple(float(c) for c in np.arange(-24.0, 6.01, 2.0))


# --------------------------------------------------------------------------- data


def fetch_package(name: str) -> str:
    root = os.path.join(MEDIA, "x-" + name)
    if not os.path.isdir(root):
        os.makedirs(MEDIA, exist_ok=True)
        debs = [f for f in os.listdir(MEDIA) if f.startswith(name + "_") and f.endswith(".deb")]
        if not debs:
            subprocess.run(["apt-get", "download", f"{name}={PACKAGES[name]}"], cwd=MEDIA, check=True)
            debs = [f for f in os.listdir(MEDIA) if f.startswith(name + "_") and f.endswith(".deb")]
        subprocess.run(["dpkg-deb", "-x", os.path.join(MEDIA, sorted(debs)[-1]), root], check=True)
    return root


@dataclass
class Pair:
    name: str
    left: np.ndarray    # (H, W, 3) uint8
    right: np.ndarray
    gt: np.ndarray      # (H, W) float, left-view disparity in pixels at this size; nan = unknown


def _box_down(img: np.ndarray, k: int) -> np.ndarray:
    if k == 1:
        return img
    h, w = img.shape[0] // k * k, img.shape[1] // k * k
    x = img[:h, :w].astype(np.float64)
    x = x.reshape(h // k, k, w // k, k, *img.shape[2:]).mean(axis=(1, 3))
    return np.round(x).astype(np.uint8)


def _gt_down(gt: np.ndarray, k: int) -> np.ndarray:
    if k == 1:
        return gt
    h, w = gt.shape[0] // k * k, gt.shape[1] // k * k
    # The median of the known values of each block, scaled to the new width.
    blocks = gt[:h, :w].reshape(h // k, k, w // k, k).transpose(0, 2, 1, 3).reshape(h // k, w // k, k * k)
    with np.errstate(all="ignore"):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmedian(blocks, axis=2) / k


def read_image(path: str, gray: bool = False) -> np.ndarray:
    """(H,W,3) uint8 RGB, or the file's own values for a grey image, through Pillow when it is
    installed, else through the ffmpeg binary (8-bit grey only; its JPEG decoder may differ from
    libjpeg's by a level here and there, so scorecards made both ways differ in the last digits)."""
    try:
        from PIL import Image
    except ImportError:
        Image = None
    if Image is not None:
        im = Image.open(path)
        return np.asarray(im if gray else im.convert("RGB"))
    probe = subprocess.run([FFMPEG, "-hide_banner", "-i", path], capture_output=True, text=True).stderr
    m = re.search(r"Stream #.*?Video:.*?(\d{1,5})x(\d{1,5})", probe)
    if not m:
        raise ValueError(f"{path}: not an image ffmpeg reads")
    w, h = int(m.group(1)), int(m.group(2))
    raw = subprocess.run([FFMPEG, "-v", "error", "-i", path, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt",
                          "gray" if gray else "rgb24", "pipe:1"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape((h, w) if gray else (h, w, 3)).copy()


def load_pair(name: str, max_width: int) -> Pair:
    if name == "aloe":
        d = os.path.join(fetch_package("opencv-doc"), OPENCV_DATA.split("/", 1)[1])
        L = read_image(os.path.join(d, "aloeL.jpg"))
        R = read_image(os.path.join(d, "aloeR.jpg"))
        gt = read_image(os.path.join(d, "aloeGT.png"), gray=True).astype(np.float64)
        gt[gt == 0] = np.nan
    elif name == "motorcycle":
        d = os.path.join(fetch_package("python3-skimage"), SKIMAGE_DATA.split("/", 1)[1])
        L = read_image(os.path.join(d, "motorcycle_left.png"))
        R = read_image(os.path.join(d, "motorcycle_right.png"))
        with np.load(os.path.join(d, "motorcycle_disp.npz")) as z:
            gt = z["arr_0"].astype(np.float64)
        gt[~np.isfinite(gt)] = np.nan
    elif name == "sintel":  # MPI Sintel ambush_5, computer-generated, no ground truth shipped
        d = os.path.join(fetch_package("opencv-doc"), "usr/share/doc/opencv-doc/opencv4/html")
        L = read_image(os.path.join(d, "ambush_5_left.jpg"))
        R = read_image(os.path.join(d, "ambush_5_right.jpg"))
        gt = np.full(L.shape[:2], np.nan)
    else:
        raise SystemExit(f"eval: unknown pair {name!r} (aloe, motorcycle, sintel)")
    k = max(1, math.ceil(L.shape[1] / max_width))
    return Pair(name, _box_down(L, k), _box_down(R, k), _gt_down(gt, k))


# --------------------------------------------------------------------------- the filter binary


def run_filter(left: np.ndarray, graph_per_output: list[str], repeat: int = 1) -> list[np.ndarray]:
    """Run one ffmpeg process: the frame is split into len(graph) branches, each through its own
    filter chain (e.g. deep3d=...), stacked vertically; returns each branch's rgb24 output.
    repeat > 1 feeds that many identical frames and returns the last output (a warm temporal state)."""
    h, w, _ = left.shape
    n = len(graph_per_output)
    parts = [f"[0:v]split={n}" + "".join(f"[s{i}]" for i in range(n))] if n > 1 else []
    outs = []
    for i, g in enumerate(graph_per_output):
        src = f"[s{i}]" if n > 1 else "[0:v]"
        parts.append(f"{src}{g}[o{i}]")
        outs.append(f"[o{i}]")
    if n > 1:
        parts.append("".join(outs) + f"vstack=inputs={n}[out]")
    else:
        parts[-1] = parts[-1].replace("[o0]", "[out]")
    cmd = [FFMPEG, "-hide_banner", "-loglevel", "error", "-nostdin", "-f", "rawvideo", "-pix_fmt", "rgb24",
           "-s", f"{w}x{h}", "-i", "pipe:0", "-filter_complex", ";".join(parts), "-map", "[out]",
           "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
    r = subprocess.run(cmd, input=left.tobytes() * repeat, capture_output=True, timeout=600)
    if r.returncode != 0 or len(r.stdout) != repeat * n * h * w * 3:
        raise RuntimeError(f"ffmpeg failed ({r.returncode}): {r.stderr.decode(errors='replace')[-800:]}")
    out = np.frombuffer(r.stdout, np.uint8)[(repeat - 1) * n * h * w * 3:].reshape(n, h, w, 3)
    return [out[i] for i in range(n)]


def deep3d_opts(model: str, extra: str = "", **kw: object) -> str:
    """deep3d=model=...:k=v...; extra: more options as written on the command line ("smooth=8:dilate=2")."""
    esc = model.replace("\\", "\\\\").replace(":", "\\:").replace("'", "\\'")
    return "deep3d=model=" + esc + (":" + extra if extra else "") + "".join(f":{k}={v}" for k, v in kw.items())


def filter_depth(model: str, spec: ModelSpec, left: np.ndarray) -> np.ndarray:
    """E[d] (planes' shifts at disparity_width) per pixel from mode=depth (8-bit: steps of (D-1)/255)."""
    (img,) = run_filter(left, [deep3d_opts(model, mode="depth")])
    val = img[..., 0].astype(np.float64) / 255.0
    return spec.disparity_min + (spec.D - 1) * (1.0 - val)


# --------------------------------------------------------------------------- renders and metrics


def central(w: int) -> slice:
    m = int(round(0.1 * w))
    return slice(m, w - m)


def mae(a: np.ndarray, b: np.ndarray) -> float:
    cs = central(a.shape[1])
    return float(np.abs(a[:, cs].astype(np.float64) - b[:, cs]).mean())


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    cs = central(a.shape[1])
    mse = float(((a[:, cs].astype(np.float64) - b[:, cs]) ** 2).mean())
    return 10 * math.log10(255.0 ** 2 / max(mse, 1e-12))


def shift_render(L: np.ndarray, s: np.ndarray) -> np.ndarray:
    """R[Y][X] = L[Y][X - s] with linear taps and edge clamp; s broadcastable to (H, W). Rounded like the filter."""
    h, w, _ = L.shape
    X = np.arange(w, dtype=np.float64)[None, :]
    xs = np.clip(X - np.broadcast_to(s, (h, w)), 0, w - 1)
    x0 = np.floor(xs).astype(np.intp)
    x1 = np.minimum(x0 + 1, w - 1)
    f = (xs - x0)[..., None]
    rows = np.arange(h)[:, None]
    Lf = L.astype(np.float64)
    R = (1 - f) * Lf[rows, x0] + f * Lf[rows, x1]
    return np.clip(np.round(R), 0, 255).astype(np.uint8)


def uniform_render(L: np.ndarray, spec: ModelSpec, a: float, c: float) -> np.ndarray:
    """Equal probabilities on planes 1..D (section 5 with P_k = 1/D): the mean of D shifted copies."""
    h, w, _ = L.shape
    acc = np.zeros((h, w, 3))
    for k in range(spec.D):
        d = spec.disparity_min + k
        s = (d * a / spec.disparity_width + c / 100.0) * w
        acc += shift_render_float(L, s)
    return np.clip(np.round(acc / spec.D), 0, 255).astype(np.uint8)


def shift_render_float(L: np.ndarray, s: float) -> np.ndarray:
    w = L.shape[1]
    xs = np.clip(np.arange(w, dtype=np.float64) - s, 0, w - 1)
    x0 = np.floor(xs).astype(np.intp)
    x1 = np.minimum(x0 + 1, w - 1)
    f = (xs - x0)[None, :, None]
    Lf = L.astype(np.float64)
    return (1 - f) * Lf[:, x0] + f * Lf[:, x1]


def disparity_shift(dmap: np.ndarray, spec: ModelSpec, a: float, c: float, w: int) -> np.ndarray:
    return (dmap * a / spec.disparity_width + c / 100.0) * w


def grid_fit(score, strengths: tuple[float, ...] = STRENGTHS,  # type: ignore[no-untyped-def]
             convergences: tuple[float, ...] = CONVERGENCES, batch=None) -> tuple[float, float, float]:
    """Coarse grid, then a finer grid around the best: returns (best score, strength, convergence).

    `score(list of (a, c)) -> list of MAE` so that callers can batch (one ffmpeg run per batch)."""
    cand = [(a, c) for a in strengths for c in convergences]
    res = score(cand)
    best = min(range(len(cand)), key=lambda i: res[i])
    a0, c0 = cand[best]
    fa = sorted({min(10.0, max(0.0, a0 * m + d)) for m in (0.8, 0.9, 1.0, 1.12, 1.25) for d in (0.0,)}
                | {min(10.0, max(0.0, a0 + d)) for d in (-0.25, 0.25)})
    fc = sorted({c0 + d for d in (-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5)})
    cand2 = [(a, c) for a in fa for c in fc]
    res2 = score(cand2)
    allc, allr = cand + cand2, list(res) + list(res2)
    best = min(range(len(allc)), key=lambda i: allr[i])
    return allr[best], allc[best][0], allc[best][1]


def rankdata(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties averaged."""
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    ranks = np.empty(len(x), np.float64)
    starts = np.r_[0, np.flatnonzero(np.diff(xs)) + 1]
    ends = np.r_[starts[1:], len(x)]
    for s, e in zip(starts, ends):
        ranks[order[s:e]] = 0.5 * (s + e - 1) + 1
    return ranks


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra, rb = rankdata(a), rankdata(b)
    ra -= ra.mean()
    rb -= rb.mean()
    den = math.sqrt(float((ra * ra).sum() * (rb * rb).sum()))
    return float((ra * rb).sum() / den) if den > 0 else 0.0


# --------------------------------------------------------------------------- evaluation


@dataclass
class Result:
    method: str
    mae: float
    psnr: float
    strength: float | None = None
    convergence: float | None = None
    spearman: float | None = None
    extra: dict[str, float] = field(default_factory=dict)


def eval_baselines(p: Pair, spec: ModelSpec) -> list[Result]:
    L, R = p.left, p.right
    h, w, _ = L.shape
    out = [Result("(ii) no 3D (right = left)", mae(L, R), psnr(L, R))]
    # (iii) global shift: convergence only (strength is irrelevant), a fine 1-D search.
    cs = np.arange(-30.0, 8.0, 0.25)
    errs = [mae(shift_render(L, np.full((1, 1), c / 100.0 * w)), R) for c in cs]
    c = float(cs[int(np.argmin(errs))])
    Rg = shift_render(L, np.full((1, 1), c / 100.0 * w))
    out.append(Result("(iii) best global shift", mae(Rg, R), psnr(Rg, R), None, c))
    # (iv) uniform selection.
    e, a, c = grid_fit(lambda cand: [mae(uniform_render(L, spec, a, c), R) for a, c in cand])
    Ru = uniform_render(L, spec, a, c)
    out.append(Result("(iv) uniform selection (blur + shift)", e, psnr(Ru, R), a, c))
    # (v) row prior: d(y) from dmax at the top row to dmin (nearest) at the bottom.
    rows = np.arange(h, dtype=np.float64)[:, None]
    drow = spec.disparity_max - (spec.D - 1) * rows / max(h - 1, 1)
    e, a, c = grid_fit(lambda cand: [mae(shift_render(L, disparity_shift(drow, spec, a, c, w)), R) for a, c in cand])
    Rr = shift_render(L, disparity_shift(drow, spec, a, c, w))
    valid = np.isfinite(p.gt)
    rho = spearman(np.broadcast_to(rows, (h, w))[valid], p.gt[valid]) if valid.any() else None
    out.append(Result("(v) row prior (sharp)", e, psnr(Rr, R), a, c, rho))
    return out


def fit_soft(p: Pair, path: str, extra: str = "", repeat: int = 1, chunk: int = 12) -> tuple[float, float, float, np.ndarray]:
    """The filter's own render (mode=right, with the extra options), strength and convergence fitted."""
    L, R = p.left, p.right

    def score(cand: list[tuple[float, float]]) -> list[float]:
        errs: list[float] = []
        for i in range(0, len(cand), chunk):
            part = cand[i:i + chunk]
            imgs = run_filter(L, [deep3d_opts(path, extra, mode="right", strength=f"{a:g}", convergence=f"{c:g}")
                                  for a, c in part], repeat)
            errs += [mae(im, R) for im in imgs]
        return errs

    e, a, c = grid_fit(score)
    (Rs,) = run_filter(L, [deep3d_opts(path, extra, mode="right", strength=f"{a:g}", convergence=f"{c:g}")], repeat)
    return e, a, c, Rs


def eval_model(p: Pair, name: str, path: str, spec: ModelSpec, chunk: int = 12) -> tuple[list[Result], np.ndarray]:
    L, R = p.left, p.right
    w = L.shape[1]
    e, a, c, Rs = fit_soft(p, path, chunk=chunk)
    soft = Result(f"{name}: soft render (mode=right)", e, psnr(Rs, R), a, c)
    ed = filter_depth(path, spec, L)
    e2, a2, c2 = grid_fit(lambda cand: [mae(shift_render(L, disparity_shift(ed, spec, a, c, w)), R) for a, c in cand])
    Rsh = shift_render(L, disparity_shift(ed, spec, a2, c2, w))
    valid = np.isfinite(p.gt)
    rho = spearman(-ed[valid], p.gt[valid]) if valid.any() else None
    sharp = Result(f"{name}: sharp render from E[d]", e2, psnr(Rsh, R), a2, c2, rho)
    soft.spearman = rho
    return [soft, sharp], ed


# Real fixed-camera clips: (package, path inside it, size the filter gets, first frame, frames).
CLIPS: dict[str, tuple[str, str, int, int, int]] = {
    "vtest": ("opencv-doc", OPENCV_DATA.split("/", 1)[1] + "/vtest.avi", 384, 288, 0),  # half size
    "vtest-400": ("opencv-doc", OPENCV_DATA.split("/", 1)[1] + "/vtest.avi", 384, 288, 400),
    "webcam": ("kphotoalbum", "usr/share/kphotoalbum/demo/movie.avi", 160, 120, 0),
}


def clip_path(package: str, rel: str) -> str:
    root = os.path.join(MEDIA, "x-" + package)
    if package in PACKAGES:
        root = fetch_package(package)
    path = os.path.join(root, rel)
    if not os.path.exists(path):
        raise SystemExit(f"eval: {path} missing (apt-get download {package}; dpkg-deb -x into {root})")
    return path


def flicker(path: str, spec: ModelSpec, frames: int, extra: str = "", clip: str = "vtest") -> dict[str, float]:
    """Mean |E[d]_t - E[d]_{t-1}| (planes) over `frames` frames of a fixed-camera clip (CLIPS), with the
    filter options `extra` (e.g. smooth=8)."""
    package, rel, w, h, start = CLIPS[clip]
    src = clip_path(package, rel)
    trim = f"select='gte(n\\,{start})'," if start else ""
    cmd = [FFMPEG, "-hide_banner", "-loglevel", "error", "-nostdin", "-i", src, "-frames:v", str(frames),
           "-vf", f"{trim}scale={w}:{h}:flags=area,{deep3d_opts(path, extra, mode='depth')}",
           "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
    r = subprocess.run(cmd, capture_output=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.decode(errors="replace")[-800:])
    v = np.frombuffer(r.stdout, np.uint8).reshape(-1, h, w, 3)[..., 0].astype(np.float64) / 255.0
    ed = spec.disparity_min + (spec.D - 1) * (1.0 - v)
    diff = float(np.abs(np.diff(ed, axis=0)).mean())
    spatial = float(np.abs(ed - ed.mean(axis=(1, 2), keepdims=True)).mean())
    return {"frames": float(len(ed)), "flicker_planes": diff, "spatial_mad_planes": spatial,
            "flicker_ratio": diff / spatial if spatial > 0 else float("nan")}


def clip_frames(clip: str, frames: int) -> np.ndarray:
    """The clip's luma as the filter gets it (CLIPS size): (n, h, w) float."""
    package, rel, w, h, start = CLIPS[clip]
    trim = f"select='gte(n\\,{start})'," if start else ""
    cmd = [FFMPEG, "-hide_banner", "-loglevel", "error", "-nostdin", "-i", clip_path(package, rel),
           "-frames:v", str(frames), "-vf", f"{trim}scale={w}:{h}:flags=area,format=gray",
           "-f", "rawvideo", "pipe:1"]
    r = subprocess.run(cmd, capture_output=True, timeout=600, check=True)
    return np.frombuffer(r.stdout, np.uint8).reshape(-1, h, w).astype(np.float64)


def depth_frames(path: str, spec: ModelSpec, frames: int, extra: str, clip: str) -> np.ndarray:
    """E[d] in planes of every frame of the clip (mode=depth, 8-bit)."""
    package, rel, w, h, start = CLIPS[clip]
    trim = f"select='gte(n\\,{start})'," if start else ""
    cmd = [FFMPEG, "-hide_banner", "-loglevel", "error", "-nostdin", "-i", clip_path(package, rel),
           "-frames:v", str(frames), "-vf", f"{trim}scale={w}:{h}:flags=area,{deep3d_opts(path, extra, mode='depth')}",
           "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"]
    r = subprocess.run(cmd, capture_output=True, timeout=600, check=True)
    v = np.frombuffer(r.stdout, np.uint8).reshape(-1, h, w).astype(np.float64) / 255.0
    return spec.disparity_min + (spec.D - 1) * (1.0 - v)


def lag(path: str, spec: ModelSpec, frames: int, extra: str, clip: str = "vtest",
        moving: float = 16.0) -> dict[str, float]:
    """How far the smoothed E[d] trails the per-frame one: mean |E_opts - E_smooth=0| (planes) on the
    pixels whose luma changed by more than `moving` levels since the previous frame (moving objects and
    what they uncover), and on the others."""
    raw = depth_frames(path, spec, frames, "smooth=0", clip)
    sm = depth_frames(path, spec, frames, extra, clip)
    y = clip_frames(clip, frames)
    n = min(len(raw), len(sm), len(y))
    mov = np.abs(np.diff(y[:n], axis=0)) > moving
    err = np.abs(sm[1:n] - raw[1:n])
    return {"moving": float(err[mov].mean()) if mov.any() else float("nan"),
            "still": float(err[~mov].mean()), "moving_fraction": float(mov.mean())}


def temporal_report(name: str, path: str, spec: ModelSpec, option_sets: list[str], frames: int,
                    still_frames: int, max_width: int) -> tuple[dict[str, object], list[str]]:
    """Flicker on every clip of CLIPS and the fitted Aloe MAE for each option set."""
    aloe = load_pair("aloe", max_width)
    report: dict[str, object] = {}
    lines = [f"\n### temporal scorecard: {name} (flicker: mean abs frame-to-frame change of E[d] in planes; "
             f"Aloe: right-view MAE, {still_frames} identical frames, the last scored)\n",
             "| options | " + " | ".join(f"flicker {c}" for c in CLIPS) + " | Aloe MAE | strength | convergence % |",
             "| --- |" + " --- |" * (len(CLIPS) + 3)]
    for opts in option_sets:
        fl = {c: flicker(path, spec, frames, opts, c) for c in CLIPS}
        e, a, c, _ = fit_soft(aloe, path, opts, still_frames)
        report[opts] = {"flicker": fl, "aloe_mae": e, "strength": a, "convergence": c}
        lines.append(f"| `{opts}` | " + " | ".join(f"{fl[k]['flicker_planes']:.4f}" for k in CLIPS)
                     + f" | {e:.3f} | {a:g} | {c:g} |")
        print(lines[-1], flush=True)
    return report, lines


def fmt(v: float | None, nd: int = 2) -> str:
    return "-" if v is None else f"{v:.{nd}f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", default=[], metavar="NAME=PATH", required=True)
    ap.add_argument("--pairs", default="aloe,motorcycle")
    ap.add_argument("--max-width", type=int, default=800)
    ap.add_argument("--flicker-frames", type=int, default=100, help="0 to skip the flicker score")
    ap.add_argument("--json")
    ap.add_argument("--md")
    ap.add_argument("--depth-png", help="folder for the E[d] maps as PNG")
    ap.add_argument("--temporal", action="store_true", help="the temporal scorecard (see above) instead")
    ap.add_argument("--temporal-opts", default="smooth=0;smooth=4;smooth=8;smooth=16",
                    help="option sets separated by ';' (each as written after deep3d=...:)")
    ap.add_argument("--still-frames", type=int, default=8)
    ap.add_argument("--lag", action="store_true",
                    help="with --temporal: only the lag of each option set on vtest (moving vs still pixels)")
    a = ap.parse_args(argv)
    models = []
    for m in a.model:
        name, _, path = m.partition("=")
        if not path:
            name, path = os.path.splitext(os.path.basename(m))[0], m
        spec, _ = load_model(path)
        models.append((name, os.path.abspath(path), spec))
    report: dict[str, object] = {"pairs": {}, "flicker": {}}
    lines: list[str] = []
    if a.temporal and a.lag:
        lines = ["| options | lag on moving pixels (planes) | lag on still pixels | moving fraction |",
                 "| --- | --- | --- | --- |"]
        for name, path, spec in models:
            for opts in a.temporal_opts.split(";"):
                f = lag(path, spec, a.flicker_frames, opts)
                report[f"{name} {opts}"] = f  # type: ignore[index]
                lines.append(f"| `{opts}` | {f['moving']:.4f} | {f['still']:.4f} | {f['moving_fraction']:.3f} |")
                print(lines[-1], flush=True)
        if a.md:
            with open(a.md, "w") as fh:
                fh.write("\n".join(lines) + "\n")
        return 0
    if a.temporal:
        for name, path, spec in models:
            report[name], ls = temporal_report(name, path, spec, a.temporal_opts.split(";"),
                                               a.flicker_frames, a.still_frames, a.max_width)
            lines += ls
        if a.json:
            with open(a.json, "w") as fh:
                json.dump(report, fh, indent=1)
        if a.md:
            with open(a.md, "w") as fh:
                fh.write("\n".join(lines).lstrip() + "\n")
        return 0
    for pname in a.pairs.split(","):
        p = load_pair(pname, a.max_width)
        h, w, _ = p.left.shape
        lines += [f"\n### {pname} ({w}x{h}; MAE/PSNR in 8-bit levels on the central 80% of columns; "
                  f"strength/convergence fitted per method)\n",
                  "| method | MAE | PSNR dB | strength | convergence % | Spearman vs GT |",
                  "| --- | --- | --- | --- | --- | --- |"]
        # Baselines use the first model's plane set (they only need D, disparity range and width).
        results = eval_baselines(p, models[0][2])
        for name, path, spec in models:
            rs, ed = eval_model(p, name, path, spec)
            results += rs
            if a.depth_png:
                from PIL import Image
                os.makedirs(a.depth_png, exist_ok=True)
                img = np.clip((spec.disparity_max - ed) / (spec.D - 1) * 255, 0, 255).astype(np.uint8)
                Image.fromarray(img).save(os.path.join(a.depth_png, f"{pname}-{name}.png"))
        for r in results:
            lines.append(f"| {r.method} | {r.mae:.2f} | {r.psnr:.2f} | {fmt(r.strength)} | {fmt(r.convergence)} "
                         f"| {fmt(r.spearman, 3)} |")
        report["pairs"][pname] = [r.__dict__ for r in results]  # type: ignore[index]
        print("\n".join(lines[-len(results) - 3:]), flush=True)
    if a.flicker_frames > 0:
        lines += ["\n### flicker on vtest.avi (fixed camera; E[d] in planes)\n",
                  "| model | frames | mean abs frame-to-frame change | mean abs spatial deviation | ratio |",
                  "| --- | --- | --- | --- | --- |"]
        for name, path, spec in models:
            f = flicker(path, spec, a.flicker_frames, "smooth=0")  # the network alone
            report["flicker"][name] = f  # type: ignore[index]
            lines.append(f"| {name} | {int(f['frames'])} | {f['flicker_planes']:.4f} | {f['spatial_mad_planes']:.3f} "
                         f"| {f['flicker_ratio']:.4f} |")
        print("\n".join(lines[-len(models) - 3:]), flush=True)
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(report, fh, indent=1)
    if a.md:
        with open(a.md, "w") as fh:
            fh.write("\n".join(lines).lstrip() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
