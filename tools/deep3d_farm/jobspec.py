"""The job file (job.json in the work directory): the source, the plan and the commands' settings,
written once by `plan` and read by every segment, join and engine."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Segment:
    index: int
    start: int  # first output frame (source frame index)
    end: int  # one past the last output frame
    warm_start: int  # first frame fed to the filter; start - warm_start frames are dropped
    kind: str  # how the start was chosen: start, cut, keyframe or frame
    # Seconds, as decimal strings, on the source's own timeline (ffmpeg -copyts): the input seek
    # (relative to the file's start, "" for none), the trims at midpoints between frames ("" for
    # none: trim_warm drops what the seek decoded before warm_start, trim_start the warm-up,
    # trim_end the next segment), and the segment's duration for the concat list ("" for the last).
    seek: str
    trim_warm: str
    trim_start: str
    trim_end: str
    duration: str

    @property
    def frames(self) -> int:
        return self.end - self.start

    @property
    def warmup(self) -> int:
        return self.start - self.warm_start


@dataclass
class Job:
    source: str
    output: str
    workdir: str
    ffmpeg: str
    ffprobe: str
    filter_options: str  # deep3d=...
    stereo_mode: str  # Matroska StereoMode of the result
    video_codec: list[str]  # ffmpeg output options of each segment's video
    segment_format: str  # container of the segments: matroska or nut
    source_frames: int
    source_start: str  # the file's start time (seconds, num/den)
    video_start: str  # the first video frame's timestamp
    fps: float
    device: str = "cpu"  # cpu or cuda
    gpus: list[str] = field(default_factory=list)  # GNU parallel: slot n uses gpus[n-1]
    hwaccel: bool = False  # decode on NVDEC (CUDA frames into the filter)
    threads: int = 1  # the filter's slice jobs in every segment (fixed: the frames depend on it)
    segments: list[Segment] = field(default_factory=list)

    def path(self, *parts: str) -> str:
        return os.path.join(self.workdir, *parts)

    def segment_file(self, index: int) -> str:
        ext = "mkv" if self.segment_format == "matroska" else "nut"
        return self.path("segments", f"seg-{index:05d}.{ext}")

    def marker_file(self, index: int) -> str:
        return self.path("segments", f"seg-{index:05d}.done.json")

    def save(self) -> None:
        os.makedirs(self.workdir, exist_ok=True)
        tmp = self.path("job.json.tmp")
        with open(tmp, "w") as f:
            json.dump(asdict(self), f, indent=1)
        os.replace(tmp, self.path("job.json"))


def job_path(workdir: str) -> str:
    return os.path.join(workdir, "job.json")


def load(workdir: str) -> Job:
    try:
        with open(job_path(workdir)) as f:
            data = json.load(f)
    except FileNotFoundError:
        raise SystemExit(f"deep3d-farm: no job in {workdir} (run 'deep3d-farm plan' first)") from None
    data["segments"] = [Segment(**s) for s in data["segments"]]
    return Job(**data)
