"""The deep3d options that matter to a farm: the stereo layout (for the container's stereo
metadata) and the temporal state's memory (for the warm-up length)."""

from __future__ import annotations

import math

# Matroska StereoMode names (the matroska muxer's stereo_mode tag) of each deep3d mode; the
# aliases follow README.md, "Layouts".
STEREO_MODE = {
    "sbsl": "left_right", "sbs": "left_right", "sbs2l": "left_right", "hsbs": "left_right",
    "sbsr": "right_left", "sbs2r": "right_left",
    "abl": "top_bottom", "tb": "top_bottom", "tbl": "top_bottom", "ab2l": "top_bottom",
    "htb": "top_bottom", "tb2l": "top_bottom",
    "abr": "bottom_top", "tbr": "bottom_top", "ab2r": "bottom_top", "tb2r": "bottom_top",
    "irl": "row_interleaved_lr", "irr": "row_interleaved_rl",
    "ml": "mono", "mr": "mono", "right": "mono", "depth": "mono",
    "arcg": "anaglyph_cyan_red", "arch": "anaglyph_cyan_red", "arcc": "anaglyph_cyan_red",
    "arcd": "anaglyph_cyan_red",
}

# The filter's defaults (README.md, "Options").
DEFAULT_SMOOTH = 8.0
DEFAULT_CONV_SMOOTH = 12.0
# Frames of warm-up per frame of time constant: the state's difference from a single pass decays
# as exp(-n / T); measured on the city clip (docs/farm.md, "What the seams cost"), 4 T left at
# most one 8-bit step, so 6 T keeps a margin.
WARMUP_TIME_CONSTANTS = 6.0


class FilterOptionError(ValueError):
    pass


def parse(options: str) -> dict[str, str]:
    """`key=value:key=value` (FFmpeg's filter option syntax, without escapes) into a dict."""
    out: dict[str, str] = {}
    if not options:
        return out
    for item in options.split(":"):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise FilterOptionError(f"deep3d option '{item}' is not key=value")
        if key in out:
            raise FilterOptionError(f"deep3d option '{key}' given twice")
        out[key] = value
    return out


def stereo_mode(options: dict[str, str]) -> str:
    mode = options.get("mode", "sbsl")
    if mode not in STEREO_MODE:
        raise FilterOptionError(f"unknown deep3d mode '{mode}'")
    return STEREO_MODE[mode]


def _number(options: dict[str, str], key: str, default: float) -> float:
    try:
        value = float(options.get(key, default))
    except ValueError as e:
        raise FilterOptionError(f"deep3d option {key}={options[key]} is not a number") from e
    if not math.isfinite(value) or value < 0:
        raise FilterOptionError(f"deep3d option {key}={options[key]} is out of range")
    return value


def memory_frames(options: dict[str, str]) -> float:
    """The longest time constant of the filter's temporal state, in frames (0: stateless)."""
    memory = _number(options, "smooth", DEFAULT_SMOOTH)
    if options.get("convergence") == "auto":
        memory = max(memory, _number(options, "conv_smooth", DEFAULT_CONV_SMOOTH))
    return memory


def warmup_frames(options: dict[str, str], fps: float, min_seconds: float) -> int:
    """Frames to convert and drop before each segment: at least min_seconds, and at least
    WARMUP_TIME_CONSTANTS time constants of the filter's state."""
    return max(math.ceil(min_seconds * fps), math.ceil(WARMUP_TIME_CONSTANTS * memory_frames(options)))
