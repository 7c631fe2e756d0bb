#!/usr/bin/python3
"""Write the seed corpus of fuzz_depthmap (tests/fuzz/corpus/depthmap/): byte 0 picks the
width (1 + b % 16), the rest is the map as float32 little-endian."""

import pathlib

import numpy as np

OUT = pathlib.Path(__file__).parent / "corpus" / "depthmap"


def seed(name: str, w: int, values) -> None:
    (OUT / name).write_bytes(bytes([w - 1]) + np.asarray(values, "<f4").tobytes())


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(15)
    seed("ramp-8x4", 8, np.arange(32))
    seed("ties-4x4", 4, [0, 0, 1, 1] * 4)
    seed("flat-3x3", 3, [2.5] * 9)
    seed("normal-16x8", 16, rng.normal(size=128))
    seed("huge-4x2", 4, [3e38, -3e38, 1, 0, 2e38, -1e38, 5, 7])
    seed("tiny-4x2", 4, [1e-45, 0, 1e-38, 2e-45, 0, 0, 1e-45, 3e-45])
    seed("nan-2x2", 2, [0, np.nan, 1, 2])
    seed("inf-2x2", 2, [0, 1, np.inf, 2])


if __name__ == "__main__":
    main()
