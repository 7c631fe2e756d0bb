"""deep3d-farm: plan | segment | join | run | summary (docs/farm.md)."""

from __future__ import annotations

import argparse
import math
import os
import shlex
import shutil
import sys

from deep3d_farm import gnuparallel, jobspec, join, planjob, segment, slurm, summary
from deep3d_farm.filteropts import FilterOptionError
from deep3d_farm.media import MediaError, probe_video
from deep3d_farm.plan import PlanError

TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(TOOLS)
DEFAULT_CODEC = "-c:v libx264 -preset medium -crf 18"


def tool_command() -> list[str]:
    """How a worker runs this tool: the same interpreter and launcher (shared filesystem)."""
    return [sys.executable, os.path.join(TOOLS, "deep3d-farm")]


def find_binary(given: str | None, env: str, name: str) -> str:
    """--ffmpeg, else $FFMPEG, else this checkout's build, else PATH; made absolute for the workers."""
    candidates = [given, os.environ.get(env), os.path.join(REPO, "_build", "ffmpeg-build", name), name]
    for c in candidates:
        if c and (found := shutil.which(c)):
            return os.path.abspath(found)
    raise SystemExit(f"deep3d-farm: no {name} found (give --{name} or ${env})")


def parse_starts(text: str | None) -> list[int] | None:
    if not text:
        return None
    try:
        return [int(x) for x in text.split(",")]
    except ValueError:
        raise SystemExit(f"deep3d-farm: --at wants frame numbers separated by commas, not '{text}'") from None


def cmd_plan(a: argparse.Namespace) -> int:
    ffmpeg = find_binary(a.ffmpeg, "FFMPEG", "ffmpeg")
    ffprobe = find_binary(a.ffprobe, "FFPROBE", "ffprobe")
    index = probe_video(ffprobe, a.source)
    count = a.segments
    if a.segment_seconds:
        count = max(1, math.ceil(float(index.end_time() - index.pts[0]) / a.segment_seconds))
    if a.threads < 1:
        raise SystemExit("deep3d-farm: --threads must be at least 1")
    job = planjob.build(index, source=a.source, output=a.output, workdir=a.workdir, ffmpeg=ffmpeg,
                        ffprobe=ffprobe, filter_options=a.filter, video_codec=shlex.split(a.codec),
                        segment_format=a.segment_format, count=count, slots=a.slots or count,
                        warmup_seconds=a.warmup, find_cuts=not a.no_scenecuts, device=a.device,
                        gpus=[g for g in a.gpus.split(",") if g] if a.gpus else [], hwaccel=a.hwaccel,
                        threads=a.threads, starts=parse_starts(a.at))
    job.save()
    print(f"{index.frames} frames at {index.fps():.3f} fps, {len(job.segments)} segments, "
          f"warm-up {job.segments[-1].warmup if len(job.segments) > 1 else 0} frames")
    for s in job.segments:
        print(f"  segment {s.index}: frames {s.start}-{s.end - 1} ({s.frames}), starts at a {s.kind}, "
              f"warm-up from {s.warm_start}")
    return 0


def cmd_segment(a: argparse.Namespace) -> int:
    return segment.convert(jobspec.load(a.workdir), a.index, a.attempts, a.slot)


def cmd_join(a: argparse.Namespace) -> int:
    job = jobspec.load(a.workdir)
    missing = [s.index for s in job.segments if not segment.is_done(job, s)]
    if missing:
        print(f"deep3d-farm: cannot join: segments {missing} are not done", file=sys.stderr)
        return 1
    report = join.join(job)
    text, total = summary.table(job)
    with open(job.path("summary.txt"), "w") as f:
        f.write(text)
    print(text + f"joined: {job.output}: {report['frames']} frames, timestamps within "
          f"{report['max_video_ts_error_s'] * 1000:.3f} ms of the source")
    return 0


def cmd_run(a: argparse.Namespace) -> int:
    job = jobspec.load(a.workdir)
    if a.engine == "slurm":
        opts = slurm.Options(cpus_per_task=a.cpus_per_task, gpus_per_task=a.gpus_per_task,
                             throttle=a.throttle, extra=a.sbatch_arg or [])
        return slurm.run(job, tool_command(), opts, a.attempts, a.retries, a.wait, a.timeout)
    pending = [s.index for s in job.segments if not segment.is_done(job, s)]
    os.makedirs(job.path("logs"), exist_ok=True)
    jobs = a.jobs or len(job.gpus) or len(os.sched_getaffinity(0))
    if gnuparallel.run(job, tool_command(), jobs, a.retries, a.attempts, pending) != 0:
        return 1
    return cmd_join(a)


def cmd_summary(a: argparse.Namespace) -> int:
    text, _ = summary.table(jobspec.load(a.workdir))
    print(text, end="")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="deep3d-farm", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    pl = sub.add_parser("plan", help="probe the source and write WORKDIR/job.json")
    pl.add_argument("source")
    pl.add_argument("output", help="the joined film (.mkv, .mp4, .mov, .nut, .ts)")
    pl.add_argument("--workdir", required=True)
    pl.add_argument("--segments", type=int, default=3)
    pl.add_argument("--segment-seconds", type=float, help="segment length instead of --segments")
    pl.add_argument("--at", help="segment starts instead of --segments: frame numbers, e.g. 2400,4800")
    pl.add_argument("--slots", type=int, default=0,
                    help="workers that run at once: lengths are balanced so all finish together (default: one per segment)")
    pl.add_argument("--warmup", type=float, default=3.0, help="seconds converted and dropped before each segment")
    pl.add_argument("--filter", default="", help="deep3d options, e.g. mode=sbs:convergence=auto")
    pl.add_argument("--codec", default=DEFAULT_CODEC, help=f"segment video encoder options (default: {DEFAULT_CODEC})")
    pl.add_argument("--segment-format", choices=("matroska", "nut"), default="matroska")
    pl.add_argument("--no-scenecuts", action="store_true", help="do not look for scene cuts (keyframes only)")
    pl.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    pl.add_argument("--gpus", help="GNU parallel: GPU ids, one slot each (e.g. 0,1,2,3)")
    pl.add_argument("--hwaccel", action="store_true", help="decode on NVDEC (needs --device cuda)")
    pl.add_argument("--threads", type=int, default=1,
                    help="the filter's slice jobs in every segment: the CPUs a task gets (the same for all "
                         "segments; the frames depend on it at the rounding level)")
    pl.add_argument("--ffmpeg")
    pl.add_argument("--ffprobe")
    pl.set_defaults(func=cmd_plan)

    sg = sub.add_parser("segment", help="convert one segment (what each worker runs)")
    sg.add_argument("--workdir", required=True)
    sg.add_argument("--index", type=int, required=True)
    sg.add_argument("--attempts", type=int, default=2)
    sg.add_argument("--slot", type=int, help="GNU parallel job slot: uses the job's GPU of that slot")
    sg.set_defaults(func=cmd_segment)

    jn = sub.add_parser("join", help="join the finished segments with the source's other streams")
    jn.add_argument("--workdir", required=True)
    jn.set_defaults(func=cmd_join)

    rn = sub.add_parser("run", help="convert every segment not done, then join")
    rn.add_argument("--workdir", required=True)
    rn.add_argument("--engine", choices=("slurm", "parallel"), required=True)
    rn.add_argument("--attempts", type=int, default=2, help="tries of a segment inside one task")
    rn.add_argument("--retries", type=int, default=1, help="resubmissions of failed segments")
    rn.add_argument("--jobs", type=int, default=0, help="parallel: segments at once (default: GPUs or cores)")
    rn.add_argument("--wait", action="store_true", help="slurm: wait for the join, resubmitting failures")
    rn.add_argument("--timeout", type=float, default=7 * 86400, help="slurm --wait: give up after this many seconds")
    rn.add_argument("--cpus-per-task", type=int, default=1)
    rn.add_argument("--gpus-per-task", type=int, default=0)
    rn.add_argument("--throttle", type=int, default=0, help="slurm: most segments running at once")
    rn.add_argument("--sbatch-arg", action="append", help="passed to every sbatch (e.g. --partition=gpu)")
    rn.set_defaults(func=cmd_run)

    sm = sub.add_parser("summary", help="fps per segment and in total")
    sm.add_argument("--workdir", required=True)
    sm.set_defaults(func=cmd_summary)
    return p


def main(argv: list[str]) -> int:
    a = parser().parse_args(argv)
    if getattr(a, "hwaccel", False) and a.device != "cuda":
        print("deep3d-farm: --hwaccel needs --device cuda", file=sys.stderr)
        return 2
    try:
        return int(a.func(a))
    except (MediaError, PlanError, FilterOptionError, join.JoinError, slurm.SlurmError) as e:
        print(f"deep3d-farm: {e}", file=sys.stderr)
        return 1
