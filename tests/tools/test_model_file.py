"""Metadata (section 2), tensor set (section 3) and load_model."""

from __future__ import annotations

import os
import tempfile
import unittest

import numpy as np

import naive  # noqa: F401  (sets up the tools/ import path)
import deep3d_ref as ref
from safetensors_io import ModelFormatError, write_safetensors

ORIGINAL_MD: dict[str, str] = {
    "deep3d.version": "1",
    "deep3d.arch": "original",
    "deep3d.input_width": "384",
    "deep3d.input_height": "160",
    "deep3d.stage_channels": "64,128,256,512,512",
    "deep3d.stage_convs": "1,1,2,2,2",
    "deep3d.fc_channels": "512",
    "deep3d.disparity_min": "-15",
    "deep3d.disparity_max": "16",
    "deep3d.disparity_width": "384",
    "deep3d.color_order": "bgr",
    "deep3d.input_scale": "255",
    "deep3d.input_mean": "0,0,0",
    "training.note": "free-form keys are ignored",
}


class SpecTest(unittest.TestCase):
    def assertBad(self, changes: dict[str, str | None], *words: str) -> None:
        md = dict(ORIGINAL_MD)
        for k, v in changes.items():
            if v is None:
                md.pop(k, None)
            else:
                md[k] = v
        with self.assertRaises(ModelFormatError) as cm:
            ref.parse_spec(md)
        for w in words:
            self.assertIn(w, str(cm.exception))

    def test_original_example(self) -> None:
        s = ref.parse_spec(ORIGINAL_MD)
        self.assertEqual((s.arch, s.input_width, s.input_height), ("original", 384, 160))
        self.assertEqual(s.stage_channels, (64, 128, 256, 512, 512))
        self.assertEqual(s.stage_convs, (1, 1, 2, 2, 2))
        self.assertEqual((s.fc_channels, s.D, s.K, s.h5, s.w5), (512, 32, 33, 5, 12))
        self.assertEqual((s.disparity_min, s.disparity_max, s.disparity_width), (-15, 16, 384))
        self.assertEqual((s.color_order, s.input_scale, s.input_mean), ("bgr", 255.0, (0.0, 0.0, 0.0)))
        # to_metadata round-trips (free-form keys aside).
        self.assertEqual(ref.parse_spec(s.to_metadata()), s)

    def test_fcn_has_no_fc_channels(self) -> None:
        md = dict(ORIGINAL_MD, **{"deep3d.arch": "fcn"})
        del md["deep3d.fc_channels"]
        s = ref.parse_spec(md)
        self.assertIsNone(s.fc_channels)
        self.assertEqual(s.num_conv_branches, 5)
        self.assertBad({"deep3d.arch": "fcn"}, "deep3d.fc_channels", "absent")

    def test_not_multiple_of_32(self) -> None:
        self.assertBad({"deep3d.input_width": "400"}, "deep3d.input_width", "multiple of 32")
        self.assertBad({"deep3d.input_height": "150"}, "deep3d.input_height", "multiple of 32")
        self.assertBad({"deep3d.input_width": "0"}, "deep3d.input_width")
        self.assertBad({"deep3d.input_height": "4128"}, "deep3d.input_height")

    def test_disparity(self) -> None:
        self.assertBad({"deep3d.disparity_min": "5", "deep3d.disparity_max": "4"},
                       "deep3d.disparity_max", "less than")
        self.assertBad({"deep3d.disparity_min": "4", "deep3d.disparity_max": "4"}, "2..256")
        self.assertBad({"deep3d.disparity_min": "-128", "deep3d.disparity_max": "128"}, "2..256")
        md = dict(ORIGINAL_MD, **{"deep3d.disparity_min": "-128", "deep3d.disparity_max": "127"})
        self.assertEqual(ref.parse_spec(md).K, 257)
        self.assertBad({"deep3d.disparity_width": "0"}, "deep3d.disparity_width")
        # -15..16 at width 15: plane 16 would shift by more than the whole picture
        self.assertBad({"deep3d.disparity_width": "15"}, "deep3d.disparity_width", "more than the width")

    def test_unknown_arch_and_keys(self) -> None:
        self.assertBad({"deep3d.arch": "vgg"}, "deep3d.arch", "vgg")
        self.assertBad({"deep3d.upsample": "4"}, "deep3d.upsample", "unknown")
        self.assertBad({"deep3d.version": "2"}, "deep3d.version")

    def test_missing_key(self) -> None:
        for key in ORIGINAL_MD:
            if key.startswith("deep3d."):
                with self.subTest(key=key):
                    self.assertBad({key: None}, key, "missing")

    def test_lists_and_numbers(self) -> None:
        self.assertBad({"deep3d.stage_channels": "64,128,256,512"}, "deep3d.stage_channels", "5")
        self.assertBad({"deep3d.stage_channels": "64,128,256,512,0"}, "deep3d.stage_channels")
        self.assertBad({"deep3d.stage_channels": "64,128,256,512,4097"}, "deep3d.stage_channels")
        self.assertBad({"deep3d.stage_convs": "1,1,2,2,9"}, "deep3d.stage_convs")
        self.assertBad({"deep3d.stage_convs": "1,1,2,2,x"}, "deep3d.stage_convs")
        self.assertBad({"deep3d.fc_channels": "5.0"}, "deep3d.fc_channels")
        self.assertBad({"deep3d.color_order": "RGB"}, "deep3d.color_order")
        self.assertBad({"deep3d.input_scale": "nan"}, "deep3d.input_scale")
        self.assertBad({"deep3d.input_scale": "0"}, "deep3d.input_scale")
        self.assertBad({"deep3d.input_mean": "1,2"}, "deep3d.input_mean")
        self.assertBad({"deep3d.input_mean": "1,2,inf"}, "deep3d.input_mean")
        md = dict(ORIGINAL_MD, **{"deep3d.input_mean": "103.939,116.779,-1e-3", "deep3d.input_scale": "1"})
        self.assertEqual(ref.parse_spec(md).input_mean, (103.939, 116.779, -0.001))


class LoadModelTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.tmp.name, "m.safetensors")
        self.md, self.t = ref.random_model("original", 64, 32, (2, 2, 3, 3, 4), (1, 1, 1, 1, 1), 5, 0, 2,
                                           seed=3, calibrate=False)

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def load_with(self, tensors: dict[str, np.ndarray], md: dict[str, str] | None = None) -> None:
        write_safetensors(self.path, tensors, self.md if md is None else md)
        ref.load_model(self.path)

    def test_loads(self) -> None:
        write_safetensors(self.path, self.t, self.md)
        spec, w = ref.load_model(self.path)
        self.assertEqual(spec.arch, "original")
        self.assertEqual(set(w), set(self.t))
        self.assertTrue(all(v.dtype == np.float32 for v in w.values()))

    def test_f16_widened_to_f32(self) -> None:
        t16 = {k: v.astype(np.float16) for k, v in self.t.items()}
        write_safetensors(self.path, t16, self.md)
        _, w = ref.load_model(self.path)
        self.assertEqual(w["fc6_weight"].dtype, np.float32)
        np.testing.assert_array_equal(w["fc6_weight"], t16["fc6_weight"].astype(np.float32))

    def test_missing_tensor(self) -> None:
        t = dict(self.t)
        del t["bn_pool3_moving_inv_var"]
        with self.assertRaisesRegex(ModelFormatError, "bn_pool3_moving_inv_var.*missing"):
            self.load_with(t)

    def test_misshaped_tensor(self) -> None:
        t = dict(self.t)
        t["deconv_pred2_weight"] = np.zeros((4, 4, 2, 2), np.float32)
        with self.assertRaisesRegex(ModelFormatError, r"deconv_pred2_weight.*\(4, 4, 2, 2\).*\(4, 4, 4, 4\)"):
            self.load_with(t)
        t = dict(self.t)
        t["pred1_weight"] = t["pred1_weight"].transpose(1, 0, 2, 3).copy()  # (C_1, K) instead of (K, C_1)
        with self.assertRaisesRegex(ModelFormatError, r"pred1_weight.*\(2, 4, 3, 3\)"):
            self.load_with(t)

    def test_extra_tensor(self) -> None:
        t = dict(self.t)
        t["bn_pool5_gamma"] = np.ones(4, np.float32)  # belongs to fcn only
        with self.assertRaisesRegex(ModelFormatError, "bn_pool5_gamma.*not part"):
            self.load_with(t)

    def test_bad_metadata_via_file(self) -> None:
        for key, value, word in (("deep3d.input_width", "48", "multiple of 32"),
                                 ("deep3d.disparity_max", "-1", "less than"),
                                 ("deep3d.arch", "resnet", "unknown arch"),
                                 ("deep3d.stride", "2", "unknown deep3d key")):
            with self.subTest(key=key):
                with self.assertRaisesRegex(ModelFormatError, word):
                    self.load_with(self.t, dict(self.md, **{key: value}))

    def test_arch_mismatch_with_tensors(self) -> None:
        # fcn metadata on original tensors: fc6 is extra, bn_pool5 is missing.
        md = dict(self.md, **{"deep3d.arch": "fcn"})
        del md["deep3d.fc_channels"]
        with self.assertRaisesRegex(ModelFormatError, "bn_pool5_gamma.*missing"):
            self.load_with(self.t, md)


class ExpectedShapesTest(unittest.TestCase):
    def test_fcn_small(self) -> None:
        md = dict(ORIGINAL_MD, **{"deep3d.arch": "fcn", "deep3d.stage_channels": "3,4,5,6,7",
                                  "deep3d.stage_convs": "1,2,1,1,3", "deep3d.disparity_min": "-1",
                                  "deep3d.disparity_max": "1"})
        del md["deep3d.fc_channels"]
        s = ref.expected_shapes(ref.parse_spec(md))
        K = 4
        self.assertEqual(s["conv1_1_weight"], (3, 3, 3, 3))
        self.assertEqual(s["conv2_1_weight"], (4, 3, 3, 3))
        self.assertEqual(s["conv2_2_weight"], (4, 4, 3, 3))
        self.assertEqual(s["conv5_3_weight"], (7, 7, 3, 3))
        self.assertNotIn("conv5_4_weight", s)
        self.assertEqual(s["bn_pool5_moving_inv_var"], (7,))
        self.assertEqual(s["pred5_weight"], (K, 7, 3, 3))
        self.assertEqual(s["pred5_bias"], (K,))
        self.assertEqual(s["deconv_pred1_weight"], (K, K, 1, 1))
        self.assertEqual(s["deconv_pred3_weight"], (K, K, 8, 8))
        self.assertEqual(s["deconv_pred5_weight"], (K, K, 32, 32))
        self.assertEqual(s["deconv_predup_weight"], (K, K, 4, 4))
        self.assertEqual(s["convolution0_weight"], (K, K, 3, 3))
        self.assertNotIn("fc6_weight", s)
        # 8 trunk convs x 2, 5 branches x (4 bn + 4), predup 2, conv0 2.
        self.assertEqual(len(s), 16 + 40 + 4)


if __name__ == "__main__":
    unittest.main()
