"""Training pairs from the user's own stereo 3D videos (side by side or top-bottom, full or half).

Deep3D itself trained on such films: the left eye is the input, the right eye the target.
The video is decoded by the project's ffmpeg binary through a pipe (rawvideo rgb24). ffmpeg
also does the geometry: it takes every `step`-th frame, scales the packed frame so that each
eye is exactly width x height (this also undoes the half-width or half-height squeeze of
`hsbs` / `htb`), and crops the picture to the target aspect ratio first if asked to. Each eye
of an `sbs` frame (2W x H) shows a W x H picture, of an `hsbs` frame (W x H) a W x H picture
squeezed to W/2 x H; the same vertically for `tb` / `htb`.

CLI (a quick check that a file reads, and a contact sheet of a few pairs):
  python3 tools/d3train/sbs_reader.py VIDEO --layout hsbs [--size 256x160] [--step 12] [--png out.png]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np

from d3train import paths

LAYOUTS: dict[str, tuple[str, bool]] = {
    # layout -> (axis the eyes are packed along, whether each eye is squeezed to half)
    "sbs": ("h", False), "hsbs": ("h", True), "sbsr": ("h", False), "hsbsr": ("h", True),
    "tb": ("v", False), "htb": ("v", True), "tbr": ("v", False), "htbr": ("v", True),
}
DEFAULT_FFMPEG: str = str(paths.REPO_DIR / "_build" / "ffmpeg-build" / "ffmpeg")


@dataclass(frozen=True)
class SbsSource:
    path: str
    layout: str = "hsbs"
    width: int = 256          # each eye, after scaling
    height: int = 160
    step: int = 1             # keep every step-th frame
    crop: bool = True         # crop each eye's picture to width:height before scaling (else stretch)
    start: float = 0.0        # seconds
    max_pairs: int | None = None
    ffmpeg: str = DEFAULT_FFMPEG
    phase: int = 0            # keep frames n with (n + phase) % step == 0
    active: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)  # x, y, w, h of the picture without bars
    scene_max: float = 0.0    # > 0: drop frames whose ffmpeg scene score (vs the frame before) exceeds it

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout {self.layout!r}: want one of {', '.join(LAYOUTS)}")
        if self.width < 2 or self.height < 2 or self.step < 1:
            raise ValueError("width, height and step must be positive")
        ax, ay, aw, ah = self.active
        if not (0 <= ax and 0 <= ay and aw > 0 and ah > 0 and ax + aw <= 1 + 1e-9 and ay + ah <= 1 + 1e-9):
            raise ValueError(f"active area {self.active}: want fractions of the picture")


def probe_size(path: str, ffmpeg: str = DEFAULT_FFMPEG) -> tuple[int, int]:
    """Coded frame size, read from ffmpeg's stream line (no ffprobe needed)."""
    r = subprocess.run([ffmpeg, "-hide_banner", "-i", path], capture_output=True, text=True)
    m = re.search(r"Stream #.*?Video:.*?(\d{2,5})x(\d{2,5})", r.stderr)
    if not m:
        raise ValueError(f"{path}: no video stream found ({r.stderr.strip().splitlines()[-1:]})")
    return int(m.group(1)), int(m.group(2))


def probe_duration(path: str, ffmpeg: str = DEFAULT_FFMPEG) -> float | None:
    """Duration in seconds from ffmpeg's input summary, or None when the container gives none."""
    r = subprocess.run([ffmpeg, "-hide_banner", "-i", path], capture_output=True, text=True)
    m = re.search(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)", r.stderr)
    return int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3)) if m else None


def filter_graph(src: SbsSource, frame_w: int, frame_h: int) -> str:
    """The -filter_complex graph: both eyes, cropped and scaled to W x H, side by side as [out] (2W x H)."""
    axis, half = LAYOUTS[src.layout]
    eye_w = frame_w // 2 if axis == "h" else frame_w  # one eye in packed pixels
    eye_h = frame_h // 2 if axis == "v" else frame_h
    pic_w = eye_w * 2 if half and axis == "h" else eye_w  # the picture it shows
    pic_h = eye_h * 2 if half and axis == "v" else eye_h
    ax, ay, aw, ah = src.active  # the picture without letterbox or pillarbox bars
    cw, ch = pic_w * aw, pic_h * ah
    if src.crop:  # centre crop of the active picture to the target aspect ratio
        target = src.width / src.height
        if cw / ch > target:
            cw = ch * target
        else:
            ch = cw / target
    pw = max(1, int(round(cw * eye_w / pic_w)))
    ph = max(1, int(round(ch * eye_h / pic_h)))
    x0 = int(round(eye_w * (ax + aw / 2))) - pw // 2 if src.active != (0.0, 0.0, 1.0, 1.0) else (eye_w - pw) // 2
    y0 = int(round(eye_h * (ay + ah / 2))) - ph // 2 if src.active != (0.0, 0.0, 1.0, 1.0) else (eye_h - ph) // 2
    x0, y0 = min(max(0, x0), eye_w - pw), min(max(0, y0), eye_h - ph)
    ox, oy = (eye_w, 0) if axis == "h" else (0, eye_h)
    conds = []
    if src.step > 1:
        conds.append(f"not(mod(n+{src.phase}\\,{src.step}))")
    if src.scene_max > 0:  # the scene score compares each frame with the one before it
        conds.append(f"lt(scene\\,{src.scene_max})")
    sel = f"select={'*'.join(conds)}," if conds else ""
    sc = f"scale={src.width}:{src.height}:flags=area"
    return (f"[0:v]{sel}split[l][r];[l]crop={pw}:{ph}:{x0}:{y0},{sc}[lo];"
            f"[r]crop={pw}:{ph}:{ox + x0}:{oy + y0},{sc}[ro];[lo][ro]hstack[out]")


def read_pairs(src: SbsSource) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (left, right) uint8 (H, W, 3) RGB pairs, in the layout's eye order (…r layouts swap)."""
    fw, fh = probe_size(src.path, src.ffmpeg)
    args = ["-filter_complex", filter_graph(src, fw, fh), "-map", "[out]"]
    cmd = [src.ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin"]
    if src.start > 0:
        cmd += ["-ss", str(src.start)]
    cmd += ["-i", src.path, *args, "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
    w, h = src.width, src.height
    frame_bytes = 2 * w * h * 3
    swap = src.layout.endswith("r")
    n = 0
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as p:
        assert p.stdout is not None
        try:
            while src.max_pairs is None or n < src.max_pairs:
                buf = p.stdout.read(frame_bytes)
                if len(buf) < frame_bytes:
                    break
                fr = np.frombuffer(buf, np.uint8).reshape(h, 2 * w, 3)
                a, b = fr[:, :w].copy(), fr[:, w:].copy()
                yield (b, a) if swap else (a, b)
                n += 1
        finally:
            p.stdout.close()
            if p.poll() is None:
                p.kill()
            err = p.stderr.read().decode(errors="replace") if p.stderr else ""
            p.wait()
    if n == 0:
        raise ValueError(f"{src.path}: no frames decoded: {err.strip()[-500:]}")


def load_pairs(sources: list[SbsSource]) -> tuple[np.ndarray, np.ndarray]:
    """All pairs of all sources in memory: (N, H, W, 3) uint8 left and right."""
    ls, rs = [], []
    for s in sources:
        for a, b in read_pairs(s):
            ls.append(a)
            rs.append(b)
    return np.stack(ls), np.stack(rs)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Read training pairs from a stereo 3D video.")
    p.add_argument("video")
    p.add_argument("--layout", choices=sorted(LAYOUTS), required=True)
    p.add_argument("--size", default="256x160", help="each eye after scaling, WxH")
    p.add_argument("--step", type=int, default=12)
    p.add_argument("--max-pairs", type=int, default=8)
    p.add_argument("--no-crop", action="store_true")
    p.add_argument("--png", help="write a contact sheet of the pairs (left | right | |difference|)")
    p.add_argument("--ffmpeg", default=DEFAULT_FFMPEG)
    a = p.parse_args(argv)
    w, h = (int(v) for v in a.size.lower().split("x"))
    src = SbsSource(a.video, a.layout, w, h, a.step, not a.no_crop, max_pairs=a.max_pairs, ffmpeg=a.ffmpeg)
    L, R = load_pairs([src])
    print(f"{len(L)} pairs of {w}x{h}; mean |L - R| = {np.abs(L.astype(int) - R).mean():.2f} levels")
    if a.png:
        from PIL import Image
        rows = [np.concatenate([l, r, np.abs(l.astype(int) - r).astype(np.uint8)], 1) for l, r in zip(L, R)]
        Image.fromarray(np.concatenate(rows, 0)).save(a.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
