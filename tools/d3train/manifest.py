"""The list of stereo films to train on.

One film per line, fields separated by tabs or spaces (a path with spaces needs tabs):

    PATH  LAYOUT  [SPLIT]

LAYOUT is a sbs_reader layout (sbs, hsbs, tb, htb, or the eye-swapped sbsr, hsbsr, tbr, htbr);
SPLIT is `train` (default) or `val` (held out: never trained on, scored during training).
Relative paths are relative to the manifest's folder. `#` starts a comment. A 3D Blu-ray's MVC
stream must first be decoded to a full side-by-side file (FFmpeg decodes no H.264 MVC); frame-
packed or MV-HEVC sources likewise go through a decoder that writes one of these layouts.

`python3 tools/d3train/manifest.py FOLDER --layout hsbs [--val 2] > films.tsv` lists the video
files of a folder, the last --val of them (sorted by name) held out.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from d3train.sbs_reader import LAYOUTS

SPLITS = ("train", "val")
VIDEO_EXTENSIONS = (".mkv", ".mp4", ".m2ts", ".mts", ".ts", ".mov", ".avi", ".webm", ".mpg")


@dataclass(frozen=True)
class Film:
    path: str
    layout: str
    split: str = "train"

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise ValueError(f"{self.path}: layout {self.layout!r}, want one of {', '.join(LAYOUTS)}")
        if self.split not in SPLITS:
            raise ValueError(f"{self.path}: split {self.split!r}, want train or val")


def parse_manifest(text: str, base: str = ".") -> list[Film]:
    films = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split("\t") if "\t" in line else line.split()
        fields = [f.strip() for f in fields if f.strip()]
        if len(fields) not in (2, 3):
            raise ValueError(f"manifest line {n}: want PATH LAYOUT [SPLIT], got {raw!r}")
        path = fields[0] if os.path.isabs(fields[0]) else os.path.join(base, fields[0])
        try:
            films.append(Film(path, fields[1], fields[2] if len(fields) == 3 else "train"))
        except ValueError as e:
            raise ValueError(f"manifest line {n}: {e}") from None
    if not films:
        raise ValueError("manifest: no films listed")
    return films


def read_manifest(path: str) -> list[Film]:
    with open(path, encoding="utf-8") as f:
        films = parse_manifest(f.read(), os.path.dirname(os.path.abspath(path)))
    missing = [f.path for f in films if not os.path.isfile(f.path)]
    if missing:
        raise ValueError(f"{path}: no such file: {', '.join(missing[:5])}")
    return films


def scan_folder(folder: str, layout: str, val: int = 0) -> list[Film]:
    names = sorted(n for n in os.listdir(folder) if n.lower().endswith(VIDEO_EXTENSIONS))
    if val >= len(names) > 0:
        raise ValueError(f"{folder}: {len(names)} films, cannot hold out {val}")
    return [Film(os.path.join(folder, n), layout, "val" if i >= len(names) - val else "train")
            for i, n in enumerate(names)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Write a training manifest for a folder of stereo films.")
    p.add_argument("folder")
    p.add_argument("--layout", required=True, choices=sorted(LAYOUTS))
    p.add_argument("--val", type=int, default=0, help="hold out the last N films for validation")
    a = p.parse_args(argv)
    for f in scan_folder(a.folder, a.layout, a.val):
        print(f"{os.path.abspath(f.path)}\t{f.layout}\t{f.split}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
