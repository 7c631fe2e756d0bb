"""Write a trained Deep3DNet as a deep3d model file (docs/model-format.md sections 1 to 3).

CLI: python3 tools/d3train/export.py CHECKPOINT.pt OUT.safetensors [--f16]
"""

from __future__ import annotations

import argparse
import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np
import torch

from d3train import checkpoint, paths  # noqa: F401
from d3train.model import Deep3DNet
from deep3d_ref import load_model, parse_spec
from safetensors_io import write_safetensors


def export_model(net: Deep3DNet, path: str | os.PathLike[str], extra_metadata: dict[str, str] | None = None,
                 f16: bool = False) -> None:
    """Write the file, then read it back through the strict reader (deep3d_ref.load_model)."""
    md = net.spec.to_metadata()
    for k, v in (extra_metadata or {}).items():
        if k.startswith("deep3d."):
            raise ValueError(f"metadata {k}: deep3d.* keys come from the spec")
        md[k] = str(v)
    dt = np.float16 if f16 else np.float32
    tensors = {k: v.numpy().astype(dt) for k, v in net.file_tensors().items()}
    for k, v in tensors.items():
        if not np.all(np.isfinite(v)):
            raise ValueError(f"tensor {k}: not finite")
    tmp = f"{path}.tmp"
    write_safetensors(tmp, tensors, md)
    load_model(tmp)
    os.replace(tmp, path)


def import_model(path: str | os.PathLike[str]) -> Deep3DNet:
    """A Deep3DNet holding the weights of an fcn model file (to fine-tune or compare)."""
    spec, tensors = load_model(path)
    net = Deep3DNet(spec)
    net.load_file_tensors({k: torch.from_numpy(v) for k, v in tensors.items()})
    return net


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Export a training checkpoint to a deep3d model file.")
    p.add_argument("checkpoint")
    p.add_argument("out")
    p.add_argument("--f16", action="store_true", help="store weights as F16 (half the size)")
    a = p.parse_args(argv)
    ck = checkpoint.load(a.checkpoint)
    net = Deep3DNet(parse_spec(ck["metadata"]))
    net.load_state_dict(ck["model"])
    export_model(net, a.out, ck.get("extra_metadata"), a.f16)
    return 0


if __name__ == "__main__":
    sys.exit(main())
