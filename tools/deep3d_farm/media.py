"""What the farm needs to know about a source: every video frame's timestamp and keyframe flag,
read from packets with ffprobe (no decoding), and the file's start time and streams."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from fractions import Fraction


class MediaError(Exception):
    """The source cannot be planned: no video, missing timestamps, or ffprobe failed."""


@dataclass(frozen=True)
class VideoIndex:
    """Presentation-ordered timestamps (seconds, exact fractions) of the first video stream."""

    pts: tuple[Fraction, ...]
    keyframes: frozenset[int]  # indexes into pts of frames whose packet is a keyframe
    start_time: Fraction  # the file's start time (ffmpeg's -ss is relative to it)
    width: int
    height: int
    codec: str

    @property
    def frames(self) -> int:
        return len(self.pts)

    def frame_duration(self) -> Fraction:
        """Median step between frames: the nominal duration of one frame."""
        if len(self.pts) < 2:
            raise MediaError("the video has fewer than 2 frames")
        steps = sorted(b - a for a, b in zip(self.pts, self.pts[1:]))
        return steps[len(steps) // 2]

    def fps(self) -> float:
        return float(1 / self.frame_duration())

    def end_time(self) -> Fraction:
        """The end of the last frame."""
        return self.pts[-1] + self.frame_duration()


def run_json(cmd: list[str]) -> dict:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise MediaError(f"{' '.join(cmd[:1])} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    return json.loads(proc.stdout)


def parse_rational(text: str) -> Fraction:
    num, _, den = text.partition("/")
    return Fraction(int(num), int(den or 1))


def index_from_probe(probe: dict) -> VideoIndex:
    """Builds the index from `ffprobe -show_packets -show_streams -show_format` JSON of one video stream."""
    streams = probe.get("streams") or []
    if not streams:
        raise MediaError("the source has no video stream")
    st = streams[0]
    tb = parse_rational(st["time_base"])
    packets = probe.get("packets") or []
    if not packets:
        raise MediaError("the video stream has no packets")
    missing = sum(1 for p in packets if "pts" not in p)
    if missing:
        # MPEG-PS/ES carry a timestamp on some packets only; a guessed one would misplace a seam.
        raise MediaError(f"{missing} of {len(packets)} video packets have no timestamp: "
                         "remux the source first (ffmpeg -i IN -map 0 -c copy OUT.mkv)")
    order = sorted(range(len(packets)), key=lambda i: int(packets[i]["pts"]))
    pts = tuple(int(packets[i]["pts"]) * tb for i in order)
    if len(set(pts)) != len(pts):
        raise MediaError("two video packets share a timestamp")
    keys = frozenset(n for n, i in enumerate(order) if "K" in packets[i].get("flags", ""))
    start = probe.get("format", {}).get("start_time")
    return VideoIndex(pts=pts, keyframes=keys,
                      start_time=Fraction(start) if start not in (None, "N/A") else pts[0],
                      width=int(st.get("width", 0)), height=int(st.get("height", 0)),
                      codec=str(st.get("codec_name", "")))


def probe_video(ffprobe: str, path: str) -> VideoIndex:
    return index_from_probe(run_json([
        ffprobe, "-v", "error", "-select_streams", "v:0", "-show_streams", "-show_format",
        "-show_entries", "packet=pts,flags", "-of", "json", path]))


def probe_streams(ffprobe: str, path: str) -> list[dict]:
    """Every stream of a file (index, codec_type, codec_name, tags...)."""
    return run_json([ffprobe, "-v", "error", "-show_streams", "-of", "json", path]).get("streams", [])


def count_video_packets(ffprobe: str, path: str) -> int:
    out = run_json([ffprobe, "-v", "error", "-select_streams", "v:0", "-count_packets",
                    "-show_entries", "stream=nb_read_packets", "-of", "json", path])
    streams = out.get("streams") or []
    if not streams:
        raise MediaError(f"{path} has no video stream")
    return int(streams[0]["nb_read_packets"])
