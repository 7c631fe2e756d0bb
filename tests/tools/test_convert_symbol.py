"""convert_mxnet.py --symbol: the old (pre-NNVM) symbol JSON is checked against the graph we run."""

from __future__ import annotations

import copy
import json
import os
import tempfile
import unittest
from typing import Any, Callable

import numpy as np

import naive  # noqa: F401  (sets up the tools/ import path)
import mxnet_writer as mw
from convert_mxnet import ConvertError, check_symbol, released_spec
from test_convert_mxnet import SMALL, SMALL_ARGS, run_convert

SPEC = released_spec()


def node(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(n for n in doc["nodes"] if n["name"] == name)


def index(doc: dict[str, Any], name: str) -> int:
    return next(i for i, n in enumerate(doc["nodes"]) if n["name"] == name)


class SymbolTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def check(self, doc: Any) -> tuple[list[str], list[str]]:
        path = os.path.join(self.tmp.name, "s.json")
        with open(path, "w") as f:
            f.write(doc if isinstance(doc, str) else json.dumps(doc))
        return check_symbol(path, SPEC)

    def mutated(self, change: Callable[[dict[str, Any]], None]) -> list[str]:
        doc = mw.symbol_json()
        change(doc)
        mism, _ = self.check(doc)
        return mism

    def test_released_graph_matches(self) -> None:
        mism, notes = self.check(mw.symbol_json())
        self.assertEqual(mism, [])
        self.assertEqual(notes, ["DepthDot scale (4294967281,17) read as (-15, 17) (negative values stored as uint32)"])
        # Written the way newer MXNet fixed it (issue #42): no note.
        doc = mw.symbol_json()
        node(doc, "depth")["param"]["scale"] = "(-15,17)"
        self.assertEqual(self.check(doc), ([], []))

    def test_nnvm_style_graph_matches(self) -> None:
        # NNVM JSON: "attrs" instead of "param", SoftmaxActivation "mode", BN aux states as inputs,
        # Dropout dropped (identity at inference), 3-element input entries.
        doc = mw.symbol_json()
        for n in doc["nodes"]:
            n["attrs"] = n.pop("param")
            n["inputs"] = [e + [0] for e in n["inputs"]]
        sm = node(doc, "softmax")
        sm["attrs"] = {"mode": "channel"}
        for b in range(1, 5):
            bn = index(doc, f"bn_pool{b}")
            for aux in ("moving_mean", "moving_var"):
                doc["nodes"].append({"op": "null", "name": f"bn_pool{b}_{aux}", "attrs": {}, "inputs": []})
                doc["nodes"][bn]["inputs"].append([len(doc["nodes"]) - 1, 0, 1])
        for d in ("drop6", "drop7"):
            i = index(doc, d)
            for n in doc["nodes"]:
                n["inputs"] = [doc["nodes"][i]["inputs"][0] if e[0] == i else e for e in n["inputs"]]
            doc["nodes"][i] = {"op": "null", "name": f"unused_{d}", "attrs": {}, "inputs": []}
        mism, _ = self.check(doc)
        self.assertEqual(mism, [])

    def test_layer_parameter_mismatches(self) -> None:
        def p(name: str, key: str, value: str | None) -> Callable[[dict[str, Any]], None]:
            def change(doc: dict[str, Any]) -> None:
                if value is None:
                    del node(doc, name)["param"][key]
                else:
                    node(doc, name)["param"][key] = value
            return change

        cases = [
            (p("conv3_2", "num_filter", "128"), "conv3_2", "num_filter '128' (128), expected 256"),
            (p("conv1_1", "pad", "(0,0)"), "conv1_1", "pad '(0,0)' ((0, 0)), expected (1, 1)"),
            (p("pred2", "kernel", "(5,5)"), "pred2", "kernel '(5,5)'"),
            (p("deconv_pred3", "stride", "(2,2)"), "branch 3", "stride '(2,2)' ((2, 2)), expected (4, 4)"),
            (p("deconv_pred4", "no_bias", None), "branch 4", "no_bias absent (True), expected False"),
            (p("deconv_predup", "pad", "(0,0)"), "deconv_predup", "pad"),
            (p("pool2", "pool_type", "avg"), "pool2", "pool_type 'avg' (avg), expected max"),
            (p("fc6", "num_hidden", "4096"), "fc6", "num_hidden '4096' (4096), expected 512"),
            (p("pred5", "num_hidden", "1900"), "pred5", "expected 1980"),
            (p("reshape0", "target_shape", "(0,33,12,5)"), "reshape0", "expected (0,33,5,12)"),
            (p("bn_pool1", "fix_gamma", "True"), "bn_pool1", "fix_gamma 'True' (True), expected False"),
            (p("bn_pool2", "eps", "1e-5"), "bn_pool2", "eps '1e-5' (1e-05), expected 0.001"),
            (p("softmax", "type", "instance"), "softmax", "type 'instance' (instance), expected channel"),
            (p("relu3_1", "act_type", "tanh"), "relu3_1", "act_type 'tanh'"),
            (p("depth", "scale", "(4294967280,17)"), "DepthDot", "scale (-16, 17)"),
            (p("elementwisesum0", "num_args", "4"), "branch sum", "num_args '4' (4), expected 5"),
            (p("conv4_1", "kernel", "3x3"), "conv4_1", "unreadable kernel='3x3'"),
            (p("reshape0", "target_shape", None), "reshape0", "has no target_shape"),
        ]
        for change, where, words in cases:
            with self.subTest(where=where, words=words):
                mism = self.mutated(change)
                self.assertTrue(mism, "no mismatch reported")
                self.assertTrue(any(where in m and words in m for m in mism), mism)

    def test_structure_mismatches(self) -> None:
        def op(name: str, new: str) -> Callable[[dict[str, Any]], None]:
            return lambda doc: node(doc, name).__setitem__("op", new)

        def rewire(name: str, k: int, src: str) -> Callable[[dict[str, Any]], None]:
            return lambda doc: node(doc, name)["inputs"].__setitem__(k, [index(doc, src), 0])

        def extra_node(doc: dict[str, Any]) -> None:
            doc["nodes"].append({"op": "Activation", "param": {"act_type": "relu"}, "name": "stray",
                                 "inputs": [[index(doc, "pool3"), 0]], "backward_source_id": -1})

        def no_selection(doc: dict[str, Any]) -> None:
            doc["nodes"][index(doc, "depth")] = {"op": "null", "name": "x", "inputs": []}
            node(doc, "softmax")["op"] = "SoftmaxOutput"

        cases = [
            (op("pool1", "Convolution"), "found node 5 'pool1' (Convolution), expected Pooling"),
            (op("bn_pool3", "InstanceNorm"), "expected CuDNNBatchNorm or BatchNorm"),
            (op("deconv_pred2", "Convolution"), "branch sum input 1"),
            (rewire("bn_pool2", 0, "pool1"), "branch 2 reads node 5 'pool1'"),
            (rewire("pred3", 1, "pred4_weight"), "expected variable 'pred3_weight'"),
            (rewire("elementwisesum0", 4, "deconv_pred4"), "deconv_pred4 appears twice"),
            (extra_node, "node 111 'stray' (Activation) is not part of the network"),
            # Stage 5 skipping stage 4: the trunk no longer passes through pool4.
            (rewire("conv5_1", 0, "pool3"), "stage 4: branch 4 reads node 58 'pool4'"),
            (no_selection, "no DepthDot node and no single SoftmaxActivation"),
        ]
        for change, words in cases:
            with self.subTest(words=words):
                mism = self.mutated(change)
                self.assertTrue(any(words in m for m in mism), mism)

    def test_deploy_symbol_without_depthdot(self) -> None:
        doc = mw.symbol_json()
        cut = index(doc, "softmax") + 1
        doc["nodes"] = doc["nodes"][:cut]
        doc["heads"] = [[cut - 1, 0]]
        mism, notes = self.check(doc)
        self.assertEqual(mism, [])
        self.assertIn("no DepthDot", notes[0])

    def test_unreadable_symbols(self) -> None:
        for text, words in (("{nope", "not valid JSON"), ("[1, 2]", "no 'nodes' list"),
                            ('{"nodes": [{"op": 1}]}', "node 0 has no string"),
                            ('{"nodes": [{"op": "null", "name": "a", "inputs": [[5, 0]]}]}', "bad input entry"),
                            ('{"nodes": [{"op": "x", "name": "a", "param": {"k": 3}}]}', "must be strings")):
            with self.subTest(text=text):
                with self.assertRaises(ConvertError) as cm:
                    self.check(text)
                self.assertIn(words, str(cm.exception))
        with self.assertRaises(ConvertError) as cm:
            check_symbol(os.path.join(self.tmp.name, "missing.json"), SPEC)
        self.assertIn("No such file", str(cm.exception))

    def test_cli_rejects_mismatching_symbol(self) -> None:
        raw = mw.random_weights(np.random.default_rng(51), mw.deep3d_shapes(**SMALL))
        params = os.path.join(self.tmp.name, "m.params")
        mw.write_params(params, [(n, a.astype(np.float32)) for n, a in raw.items()])
        doc = mw.symbol_json(**SMALL)
        sym = os.path.join(self.tmp.name, "s.json")
        mw.write_symbol(sym, doc)
        out = os.path.join(self.tmp.name, "o.safetensors")
        r = run_convert(params, out, "--symbol", sym, *SMALL_ARGS)
        self.assertEqual(r.returncode, 0, r.stderr)
        bad = copy.deepcopy(doc)
        node(bad, "conv2_1")["param"]["num_filter"] = "7"
        node(bad, "deconv_pred5")["param"]["kernel"] = "(16,16)"
        mw.write_symbol(sym, bad)
        os.unlink(out)
        r = run_convert(params, out, "--symbol", sym, *SMALL_ARGS)
        self.assertEqual(r.returncode, 1)
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 2, r.stderr)
        self.assertTrue(all(ln.startswith("convert_mxnet: error: symbol mismatch: ") for ln in lines), lines)
        self.assertIn("conv2_1", r.stderr)
        self.assertIn("deconv_pred5", r.stderr)
        self.assertNotIn("Traceback", r.stderr)
        self.assertFalse(os.path.exists(out))
        with open(sym, "w") as f:
            f.write("{")
        r = run_convert(params, out, "--symbol", sym, *SMALL_ARGS)
        self.assertEqual(r.returncode, 1)
        self.assertIn("not valid JSON", r.stderr)


if __name__ == "__main__":
    unittest.main()
