"""Train a deep3d `fcn` model on procedural stereo pairs or on your own 3D films, and export it.

One process, or data-parallel under torchrun (one process per GPU, any number of nodes; NCCL on
GPUs, gloo on CPUs): every process generates or reads its own share of each global batch and
DistributedDataParallel averages the gradients; the batch-norm statistics are those of the whole
global batch, so N processes at --batch B train like one process at --batch B (same learning rate).
On CUDA the network runs under autocast (bf16 where supported, else fp16 with loss scaling) and
the pairs are generated on the GPU.

The loss is L1 between the rendered and the true right view (Deep3D's loss), plus optional terms:
--w-grad (image-gradient L1), --w-sup (cross-entropy against the generator's true disparity;
synthetic data only), --w-smooth (edge-aware smoothness). The learning rate follows a cosine from
--lr to 0 over the budget (--steps, else --minutes of wall time). Rank 0 writes OUT/checkpoint.pt
(atomically) every --ckpt-every seconds or --ckpt-steps steps and on SIGTERM/SIGUSR1 (Slurm's
warning before a time limit); --resume continues it exactly: model, optimiser, step, the time
spent, every rank's random state; the data of a step is a function of (seed, step, rank). At the
end the model is exported to OUT/model.safetensors, and with --real-val the checkpoint with the
best real-pair score to OUT/best.safetensors.

Examples:
  python3 tools/d3train/train.py --out _build/train/run1 --minutes 20 --threads 1
  python3 tools/d3train/train.py --out OUT --minutes 8 --batch 128          # on a GPU
  torchrun --standalone --nproc_per_node=8 tools/d3train/train.py --out OUT --minutes 60 --batch 2048
  python3 tools/d3train/train.py --out OUT --minutes 60 --manifest films.tsv --real-val aloe,motorcycle
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
import signal
import subprocess
import sys
import time
import traceback
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np
import torch

from d3train import checkpoint, distributed, losses, paths
from d3train.export import export_model
from d3train.model import Arch, Deep3DNet, count_parameters, flops_per_frame, preprocess
from d3train.sbs_reader import DEFAULT_FFMPEG
from d3train.selection import render_net_res
from d3train.synth import StereoSynth, SynthConfig
from d3train.synth_batches import Prefetch, SynthBatches
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
    p.add_argument("--batch", type=int, default=0,
                   help="global batch, split evenly over the processes (default: 8 per CPU process, 96 per GPU)")
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate for the global batch")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads per process (0: torch's default)")
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
    # Data: procedural.
    p.add_argument("--textures", default=DEFAULT_PACK)
    p.add_argument("--span", type=float, default=0.025, help="5-95%% disparity span, fraction of the width")
    p.add_argument("--ssaa", type=int, default=1, help="generator supersampling per axis")
    p.add_argument("--fresh", type=int, default=0,
                   help="new pairs per process and step (default: all of them on CUDA, a quarter on CPU, "
                        "reusing a pool)")
    p.add_argument("--pool", type=int, default=128, help="pairs kept for reuse per process when --fresh is smaller")
    p.add_argument("--chunk", type=int, default=0,
                   help="pairs per generator call (default: the process's share on CUDA, <= 8 on CPU); the "
                        "data is the same for any number of processes when the chunk is")
    # Data: stereo films.
    p.add_argument("--manifest", help="films to train on: one 'PATH LAYOUT [train|val]' per line (see docs)")
    p.add_argument("--sbs", action="append", default=[], metavar="VIDEO:LAYOUT",
                   help="a film to train on (repeatable); LAYOUT sbs, hsbs, tb, htb, ...")
    p.add_argument("--sbs-step", type=int, default=6, help="keep every n-th frame of the films")
    p.add_argument("--cache-pairs", type=int, default=4096, help="pairs held per process (a shuffled reservoir)")
    p.add_argument("--cache-dir", help="hold the pairs in a file here instead of memory")
    p.add_argument("--decoders", type=int, default=2, help="ffmpeg decoders per process")
    p.add_argument("--ffmpeg", default="", help="the ffmpeg binary (default: this checkout's build)")
    # Bookkeeping.
    p.add_argument("--val", type=int, default=32, help="held-out synthetic pairs for validation")
    p.add_argument("--real-val", default="",
                   help="real pairs scored during training: aloe,motorcycle (fetched by tools/eval.py) or an .npz")
    p.add_argument("--log-every", type=float, default=30.0, help="seconds")
    p.add_argument("--val-every", type=float, default=120.0, help="seconds")
    p.add_argument("--ckpt-every", type=float, default=300.0, help="seconds")
    p.add_argument("--ckpt-steps", type=int, default=0, help="also checkpoint every this many steps")
    p.add_argument("--compile", action="store_true", help="torch.compile the network (torch >= 2, CUDA)")
    p.add_argument("--prefetch", action="store_true",
                   help="generate the next step's pairs in a background thread (a CUDA stream of its own on a GPU)")
    p.add_argument("--float64", action="store_true",
                   help="train in float64 (CPU; several times slower): exactness checks without float32 rounding")
    return p.parse_args(argv)


class Logger:
    """JSON lines to stdout and OUT/train.log, from rank 0 only."""

    def __init__(self, path: str | None) -> None:
        self.f = open(path, "a", encoding="utf-8") if path else None

    def __call__(self, **kw: Any) -> None:
        if self.f is None:
            return
        line = json.dumps(kw, sort_keys=False)
        print(line, flush=True)
        self.f.write(line + "\n")
        self.f.flush()


def evaluate(net: Deep3DNet, val: dict[str, torch.Tensor], mask: torch.Tensor, dw: int) -> dict[str, float]:
    """Synthetic validation: held-out generated pairs with their true disparity."""
    spec = net.spec
    dt = next(net.parameters()).dtype
    val = {k: v.to(dt) for k, v in val.items()}
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


def _films(args: argparse.Namespace) -> tuple[list[Any], list[Any]]:
    """(training, held-out) film entries from --manifest and --sbs."""
    from d3train.manifest import Film, read_manifest
    films = read_manifest(args.manifest) if args.manifest else []
    for item in args.sbs:
        path, _, layout = item.rpartition(":")
        films.append(Film(path, layout, "train"))
    return [f for f in films if f.split == "train"], [f for f in films if f.split == "val"]


class _StopSignal:
    """SIGTERM / SIGUSR1 (Slurm's notice before a time limit or preemption): checkpoint and stop."""

    def __init__(self) -> None:
        self.raised = False
        for sig in (signal.SIGTERM, signal.SIGUSR1):
            signal.signal(sig, self._set)

    def _set(self, signum: int, frame: Any) -> None:
        self.raised = True


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    t_start = time.perf_counter()
    world = distributed.setup(args.device)
    device = world.device
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    if args.batch <= 0:
        args.batch = (96 if device.type == "cuda" else 8) * world.size
    if args.batch % world.size:
        raise SystemExit(f"train: --batch {args.batch} is not a multiple of the {world.size} processes")
    share = args.batch // world.size
    random.seed(args.seed + world.rank)
    np.random.seed(args.seed + world.rank)
    torch.manual_seed(args.seed + world.rank)
    if world.is_main:
        os.makedirs(args.out, exist_ok=True)
    distributed.barrier(world)
    log = Logger(os.path.join(args.out, "train.log") if world.is_main else None)
    stop = _StopSignal()

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
    net.batch_sum = distributed.batch_sum(world)
    dtype = torch.float64 if args.float64 else torch.float32
    net.to(device=device, dtype=dtype)
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)

    ckpt_path = os.path.join(args.out, "checkpoint.pt")
    step, samples, spent, best = 0, 0, 0.0, -math.inf
    resumed_scaler: dict[str, Any] | None = None
    if args.resume and os.path.exists(ckpt_path):
        ck = checkpoint.load(ckpt_path)
        if parse_spec(ck["metadata"]) != spec:
            raise SystemExit("train: --resume: the checkpoint has another architecture")
        net.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])  # moves the moments onto the parameters' device
        step, samples, spent = ck["step"], ck["samples"], ck["seconds"]
        best = ck.get("best_real", -math.inf)
        resumed_scaler = ck.get("scaler")
        rngs = ck.get("rng", [])
        if len(rngs) == world.size:
            checkpoint.set_rng_state(rngs[world.rank])
        log(event="resume", step=step, samples=samples, seconds=round(spent, 1), saved_world=len(rngs),
            world=world.size, rng="restored" if len(rngs) == world.size else "reseeded (other process count)")
    fwd: Any = net
    if world.distributed:
        # Buffers need no broadcast: the synced batch statistics keep them equal on every rank.
        fwd = torch.nn.parallel.DistributedDataParallel(
            net, device_ids=[device.index] if device.type == "cuda" else None, broadcast_buffers=False)
    if args.compile and hasattr(torch, "compile"):
        fwd = torch.compile(fwd)
    use_amp = device.type == "cuda"
    amp_dtype = torch.bfloat16 if use_amp and torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.cuda.amp.GradScaler(enabled=use_amp and amp_dtype == torch.float16)
    if resumed_scaler and scaler.is_enabled():
        scaler.load_state_dict(resumed_scaler)

    range_frac = max(-dmin, dmax) / dw
    vcfg = SynthConfig(width=w, height=h, span_frac=args.span, range_frac=range_frac, ssaa=args.ssaa)
    try:
        train_films, val_films = _films(args)
    except (OSError, ValueError) as e:
        raise SystemExit(f"train: {e}") from None
    ff = args.ffmpeg or DEFAULT_FFMPEG
    if (train_films or val_films) and not os.access(ff, os.X_OK):
        raise SystemExit(f"train: no ffmpeg at {ff} (make build, or --ffmpeg PATH)")
    atlas = TextureAtlas(load_pack(args.textures), device) if (not train_films or args.val > 0) else None
    if train_films:
        from d3train.video_batches import VideoBatches
        data: Any = VideoBatches(train_films, w, h, args, world, dmax * w / dw)
    else:
        assert atlas is not None
        fresh = args.fresh or (share if device.type == "cuda" else max(1, share // 4))
        data = SynthBatches(StereoSynth(atlas, vcfg, seed=args.seed), args.seed, args.batch, world.rank, world.size,
                            chunk=args.chunk, fresh=fresh, pool=args.pool)
        if args.prefetch:
            data = Prefetch(data, device)
    val = None
    if world.is_main and args.val > 0:
        assert atlas is not None
        val = StereoSynth(atlas, vcfg, seed=12345).sample(args.val)
    real = []
    if world.is_main and args.real_val:
        from d3train import real_val
        real = real_val.load(args.real_val, w, h)
    film_val = None
    if world.is_main and val_films:
        from d3train.video_batches import held_out_pairs
        film_val = held_out_pairs(val_films, w, h, args, dmax * w / dw)
    scored = world.is_main and (val is not None or bool(real) or film_val is not None)
    margin = int(math.ceil(max(-dmin, dmax) * w / dw)) + 1
    mask = losses.column_mask(w, margin, device)
    gflop = flops_per_frame(spec) / 1e9
    log(event="start", device=str(device), world=world.size, torch=str(torch.__version__),
        amp=str(amp_dtype) if use_amp else "off", threads=torch.get_num_threads(), batch=args.batch,
        batch_per_process=share, params=count_parameters(spec), gflop_per_frame=round(gflop, 3),
        arch=spec.to_metadata(), args=vars(args), setup_s=round(time.perf_counter() - t_start, 1))

    budget = args.minutes * 60.0
    first_step = step
    cpu0 = time.process_time()  # this process's CPU time, all threads: cost per sample under contention
    t0 = time.perf_counter()
    last_log = last_val = last_ckpt = 0.0
    val_step = -1
    win_samples, win_t = 0, 0.0
    sums: dict[str, float] = {}
    n_sums = 0

    def training_metadata() -> dict[str, str]:
        return {"training.tool": "tools/d3train/train.py", "training.command": shlex.join(sys.argv),
                "training.seed": str(args.seed), "training.steps": str(step), "training.samples": str(samples),
                "training.minutes": f"{(spent + time.perf_counter() - t0) / 60:.2f}",
                "training.device": (torch.cuda.get_device_name(device) if device.type == "cuda" else
                                    f"cpu {platform.processor() or platform.machine()} x{torch.get_num_threads()}")
                + (f" x{world.size} processes" if world.distributed else ""),
                "training.data": ("films:" + ",".join(f.path for f in train_films)) if train_films else
                f"synth span={args.span} ssaa={args.ssaa} textures={os.path.basename(args.textures)}",
                "training.loss": f"l1 grad={args.w_grad} sup={args.w_sup} smooth={args.w_smooth}",
                "training.commit": _git_commit(), "training.torch": str(torch.__version__)}

    def save() -> None:
        rngs = distributed.all_gather_objects(world, checkpoint.rng_state())  # every rank takes part
        if not world.is_main:
            return
        size = checkpoint.save(ckpt_path, {
            "model": net.state_dict(), "optimizer": opt.state_dict(), "step": step, "samples": samples,
            "seconds": spent + time.perf_counter() - t0, "metadata": spec.to_metadata(), "args": vars(args),
            "rng": rngs, "world": world.size, "best_real": best, "torch": str(torch.__version__),
            "scaler": scaler.state_dict(),
            "extra_metadata": training_metadata()})
        log(event="checkpoint", step=step, bytes=size)

    def validate(now: float) -> None:
        nonlocal best
        if not world.is_main:
            return
        rec: dict[str, Any] = {"event": "val", "step": step, "samples": samples}
        if val is not None:
            rec.update({k: round(v, 5) for k, v in evaluate(net, val, mask, dw).items()})
        if film_val is not None:
            from d3train.video_batches import film_l1
            rec.update({k: round(v, 5) for k, v in film_l1(net, film_val, mask, dw, device).items()})
        if real:
            from d3train import real_val
            r = real_val.score(net, real, device)
            rec.update({k: round(v, 4) for k, v in r.items()})
            if r["real_spearman"] > best:
                best = r["real_spearman"]
                export_model(_cpu_copy(net), os.path.join(args.out, "best.safetensors"), training_metadata())
                rec["best"] = True
        log(**rec)

    net.train()
    signalled = False  # a stop signal reached some rank (agreed by every rank each step)
    while True:
        # One clock for every rank (the slowest): they must agree on stopping, the learning rate
        # and when to validate or checkpoint.
        elapsed = distributed.max_scalars(world, [spent + time.perf_counter() - t0, float(stop.raised)])
        now, signalled = elapsed[0] - spent, elapsed[1] > 0
        if signalled or elapsed[0] >= budget or (args.steps and step >= args.steps):
            break
        frac = step / args.steps if args.steps else elapsed[0] / budget
        lr = args.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, frac)))
        for g in opt.param_groups:
            g["lr"] = lr
        batch = {k: v.to(dtype) for k, v in data.batch(step).items()}
        L, Rt = batch["left"], batch["right"]
        if use_amp:
            with torch.autocast(device_type="cuda", dtype=amp_dtype):
                logits = fwd(preprocess(spec, L))
        else:
            logits = fwd(preprocess(spec, L))
        P = torch.softmax(logits.to(dtype if dtype == torch.float64 else torch.float32), dim=1)
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
        samples += args.batch
        win_samples += args.batch
        for k, v in terms.items():
            sums[k] = sums.get(k, 0.0) + float(v.detach())
        n_sums += 1
        if now - last_log >= args.log_every:
            log(event="train", step=step, samples=samples, minutes=round((spent + now) / 60, 2), lr=round(lr, 6),
                samples_per_s=round(win_samples / max(now - win_t, 1e-9), 2),
                gen_share=round(data.gen_seconds / max(now, 1e-9), 3),
                **({"pairs": data.stats.snapshot(), "cached": data.cache.filled} if train_films else {}),
                **{k: round(v / n_sums, 5) for k, v in sums.items()})
            last_log, win_t, win_samples, sums, n_sums = now, now, 0, {}, 0
        if scored and now - last_val >= args.val_every:
            validate(now)
            last_val, val_step = now, step
        if now - last_ckpt >= args.ckpt_every or (args.ckpt_steps and step % args.ckpt_steps == 0):
            save()
            last_ckpt = now

    total = spent + time.perf_counter() - t0
    loop_cpu_s = distributed.sum_scalars(world, [time.process_time() - cpu0])[0]
    if train_films or args.prefetch:
        data.close()
    # The agreed flag, not this rank's own: a signal reaches the ranks at different moments, and
    # a rank that saw none yet must still take part in this save's all-gather, or the ranks'
    # collectives pair up wrongly and one waits forever.
    if signalled:
        save()  # first: the scheduler's kill follows the signal within minutes
    if scored and val_step != step:
        validate(total - spent)
    save()
    if world.is_main:
        model_path = os.path.join(args.out, "model.safetensors")
        export_model(_cpu_copy(net), model_path, training_metadata())
        run_s = total - spent
        log(event="done", step=step, samples=samples, minutes=round(total / 60, 2),
            samples_per_s=round(args.batch * (step - first_step) / max(run_s, 1e-9), 2),
            cpu_s_per_sample=round(loop_cpu_s / max(args.batch * (step - first_step), 1), 4),
            generated=data.generated, gen_seconds=round(data.gen_seconds, 1), model=model_path,
            stopped_by_signal=signalled, best_real=None if best == -math.inf else round(best, 4),
            wall_s=round(time.perf_counter() - t_start, 1))
    if world.distributed:
        distributed.exit_process(0)  # leaves here, before the process group could be destroyed
    return 0


def _cpu_copy(net: Deep3DNet) -> Deep3DNet:
    """The network on the CPU for export, leaving the training copy where it is."""
    c = Deep3DNet(net.spec)
    c.load_state_dict({k: v.detach().cpu() for k, v in net.state_dict().items()})
    c.eval()
    return c


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit as e:
        # An error message ("train: ...") or a status; in a torchrun worker, leave while the
        # traceback still holds main's frame, so no process group is destroyed (exit_process).
        if e.code is not None and not isinstance(e.code, int):
            print(e.code, file=sys.stderr)
            distributed.exit_process(1)
        distributed.exit_process(e.code or 0)
    except BaseException:
        traceback.print_exc()
        distributed.exit_process(1)
