"""Per-rank training batches of procedural pairs, a pure function of (seed, step, rank).

Every chunk of generated pairs is seeded from (seed, step, chunk index) through a hash, so:
- a resumed run sees exactly the data the uninterrupted run would have seen (no generator state
  to save), and
- without a reuse pool, the global batch of a step is the same whatever the number of ranks, as
  long as the chunk size divides each rank's share: rank r generates chunks r*b/c .. (r+1)*b/c - 1
  of the global batch (b = the rank's share, c = the chunk). One process at batch B and N processes
  at B/N each therefore train on identical pairs.

With a reuse pool (`fresh` < the rank's share, cheaper on a CPU), each rank keeps a ring of `pool`
pairs: step t writes its fresh pairs into slots (t*fresh ... ) mod pool and draws its batch from
the ring with a generator seeded by (seed, step, rank). The ring is rebuilt on resume by
regenerating the steps that filled it, so resumption stays exact.
"""

from __future__ import annotations

import hashlib
import math
import struct
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import torch

from d3train.synth import StereoSynth

_FILL, _FRESH, _PICK = 1, 2, 3  # stream tags


def stream_seed(*parts: int) -> int:
    """A 63-bit seed from integers (hash, so nearby steps or ranks give unrelated streams)."""
    h = hashlib.blake2b(struct.pack(f"<{len(parts)}q", *parts), digest_size=8).digest()
    return int.from_bytes(h, "little") & ((1 << 63) - 1)


def default_chunk(share: int, cuda: bool) -> int:
    """One generator call per rank on a GPU; on a CPU the largest divisor of the share <= 8 (small
    calls generate faster there: memory traffic)."""
    if cuda:
        return share
    return max(d for d in range(1, min(8, share) + 1) if share % d == 0)


class SynthBatches:
    def __init__(self, synth: StereoSynth, seed: int, global_batch: int, rank: int, world: int,
                 chunk: int = 0, fresh: int = 0, pool: int = 0) -> None:
        if global_batch % world:
            raise ValueError(f"batch {global_batch} is not a multiple of the {world} processes")
        self.synth = synth
        self.seed = seed
        self.rank = rank
        self.share = global_batch // world
        self.cuda = synth.device.type == "cuda"
        self.chunk = chunk or default_chunk(self.share, self.cuda)
        self.fresh = fresh if 0 < fresh < self.share else self.share
        if self.share % self.chunk or (self.fresh < self.share and self.fresh % min(self.chunk, self.fresh)):
            raise ValueError(f"chunk {self.chunk} must divide the per-process batch {self.share} and --fresh")
        self.pool_size = max(pool, self.share) if self.fresh < self.share else 0
        self.pool: dict[str, torch.Tensor] | None = None
        self.gen_seconds = 0.0
        self.generated = 0

    def _chunks(self, n: int, tag: int, step: int, first: int) -> dict[str, torch.Tensor]:
        """n pairs in chunks, chunk j seeded by (seed, tag, step, first + j)."""
        t0 = time.perf_counter()
        c = min(self.chunk, n)
        parts = []
        for j in range(math.ceil(n / c)):
            self.synth.gen.manual_seed(stream_seed(self.seed, tag, step, first + j))
            parts.append(self.synth.sample(min(c, n - j * c)))
        out = {k: torch.cat([p[k] for p in parts]) if len(parts) > 1 else parts[0][k] for k in parts[0]}
        if self.cuda:  # this stream only: a prefetching thread must not wait for the training step
            torch.cuda.current_stream(self.synth.device).synchronize()
        self.gen_seconds += time.perf_counter() - t0
        self.generated += n
        return out

    def _fresh_pairs(self, step: int) -> dict[str, torch.Tensor]:
        per = self.fresh // min(self.chunk, self.fresh) if self.fresh < self.share else self.share // self.chunk
        return self._chunks(self.fresh, _FRESH, step, self.rank * per)

    def _ring_write(self, step: int, new: dict[str, torch.Tensor]) -> None:
        assert self.pool is not None
        slots = (torch.arange(self.fresh) + step * self.fresh) % self.pool_size
        slots = slots.to(self.synth.device)
        for k in self.pool:
            self.pool[k][slots] = new[k]

    def _build_pool(self, step: int) -> None:
        """The ring as it is before `step`: the initial fill, then the fresh pairs of the steps
        that still have pairs in it."""
        self.pool = self._chunks(self.pool_size, _FILL, 0, self.rank * 1_000_003)
        first = max(0, step - math.ceil(self.pool_size / self.fresh))
        for t in range(first, step):
            self._ring_write(t, self._fresh_pairs(t))

    def batch(self, step: int) -> dict[str, torch.Tensor]:
        """This rank's share of the global batch of `step`."""
        if self.fresh >= self.share:
            return self._fresh_pairs(step)
        if self.pool is None:
            self._build_pool(step)
        assert self.pool is not None
        self._ring_write(step, self._fresh_pairs(step))
        g = torch.Generator().manual_seed(stream_seed(self.seed, _PICK, step, self.rank))
        idx = torch.randperm(self.pool_size, generator=g)[:self.share].to(self.synth.device)
        return {k: v[idx] for k, v in self.pool.items()}


class Prefetch:
    """Makes the batch of step t + 1 in a background thread (on its own CUDA stream on a GPU) while
    step t trains. The data is a function of the step, so the pairs are those without prefetching.
    `gen_seconds` counts only the time the training loop waited for a batch."""

    def __init__(self, source: Any, device: torch.device) -> None:
        self.source = source
        self.device = device
        self.stream = torch.cuda.Stream(device) if device.type == "cuda" else None
        self.pool = ThreadPoolExecutor(1)
        self.pending: tuple[int, Future] | None = None
        self.gen_seconds = 0.0

    @property
    def generated(self) -> int:
        return int(self.source.generated)

    def _make(self, step: int) -> dict[str, torch.Tensor]:
        if self.stream is None:
            return self.source.batch(step)
        # A new thread starts on GPU 0: name this rank's GPU before its stream.
        with torch.cuda.device(self.device), torch.cuda.stream(self.stream):
            return self.source.batch(step)

    def batch(self, step: int) -> dict[str, torch.Tensor]:
        t0 = time.perf_counter()
        if self.pending is not None and self.pending[0] == step:
            out = self.pending[1].result()
        else:
            if self.pending is not None:
                self.pending[1].result()  # never two generations at once: the source has state
            out = self._make(step)
        if self.stream is not None:  # the tensors were made on the side stream
            cur = torch.cuda.current_stream(self.device)
            cur.wait_stream(self.stream)
            for t in out.values():
                t.record_stream(cur)
        self.pending = (step + 1, self.pool.submit(self._make, step + 1))
        self.gen_seconds += time.perf_counter() - t0
        return out

    def close(self) -> None:
        self.pool.shutdown(wait=True)
