"""Train a deep3d `fcn` model on procedural stereo pairs (or on the user's own 3D videos) and export it.

CPU or CUDA is chosen automatically (--device to force); on CUDA the network runs under
autocast (bf16 where supported, else fp16 with loss scaling) and the pairs are generated on
the GPU. The loss is L1 between the rendered and the true right view (Deep3D's loss), plus
optional terms: --w-grad (image-gradient L1), --w-sup (cross-entropy against the generator's
true disparity; synthetic data only), --w-smooth (edge-aware smoothness). The learning rate
follows a cosine from --lr to 0 over the budget (--minutes of wall time, or --steps).
Checkpoints go to OUT/checkpoint.pt every --ckpt-every seconds; --resume continues one (the
budget counts the time already spent). At the end the model is exported to OUT/model.safetensors.

Examples:
  python3 tools/d3train/train.py --out _build/train/run1 --minutes 20 --threads 1
  python3 tools/d3train/train.py --out OUT --minutes 8 --batch 128          # on a GPU
  python3 tools/d3train/train.py --out OUT --minutes 60 --sbs film.mkv:hsbs --sbs other.mkv:tb
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import shlex
import subprocess
import sys
import time
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np
import torch

from d3train import losses, paths
from d3train.export import export_model
from d3train.model import Arch, Deep3DNet, count_parameters, flops_per_frame, preprocess
from d3train.selection import render_net_res
from d3train.synth import StereoSynth, SynthConfig
from d3train.textures import DEFAULT_PACK, TextureAtlas, load_pack
from deep3d_ref import parse_spec


def _ints(s: str) -> tuple[int, ...]:
    return tuple(int(v) for v in s.split(","))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--out", required=True, help="output folder (checkpoint, log, model)")
    p.add_argument("--minutes", type=float, default=10.0, help="wall-time budget of the whole run")
    p.add_argument("--steps", type=int, default=0, help="stop after this many steps (0: time only)")
    p.add_argument("--batch", type=int, default=0, help="default: 8 on CPU, 96 on CUDA")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument("--resume", action="store_true", help="continue OUT/checkpoint.pt")
    p.add_argument("--init", help="start from the weights of an fcn model file")
    # Architecture (written into the model file).
    p.add_argument("--input", default="256x160", help="network input WxH (multiples of 32)")
    p.add_argument("--channels", type=_ints, default=(16, 32, 64, 96, 128))
    p.add_argument("--convs", type=_ints, default=(1, 1, 2, 1, 1))
    p.add_argument("--disparity", default="-8:8", help="plane shifts MIN:MAX in pixels at --disparity-width")
    p.add_argument("--disparity-width", type=int, default=0, help="default: the input width")
    # Loss.
    p.add_argument("--w-grad", type=float, default=0.0)
    p.add_argument("--w-sup", type=float, default=0.0)
    p.add_argument("--w-smooth", type=float, default=0.0)
    # Data.
    p.add_argument("--textures", default=DEFAULT_PACK)
    p.add_argument("--span", type=float, default=0.025, help="5-95%% disparity span, fraction of the width")
    p.add_argument("--ssaa", type=int, default=1, help="generator supersampling per axis")
    p.add_argument("--fresh", type=int, default=0,
                   help="new pairs per step (default: the batch on CUDA, batch/4 on CPU, reusing a pool)")
    p.add_argument("--pool", type=int, default=128, help="pairs kept for reuse when --fresh < --batch")
    p.add_argument("--sbs", action="append", default=[], metavar="VIDEO:LAYOUT",
                   help="train on a stereo video instead (repeatable); LAYOUT sbs, hsbs, tb, htb, ...")
    p.add_argument("--sbs-step", type=int, default=6, help="keep every n-th frame of the videos")
    # Bookkeeping.
    p.add_argument("--val", type=int, default=32, help="held-out synthetic pairs for validation")
    p.add_argument("--log-every", type=float, default=30.0, help="seconds")
    p.add_argument("--val-every", type=float, default=120.0, help="seconds")
    p.add_argument("--ckpt-every", type=float, default=300.0, help="seconds")
    p.add_argument("--compile", action="store_true", help="torch.compile the network (torch >= 2, CUDA)")
    return p.parse_args(argv)


class Logger:
    def __init__(self, path: str) -> None:
        self.f = open(path, "a", encoding="utf-8")

    def __call__(self, **kw: Any) -> None:
        line = json.dumps(kw, sort_keys=False)
        print(line, flush=True)
        self.f.write(line + "\n")
        self.f.flush()


class PairSource:
    """Training batches: synthetic pairs (with disparity) generated on the device, optionally
    through a reuse pool, or pairs from stereo videos held in memory."""

    def __init__(self, args: argparse.Namespace, device: torch.device, width: int, height: int,
                 range_frac: float) -> None:
        self.device = device
        self.batch = args.batch
        self.has_disp = not args.sbs
        self.gen = torch.Generator(device="cpu").manual_seed(args.seed + 7)
        if args.sbs:
            from d3train.sbs_reader import SbsSource, load_pairs
            srcs = []
            for item in args.sbs:
                path, _, layout = item.rpartition(":")
                srcs.append(SbsSource(path, layout, width, height, args.sbs_step))
            L, R = load_pairs(srcs)
            self.L = torch.from_numpy(L).permute(0, 3, 1, 2).contiguous()  # uint8, on the host
            self.R = torch.from_numpy(R).permute(0, 3, 1, 2).contiguous()
            self.synth = None
        else:
            self.atlas = TextureAtlas(load_pack(args.textures), device)
            cfg = SynthConfig(width=width, height=height, span_frac=args.span, range_frac=range_frac, ssaa=args.ssaa)
            self.synth = StereoSynth(self.atlas, cfg, seed=args.seed)
            self.fresh = args.fresh or (self.batch if device.type == "cuda" else max(1, self.batch // 4))
            self.pool: dict[str, torch.Tensor] | None = None
            self.pool_size = max(args.pool, self.batch)
        self.gen_seconds = 0.0
        self.generated = 0

    def _timed_sample(self, n: int) -> dict[str, torch.Tensor]:
        assert self.synth is not None
        t0 = time.perf_counter()
        # On the CPU small batches generate faster (memory traffic); on a GPU one call.
        chunk = n if self.device.type == "cuda" else 8
        parts = [self.synth.sample(min(chunk, n - i)) for i in range(0, n, chunk)]
        out = {k: torch.cat([p[k] for p in parts]) for k in parts[0]}
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        self.gen_seconds += time.perf_counter() - t0
        self.generated += n
        return out

    def next(self) -> dict[str, torch.Tensor]:
        if self.synth is None:
            idx = torch.randint(0, len(self.L), (self.batch,), generator=self.gen)
            L = self.L[idx].to(self.device).float() / 255
            R = self.R[idx].to(self.device).float() / 255
            flip = (torch.rand(self.batch, 1, 1, 1, generator=self.gen) < 0.5).to(self.device)
            return {"left": torch.where(flip, R.flip(-1), L), "right": torch.where(flip, L.flip(-1), R)}
        if self.fresh >= self.batch:
            return self._timed_sample(self.batch)
        if self.pool is None:
            self.pool = self._timed_sample(self.pool_size)
        new = self._timed_sample(self.fresh)
        slots = torch.randperm(self.pool_size, generator=self.gen)[:self.fresh].to(self.device)
        for k in self.pool:
            self.pool[k][slots] = new[k]
        idx = torch.randperm(self.pool_size, generator=self.gen)[:self.batch].to(self.device)
        return {k: v[idx] for k, v in self.pool.items()}


def evaluate(net: Deep3DNet, val: dict[str, torch.Tensor], mask: torch.Tensor, dw: int) -> dict[str, float]:
    spec = net.spec
    net.eval()
    out: dict[str, float] = {}
    with torch.no_grad():
        Ps = []
        for i in range(0, val["left"].shape[0], 8):
            Ps.append(net.probabilities(preprocess(spec, val["left"][i:i + 8])))
        P = torch.cat(Ps)
        R = render_net_res(P, val["left"], spec.disparity_min, dw)
        out["val_l1"] = float(losses.view_l1(R, val["right"], mask))
        out["val_l1_identity"] = float(losses.view_l1(val["left"], val["right"], mask))
        out["val_disp_mae_px"] = float(losses.disparity_mae(P, val["disp_right"], spec.disparity_min, dw))
        # A constant at the true median (0 after normalisation) for scale.
        out["val_disp_mae_zero_px"] = float(val["disp_right"].abs().mean())
        out["val_entropy"] = float(-(P * P.clamp_min(1e-12).log()).sum(1).mean())
    net.train()
    return out


def _git_commit() -> str:
    try:
        return subprocess.run(["git", "-C", str(paths.REPO_DIR), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    t_start = time.perf_counter()
    dev_name = args.device
    if dev_name == "auto":
        dev_name = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(dev_name)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    if args.batch <= 0:
        args.batch = 96 if device.type == "cuda" else 8
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    log = Logger(os.path.join(args.out, "train.log"))

    w, h = (int(v) for v in args.input.lower().split("x"))
    dmin, dmax = (int(v) for v in args.disparity.split(":"))
    dw = args.disparity_width or w
    arch = Arch(w, h, tuple(args.channels), tuple(args.convs), dmin, dmax, dw)  # type: ignore[arg-type]
    spec = arch.spec()
    net = Deep3DNet(spec)
    net.reset_parameters(args.seed)
    if args.init:
        from d3train.export import import_model
        src = import_model(args.init)
        if src.spec != spec:
            raise SystemExit(f"train: --init {args.init} has another architecture: {src.spec}")
        net.load_file_tensors(src.file_tensors())
    net.to(device)
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    use_amp = device.type == "cuda"
    amp_dtype = torch.bfloat16 if use_amp and torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.cuda.amp.GradScaler(enabled=use_amp and amp_dtype == torch.float16)
    fwd = net
    if args.compile and hasattr(torch, "compile"):
        fwd = torch.compile(net)  # type: ignore[assignment]

    ckpt_path = os.path.join(args.out, "checkpoint.pt")
    step, samples, spent = 0, 0, 0.0
    if args.resume and os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location=device)
        if parse_spec(ck["metadata"]) != spec:
            raise SystemExit("train: --resume: the checkpoint has another architecture")
        net.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        step, samples, spent = ck["step"], ck["samples"], ck["seconds"]
        torch.set_rng_state(ck["rng_cpu"])
        args.seed = args.seed + step  # fresh data after a resume, still deterministic
        log(event="resume", step=step, samples=samples, seconds=round(spent, 1))

    range_frac = max(-dmin, dmax) / dw
    data = PairSource(args, device, w, h, range_frac)
    if args.val > 0:
        vcfg = SynthConfig(width=w, height=h, span_frac=args.span, range_frac=range_frac, ssaa=args.ssaa)
        vatlas = data.atlas if data.synth is not None else TextureAtlas(load_pack(args.textures), device)
        val = StereoSynth(vatlas, vcfg, seed=12345).sample(args.val)
    margin = int(math.ceil(max(-dmin, dmax) * w / dw)) + 1
    mask = losses.column_mask(w, margin, device)
    gflop = flops_per_frame(spec) / 1e9
    log(event="start", device=str(device), torch=torch.__version__, amp=str(amp_dtype) if use_amp else "off",
        threads=torch.get_num_threads(), batch=args.batch, params=count_parameters(spec), gflop_per_frame=round(gflop, 3),
        arch=spec.to_metadata(), args=vars(args), setup_s=round(time.perf_counter() - t_start, 1))

    budget = args.minutes * 60.0
    t0 = time.perf_counter()
    last_log = last_val = last_ckpt = t0
    val_step = -1
    win_samples, win_t = 0, t0
    sums: dict[str, float] = {}
    n_sums = 0

    def save() -> None:
        ck = {"model": net.state_dict(), "optimizer": opt.state_dict(), "step": step, "samples": samples,
              "seconds": spent + time.perf_counter() - t0, "metadata": spec.to_metadata(), "args": vars(args),
              "rng_cpu": torch.get_rng_state(), "extra_metadata": training_metadata()}
        torch.save(ck, ckpt_path + ".tmp")
        os.replace(ckpt_path + ".tmp", ckpt_path)

    def training_metadata() -> dict[str, str]:
        return {"training.tool": "tools/d3train/train.py", "training.command": shlex.join(sys.argv),
                "training.seed": str(args.seed), "training.steps": str(step), "training.samples": str(samples),
                "training.minutes": f"{(spent + time.perf_counter() - t0) / 60:.2f}",
                "training.device": torch.cuda.get_device_name(device) if device.type == "cuda" else
                f"cpu {platform.processor() or platform.machine()} x{torch.get_num_threads()}",
                "training.data": "sbs:" + ",".join(args.sbs) if args.sbs else
                f"synth span={args.span} ssaa={args.ssaa} textures={os.path.basename(args.textures)}",
                "training.loss": f"l1 grad={args.w_grad} sup={args.w_sup} smooth={args.w_smooth}",
                "training.commit": _git_commit(), "training.torch": torch.__version__}

    net.train()
    while True:
        now = time.perf_counter()
        elapsed = spent + now - t0
        if elapsed >= budget or (args.steps and step >= args.steps):
            break
        frac = step / args.steps if args.steps else elapsed / budget
        lr = args.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, frac)))
        for g in opt.param_groups:
            g["lr"] = lr
        batch = data.next()
        L, Rt = batch["left"], batch["right"]
        if use_amp:
            with torch.autocast(device_type="cuda", dtype=amp_dtype):
                logits = fwd(preprocess(spec, L))
        else:
            logits = fwd(preprocess(spec, L))
        P = torch.softmax(logits.float(), dim=1)
        R = render_net_res(P, L, dmin, dw)
        terms = {"l1": losses.view_l1(R, Rt, mask)}
        if args.w_grad > 0:
            terms["grad"] = args.w_grad * losses.gradient_l1(R, Rt, mask)
        if args.w_sup > 0 and "disp_right" in batch:
            terms["sup"] = args.w_sup * losses.disparity_ce(P, batch["disp_right"], dmin, dw)
        if args.w_smooth > 0:
            terms["smooth"] = args.w_smooth * losses.smoothness(P, L, dmin)
        loss = sum(terms.values())
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()  # type: ignore[arg-type]
        scaler.step(opt)
        scaler.update()
        step += 1
        samples += L.shape[0]
        win_samples += L.shape[0]
        for k, v in terms.items():
            sums[k] = sums.get(k, 0.0) + float(v.detach())
        n_sums += 1
        now = time.perf_counter()
        if now - last_log >= args.log_every:
            log(event="train", step=step, samples=samples, minutes=round((spent + now - t0) / 60, 2), lr=round(lr, 6),
                samples_per_s=round(win_samples / (now - win_t), 2),
                gen_share=round(data.gen_seconds / max(now - t0, 1e-9), 3),
                **{k: round(v / n_sums, 5) for k, v in sums.items()})
            last_log, win_t, win_samples, sums, n_sums = now, now, 0, {}, 0
        if args.val > 0 and now - last_val >= args.val_every:
            log(event="val", step=step, samples=samples, **{k: round(v, 5) for k, v in evaluate(net, val, mask, dw).items()})
            last_val, val_step = now, step
        if now - last_ckpt >= args.ckpt_every:
            save()
            last_ckpt = now

    total = spent + time.perf_counter() - t0
    if args.val > 0 and val_step != step:
        log(event="val", step=step, samples=samples, **{k: round(v, 5) for k, v in evaluate(net, val, mask, dw).items()})
    save()
    net.eval()
    model_path = os.path.join(args.out, "model.safetensors")
    export_model(net.cpu(), model_path, training_metadata())
    log(event="done", step=step, samples=samples, minutes=round(total / 60, 2),
        samples_per_s=round(samples / max(total - (spent if args.resume else 0), 1e-9), 2) if not args.resume else None,
        generated=data.generated, gen_seconds=round(data.gen_seconds, 1), model=model_path,
        wall_s=round(time.perf_counter() - t_start, 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
