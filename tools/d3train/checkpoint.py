"""Training checkpoints: written atomically, read back on any machine and any torch version.

A checkpoint is a torch pickle of plain containers, tensors and numbers; every tensor is moved to
the CPU before saving (RNG states are CPU ByteTensors and must stay there: `map_location` onto a GPU
made `torch.set_rng_state` fail). torch >= 2.6 loads with `weights_only=True` by default and refuses
our file (it holds argparse values, numpy RNG tuples and, on some versions, a `TorchVersion`), so
our own checkpoints are loaded with an explicit `weights_only=False`; never load a file you did not
write this way. Torch versions without the keyword (< 1.13) get the plain call.
"""

from __future__ import annotations

import inspect
import os
import random
from typing import Any

import numpy as np
import torch

# A checkpoint must come back from a short GPU run (the lent machines return files under 16 MB).
MAX_BYTES: int = 16 * 1024 * 1024

_HAS_WEIGHTS_ONLY: bool = "weights_only" in inspect.signature(torch.load).parameters


def to_cpu(obj: Any) -> Any:
    """A copy of a nested container with every tensor on the CPU (optimizer state included)."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {k: to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_cpu(v) for v in obj)
    return obj


def rng_state() -> dict[str, Any]:
    """This process's random states: Python, numpy, torch CPU and (if used) every CUDA device."""
    st: dict[str, Any] = {"python": random.getstate(), "numpy": np.random.get_state(),
                          "torch_cpu": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        st["torch_cuda"] = [s.cpu() for s in torch.cuda.get_rng_state_all()]
    return st


def set_rng_state(st: dict[str, Any]) -> None:
    random.setstate(st["python"])
    np.random.set_state(st["numpy"])
    torch.set_rng_state(st["torch_cpu"].cpu())
    cuda = st.get("torch_cuda")
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all([s.cpu() for s in cuda])


def save(path: str, state: dict[str, Any], max_bytes: int = MAX_BYTES) -> int:
    """Write `state` to path atomically (tmp file, fsync, rename); returns the size in bytes.

    Raises ValueError (and leaves any older checkpoint in place) when the file would exceed max_bytes.
    """
    tmp = f"{path}.tmp"
    with open(tmp, "wb") as f:
        torch.save(to_cpu(state), f)
        f.flush()
        os.fsync(f.fileno())
    size = os.path.getsize(tmp)
    if size > max_bytes:
        os.unlink(tmp)
        raise ValueError(f"checkpoint {path}: {size} bytes, more than the {max_bytes} allowed")
    os.replace(tmp, path)
    return size


def load(path: str) -> dict[str, Any]:
    """Read a checkpoint written by `save`, every tensor on the CPU."""
    if _HAS_WEIGHTS_ONLY:
        ck = torch.load(path, map_location="cpu", weights_only=False)
    else:
        ck = torch.load(path, map_location="cpu")
    if not isinstance(ck, dict) or "model" not in ck or "step" not in ck:
        raise ValueError(f"{path}: not a d3train checkpoint")
    return ck
