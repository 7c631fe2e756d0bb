#!/usr/bin/python3
"""What a seam costs (docs/farm.md): frames of a segment that starts at frame SEAM after W warm-up
frames, against a single pass, for several W. The city clip (scripts/fetch-clip.sh, 25 fps,
190 frames) at 320x180 to 640x180 sbs, deep3d=convergence=auto, one filter thread, rawvideo.
The segment is cut exactly as tools/deep3d-farm cuts it (-copyts, trims at frame midpoints).
Writes bench/results/farm-seams-DATE.md."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD", os.path.join(TOP, "_build"))
FFMPEG = os.environ.get("FFMPEG", os.path.join(BUILD, "ffmpeg-build", "ffmpeg"))
WORK = os.path.join(BUILD, "bench-farm-seams")
FILTER = "deep3d=convergence=auto"
W, H, FPS = 640, 180, 25
FRAME = W * H * 3 // 2
SEAMS = (40, 85)
WARMUPS = (0, 12, 25, 50, 75)


def raw(args: list[str]) -> np.ndarray:
    out = subprocess.run([FFMPEG, "-nostdin", "-v", "error", *args, "-fps_mode", "passthrough",
                          "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"], check=True, capture_output=True).stdout
    return np.frombuffer(out, np.uint8).reshape(-1, FRAME).astype(np.int16)


def main() -> int:
    os.makedirs(WORK, exist_ok=True)
    subprocess.run([os.path.join(TOP, "scripts", "fetch-clip.sh")], check=True, env=dict(os.environ, BUILD=BUILD))
    clip = os.path.join(WORK, "city-320x180.mkv")
    # Matroska with a timestamp on every frame, starting at 0 (the MPEG-PS original has neither);
    # upside down from 4 s (frame 100): a hard scene cut, 15 frames after the seam at 85
    subprocess.run([FFMPEG, "-nostdin", "-v", "error", "-y", "-i", os.path.join(BUILD, "dl", "cityCC0.mpg"),
                    "-map", "0:v", "-vf", "scale=320:180,rotate=angle='if(gte(t,4),PI,0)'", "-c:v", "ffv1", "-output_ts_offset", "0", clip], check=True)
    single = raw(["-i", clip, "-map", "0:v", "-filter_threads", "1", "-vf", FILTER])
    rows = []
    for warm in WARMUPS:
        cells = []
        for seam in SEAMS:
            ws, bs = (seam - warm - 0.5) / FPS, (seam - 0.5) / FPS
            pre = [] if warm == seam else [f"trim=start={ws:.6f}"]
            graph = ",".join(pre + [FILTER, f"trim=start={bs:.6f}", "setpts=PTS-STARTPTS"])
            seg = raw(["-copyts", "-i", clip, "-map", "0:v", "-filter_threads", "1", "-vf", graph])
            d = np.abs(single[seam:seam + len(seg)] - seg)
            worst = d.max(axis=1)
            bad = np.nonzero(worst)[0]
            if len(bad) == 0:
                cells.append("0: bit-exact")
                continue
            psnr = min(10 * np.log10(255 ** 2 / (d[i].astype(np.float64) ** 2).mean()) for i in bad)
            cells.append(f"{worst.max()} (PSNR >= {psnr:.1f} dB), {len(bad)} frames, last {bad.max()} after the seam")
        rows.append(f"| {warm} | " + " | ".join(cells) + " |")
    model = subprocess.run("lscpu | sed -n 's/^Model name: *//p'", shell=True, capture_output=True, text=True).stdout.strip()
    commit = subprocess.run(["git", "-C", TOP, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    text = (f"# deep3d-farm: what a seam costs, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n\n"
            f"- machine: {model}; build: {commit}; `{FILTER}`, one filter thread, built-in model\n"
            f"- clip: the CC0 city clip, {len(single)} frames at 25 fps, 320x180 -> 640x180 sbs, turned upside down "
            "from frame 100 (a hard scene cut: the filter resets there, so after the seam at 85 at most 15 frames "
            "can differ)\n"
            "- per segment: largest difference from the single pass in 8-bit levels over all samples of all its "
            "frames, lowest PSNR of a differing frame, frames differing, the last of them\n"
            "- command: `bench/farm_seams.py`\n\n"
            "| warm-up frames | " + " | ".join(f"seam at frame {s}" for s in SEAMS) + " |\n"
            "| --- | " + " | ".join("---" for _ in SEAMS) + " |\n" + "\n".join(rows) + "\n")
    out = os.path.join(TOP, "bench", "results", f"farm-seams-{time.strftime('%Y-%m-%d', time.gmtime())}.md")
    with open(out, "w") as f:
        f.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
