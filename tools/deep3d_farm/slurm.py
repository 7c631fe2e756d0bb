"""The cluster engine: one Slurm job array of segments (sbatch --array), a join job that waits
for all of them (--dependency=afterok), and, when asked to wait, a driver that resubmits the
segments that failed (a task killed or its node lost) before joining."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field

from deep3d_farm.jobspec import Job
from deep3d_farm.segment import is_done


class SlurmError(Exception):
    pass


@dataclass
class Options:
    cpus_per_task: int = 1
    gpus_per_task: int = 0
    throttle: int = 0  # most array tasks at once (0: no limit)
    extra: list[str] = field(default_factory=list)  # more sbatch arguments (partition, account, time)
    poll_s: float = 1.0


def array_spec(indexes: list[int], throttle: int) -> str:
    spec = ",".join(str(i) for i in indexes)
    return f"{spec}%{throttle}" if throttle else spec


def write_script(job: Job, name: str, body: list[str], raw_tail: str = "") -> str:
    """A batch script that execs `body` (quoted) followed by `raw_tail` (left for the shell)."""
    path = job.path(name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n# written by deep3d-farm\nexec " + shlex.join(body) + raw_tail + "\n")
    os.chmod(path, 0o755)
    return path


def segment_args(job: Job, opts: Options, indexes: list[int], script: str) -> list[str]:
    args = ["sbatch", "--parsable", "--job-name", "d3farm-seg", f"--array={array_spec(indexes, opts.throttle)}",
            f"--cpus-per-task={opts.cpus_per_task}", "--chdir", job.workdir,
            "--output", job.path("logs", "seg-%a-job%A.log")]
    if opts.gpus_per_task:
        # Slurm sets CUDA_VISIBLE_DEVICES to the task's GPU; the segment uses device 0 of that set.
        args.append(f"--gres=gpu:{opts.gpus_per_task}")
    return args + opts.extra + [script]


def join_args(job: Job, opts: Options, after: str | None, script: str) -> list[str]:
    args = ["sbatch", "--parsable", "--job-name", "d3farm-join", "--cpus-per-task=1", "--chdir", job.workdir,
            "--output", job.path("logs", "join-job%j.log")]
    if after:
        args.append(f"--dependency=afterok:{after}")
    return args + opts.extra + [script]


def sbatch(args: list[str]) -> str:
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SlurmError(f"sbatch failed: {proc.stderr.strip()}")
    return proc.stdout.strip().split(";")[0]  # --parsable: "id" or "id;cluster"


def queue(job_id: str) -> list[tuple[str, str]]:
    """(state, reason) of each of the job's tasks still in the queue."""
    proc = subprocess.run(["squeue", "-h", "-r", "-j", job_id, "-o", "%T|%r"], capture_output=True, text=True)
    if proc.returncode != 0:
        # squeue exits 1 for a job id the controller no longer knows: it has left the queue.
        return []
    return [tuple(line.split("|", 1)) for line in proc.stdout.split("\n") if "|" in line]  # type: ignore[misc]


def record(job: Job, entry: dict) -> None:
    path = job.path("slurm.json")
    history = []
    if os.path.exists(path):
        with open(path) as f:
            history = json.load(f)
    history.append(entry)
    with open(path, "w") as f:
        json.dump(history, f, indent=1)


def submit(job: Job, tool: list[str], opts: Options, attempts: int, indexes: list[int]) -> tuple[str | None, str]:
    """Submits the segments `indexes` (none: the join alone) and the join after them."""
    os.makedirs(job.path("logs"), exist_ok=True)
    seg_script = write_script(job, "segment.sbatch", [*tool, "segment", "--workdir", job.workdir,
                                                      "--attempts", str(attempts)],
                              ' --index "$SLURM_ARRAY_TASK_ID"')
    join_script = write_script(job, "join.sbatch", [*tool, "join", "--workdir", job.workdir])
    array = sbatch(segment_args(job, opts, indexes, seg_script)) if indexes else None
    join = sbatch(join_args(job, opts, array, join_script))
    record(job, {"array": array, "segments": indexes, "join": join, "time": time.time()})
    print(f"deep3d-farm: slurm: segments {indexes} as job array {array}, join as job {join}", file=sys.stderr)
    return array, join


def wait(job: Job, array: str | None, join: str, opts: Options, timeout_s: float) -> bool:
    """Waits until the join has run (True if it succeeded) or can never run (False)."""
    deadline = time.monotonic() + timeout_s
    done_file = job.path("join.done.json")
    while time.monotonic() < deadline:
        j = queue(join)
        if not j:
            return os.path.exists(done_file)
        if array is None or not queue(array):
            if any("DependencyNeverSatisfied" in reason for _, reason in j):
                subprocess.run(["scancel", join], check=False)
                return False
        time.sleep(opts.poll_s)
    raise SlurmError(f"timed out after {timeout_s:.0f} s waiting for job {join}")


def run(job: Job, tool: list[str], opts: Options, attempts: int, retries: int, wait_for_it: bool,
        timeout_s: float) -> int:
    for round_ in range(retries + 1):
        pending = [s.index for s in job.segments if not is_done(job, s)]
        if os.path.exists(job.path("join.done.json")):
            os.remove(job.path("join.done.json"))
        array, join = submit(job, tool, opts, attempts, pending)
        if not wait_for_it:
            return 0
        if wait(job, array, join, opts, timeout_s):
            return 0
        print(f"deep3d-farm: slurm: round {round_ + 1}: the join could not run; resubmitting what failed",
              file=sys.stderr)
    print(f"deep3d-farm: slurm: segments still failing after {retries} resubmissions", file=sys.stderr)
    return 1
