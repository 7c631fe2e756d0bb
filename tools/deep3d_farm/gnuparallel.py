"""The one-machine engine: GNU parallel runs the segment command, one job per GPU (or per CPU
slot), retries failures, then the join runs."""

from __future__ import annotations

import subprocess
import sys

from deep3d_farm.jobspec import Job


def command(job: Job, tool: list[str], jobs: int, retries: int, attempts: int, indexes: list[int]) -> list[str]:
    """{} is the segment index, {%} the job slot (1..jobs), which picks the slot's GPU."""
    seg = [*tool, "segment", "--workdir", job.workdir, "--index", "{}", "--attempts", str(attempts)]
    if job.gpus:
        seg += ["--slot", "{%}"]
    return ["parallel", "--will-cite", "--jobs", str(jobs), "--retries", str(retries + 1),
            "--joblog", job.path("logs", "parallel.joblog"), "--line-buffer", "--tag",
            *seg, ":::", *[str(i) for i in indexes]]


def run(job: Job, tool: list[str], jobs: int, retries: int, attempts: int, indexes: list[int]) -> int:
    if not indexes:
        return 0
    proc = subprocess.run(command(job, tool, jobs, retries, attempts, indexes))
    if proc.returncode != 0:
        print(f"deep3d-farm: GNU parallel: {proc.returncode} segment(s) failed", file=sys.stderr)
    return proc.returncode
