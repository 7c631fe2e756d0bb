"""Builds the job: probes the source, finds scene cuts and keyframes, places the boundaries
(plan.py) and turns each segment into the timestamps its command and the join need."""

from __future__ import annotations

import os
from fractions import Fraction

from deep3d_farm import filteropts, plan, scenecuts
from deep3d_farm.jobspec import Job, Segment
from deep3d_farm.media import VideoIndex

SEEK_MARGIN = Fraction(1)  # seconds: some demuxers land after the asked time; the trims cut exactly


def seconds(t: Fraction) -> str:
    """Seconds to 9 decimals (ffmpeg parses microseconds; trims sit half a frame from any frame)."""
    ns = round(t * 10**9)
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    return f"{sign}{ns // 10**9}.{ns % 10**9:09d}"


def midpoint(index: VideoIndex, frame: int) -> Fraction:
    """The time halfway between frame - 1 and frame."""
    return (index.pts[frame - 1] + index.pts[frame]) / 2


def segment(index: VideoIndex, i: int, start: int, end: int, kind: str, warmup: int) -> Segment:
    n = index.frames
    warm = max(0, start - warmup)
    seek = midpoint(index, warm) - index.start_time - SEEK_MARGIN if warm else Fraction(0)
    return Segment(
        index=i, start=start, end=end, warm_start=warm, kind=kind,
        seek=seconds(seek) if seek > 0 else "",
        trim_warm=seconds(midpoint(index, warm)) if warm else "",
        trim_start=seconds(midpoint(index, start)) if start else "",
        trim_end=seconds(midpoint(index, end)) if end < n else "",
        duration=seconds(index.pts[end] - index.pts[start]) if end < n else "")


def segments(index: VideoIndex, count: int, slots: int, warmup: int, cuts: list[int],
             window_frac: float = 0.1, starts: list[int] | None = None) -> list[Segment]:
    """The plan: `count` segments balanced over `slots` workers, or segments at `starts`."""
    if starts:
        bounds = plan.given(index.frames, starts, cuts, sorted(index.keyframes))
    else:
        lengths = plan.lane_lengths(index.frames, count, slots, warmup)
        window = window_frac * index.frames / count
        bounds = plan.boundaries(index.frames, lengths, cuts, sorted(index.keyframes), window)
    ends = [b.frame for b in bounds[1:]] + [index.frames]
    return [segment(index, i, b.frame, e, b.kind, warmup) for i, (b, e) in enumerate(zip(bounds, ends))]


def build(index: VideoIndex, *, source: str, output: str, workdir: str, ffmpeg: str, ffprobe: str,
          filter_options: str, video_codec: list[str], segment_format: str, count: int, slots: int,
          warmup_seconds: float, find_cuts: bool, device: str, gpus: list[str], hwaccel: bool,
          threads: int, starts: list[int] | None = None) -> Job:
    options = filteropts.parse(filter_options)
    warmup = filteropts.warmup_frames(options, index.fps(), warmup_seconds)
    cuts: list[int] = []
    threshold = float(options.get("scenecut", 20))
    if find_cuts and threshold > 0:
        cuts = plan.scene_cuts(scenecuts.distances(ffmpeg, source), threshold)
    job = Job(source=os.path.abspath(source), output=os.path.abspath(output), workdir=os.path.abspath(workdir),
              ffmpeg=ffmpeg, ffprobe=ffprobe, filter_options=filter_options,
              stereo_mode=filteropts.stereo_mode(options), video_codec=video_codec,
              segment_format=segment_format, source_frames=index.frames,
              source_start=str(index.start_time), video_start=str(index.pts[0]), fps=index.fps(),
              device=device, gpus=gpus, hwaccel=hwaccel, threads=threads)
    job.segments = segments(index, count, slots, warmup, cuts, starts=starts)
    return job
