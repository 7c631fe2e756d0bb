"""Throughput of the pair generator and of one training step, on the CPU or a GPU.

Usage: python3 tools/d3train/bench_synth.py [--device auto] [--size 384x192] [--batch 8] [--threads 1]
                                            [--train-size 256x160] [--train-batch 8]
Prints one JSON line: pairs_per_s (generator alone) and train_samples_per_s (forward, backward
and Adam on pre-generated pairs, no generation), with the settings.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch

from d3train import losses
from d3train.model import Arch, Deep3DNet, flops_per_frame, preprocess
from d3train.selection import render_net_res
from d3train.synth import StereoSynth, SynthConfig, measure
from d3train.textures import DEFAULT_PACK, TextureAtlas, load_pack


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="auto")
    p.add_argument("--size", default="384x192")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--ssaa", type=int, default=1)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--train-size", default="256x160")
    p.add_argument("--train-batch", type=int, default=8)
    p.add_argument("--train-steps", type=int, default=5)
    p.add_argument("--textures", default=DEFAULT_PACK)
    p.add_argument("--profile", type=int, default=0, metavar="N",
                   help="print the N most expensive operators of one generator batch (torch.profiler) to stderr")
    a = p.parse_args(argv)
    dev = torch.device("cuda" if a.device == "auto" and torch.cuda.is_available() else
                       ("cpu" if a.device == "auto" else a.device))
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    atlas = TextureAtlas(load_pack(a.textures), dev)
    w, h = (int(v) for v in a.size.split("x"))
    syn = StereoSynth(atlas, SynthConfig(width=w, height=h, ssaa=a.ssaa), seed=1)
    pairs_s = measure(syn, a.batch, a.reps)
    if a.profile > 0:
        from torch.profiler import ProfilerActivity, profile
        acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if dev.type == "cuda" else [])
        with profile(activities=acts, with_stack=False) as prof:
            syn.sample(a.batch)
            sync()
        key = "self_cuda_time_total" if dev.type == "cuda" else "self_cpu_time_total"
        print(prof.key_averages().table(sort_by=key, row_limit=a.profile), file=sys.stderr)
    res: dict[str, object] = {"device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
                              "threads": torch.get_num_threads(), "size": a.size, "batch": a.batch, "ssaa": a.ssaa,
                              "pairs_per_s": round(pairs_s, 2)}
    if a.train_steps > 0:
        tw, th = (int(v) for v in a.train_size.split("x"))
        arch = Arch(input_width=tw, input_height=th, disparity_width=tw)
        spec = arch.spec()
        net = Deep3DNet(spec).to(dev)
        opt = torch.optim.Adam(net.parameters(), lr=1e-4)
        data = StereoSynth(atlas, SynthConfig(width=tw, height=th), seed=2).sample(a.train_batch)
        mask = losses.column_mask(tw, 9, dev)
        amp = dev.type == "cuda"
        dt = torch.bfloat16 if amp and torch.cuda.is_bf16_supported() else torch.float16

        def step() -> None:
            if amp:
                with torch.autocast(device_type="cuda", dtype=dt):
                    logits = net(preprocess(spec, data["left"]))
            else:
                logits = net(preprocess(spec, data["left"]))
            P = torch.softmax(logits.float(), 1)
            loss = losses.view_l1(render_net_res(P, data["left"], spec.disparity_min, tw), data["right"], mask)
            opt.zero_grad()
            loss.backward()
            opt.step()

        step()
        sync()
        t0 = time.perf_counter()
        for _ in range(a.train_steps):
            step()
        sync()
        res.update(train_size=a.train_size, train_batch=a.train_batch,
                   gflop_per_frame=round(flops_per_frame(spec) / 1e9, 3),
                   train_samples_per_s=round(a.train_batch * a.train_steps / (time.perf_counter() - t0), 2))
    print(json.dumps(res), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
