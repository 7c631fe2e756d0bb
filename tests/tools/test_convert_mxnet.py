"""tools/convert_mxnet.py: synthetic .params files of the released form, converted and run.

The files come from the independent writer (mxnet_writer.py); the converted model runs
through tools/deep3d_ref.py and is compared with original_oracle.py, which computes the
released graph straight from the raw MXNet-named arrays.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

import naive
import mxnet_writer as mw
import original_oracle as oracle
import deep3d_ref as ref
from convert_mxnet import INV_STD_MAX, bn_stats
from safetensors_io import read_safetensors

TOOLS = naive.TOOLS_DIR
# A narrow variant of the released graph: 128x64 input gives pool5 2x4 (h5 != w5, so a
# transposed flatten or reshape shows), K stays 33.
SMALL = dict(channels=(4, 6, 8, 8, 12), fc=16, h5=2, w5=4)
SMALL_ARGS = ["--input", "128x64", "--channels", "4,6,8,8,12", "--fc", "16"]
RELEASED_MD = {
    "deep3d.version": "1", "deep3d.arch": "original", "deep3d.input_width": "384",
    "deep3d.input_height": "160", "deep3d.stage_channels": "64,128,256,512,512",
    "deep3d.stage_convs": "1,1,2,2,2", "deep3d.fc_channels": "512", "deep3d.disparity_min": "-15",
    "deep3d.disparity_max": "16", "deep3d.disparity_width": "384", "deep3d.color_order": "bgr",
    "deep3d.input_scale": "255", "deep3d.input_mean": "0,0,0",
}


def run_convert(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(TOOLS / "convert_mxnet.py"), *args], capture_output=True,
                          text=True, cwd=tempfile.gettempdir(), timeout=300)


def shuffled_items(raw: dict[str, np.ndarray], dtype: type, seed: int) -> list[tuple[str, np.ndarray]]:
    """The arrays in a random order (MXNet wrote Python-2 dict order), cast to the stored dtype."""
    names = list(raw)
    order = np.random.default_rng(seed).permutation(len(names))
    return [(names[i], raw[names[i]].astype(dtype)) for i in order]


def ref_logits(spec: ref.ModelSpec, weights: dict[str, np.ndarray], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    got: dict[str, np.ndarray] = {}
    P = ref.forward(spec, weights, x, trace=lambda n, a: got.__setitem__(n, a) if n == "logits" else None)
    return got["logits"], P


class Tmp(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def p(self, name: str) -> str:
        return os.path.join(self.tmp.name, name)

    def convert_ok(self, params: str, out: str, *extra: str) -> subprocess.CompletedProcess[str]:
        r = run_convert(params, out, *extra)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("Traceback", r.stderr)
        return r


class SmallFormatsTest(Tmp):
    """Every record format and stored dtype, arbitrary order, against the oracle."""

    def test_records_and_dtypes(self) -> None:
        cases = [("legacy", np.float32, 1), ("legacy", np.float16, 2), ("v1", np.float64, 3),
                 ("v2", np.float16, 4), ("v2", np.float32, 5), ("v3", np.float32, 6)]
        rng = np.random.default_rng(100)
        img = ref.synthetic_image(rng, 64, 128)
        for record, dtype, seed in cases:
            with self.subTest(record=record, dtype=dtype.__name__):
                raw = mw.random_weights(np.random.default_rng(seed), mw.deep3d_shapes(**SMALL))
                items = shuffled_items(raw, dtype, seed)
                stored = dict(items)
                params, out = self.p(f"{record}.params"), self.p(f"{record}.safetensors")
                mw.write_params(params, items, record)
                r = self.convert_ok(params, out, *SMALL_ARGS)
                self.assertEqual(r.stderr, "")  # no warnings for a well-formed inv-std file
                spec, w = ref.load_model(out)
                self.assertEqual((spec.input_width, spec.input_height, spec.K), (128, 64, 33))
                self.assertEqual(len(w), 60)
                for name, a in stored.items():
                    np.testing.assert_array_equal(w[name.split(":")[1]], a.astype(np.float32), name)
                x = ref.preprocess(spec, img)
                np.testing.assert_allclose(x, img, rtol=0, atol=1e-12)  # scale 255, mean 0: raw 0..255 BGR
                logits, P = ref_logits(spec, w, x)
                want = oracle.forward(stored, img)
                if dtype == np.float64:  # stored as float32: one rounding per weight
                    tol = 1e-5 * float(np.abs(want["logits"]).max())
                    np.testing.assert_allclose(logits, want["logits"], rtol=0, atol=tol)
                    np.testing.assert_allclose(P, want["softmax"], rtol=0, atol=1e-5)
                else:  # the very same values on both sides
                    np.testing.assert_allclose(logits, want["logits"], rtol=1e-9, atol=1e-9)
                    np.testing.assert_allclose(P, want["softmax"], rtol=0, atol=1e-12)

    def test_oracle_comparison_is_sensitive(self) -> None:
        # The comparison above would catch the classic converter mistakes: each one moves the
        # logits far more than the tolerance.
        raw = mw.random_weights(np.random.default_rng(7), mw.deep3d_shapes(**SMALL))
        img = ref.synthetic_image(np.random.default_rng(8), 64, 128)
        items = shuffled_items(raw, np.float32, 7)
        stored = dict(items)
        mw.write_params(self.p("a.params"), items)
        self.convert_ok(self.p("a.params"), self.p("a.safetensors"), *SMALL_ARGS)
        spec, w = ref.load_model(self.p("a.safetensors"))
        logits, _ = ref_logits(spec, w, img)
        scale = float(np.abs(logits).max())
        wrong: dict[str, dict[str, np.ndarray]] = {}
        t = dict(stored)
        for n in ("deconv_pred2", "deconv_pred5", "deconv_predup"):  # (C_out, C_in) read as (C_in, C_out)
            t[f"arg:{n}_weight"] = np.ascontiguousarray(stored[f"arg:{n}_weight"].transpose(1, 0, 2, 3))
        wrong["deconv axes"] = t
        t = dict(stored)  # flatten in (h, w, c) order instead of (c, h, w)
        c5, h5, w5 = 12, 2, 4
        t["arg:fc6_weight"] = stored["arg:fc6_weight"].reshape(-1, h5, w5, c5).transpose(0, 3, 1, 2).reshape(-1, c5 * h5 * w5)
        wrong["flatten order"] = t
        t = dict(stored)  # pred5 output reshaped as (h5, w5, K)
        t["arg:pred5_weight"] = stored["arg:pred5_weight"].reshape(h5, w5, 33, -1).transpose(2, 0, 1, 3).reshape(33 * h5 * w5, -1)
        t["arg:pred5_bias"] = stored["arg:pred5_bias"].reshape(h5, w5, 33).transpose(2, 0, 1).reshape(-1)
        wrong["pred5 reshape"] = t
        t = dict(stored)
        for b in range(1, 5):  # the usual workaround: inv_var read as a variance
            t[f"aux:bn_pool{b}_moving_inv_var"] = 1.0 / np.sqrt(stored[f"aux:bn_pool{b}_moving_inv_var"] + 1e-3)
        wrong["BN inv_var as variance"] = t
        for what, t in wrong.items():
            with self.subTest(mistake=what):
                d = float(np.abs(oracle.forward(t, img)["logits"] - logits).max())
                self.assertGreater(d, 1e-3 * scale, what)


class RealShapesTest(Tmp):
    """The released sizes: 60 arrays, 112,109,900 bytes, 384x160, with the released symbol."""

    def test_released_form(self) -> None:
        shapes = mw.deep3d_shapes()
        self.assertEqual(len(shapes), 60)
        self.assertEqual(sum(n.startswith("aux:") for n in shapes), 8)
        self.assertEqual(sum(int(np.prod(s)) for s in shapes.values()), 28026705)
        raw = mw.random_weights(np.random.default_rng(11), shapes)
        items = shuffled_items(raw, np.float32, 11)
        stored = dict(items)
        params = self.p("deep3d-0050.params")
        mw.write_params(params, items, "legacy")
        self.assertEqual(os.path.getsize(params), 112109900)  # spec section 1.4
        mw.write_symbol(self.p("deep3d-symbol.json"), mw.symbol_json())
        out = self.p("deep3d-original.safetensors")
        r = self.convert_ok(params, out, "--symbol", self.p("deep3d-symbol.json"))
        self.assertIn("4294967281", r.stderr)  # the uint32 note, nothing else
        self.assertNotIn("warning", r.stderr)
        self.assertIn("60 tensors, 28026705 values", r.stdout)

        tensors, md = read_safetensors(out)
        for k, v in RELEASED_MD.items():
            self.assertEqual(md[k], v, k)
        self.assertIn("deep3d-0050.params", md["source"])
        self.assertIn("legacy", md["source"])
        self.assertIn("sha256", md["source"])
        self.assertIn("inverse std", md["conversion"])
        self.assertIn("do not redistribute", md["license"])
        spec, w = ref.load_model(out)
        for name, a in stored.items():
            np.testing.assert_array_equal(w[name[4:]], a, name)

        img = ref.synthetic_image(np.random.default_rng(12), 160, 384)
        logits, P = ref_logits(spec, w, ref.preprocess(spec, img))
        want = oracle.forward(stored, img)
        np.testing.assert_allclose(logits, want["logits"], rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(P, want["softmax"], rtol=0, atol=1e-12)
        self.assertLess(float(np.median(P.max(axis=0))), 0.99)  # not saturated: the comparison bites
        # The right view: the filter's selection layer at 384x160 is the original DepthDot.
        R = oracle.depth_dot(want["softmax"], img)
        for c in range(3):
            got = ref.render_plane(P, img[c], spec.disparity_min, spec.disparity_width)
            np.testing.assert_allclose(got, R[c], rtol=0, atol=1e-9)


class OptionsTest(Tmp):
    def setUp(self) -> None:
        super().setUp()
        self.raw = mw.random_weights(np.random.default_rng(21), mw.deep3d_shapes(**SMALL))
        self.items = shuffled_items(self.raw, np.float32, 21)
        mw.write_params(self.p("m.params"), self.items)

    def test_f16(self) -> None:
        self.convert_ok(self.p("m.params"), self.p("h.safetensors"), "--dtype", "f16", *SMALL_ARGS)
        tensors, md = read_safetensors(self.p("h.safetensors"))
        self.assertIn("F16", md["conversion"])
        for name, a in self.items:
            self.assertEqual(tensors[name[4:]].dtype, np.float16)
            np.testing.assert_array_equal(tensors[name[4:]], a.astype(np.float16), name)

    def test_mean(self) -> None:
        self.convert_ok(self.p("m.params"), self.p("m.safetensors"), "--mean", "-1.5,117,123.25", *SMALL_ARGS)
        spec, w = ref.load_model(self.p("m.safetensors"))
        self.assertEqual(spec.input_mean, (-1.5, 117.0, 123.25))
        self.assertEqual((spec.color_order, spec.input_scale), ("bgr", 255.0))
        img = ref.synthetic_image(np.random.default_rng(22), 64, 128)
        x = ref.preprocess(spec, img)
        np.testing.assert_allclose(x, img - np.array([-1.5, 117.0, 123.25])[:, None, None], atol=1e-12)
        logits, _ = ref_logits(spec, w, x)
        np.testing.assert_allclose(logits, oracle.forward(dict(self.items), x)["logits"], rtol=1e-9, atol=1e-9)

    def test_variant_disparity(self) -> None:
        shapes = mw.deep3d_shapes(k=9, **SMALL)
        raw = mw.random_weights(np.random.default_rng(23), shapes)
        mw.write_params(self.p("k9.params"), shuffled_items(raw, np.float32, 23), "v2")
        mw.write_symbol(self.p("k9.json"), mw.symbol_json(k=9, dmin=-3, dmax=4, **SMALL))
        self.convert_ok(self.p("k9.params"), self.p("k9.safetensors"), "--disparity", "-3:4",
                        "--symbol", self.p("k9.json"), *SMALL_ARGS)
        spec, _ = ref.load_model(self.p("k9.safetensors"))
        self.assertEqual((spec.disparity_min, spec.disparity_max, spec.K, spec.disparity_width), (-3, 4, 9, 128))


class BnHeuristicTest(Tmp):
    def test_verdicts(self) -> None:
        rng = np.random.default_rng(31)
        mean = rng.uniform(0, 150, 256)
        std = mean * rng.uniform(0.5, 2.0, 256) + 1.0
        inv = 1 / np.sqrt(std ** 2 + 1e-3)
        self.assertEqual(bn_stats("a", mean, inv).verdict, "inv_std")
        self.assertEqual(bn_stats("a", mean, std ** 2).verdict, "variance")
        # Small activations (std ~0.05..0.5): inverse stds above 1 are legitimate, and the
        # scale-free mean test keeps them from being flagged.
        small = 0.01 * rng.uniform(5, 50, 256)
        self.assertEqual(bn_stats("a", small, 1 / np.sqrt((small * 0.8) ** 2 + 1e-3)).verdict, "ambiguous")
        # One value above 1/sqrt(eps) is impossible for cuDNN v4's statistic, whatever the rest say.
        bad = inv.copy()
        bad[3] = INV_STD_MAX * 1.01
        s = bn_stats("a", mean, bad)
        self.assertEqual((s.verdict, s.over_bound), ("variance", 1))
        bad[3] = INV_STD_MAX  # exactly the bound (a dead channel: var 0) is fine
        self.assertEqual(bn_stats("a", mean, bad).verdict, "inv_std")
        # Variances of small activations (all < 1): the mean test alone raises a doubt.
        self.assertEqual(bn_stats("a", small, (small * 0.8) ** 2).verdict, "ambiguous")

    def test_variance_file(self) -> None:
        shapes = mw.deep3d_shapes(**SMALL)
        raw = mw.random_weights(np.random.default_rng(32), shapes, bn="variance")
        items = shuffled_items(raw, np.float32, 32)
        mw.write_params(self.p("var.params"), items)
        r = self.convert_ok(self.p("var.params"), self.p("a.safetensors"), *SMALL_ARGS)
        self.assertIn("warning: moving_inv_var looks like a variance", r.stderr)
        self.assertIn("--bn-var", r.stderr)
        self.assertEqual(len(r.stderr.splitlines()), 1)
        # Converted as asked (inverse std kept): the values are stored unchanged.
        _, w = ref.load_model(self.p("a.safetensors"))
        np.testing.assert_array_equal(w["bn_pool1_moving_inv_var"], dict(items)["aux:bn_pool1_moving_inv_var"])

        r = self.convert_ok(self.p("var.params"), self.p("b.safetensors"), "--bn-var", *SMALL_ARGS)
        self.assertEqual(r.stderr, "")
        spec, w = ref.load_model(self.p("b.safetensors"))
        _, md = read_safetensors(self.p("b.safetensors"))
        self.assertIn("1/sqrt(v + 0.001)", md["conversion"])
        img = ref.synthetic_image(np.random.default_rng(33), 64, 128)
        logits, P = ref_logits(spec, w, img)
        want = oracle.forward(dict(items), img, bn_eps_var=True)
        # 1/sqrt(v + eps) is rounded to float32 once in the file.
        np.testing.assert_allclose(logits, want["logits"], rtol=0, atol=1e-5 * float(np.abs(logits).max()))
        np.testing.assert_allclose(P, want["softmax"], rtol=0, atol=1e-5)

    def test_bn_var_on_inv_std_file_warns(self) -> None:
        raw = mw.random_weights(np.random.default_rng(34), mw.deep3d_shapes(**SMALL))
        mw.write_params(self.p("inv.params"), shuffled_items(raw, np.float32, 34))
        r = self.convert_ok(self.p("inv.params"), self.p("a.safetensors"), "--bn-var", *SMALL_ARGS)
        self.assertIn("--bn-var given, but moving_inv_var looks like an inverse std", r.stderr)

    def test_nonpositive_inv_std_warns(self) -> None:
        raw = mw.random_weights(np.random.default_rng(35), mw.deep3d_shapes(**SMALL))
        raw["aux:bn_pool2_moving_inv_var"][[1, 4]] = [0.0, -0.01]
        mw.write_params(self.p("z.params"), shuffled_items(raw, np.float32, 35))
        r = self.convert_ok(self.p("z.params"), self.p("a.safetensors"), *SMALL_ARGS)
        self.assertIn("warning: bn_pool2_moving_inv_var has 2 value(s) <= 0", r.stderr)

    def test_calibrated_reference_model_is_inv_std(self) -> None:
        # deep3d_ref's calibrated random models store real pool statistics as inverse std.
        md, t = ref.random_model("original", 128, 64, (4, 6, 8, 8, 12), (1, 1, 2, 2, 2), 16, -15, 16, seed=3)
        for b in range(1, 5):
            s = bn_stats(f"bn_pool{b}", t[f"bn_pool{b}_moving_mean"], t[f"bn_pool{b}_moving_inv_var"])
            self.assertEqual(s.verdict, "inv_std", s.describe())


class ErrorTest(Tmp):
    """Every error: exit 1, one-line messages prefixed 'convert_mxnet: error:', no traceback, no output."""

    def setUp(self) -> None:
        super().setUp()
        self.raw = mw.random_weights(np.random.default_rng(41), mw.deep3d_shapes(**SMALL))
        self.items = [(n, a.astype(np.float32)) for n, a in self.raw.items()]

    def fails(self, blob_or_items: bytes | list[tuple[str, np.ndarray | None]], *words: str,
              extra: tuple[str, ...] = (), record: str = "legacy") -> list[str]:
        path = self.p("bad.params")
        if isinstance(blob_or_items, bytes):
            with open(path, "wb") as f:
                f.write(blob_or_items)
        else:
            mw.write_params(path, blob_or_items, record)
        out = self.p("out.safetensors")
        r = run_convert(path, out, *SMALL_ARGS, *extra)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertNotIn("Traceback", r.stderr)
        lines = r.stderr.splitlines()
        self.assertTrue(lines)
        for line in lines:
            self.assertTrue(line.startswith("convert_mxnet: "), line)
        errors = [ln for ln in lines if ln.startswith("convert_mxnet: error: ")]
        self.assertTrue(errors, r.stderr)
        for w in words:
            self.assertIn(w, r.stderr)
        self.assertFalse(os.path.exists(out))
        self.assertEqual([f for f in os.listdir(self.tmp.name) if f.startswith(".convert_mxnet")], [])
        return errors

    def replace(self, name: str, arr: np.ndarray | None) -> list[tuple[str, np.ndarray | None]]:
        return [(n, arr if n == name else a) for n, a in self.items]

    def test_missing_tensor(self) -> None:
        items = [(n, a) for n, a in self.items if n not in ("arg:fc7_bias", "aux:bn_pool3_moving_inv_var")]
        errors = self.fails(items, "missing tensor arg:fc7_bias (expected shape (16,))",
                            "missing tensor aux:bn_pool3_moving_inv_var (expected shape (8,))")
        self.assertEqual(len(errors), 2)

    def test_misshaped_tensor(self) -> None:
        self.fails(self.replace("arg:deconv_pred3_weight", np.zeros((33, 33, 4, 4), np.float32)),
                   "tensor deconv_pred3_weight: shape (33, 33, 4, 4), expected (33, 33, 8, 8)")
        self.fails(self.replace("arg:fc6_weight", np.zeros((16, 12 * 4 * 2), np.float32).T.copy()),
                   "tensor fc6_weight: shape (96, 16), expected (16, 96)")

    def test_extra_tensors(self) -> None:
        items = self.items + [("arg:conv1_2_weight", np.zeros((4, 4, 3, 3), np.float32)),
                              ("aux:bn_pool5_moving_mean", np.zeros(12, np.float32))]
        self.fails(items, "2 unexpected tensor(s)", "arg:conv1_2_weight", "aux:bn_pool5_moving_mean")

    def test_empty_and_nonfinite(self) -> None:
        self.fails(self.replace("arg:pred2_bias", None), "tensor pred2_bias: empty array")
        bad = self.raw["arg:pred2_bias"].astype(np.float32)
        bad[3] = np.nan
        self.fails(self.replace("arg:pred2_bias", bad), "tensor pred2_bias: contains NaN")

    def test_duplicate_name(self) -> None:
        items = self.items + [("aux:fc6_bias", np.zeros(16, np.float32))]
        self.fails(items, "'fc6_bias' occurs more than once")

    def test_file_format_errors(self) -> None:
        good = mw.encode_params(self.items)
        self.fails(b"\x13\x01" + good[2:], "not an MXNet NDArray file: magic 0x113")
        self.fails(good[:len(good) // 2], "truncated file")
        self.fails(good + b"xyz", "3 unexpected trailing bytes")
        a = np.zeros(3, np.float32)
        self.fails(mw.list_bytes([mw.record_bytes(a, type_flag=42)], ["arg:x"]), "unknown type flag 42")
        self.fails(mw.list_bytes([mw.record_bytes(a, "v2", stype=1)], ["arg:x"]), "row_sparse")
        self.fails(mw.list_bytes([mw.record_bytes(a)] * 2, ["arg:x"]), "name count 1 does not match array count 2")
        self.fails(mw.list_bytes([mw.record_bytes(a)], None), "unnamed arrays")
        self.fails(mw.list_bytes([], None)[:16] + (1 << 62).to_bytes(8, "little") + b"\0" * 32,
                   "array count", "impossible")
        self.fails(b"", "not an MXNet NDArray file")

    def test_io_errors(self) -> None:
        r = run_convert(self.p("does-not-exist.params"), self.p("o.safetensors"))
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"^convert_mxnet: error: .*does-not-exist.params: No such file")
        mw.write_params(self.p("ok.params"), self.items)
        r = run_convert(self.p("ok.params"), self.p("no-such-dir/o.safetensors"), *SMALL_ARGS)
        self.assertEqual(r.returncode, 1)
        self.assertIn("convert_mxnet: error:", r.stderr)
        self.assertNotIn("Traceback", r.stderr)

    def test_odd_names_stay_on_one_line(self) -> None:
        items = self.items + [("arg:evil\nname", np.zeros(1, np.float32))]
        self.fails(items, "arg:evil\\nname")

    def test_refuses_to_overwrite_input(self) -> None:
        mw.write_params(self.p("ok.params"), self.items)
        r = run_convert(self.p("ok.params"), self.p("ok.params"), *SMALL_ARGS)
        self.assertEqual(r.returncode, 1)
        self.assertIn("overwrite the input", r.stderr)
        self.assertEqual(open(self.p("ok.params"), "rb").read(), mw.encode_params(self.items))

    def test_f16_overflow(self) -> None:
        big = self.raw["arg:fc7_bias"].astype(np.float32)
        big[0] = 1e6
        self.fails(self.replace("arg:fc7_bias", big), "tensor fc7_bias: max |value| 1e+06 overflows float16",
                   extra=("--dtype", "f16"))

    def test_bn_var_negative(self) -> None:
        v = np.full(8, 4.0, np.float32)
        v[2] = -0.5
        self.fails(self.replace("aux:bn_pool3_moving_inv_var", v), "bn_pool3_moving_inv_var has values <=",
                   extra=("--bn-var",))

    def test_bad_options(self) -> None:
        mw.write_params(self.p("ok.params"), self.items)
        for args, word in ((["--mean", "1,2"], "three comma-separated"),
                           (["--mean", "a,b,c"], "three comma-separated"),
                           (["--dtype", "f64"], "invalid choice"),
                           (["--input", "100x64"], "multiple of 32"),
                           (["--nope"], "unrecognized arguments")):
            with self.subTest(args=args):
                r = run_convert(self.p("ok.params"), self.p("o.safetensors"), *args)
                self.assertEqual(r.returncode, 1)
                self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
                self.assertIn(word, r.stderr)
                self.assertFalse(os.path.exists(self.p("o.safetensors")))

    def test_released_geometry_by_default(self) -> None:
        # A small file without the variant options: every tensor is misshaped against the release.
        mw.write_params(self.p("small.params"), self.items)
        r = run_convert(self.p("small.params"), self.p("o.safetensors"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("tensor conv1_1_weight: shape (4, 3, 3, 3), expected (64, 3, 3, 3)", r.stderr)
        self.assertIn("tensor fc6_weight: shape (16, 96), expected (512, 30720)", r.stderr)


if __name__ == "__main__":
    unittest.main()
