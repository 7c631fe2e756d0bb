"""Segment planning: where to cut a film so that segments run in parallel, end together, and
join without a visible seam. Pure functions of frame counts, scene cuts and keyframes."""

from __future__ import annotations

from dataclasses import dataclass


class PlanError(ValueError):
    pass


@dataclass(frozen=True)
class Boundary:
    frame: int  # first frame of the segment that starts here
    kind: str  # "cut" (a scene cut: the filter resets there), "keyframe" or "frame"


def lane_lengths(total: int, segments: int, slots: int, warmup: int = 0) -> list[float]:
    """Ideal segment lengths, in the order the scheduler starts them, so that `slots` workers
    taking segments in that order all finish together.

    Each worker gets a lane of equal work cut into equal pieces (lanes differ by at most one
    piece); a piece's work is its frames plus `warmup` frames, except for the film's first
    segment, which has nothing to warm up on. Pieces are ordered by the time their lane reaches
    them, which is the order a FIFO scheduler hands them out. 3 segments on 2 slots without
    warm-up: [1/4, 1/2, 1/4], not thirds, which would leave one worker idle for the last third."""
    if segments < 1 or slots < 1:
        raise PlanError("segments and slots must be at least 1")
    if total < segments:
        raise PlanError(f"{segments} segments need at least {segments} frames, the film has {total}")
    lanes = min(slots, segments)
    pieces = [segments // lanes + (1 if j < segments % lanes else 0) for j in range(lanes)]
    lane_work = (total + warmup * (segments - 1)) / lanes
    starts = []
    for j, k in enumerate(pieces):
        work = lane_work / k
        for p in range(k):
            first = j == 0 and p == 0  # the film's first segment starts first, in lane 0
            # (start time within the lane, lane, frames): ties go to the lower lane
            starts.append((p * work, j, work if first else work - warmup))
    starts.sort()
    lengths = [length for _, _, length in starts]
    if min(lengths) < 1:
        raise PlanError(f"a {warmup}-frame warm-up leaves no frames in some of {segments} segments: "
                        "use fewer segments or a shorter warm-up")
    return lengths


def snap(ideal: float, cuts: list[int], keyframes: list[int], window: float, lo: int, hi: int) -> Boundary:
    """The boundary for an ideal position: the nearest scene cut within `window` frames, else the
    nearest keyframe within it, else the ideal frame itself; always within [lo, hi]."""
    for kind, frames in (("cut", cuts), ("keyframe", keyframes)):
        near = [f for f in frames if lo <= f <= hi and abs(f - ideal) <= window]
        if near:
            return Boundary(min(near, key=lambda f: (abs(f - ideal), f)), kind)
    return Boundary(min(max(round(ideal), lo), hi), "frame")


def boundaries(total: int, lengths: list[float], cuts: list[int], keyframes: list[int],
               window: float) -> list[Boundary]:
    """Segment starts (the first is frame 0) for ideal lengths, each snapped by `snap`, every
    segment at least one frame long."""
    out = [Boundary(0, "start")]
    pos = 0.0
    n = len(lengths)
    for i, length in enumerate(lengths[:-1]):
        pos += length
        lo = out[-1].frame + 1
        hi = total - (n - 1 - i)  # leave one frame for each segment after this one
        out.append(snap(pos, cuts, keyframes, window, lo, hi))
    return out


def given(total: int, starts: list[int], cuts: list[int], keyframes: list[int]) -> list[Boundary]:
    """Boundaries at frames the user chose (after frame 0), each named by what it falls on."""
    if sorted(set(starts)) != starts or not all(0 < f < total for f in starts):
        raise PlanError(f"segment starts must increase strictly within 1..{total - 1}: {starts}")
    cut, key = set(cuts), set(keyframes)
    return [Boundary(0, "start")] + [Boundary(f, "cut" if f in cut else "keyframe" if f in key else "frame")
                                     for f in starts]


def scene_cuts(distances: list[float], threshold: float) -> list[int]:
    """Frames whose distance to the previous frame exceeds the threshold (distances[i] is the
    distance of frame i + 1 to frame i), the rule of the filter's `scenecut` option."""
    return [i + 1 for i, d in enumerate(distances) if d > threshold]
