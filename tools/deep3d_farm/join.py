"""The join: the segments' video through the concat demuxer (no re-encoding), every other stream,
the chapters and the metadata from the source (mapped once), stereo metadata on the result; then
a check that no frame was lost or duplicated and that every stream kept its place in time."""

from __future__ import annotations

import json
import os
import subprocess
from fractions import Fraction

from deep3d_farm.jobspec import Job
from deep3d_farm.media import parse_rational, probe_streams, run_json

MUXERS = {".mkv": "matroska", ".mka": "matroska", ".webm": "webm", ".mp4": "mp4", ".mov": "mov",
          ".nut": "nut", ".ts": "mpegts"}


class JoinError(Exception):
    pass


def quote(path: str) -> str:
    """A path in ffconcat syntax: single-quoted, a quote written as '\\''."""
    return "'" + path.replace("'", "'\\''") + "'"


def concat_list(job: Job) -> str:
    lines = ["ffconcat version 1.0"]
    for seg in job.segments:
        lines.append(f"file {quote(os.path.abspath(job.segment_file(seg.index)))}")
        if seg.duration:
            # The exact span to the next segment's first frame: places the next segment.
            lines.append(f"duration {seg.duration}")
    return "\n".join(lines) + "\n"


def muxer_for(output: str) -> str:
    ext = os.path.splitext(output)[1].lower()
    if ext not in MUXERS:
        raise JoinError(f"output {output}: unknown container (use one of {', '.join(sorted(MUXERS))})")
    return MUXERS[ext]


def command(job: Job, list_path: str, out: str, source_streams: list[dict]) -> list[str]:
    """source_streams: the source's streams (ffprobe), for the per-stream metadata map."""
    muxer = muxer_for(job.output)
    offset = Fraction(job.video_start)
    # -copyts keeps the source's timeline (streams, chapters); the segments start at 0, so the
    # video is moved to where the source's first frame was.
    cmd = [job.ffmpeg, "-nostdin", "-hide_banner", "-nostats", "-loglevel", "warning", "-y", "-copyts"]
    if offset:
        cmd += ["-itsoffset", f"{float(offset):.9f}"]
    cmd += ["-f", "concat", "-safe", "0", "-i", list_path, "-i", job.source,
            "-map", "0:v:0", "-map", "1", "-map", "-1:V",
            "-map_metadata", "1", "-map_chapters", "1", "-c", "copy"]
    # Stream tags (language, title) from the source stream each output stream stands for; an
    # explicit map for one stream turns off ffmpeg's automatic copy for all, so map each.
    video = [s for s in source_streams if s["codec_type"] == "video" and not s.get("disposition", {}).get("attached_pic")]
    others = [s for s in source_streams if s not in video[:1]]
    if video:
        cmd += ["-map_metadata:s:0", f"1:s:{video[0]['index']}"]
    for k, s in enumerate(others, start=1):
        cmd += [f"-map_metadata:s:{k}", f"1:s:{s['index']}"]
    if muxer in ("matroska", "webm"):
        cmd += ["-metadata:s:v:0", f"stereo_mode={job.stereo_mode}"]
    cmd += ["-f", muxer, out]
    return cmd


def packet_times(ffprobe: str, path: str) -> tuple[list[dict], dict[int, list[Fraction]]]:
    """Streams and every packet's pts (seconds) per stream index, in file order."""
    probe = run_json([ffprobe, "-v", "error", "-show_streams", "-show_entries", "packet=stream_index,pts",
                      "-of", "json", path])
    streams = probe.get("streams", [])
    tbs = {s["index"]: parse_rational(s["time_base"]) for s in streams}
    times: dict[int, list[Fraction]] = {i: [] for i in tbs}
    for p in probe.get("packets", []):
        if "pts" in p:
            times[p["stream_index"]].append(int(p["pts"]) * tbs[p["stream_index"]])
    return streams, times


def verify(job: Job, joined: str) -> dict:
    """Checks the joined file against the source: the same number of video frames at the same
    times (relative to the first), and every other stream at the same offset from the video.
    Tolerance: one tick of the joined stream's time base (rounding of the rescale)."""
    src_streams, src_times = packet_times(job.ffprobe, job.source)
    out_streams, out_times = packet_times(job.ffprobe, joined)
    src_v = next(s["index"] for s in src_streams if s["codec_type"] == "video"
                 and not s.get("disposition", {}).get("attached_pic"))
    out_v = next(s["index"] for s in out_streams if s["codec_type"] == "video")
    tb = {s["index"]: parse_rational(s["time_base"]) for s in out_streams}
    sv, ov = sorted(src_times[src_v]), sorted(out_times[out_v])
    if len(ov) != len(sv):
        raise JoinError(f"joined video has {len(ov)} frames, the source {len(sv)}")
    worst = max((abs((o - ov[0]) - (s - sv[0])) for o, s in zip(ov, sv)), default=Fraction(0))
    if worst > tb[out_v]:
        raise JoinError(f"joined video timestamps differ from the source's by up to {float(worst):.6f} s")
    others = [s for s in src_streams if s["index"] != src_v]
    out_others = [s for s in out_streams if s["index"] != out_v]
    if [s["codec_type"] for s in others] != [s["codec_type"] for s in out_others]:
        raise JoinError("the joined file does not carry the source's other streams in order")
    offsets = {}
    for s, o in zip(others, out_others):
        a, b = src_times[s["index"]], out_times[o["index"]]
        if len(a) != len(b):
            raise JoinError(f"stream {o['index']} ({o['codec_type']}): {len(b)} packets, the source has {len(a)}")
        if a:
            drift = abs((min(b) - ov[0]) - (min(a) - sv[0]))
            if drift > tb[o["index"]] + tb[out_v]:
                raise JoinError(f"stream {o['index']} ({o['codec_type']}) moved by {float(drift):.6f} s against the video")
            offsets[o["index"]] = float(drift)
    return {"frames": len(ov), "max_video_ts_error_s": float(worst), "stream_offset_error_s": offsets}


def join(job: Job) -> dict:
    list_path = job.path("segments.ffconcat")
    with open(list_path, "w") as f:
        f.write(concat_list(job))
    part = job.output + ".part"
    proc = subprocess.run(command(job, list_path, part, probe_streams(job.ffprobe, job.source)))
    if proc.returncode != 0:
        raise JoinError(f"ffmpeg join failed ({proc.returncode})")
    report = verify(job, part)
    os.replace(part, job.output)
    with open(job.path("join.done.json"), "w") as f:
        json.dump(report, f, indent=1)
    return report
