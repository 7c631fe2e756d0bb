"""Our scene-cut measure, the filter's own (docs/temporal.md, section 2): the mean absolute
difference, in 8-bit levels over all pixels and the three colour channels, between consecutive
frames at the network's input size. Frames are decoded and resized by ffmpeg (bilinear, not the
filter's tent filter, so distances near the threshold can differ slightly: a boundary placed on a
cut is still warmed up, and the filter decides the reset itself)."""

from __future__ import annotations

import subprocess

WIDTH, HEIGHT = 256, 160  # the built-in model's input size


def distances(ffmpeg: str, source: str, width: int = WIDTH, height: int = HEIGHT) -> list[float]:
    """distances[i]: frame i + 1 against frame i, for every frame of the first video stream."""
    import numpy as np  # only the planning host needs numpy

    cmd = [ffmpeg, "-nostdin", "-v", "error", "-i", source, "-map", "0:v:0",
           "-vf", f"scale={width}:{height}:flags=bilinear,format=rgb24",
           "-fps_mode", "passthrough", "-f", "rawvideo", "-"]
    size = width * height * 3
    out: list[float] = []
    prev = None
    with subprocess.Popen(cmd, stdout=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        while True:
            buf = proc.stdout.read(size)
            if len(buf) < size:
                break
            cur = np.frombuffer(buf, np.uint8).astype(np.int16)
            if prev is not None:
                out.append(float(np.abs(cur - prev).mean()))
            prev = cur
    if proc.returncode != 0:
        raise RuntimeError(f"scene-cut decode of {source} failed ({proc.returncode})")
    return out
