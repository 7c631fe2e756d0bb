#!/usr/bin/python3
"""Write the seed corpus of fuzz_graph (tests/fuzz/corpus/graph/), in its input encoding.

One step: fmt index, width - 1 (u16 LE), height - 1, mode index, option bits (bit 0: original
model, 1: swap, 2: renormalize, 7: reuse the previous graph), strength * 4, convergence * 2 + 101,
threads (low bits: filter threads % 17, high bits: graph threads), frame count, then per frame
its flags (bits 0-2: log2 alignment, bit 3: negative linesize) and a content seed.
Indexes follow the tables of fuzz_graph.c.
"""

import pathlib
import struct

FMT = {n: i for i, n in enumerate(
    "gray yuv420p yuv422p yuv444p yuvj420p yuvj422p yuvj444p nv12 rgb24 bgr24 rgba bgra gbrp "
    "yuv420p10 yuv422p10 yuv444p10 p010 yuv410p yuv411p yuva420p nv21 gray16 ya8 rgb565 pal8 "
    "monob yuv420p12 gbrap rgb48 uyvy422 p016 yuv440p grayf32".split())}
MODE = {n: i for i, n in enumerate(
    "sbsl sbsr sbs2l sbs2r abl abr ab2l ab2r ml mr depth irl irr arcg arch arcc arcd "
    "sbs hsbs tb htb right".split())}


def step(fmt, w, h, mode, orig=0, swap=0, renorm=0, reuse=0, strength=1.0, conv=0.0,
         threads=1, graph_threads=1, frames=((6, 1),)):
    opt = orig | swap << 1 | renorm << 2 | reuse << 7
    b = bytes([FMT[fmt]]) + struct.pack("<H", w - 1) + bytes([
        h - 1, MODE[mode], opt, int(strength * 4), int(conv * 2 + 101),
        threads | (graph_threads - 1) << 5, len(frames)])
    return b + b"".join(bytes(f) for f in frames)


SEEDS = {
    "yuv420p-sbsl": [step("yuv420p", 96, 64, "sbsl", frames=((6, 1), (0, 2)))],
    "size-change": [step("yuv420p", 64, 32, "sbsl"), step("yuv420p", 66, 34, "sbsl", reuse=1)],
    "format-change": [step("rgb24", 48, 16, "abl"), step("yuv444p", 48, 16, "abl", reuse=1)],
    "unsupported-yuv410p-arcd": [step("yuv410p", 33, 17, "arcd", conv=12.5)],
    "wide-16384-depth": [step("gray", 16384, 1, "depth")],
    "tiny-1x1-ml": [step("gray", 1, 1, "ml"), step("yuv420p", 1, 1, "sbsl")],
    "threads16-nv12-irl-flipped": [step("nv12", 64, 48, "irl", threads=16, graph_threads=8,
                                        frames=((8 | 6, 3), (8, 4)))],
    "p010-abr-align1": [step("p010", 34, 20, "abr", orig=1, strength=2.5, frames=((0, 5),))],
    "odd-sbs2r-yuv422p10": [step("yuv422p10", 37, 9, "sbs2r", swap=1, renorm=1)],
    "rgba-arcc-swap": [step("rgba", 40, 30, "arcc", swap=1, conv=-20)],
    "gbrp-ab2l": [step("gbrp", 31, 33, "ab2l", renorm=1, strength=10)],
    "bgr24-irr-orig": [step("bgr24", 20, 11, "irr", orig=1)],
    "yuvj420p-arch": [step("yuvj420p", 30, 18, "arch", strength=0)],
    "yuv444p10-mr": [step("yuv444p10", 17, 5, "mr", conv=50)],
    "pal8-sbsr": [step("pal8", 24, 12, "sbsr")],
    "bgra-arcg-wide": [step("bgra", 8000, 2, "arcg")],
}

if __name__ == "__main__":
    out = pathlib.Path(__file__).resolve().parent / "corpus" / "graph"
    out.mkdir(parents=True, exist_ok=True)
    for name, steps in SEEDS.items():
        (out / name).write_bytes(b"".join(steps))
