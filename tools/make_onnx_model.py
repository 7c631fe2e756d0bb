#!/usr/bin/python3
"""Tiny ONNX depth models for the tests (docs/onnx.md, "The model contract").

Each model's output is a known function of its input, so the filter's result can be
checked against a numpy rendering; the "bad-*" models each break one rule of the contract
(or are not valid ONNX at all) and must be refused with a clear error at init.

Usage: make_onnx_model.py KIND OUT.onnx [--size WxH] [--dynamic]

Good models (input "image" float32 [1, 3, H, W], normalised RGB):
  luma       depth [1, H, W] = 0.299 x0 + 0.587 x1 + 0.114 x2 (the normalised channels)
  luma4      the same as [1, 1, H, W]
  luma-half  [1, 1, H/2, W/2]: the 2x2 mean of luma (a depth map smaller than the input)
  luma-fp16  luma with a float16 input and output (a half-precision export)
  rowramp    [1, H, W]: the row index (0 at the top; the bottom is nearest), whatever the picture
Bad models:
  bad-rank        input [3, H, W]
  bad-channels    input [1, 1, H, W]
  bad-type        input int64
  bad-out-type    output int64
  bad-out-batch   output [2, H, W]
  bad-two-inputs  two inputs
  bad-no-output   a graph without outputs
  bad-nan         output 0/0 (NaN)
  bad-inf         output 1/0 (+inf)
  nan-dark        sqrt of the mean normalised channel: finite on the grey picture of the
                  first run, NaN on pixels darker than the mean (an error on such frames)
  bad-corrupt     an ONNX header followed by bytes that are not protobuf
  bad-truncated   the first half of the luma model
Written with Debian's python3-onnx 1.12 at opset 13 and IR version 7 (what ONNX Runtime
1.21 and later read). Deterministic: the same arguments give the same bytes.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
IR_VERSION = 7
LUMA = (0.299, 0.587, 0.114)


def _model(nodes: list, inputs: list, outputs: list, inits: list | None = None) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "deep3d_test", inputs, outputs, initializer=inits or [])
    m = helper.make_model(graph, producer_name="deep3d-tests", opset_imports=[helper.make_opsetid("", OPSET)])
    m.ir_version = IR_VERSION
    return m


def _image(h: int | str, w: int | str, elem=TensorProto.FLOAT, shape: list | None = None):
    return helper.make_tensor_value_info("image", elem, shape if shape is not None else [1, 3, h, w])


def _luma_nodes(out: str) -> tuple[list, list]:
    """image -> out [1, 1, H, W]: a 1x1 convolution with the luma weights."""
    w = numpy_helper.from_array(np.array(LUMA, np.float32).reshape(1, 3, 1, 1), "luma_w")
    return [helper.make_node("Conv", ["image", "luma_w"], [out])], [w]


def _squeeze1(src: str, dst: str) -> tuple[list, list]:
    axes = numpy_helper.from_array(np.array([1], np.int64), "axes1")
    return [helper.make_node("Squeeze", [src, "axes1"], [dst])], [axes]


def build(kind: str, w: int, h: int, dynamic: bool) -> bytes:
    hd: int | str = "height" if dynamic else h
    wd: int | str = "width" if dynamic else w
    f = TensorProto.FLOAT
    if kind in ("luma", "luma4", "bad-out-type", "bad-out-batch", "bad-two-inputs", "bad-truncated"):
        nodes, inits = _luma_nodes("l4")
        out_shape = [1, hd, wd]
        if kind == "luma4":
            nodes[0].output[0] = "depth"
            return _model(nodes, [_image(hd, wd)], [helper.make_tensor_value_info("depth", f, [1, 1, hd, wd])],
                          inits).SerializeToString()
        sq, sq_init = _squeeze1("l4", "depth" if kind not in ("bad-out-type", "bad-out-batch") else "l3")
        nodes += sq
        inits += sq_init
        inputs = [_image(hd, wd)]
        out_elem = f
        if kind == "bad-out-type":
            nodes.append(helper.make_node("Cast", ["l3"], ["depth"], to=TensorProto.INT64))
            out_elem = TensorProto.INT64
        elif kind == "bad-out-batch":
            nodes.append(helper.make_node("Concat", ["l3", "l3"], ["depth"], axis=0))
            out_shape = [2, hd, wd]
        elif kind == "bad-two-inputs":
            inputs.append(helper.make_tensor_value_info("extra", f, [1]))
            nodes[-1].output[0] = "l3b"
            nodes.append(helper.make_node("Add", ["l3b", "extra"], ["depth"]))
        data = _model(nodes, inputs, [helper.make_tensor_value_info("depth", out_elem, out_shape)],
                      inits).SerializeToString()
        return data[: len(data) // 2] if kind == "bad-truncated" else data
    if kind == "luma-fp16":
        # float16 in and out (a half-precision export): the luma in float between two Casts
        nodes, inits = _luma_nodes("l4")
        nodes[0].input[0] = "imf"
        nodes.insert(0, helper.make_node("Cast", ["image"], ["imf"], to=f))
        sq, sq_init = _squeeze1("l4", "l3")
        nodes += sq + [helper.make_node("Cast", ["l3"], ["depth"], to=TensorProto.FLOAT16)]
        return _model(nodes, [_image(hd, wd, elem=TensorProto.FLOAT16)],
                      [helper.make_tensor_value_info("depth", TensorProto.FLOAT16, [1, hd, wd])],
                      inits + sq_init).SerializeToString()
    if kind == "luma-half":
        nodes, inits = _luma_nodes("l4")
        nodes.append(helper.make_node("AveragePool", ["l4"], ["depth"], kernel_shape=[2, 2], strides=[2, 2]))
        oh = "oh" if dynamic else h // 2
        ow = "ow" if dynamic else w // 2
        return _model(nodes, [_image(hd, wd)], [helper.make_tensor_value_info("depth", f, [1, 1, oh, ow])],
                      inits).SerializeToString()
    if kind == "rowramp":
        if dynamic:
            raise ValueError("rowramp has a fixed size")
        # 0 * (sum of the input) + the ramp: the output depends on the picture only
        # through a zero, so it is the ramp for every frame (and the input is still used)
        ramp = numpy_helper.from_array(np.repeat(np.arange(h, dtype=np.float32)[:, None], w, 1)[None], "ramp")
        zero = numpy_helper.from_array(np.zeros((1,), np.float32), "zero")
        axes = numpy_helper.from_array(np.array([1], np.int64), "axes1")
        nodes = [helper.make_node("ReduceSum", ["image", "axes1"], ["s"], keepdims=0),
                 helper.make_node("Mul", ["s", "zero"], ["z"]),
                 helper.make_node("Add", ["z", "ramp"], ["depth"])]
        return _model(nodes, [_image(h, w)], [helper.make_tensor_value_info("depth", f, [1, h, w])],
                      [ramp, zero, axes]).SerializeToString()
    if kind == "bad-rank":
        nodes, inits = _luma_nodes("l4")
        unsq = numpy_helper.from_array(np.array([0], np.int64), "axes0")
        nodes.insert(0, helper.make_node("Unsqueeze", ["image3", "axes0"], ["image"]))
        sq, sq_init = _squeeze1("l4", "depth")
        return _model(nodes + sq, [helper.make_tensor_value_info("image3", f, [3, h, w])],
                      [helper.make_tensor_value_info("depth", f, [1, h, w])], inits + [unsq] + sq_init).SerializeToString()
    if kind == "bad-channels":
        sq, sq_init = _squeeze1("image", "depth")
        return _model(sq, [_image(h, w, shape=[1, 1, h, w])], [helper.make_tensor_value_info("depth", f, [1, h, w])],
                      sq_init).SerializeToString()
    if kind == "bad-type":
        nodes = [helper.make_node("Cast", ["image"], ["imf"], to=TensorProto.FLOAT),
                 helper.make_node("ReduceMean", ["imf"], ["depth"], axes=[1], keepdims=0)]
        return _model(nodes, [_image(h, w, elem=TensorProto.INT64)],
                      [helper.make_tensor_value_info("depth", f, [1, h, w])]).SerializeToString()
    if kind == "bad-no-output":
        nodes, inits = _luma_nodes("l4")
        return _model(nodes, [_image(h, w)], [], inits).SerializeToString()
    if kind in ("bad-nan", "bad-inf"):
        nodes = [helper.make_node("ReduceMean", ["image"], ["m"], axes=[1], keepdims=0),
                 helper.make_node("Sub", ["m", "m"], ["zero"])]
        if kind == "bad-nan":
            nodes.append(helper.make_node("Div", ["zero", "zero"], ["depth"]))
        else:
            nodes.append(helper.make_node("Reciprocal", ["zero"], ["depth"]))
        return _model(nodes, [_image(h, w)], [helper.make_tensor_value_info("depth", f, [1, h, w])]).SerializeToString()
    if kind == "nan-dark":
        nodes = [helper.make_node("ReduceMean", ["image"], ["m"], axes=[1], keepdims=0),
                 helper.make_node("Sqrt", ["m"], ["depth"])]
        return _model(nodes, [_image(hd, wd)], [helper.make_tensor_value_info("depth", f, [1, hd, wd])]).SerializeToString()
    if kind == "bad-corrupt":
        # starts like a ModelProto (ir_version 7), then a length-delimited field that runs past the end
        return bytes([0x08, 0x07, 0x3a, 0xff, 0xff, 0x03]) + bytes(range(200))
    raise ValueError(f"unknown kind {kind}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("kind")
    p.add_argument("out")
    p.add_argument("--size", default="32x24", help="input WxH (default 32x24)")
    p.add_argument("--dynamic", action="store_true", help="leave the input's height and width free")
    a = p.parse_args(argv)
    w, h = (int(v) for v in a.size.split("x"))
    data = build(a.kind, w, h, a.dynamic)
    with open(a.out, "wb") as f:
        f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
