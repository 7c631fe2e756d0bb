#!/usr/bin/python3
"""Issue 18's target: the wall time of a 3-segment Slurm run on this machine against a single pass.

A real clip (the CC0 city clip, scripts/fetch-clip.sh, looped: CLIP_SECONDS s at 256x144, H.264) is
converted to side-by-side (deep3d=convergence=auto, the built-in model, ffv1):
  - single pass with 1 filter thread (one core), and with CORES filter threads;
  - deep3d-farm on a one-node Slurm cluster started here (tests/farm/minislurm.py) with CORES
    CPUs: plan --segments 3 --slots CORES --threads 1, run --engine slurm --wait (sbatch of the
    array and the join, scheduling, the join and its checks included in the wall time).
The configurations run interleaved, RUNS rounds; medians. Target (issue 18): farm wall time
<= 1.2 x (single pass / min(segments, cores) + warm-up overhead), the overhead being the
warm-up frames per worker at the single pass's time per frame. Reported against both single
passes. Writes bench/results/farm-DATE.md."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "farm"))
from minislurm import MiniSlurm  # noqa: E402

BUILD = os.environ.get("BUILD", os.path.join(TOP, "_build"))
FFMPEG = os.environ.get("FFMPEG", os.path.join(BUILD, "ffmpeg-build", "ffmpeg"))
FFPROBE = os.environ.get("FFPROBE", os.path.join(BUILD, "ffmpeg-build", "ffprobe"))
RUNS = int(os.environ.get("RUNS", "3"))
SECONDS_ = float(os.environ.get("CLIP_SECONDS", "30"))
CORES = len(os.sched_getaffinity(0))
SEGMENTS = 3
FILTER = "convergence=auto"
FARM = [sys.executable, os.path.join(TOP, "tools", "deep3d-farm")]
WORK = os.path.join(BUILD, "bench-farm")


def timed(cmd: list[str], env: dict | None = None) -> float:
    t = time.monotonic()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.monotonic() - t


def single(clip: str, threads: int) -> float:
    return timed([FFMPEG, "-nostdin", "-v", "error", "-y", "-i", clip, "-map", "0:v", "-filter_threads", str(threads),
                  "-vf", f"deep3d={FILTER}", "-fps_mode", "passthrough", "-c:v", "ffv1",
                  os.path.join(WORK, "single.mkv")])


def farm(clip: str, cluster: MiniSlurm, n: int) -> tuple[float, dict]:
    wd = os.path.join(WORK, f"farm-{n}")
    shutil.rmtree(wd, ignore_errors=True)
    subprocess.run([*FARM, "plan", clip, os.path.join(wd, "out.mkv"), "--workdir", wd, "--segments", str(SEGMENTS),
                    "--slots", str(CORES), "--threads", "1", "--filter", FILTER, "--codec", "-c:v ffv1",
                    "--ffmpeg", FFMPEG, "--ffprobe", FFPROBE], check=True, stdout=subprocess.DEVNULL)
    wall = timed([*FARM, "run", "--workdir", wd, "--engine", "slurm", "--wait", "--timeout", "1200"], env=cluster.env())
    with open(os.path.join(wd, "job.json")) as f:
        job = json.load(f)
    return wall, job


def main() -> int:
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    subprocess.run([os.path.join(TOP, "scripts", "fetch-clip.sh")], check=True, env=dict(os.environ, BUILD=BUILD))
    clip = os.path.join(WORK, "clip.mkv")
    subprocess.run([FFMPEG, "-nostdin", "-v", "error", "-y", "-stream_loop", "-1", "-i",
                    os.path.join(BUILD, "dl", "cityCC0.mpg"), "-t", str(SECONDS_), "-map", "0:v",
                    "-vf", "scale=256:144", "-c:v", "libx264", "-preset", "fast", "-g", "50", clip], check=True)
    t1, tc, tf = [], [], []
    job: dict = {}
    with MiniSlurm(os.path.join(WORK, "slurm"), cpus=CORES) as cluster:
        for r in range(RUNS):
            order = [0, 1, 2][r % 3:] + [0, 1, 2][:r % 3]  # interleaved, each round starting elsewhere
            for k in order:
                if k == 0:
                    t1.append(single(clip, 1))
                elif k == 1:
                    tc.append(single(clip, CORES))
                else:
                    wall, job = farm(clip, cluster, r)
                    tf.append(wall)
            print(f"round {r + 1}: single/1 {t1[-1]:.1f} s, single/{CORES} {tc[-1]:.1f} s, farm {tf[-1]:.1f} s",
                  file=sys.stderr)
    frames = sum(s["end"] - s["start"] for s in job["segments"])
    warm = sum(s["start"] - s["warm_start"] for s in job["segments"])
    m1, mc, mf = statistics.median(t1), statistics.median(tc), statistics.median(tf)
    workers = min(SEGMENTS, CORES)
    rows = []
    for name, base in ((f"single pass, 1 thread ({m1:.2f} s)", m1), (f"single pass, {CORES} threads ({mc:.2f} s)", mc)):
        overhead = warm / workers * base / frames
        ideal = base / workers + overhead
        rows.append(f"| {name} | {base / workers:.2f} | {overhead:.2f} | {1.2 * ideal:.2f} | {mf:.2f} | "
                    f"{mf / ideal:.2f} | {'met' if mf <= 1.2 * ideal else 'missed'} |")
    model = subprocess.run("lscpu | sed -n 's/^Model name: *//p'", shell=True, capture_output=True, text=True).stdout.strip()
    commit = subprocess.run(["git", "-C", TOP, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    text = f"""# deep3d-farm: a 3-segment Slurm run against a single pass, {stamp}

- machine: {model}, {CORES} cores (shared with other work: load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())})
- build: {commit}; `deep3d={FILTER}`, built-in model; {frames} frames ({SECONDS_:.0f} s of the city clip, looped) at 256x144 -> 512x144 sbs, ffv1
- farm: one-node Slurm cluster (tests/farm/minislurm.py, {CORES} CPUs), `plan --segments {SEGMENTS} --slots {CORES} --threads 1`
  (lengths {[s['end'] - s['start'] for s in job['segments']]}, starts {[s['kind'] for s in job['segments']]}), {warm} warm-up frames in all;
  wall time of `deep3d-farm run --engine slurm --wait` (submission, scheduling, segments, join and its checks)
- {RUNS} interleaved rounds, medians; runs: single/1 {[round(x, 2) for x in t1]}, single/{CORES} {[round(x, 2) for x in tc]}, farm {[round(x, 2) for x in tf]}
- command: `make bench-farm` (bench/farm.sh; RUNS={RUNS} CLIP_SECONDS={SECONDS_:.0f})

| baseline | single / min(segments, cores) s | warm-up overhead s | target 1.2x s | farm s | farm / (ideal + warm-up) | target |
| --- | --- | --- | --- | --- | --- | --- |
""" + "\n".join(rows) + "\n"
    out = os.path.join(TOP, "bench", "results", f"farm-{time.strftime('%Y-%m-%d-%H%M', time.gmtime())}.md")
    with open(out, "w") as f:
        f.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
