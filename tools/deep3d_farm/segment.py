"""One segment: the ffmpeg command that converts it (warm-up included, then dropped), a runner
that retries a failed attempt, and the done-marker that lets a rerun skip it (checked by frame
count and hash)."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import asdict

from deep3d_farm import filteropts
from deep3d_farm.jobspec import Job, Segment
from deep3d_farm.media import MediaError, count_video_packets


def cpu_count() -> int:
    """CPUs this process may use: the scheduler's allocation, else the affinity mask."""
    for var in ("SLURM_CPUS_PER_TASK", "SLURM_CPUS_ON_NODE"):
        value = os.environ.get(var, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return len(os.sched_getaffinity(0))


def filter_graph(job: Job, seg: Segment) -> str:
    parts = []
    if seg.trim_warm:
        parts.append(f"trim=start={seg.trim_warm}")
    options = filteropts.parse(job.filter_options)
    deep3d = job.filter_options
    if job.device == "cuda" and "device" not in options:
        deep3d = f"{deep3d}:device=cuda" if deep3d else "device=cuda"
    parts.append(f"deep3d={deep3d}" if deep3d else "deep3d")
    keep = [f"start={seg.trim_start}"] if seg.trim_start else []
    if seg.trim_end:
        keep.append(f"end={seg.trim_end}")
    if keep:
        parts.append("trim=" + ":".join(keep))
    # Each segment starts at 0; the concat list places it (its duration directive).
    parts.append("setpts=PTS-STARTPTS")
    if job.hwaccel and not any("nvenc" in c for c in job.video_codec):
        parts.append("hwdownload,format=nv12|p010le")
    return ",".join(parts)


def command(job: Job, seg: Segment, out: str, threads: int) -> list[str]:
    """The ffmpeg command for one segment. The source is read on its own timeline (-copyts) and
    every frame is selected by timestamp midpoints, so the frames do not depend on where the
    seek lands (it lands on a keyframe at or before the warm-up start). `threads` is for the
    decoder and encoder; the filter always runs job.threads slice jobs, because its output
    depends on that number at the float-rounding level (docs/farm.md, "Exactness")."""
    cmd = [job.ffmpeg, "-nostdin", "-hide_banner", "-nostats", "-loglevel", "warning", "-y"]
    if job.device == "cuda" or job.hwaccel:
        # With CUDA_VISIBLE_DEVICES set (Slurm --gres, or our GNU parallel slots) the assigned
        # GPU is device 0 of this process.
        cmd += ["-init_hw_device", "cuda=gpu:0", "-filter_hw_device", "gpu"]
    if job.hwaccel:
        cmd += ["-hwaccel", "cuda", "-hwaccel_device", "gpu", "-hwaccel_output_format", "cuda"]
    cmd += ["-threads", str(threads), "-copyts", "-noaccurate_seek"]
    if seg.seek:
        cmd += ["-ss", seg.seek]
    cmd += ["-i", job.source, "-map", "0:v:0", "-an", "-sn", "-dn",
            "-map_metadata", "-1", "-map_chapters", "-1",
            "-filter_threads", str(job.threads), "-vf", filter_graph(job, seg),
            "-fps_mode", "passthrough", *job.video_codec, "-f", job.segment_format, out]
    return cmd


def plan_fingerprint(job: Job, seg: Segment) -> str:
    """What a finished segment depends on; a marker with another fingerprint is stale."""
    what = {"source": job.source, "filter": job.filter_options, "codec": job.video_codec,
            "device": job.device, "hwaccel": job.hwaccel, "threads": job.threads, "format": job.segment_format, "segment": asdict(seg)}
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_marker(job: Job, index: int) -> dict | None:
    try:
        with open(job.marker_file(index)) as f:
            return json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def is_done(job: Job, seg: Segment) -> bool:
    """A segment is done when its marker matches the plan and its file has the marker's hash and
    the planned number of frames."""
    marker = read_marker(job, seg.index)
    path = job.segment_file(seg.index)
    if marker is None or not os.path.isfile(path):
        return False
    if marker.get("fingerprint") != plan_fingerprint(job, seg) or marker.get("frames") != seg.frames:
        return False
    if marker.get("sha256") != file_sha256(path):
        return False
    try:
        return count_video_packets(job.ffprobe, path) == seg.frames
    except MediaError:
        return False


def log(msg: str) -> None:
    print(f"deep3d-farm: {msg}", file=sys.stderr, flush=True)


def gpu_for_slot(job: Job, slot: int | None) -> str | None:
    if slot is None or not job.gpus:
        return None
    if not 1 <= slot <= len(job.gpus):
        raise SystemExit(f"deep3d-farm: slot {slot} has no GPU (the job lists {len(job.gpus)})")
    return job.gpus[slot - 1]


def convert(job: Job, index: int, attempts: int, slot: int | None = None) -> int:
    """Converts segment `index` unless it is done; retries a failed attempt. Returns 0 on success."""
    if not 0 <= index < len(job.segments):
        log(f"segment {index} does not exist (the plan has {len(job.segments)})")
        return 2
    seg = job.segments[index]
    if is_done(job, seg):
        log(f"segment {index}: already done, skipped")
        return 0
    out = job.segment_file(index)
    part = out + ".part"
    env = dict(os.environ)
    gpu = gpu_for_slot(job, slot)
    if gpu is not None:
        env["CUDA_VISIBLE_DEVICES"] = gpu
    env.setdefault("OPENBLAS_NUM_THREADS", "1")  # the filter's slice jobs each call BLAS
    threads = cpu_count()
    os.makedirs(os.path.dirname(out), exist_ok=True)
    cmd = command(job, seg, part, threads)
    running = job.path("segments", f"seg-{index:05d}.running")
    for attempt in range(1, attempts + 1):
        started = time.monotonic()
        with open(running, "w") as f:
            json.dump({"host": socket.gethostname(), "attempt": attempt, "pid": os.getpid()}, f)
        proc = subprocess.run(cmd, env=env)
        seconds = time.monotonic() - started
        if proc.returncode != 0:
            log(f"segment {index}: attempt {attempt} of {attempts} failed (ffmpeg exit {proc.returncode})")
            continue
        frames = count_video_packets(job.ffprobe, part)
        if frames != seg.frames:
            # The same command gives the same count: a retry would not help.
            log(f"segment {index}: {frames} frames written, the plan has {seg.frames}")
            return 1
        os.replace(part, out)
        marker = {"index": index, "frames": frames, "warmup_frames": seg.warmup,
                  "sha256": file_sha256(out), "fingerprint": plan_fingerprint(job, seg),
                  "seconds": round(seconds, 3), "fps": round((frames + seg.warmup) / seconds, 2),
                  "attempts": attempt, "host": socket.gethostname(), "gpu": env.get("CUDA_VISIBLE_DEVICES"),
                  "threads": threads, "filter_threads": job.threads, "finished": time.time(), "started": time.time() - seconds}
        tmp = job.marker_file(index) + ".tmp"
        with open(tmp, "w") as f:
            json.dump(marker, f, indent=1)
        os.replace(tmp, job.marker_file(index))
        os.remove(running)
        log(f"segment {index}: {frames} frames (+{seg.warmup} warm-up) in {seconds:.1f} s, "
            f"{marker['fps']} fps, attempt {attempt}")
        return 0
    return 1
