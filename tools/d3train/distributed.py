"""Data-parallel training under torchrun: process group set-up and the collectives training needs.

torchrun starts one process per GPU (or per CPU worker) and sets RANK, LOCAL_RANK, WORLD_SIZE,
MASTER_ADDR and MASTER_PORT; `setup` joins the group (NCCL on CUDA, gloo on the CPU) and picks the
device. Without those variables it is a one-process run and every collective here is the identity,
so the same code path trains on one device.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any, NoReturn

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")
    stats_group: Any = None  # the group for batch-norm statistics (kept apart from DDP's gradients)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.size > 1


def setup(device: str = "auto") -> World:
    """Join the torchrun group if there is one; `device` is auto, cpu or cuda."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit("train: --device cuda but torch sees no GPU")
        dev = torch.device("cuda", local % torch.cuda.device_count())
        torch.cuda.set_device(dev)
    else:
        dev = torch.device(device)
    if size <= 1:
        return World(device=dev)
    backend = "nccl" if dev.type == "cuda" else "gloo"
    dist.init_process_group(backend=backend)
    # A second group so the statistics' all-reduces, issued inside forward and backward, never
    # interleave with DDP's asynchronous gradient buckets on the same communicator.
    stats = dist.new_group(backend=backend)
    return World(rank, size, local, dev, stats)


def exit_process(code: int) -> NoReturn:
    """Leave the process with `code`; in a torchrun worker, without running any destructor.

    torch 1.13's gloo process group joins its worker threads in its destructor while holding the
    GIL, and a worker may at that moment still be freeing a tensor of the last collective, which
    needs the GIL: the process hangs at exit (gdb: ~ProcessGroupGloo in std::thread::join, the
    worker in TensorImpl::destroy_pyobj_if_needed). Seen in 1 run of 5 to 8 on 2 cores, and a CI
    resume hung on it for 240 s. The destructor runs when DDP's Reducer or the group is released,
    so a worker must leave before its training function returns. Every file has been written
    and closed by then (the log is flushed line by line); stdio is flushed here.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    if dist.is_available() and dist.is_initialized():
        os._exit(code)
    sys.exit(code)


class _AllReduceSum(torch.autograd.Function):
    """y = sum over ranks of x, differentiable: the gradient of x is the sum of every rank's dL/dy."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, group: Any) -> torch.Tensor:  # type: ignore[override]
        ctx.group = group
        y = x.clone()
        dist.all_reduce(y, op=dist.ReduceOp.SUM, group=group)
        return y

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        g = g.clone()
        dist.all_reduce(g, op=dist.ReduceOp.SUM, group=ctx.group)
        return g, None


def batch_sum(world: World):  # type: ignore[no-untyped-def]
    """A function x -> (sum of x over every rank, differentiable), or None for one process."""
    if not world.distributed:
        return None
    return lambda x: _AllReduceSum.apply(x, world.stats_group)


def all_gather_objects(world: World, obj: Any) -> list[Any]:
    """Every rank's `obj`, in rank order (pickled through the group; CPU tensors only)."""
    if not world.distributed:
        return [obj]
    out: list[Any] = [None] * world.size
    dist.all_gather_object(out, obj)
    return out


def broadcast_object(world: World, obj: Any) -> Any:
    """Rank 0's `obj` on every rank."""
    if not world.distributed:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def barrier(world: World) -> None:
    if world.distributed:
        dist.barrier()


def max_scalars(world: World, values: list[float]) -> list[float]:
    """The element-wise maximum of `values` over every rank."""
    return _reduce_scalars(world, values, dist.ReduceOp.MAX)


def sum_scalars(world: World, values: list[float]) -> list[float]:
    """The element-wise sum of `values` over every rank."""
    return _reduce_scalars(world, values, dist.ReduceOp.SUM)


def _reduce_scalars(world: World, values: list[float], op: Any) -> list[float]:
    if not world.distributed:
        return values
    t = torch.tensor(values, dtype=torch.float64, device=world.device)
    dist.all_reduce(t, op=op)
    return t.tolist()
