"""Training batches from stereo films: ffmpeg decoders fill a bounded, shuffled cache of pairs.

Each process decodes its own share of the films (every size-th film from its rank on; when there
are fewer films than processes, every film with a different frame phase per rank) with
`--decoders` ffmpeg processes, in passes: pass k keeps frames n with (n + phase_k) % step == 0, so
later passes see other frames. Per film, the letterbox/pillarbox bars are measured once on a few
frames and cropped away; ffmpeg drops frames at scene cuts; dark, flat and nearly-2D pairs are
filtered out (frame_filters). Kept pairs enter a reservoir of `--cache-pairs` slots (in memory, or
a file in --cache-dir), so the cache is a uniform sample of everything decoded so far. Training
starts once the cache holds 4 batches (or decoding has finished) while decoding continues in the
background; batches are drawn by a generator seeded by (seed, step, rank) and half of them are
mirrored with the eyes swapped. The data therefore depends on decoding speed: film runs resume
exactly in model, optimiser and step, but not in the pairs they draw.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import torch

from d3train import losses
from d3train.distributed import World
from d3train.frame_filters import PairFilter, active_area
from d3train.manifest import Film
from d3train.model import Deep3DNet, preprocess
from d3train.sbs_reader import DEFAULT_FFMPEG, SbsSource, probe_duration, read_pairs
from d3train.selection import render_net_res
from d3train.synth_batches import stream_seed

_DRAW = 4  # stream tag (synth_batches uses 1..3)


class PairCache:
    """A reservoir of `capacity` uint8 pairs (N, H, W, 3), in memory or in a file."""

    def __init__(self, capacity: int, width: int, height: int, path: str | None = None, seed: int = 0) -> None:
        shape = (capacity, height, width, 3)
        if path:
            self.L = np.lib.format.open_memmap(path + ".left.npy", "w+", np.uint8, shape)
            self.R = np.lib.format.open_memmap(path + ".right.npy", "w+", np.uint8, shape)
        else:
            self.L = np.zeros(shape, np.uint8)
            self.R = np.zeros(shape, np.uint8)
        self.capacity = capacity
        self.seen = 0
        self.lock = threading.Lock()
        self.rng = np.random.default_rng(seed)

    @property
    def filled(self) -> int:
        return min(self.seen, self.capacity)

    def offer(self, left: np.ndarray, right: np.ndarray) -> None:
        """Reservoir sampling: after n offers every pair offered so far is held with the same chance."""
        with self.lock:
            self.seen += 1
            if self.seen <= self.capacity:
                slot = self.seen - 1
            else:
                slot = int(self.rng.integers(0, self.seen))
                if slot >= self.capacity:
                    return
            self.L[slot] = left
            self.R[slot] = right

    def take(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with self.lock:
            return self.L[idx].copy(), self.R[idx].copy()


def _source(film: Film, width: int, height: int, args: argparse.Namespace, **kw: Any) -> SbsSource:
    return SbsSource(film.path, film.layout, width, height, ffmpeg=args.ffmpeg or DEFAULT_FFMPEG, **kw)


def measure_bars(film: Film, args: argparse.Namespace, frames: int = 16) -> tuple[float, float, float, float]:
    """The film's active picture area, from one frame at each of `frames` points spread over the
    whole film (opening titles or a dark scene alone would hide the bars' edges)."""
    ffmpeg = args.ffmpeg or DEFAULT_FFMPEG
    dur = probe_duration(film.path, ffmpeg)
    if not dur or dur < 2 * frames:  # short clips: the first frames, a few apart
        probe = _source(film, 192, 108, args, step=max(1, args.sbs_step), crop=False, max_pairs=frames)
        return active_area([left for left, _ in read_pairs(probe)])
    lefts = []
    for i in range(frames):
        probe = _source(film, 192, 108, args, crop=False, max_pairs=1, start=dur * (i + 0.5) / frames)
        lefts += [left for left, _ in read_pairs(probe)]
    return active_area(lefts)


class FilterStats:
    """Counts of kept and dropped pairs by reason, shared by the decoder threads."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.lock = threading.Lock()

    def add(self, what: str) -> None:
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + 1

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return dict(self.counts)


def film_pairs(film: Film, width: int, height: int, args: argparse.Namespace, phase: int, keep: PairFilter,
               stats: FilterStats, active: tuple[float, float, float, float]):  # type: ignore[no-untyped-def]
    """Yield the film's kept (left, right) pairs at width x height."""
    # scene_max 0.3: ffmpeg's scene score of a hard cut is near 1, of motion within a shot well under 0.3.
    src = _source(film, width, height, args, step=args.sbs_step, phase=phase, scene_max=0.3, active=active)
    for left, right in read_pairs(src):
        why = keep.reason(left, right)
        stats.add(why or "kept")
        if why is None:
            yield left, right


class VideoBatches:
    def __init__(self, films: list[Film], width: int, height: int, args: argparse.Namespace, world: World,
                 max_shift_px: float) -> None:
        if args.batch % world.size:
            raise ValueError(f"batch {args.batch} is not a multiple of the {world.size} processes")
        self.share = args.batch // world.size
        self.device = world.device
        self.seed, self.rank = args.seed, world.rank
        if len(films) >= world.size:
            self.films, self.phase0 = films[world.rank::world.size], 0
        else:
            self.films, self.phase0 = films, world.rank
        path = os.path.join(args.cache_dir, f"pairs-rank{world.rank}") if args.cache_dir else None
        self.cache = PairCache(args.cache_pairs, width, height, path, seed=stream_seed(args.seed, world.rank))
        self.keep = PairFilter(max_shift=int(np.ceil(max_shift_px)) + 4)
        self.stats = FilterStats()
        self.bars: dict[str, tuple[float, float, float, float]] = {}
        self.error: BaseException | None = None
        self.done_pass = threading.Event()
        self.gen_seconds = 0.0  # time spent waiting for the cache
        self.generated = 0
        self._stop = False
        self._args, self._w, self._h = args, width, height
        self.thread = threading.Thread(target=self._decode_all, daemon=True)
        self.thread.start()

    def _decode_all(self) -> None:
        """`step` passes, each with another frame phase (7919 is prime, so the phases cover every
        residue): afterwards every frame of every film has been offered once."""
        args = self._args
        try:
            with ThreadPoolExecutor(max(1, args.decoders)) as pool:
                for k in range(args.sbs_step):
                    phase = (self.phase0 + k * 7919) % args.sbs_step
                    for j in [pool.submit(self._decode_one, f, phase) for f in self.films]:
                        j.result()
                    self.done_pass.set()
                    if self._stop:
                        break
        except BaseException as e:  # surfaced in the training loop
            self.error = e
            self.done_pass.set()

    def _decode_one(self, film: Film, phase: int) -> None:
        if film.path not in self.bars:
            self.bars[film.path] = measure_bars(film, self._args)
        for left, right in film_pairs(film, self._w, self._h, self._args, phase, self.keep, self.stats,
                                      self.bars[film.path]):
            if self._stop:
                return
            self.cache.offer(left, right)

    def batch(self, step: int) -> dict[str, torch.Tensor]:
        t0 = time.perf_counter()
        need = min(4 * self.share, self.cache.capacity)
        while self.cache.filled < need and not self.done_pass.is_set():
            time.sleep(0.05)
        if self.error is not None:
            raise RuntimeError(f"decoding the films failed: {self.error}") from self.error
        n = self.cache.filled
        if n == 0:
            raise RuntimeError(f"no usable pairs in {[f.path for f in self.films]} (filtered: {self.stats.snapshot()})")
        rng = np.random.default_rng(stream_seed(self.seed, _DRAW, step, self.rank))
        idx = rng.integers(0, n, self.share)
        flip = rng.random(self.share) < 0.5
        L, R = self.cache.take(idx)
        self.gen_seconds += time.perf_counter() - t0
        self.generated += self.share
        return _augment(L, R, flip, self.device)

    def close(self) -> None:
        """Stop the decoders (each ffmpeg is killed when its reader is closed)."""
        self._stop = True
        self.thread.join(timeout=10)


def _augment(L: np.ndarray, R: np.ndarray, flip: np.ndarray, device: torch.device) -> dict[str, torch.Tensor]:
    """uint8 (B,H,W,3) pairs -> float (B,3,H,W) on the device; where `flip`, both eyes mirrored and
    swapped (the right eye mirrored is a valid left eye; the shifts keep their sign)."""
    Lt = torch.from_numpy(L).to(device).permute(0, 3, 1, 2).float() / 255
    Rt = torch.from_numpy(R).to(device).permute(0, 3, 1, 2).float() / 255
    f = torch.from_numpy(flip).to(device).view(-1, 1, 1, 1)
    return {"left": torch.where(f, Rt.flip(-1), Lt).contiguous(), "right": torch.where(f, Lt.flip(-1), Rt).contiguous()}


def held_out_pairs(films: list[Film], width: int, height: int, args: argparse.Namespace, max_shift_px: float,
                   per_film: int = 32) -> dict[str, torch.Tensor]:
    """Up to `per_film` kept pairs of each held-out film, for validation (decoded once, up front)."""
    keep = PairFilter(max_shift=int(np.ceil(max_shift_px)) + 4)
    ls, rs = [], []
    stats = FilterStats()
    for film in films:
        for n, (left, right) in enumerate(film_pairs(film, width, height, args, 0, keep, stats,
                                                     measure_bars(film, args)), 1):
            ls.append(left)
            rs.append(right)
            if n == per_film:
                break
    if not ls:
        raise ValueError(f"held-out films: no usable pairs (filtered: {stats.snapshot()})")
    return _augment(np.stack(ls), np.stack(rs), np.zeros(len(ls), bool), torch.device("cpu"))


def film_l1(net: Deep3DNet, pairs: dict[str, torch.Tensor], mask: torch.Tensor, dw: int,
            device: torch.device) -> dict[str, float]:
    """View L1 of the rendered right eye on held-out film pairs, next to right = left."""
    dt = next(net.parameters()).dtype
    was = net.training
    net.eval()
    tot, ident, n = 0.0, 0.0, pairs["left"].shape[0]
    with torch.no_grad():
        for i in range(0, n, 8):
            L = pairs["left"][i:i + 8].to(device, dt)
            R = pairs["right"][i:i + 8].to(device, dt)
            P = net.probabilities(preprocess(net.spec, L))
            out = render_net_res(P, L, net.spec.disparity_min, dw)
            tot += float(losses.view_l1(out, R, mask)) * L.shape[0]
            ident += float(losses.view_l1(L, R, mask)) * L.shape[0]
    net.train(was)
    return {"film_val_l1": tot / n, "film_val_l1_identity": ident / n}
