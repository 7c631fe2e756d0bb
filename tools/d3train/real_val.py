"""Validation on real stereo pairs with ground-truth disparity, during training.

The pairs are those of the scorecard (`tools/eval.py`: Middlebury Aloe from Debian opencv-doc,
Middlebury Motorcycle from python3-skimage, fetched into _build/media), or an .npz of your own
(`left_0`, `right_0`, `gt_0`, optional `name_0`, `left_1`, ...: uint8 (H,W,3) views and the left
view's disparity in pixels, NaN where unknown). `python3 tools/d3train/real_val.py pairs.npz` writes
the scorecard's pairs to such a file, for machines that cannot fetch them (GPU nodes without apt). Each pair is centre-cropped to the network's aspect ratio and
area-resized to its input size. The score is the Spearman rank correlation between -E[d] (near =
large) and the true disparity over the known pixels: it ignores scale and offset, so it needs no
fit and compares checkpoints on what the filter cannot correct (the depth order). The row prior
("lower rows are nearer") is reported beside it as the bar a model must clear.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np
import torch
import torch.nn.functional as F

from d3train import paths  # noqa: F401  (tools/ on sys.path)
from d3train.model import Deep3DNet, preprocess
from d3train.selection import expected_disparity
from eval import load_pair, spearman  # tools/eval.py: the scorecard's pairs and rank correlation


@dataclass
class RealPair:
    name: str
    left: torch.Tensor   # (1,3,h,w) in 0..1 at the network input size
    gt: np.ndarray       # (h,w) disparity, NaN = unknown


def _crop_to_aspect(x: np.ndarray, w: int, h: int) -> np.ndarray:
    H, W = x.shape[:2]
    if W * h > H * w:
        cw = int(round(H * w / h))
        x0 = (W - cw) // 2
        return x[:, x0:x0 + cw]
    ch = int(round(W * h / w))
    y0 = (H - ch) // 2
    return x[y0:y0 + ch]


def prepare(name: str, left: np.ndarray, gt: np.ndarray, w: int, h: int) -> RealPair:
    """Crop and area-resize a pair to w x h; the disparity is averaged over known pixels only and
    scaled to the new width; an output pixel stays known only if 90% of its area was."""
    if left.ndim != 3 or left.shape[2] != 3 or gt.shape != left.shape[:2]:
        raise ValueError(f"real pair {name}: want (H,W,3) left and (H,W) disparity of the same size")
    src_w = _crop_to_aspect(left, w, h).shape[1]
    L = torch.from_numpy(np.array(_crop_to_aspect(left, w, h), np.uint8)).permute(2, 0, 1)[None].float() / 255
    g = _crop_to_aspect(gt.astype(np.float64), w, h)
    known = np.isfinite(g)
    gt_t = torch.from_numpy(np.where(known, g, 0.0))[None, None]
    k_t = torch.from_numpy(known.astype(np.float64))[None, None]
    area = F.interpolate(k_t, size=(h, w), mode="area")[0, 0].numpy()
    sums = F.interpolate(gt_t, size=(h, w), mode="area")[0, 0].numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.where(area >= 0.9, sums / area, np.nan) * (w / src_w)
    return RealPair(name, F.interpolate(L, size=(h, w), mode="area"), d)


def load(spec: str, w: int, h: int) -> list[RealPair]:
    """`spec`: comma-separated scorecard pair names (aloe, motorcycle) or one .npz path."""
    if spec.endswith(".npz"):
        out = []
        with np.load(spec) as z:
            i = 0
            while f"left_{i}" in z:
                name = str(z[f"name_{i}"]) if f"name_{i}" in z else f"{os.path.basename(spec)}[{i}]"
                out.append(prepare(name, z[f"left_{i}"], z[f"gt_{i}"], w, h))
                i += 1
        if not out:
            raise ValueError(f"{spec}: no left_0 / gt_0 arrays")
        return out
    return [prepare(n, (p := load_pair(n, 800)).left, p.gt, w, h) for n in spec.split(",") if n]


def row_prior(pair: RealPair) -> float:
    """Spearman of the row index (bottom = near) with the truth: the baseline to beat."""
    rows = np.broadcast_to(np.arange(pair.gt.shape[0], dtype=np.float64)[:, None], pair.gt.shape)
    known = np.isfinite(pair.gt)
    return spearman(rows[known], pair.gt[known])


def score(net: Deep3DNet, pairs: list[RealPair], device: torch.device) -> dict[str, float]:
    """real_spearman (the mean over pairs, used to pick checkpoints) and one value per pair."""
    was_training = net.training
    net.eval()
    out: dict[str, float] = {}
    with torch.no_grad():
        for p in pairs:
            P = net.probabilities(preprocess(net.spec, p.left.to(device, next(net.parameters()).dtype)))
            ed = expected_disparity(P, net.spec.disparity_min)[0, 0].double().cpu().numpy()
            known = np.isfinite(p.gt)
            # Our shift s is negative for near points; the truth is a positive disparity.
            out[f"real_spearman_{p.name}"] = spearman(-ed[known], p.gt[known])
    out["real_spearman"] = float(np.mean([out[f"real_spearman_{p.name}"] for p in pairs]))
    net.train(was_training)
    return out


def write_npz(path: str, names: str, max_width: int = 800) -> None:
    """The scorecard's pairs as an .npz for --real-val, for machines without apt (GPU nodes)."""
    arrays: dict[str, np.ndarray] = {}
    for i, n in enumerate(x for x in names.split(",") if x):
        p = load_pair(n, max_width)
        arrays.update({f"left_{i}": p.left, f"right_{i}": p.right, f"gt_{i}": p.gt, f"name_{i}": np.array(n)})
    np.savez_compressed(path, **arrays)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write real validation pairs (from tools/eval.py) to an .npz.")
    ap.add_argument("out", help="the .npz to write")
    ap.add_argument("--pairs", default="aloe,motorcycle")
    a = ap.parse_args(argv)
    write_npz(a.out, a.pairs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
