"""Frames per second per segment and for the whole job, from the segments' done-markers."""

from __future__ import annotations

from deep3d_farm.jobspec import Job
from deep3d_farm.segment import read_marker


def table(job: Job) -> tuple[str, dict]:
    rows = ["segment  frames  warm-up  kind      seconds  out fps  filter fps  tries  host/gpu"]
    markers = []
    for seg in job.segments:
        m = read_marker(job, seg.index)
        if m is None:
            rows.append(f"{seg.index:7d}  {seg.frames:6d}  {seg.warmup:7d}  {seg.kind:8s}  not done")
            continue
        markers.append(m)
        rows.append(f"{seg.index:7d}  {seg.frames:6d}  {seg.warmup:7d}  {seg.kind:8s}  {m['seconds']:7.1f}  "
                    f"{m['frames'] / m['seconds']:7.1f}  {m['fps']:10.1f}  {m['attempts']:5d}  "
                    f"{m['host']}/{m.get('gpu') or 'cpu'}")
    total = {"segments": len(job.segments), "done": len(markers), "frames": job.source_frames}
    if markers:
        span = max(m["finished"] for m in markers) - min(m["started"] for m in markers)
        busy = sum(m["seconds"] for m in markers)
        warm = sum(m["warmup_frames"] for m in markers)
        total.update({"wall_s": round(span, 2), "busy_s": round(busy, 2), "warmup_frames": warm,
                      "fps": round(sum(m["frames"] for m in markers) / span, 2) if span > 0 else None})
        rows.append(f"total: {total['done']}/{total['segments']} segments, {sum(m['frames'] for m in markers)} frames "
                    f"(+{warm} warm-up) in {span:.1f} s wall ({busy:.1f} s of workers): {total['fps']} fps")
    return "\n".join(rows) + "\n", total
