#!/usr/bin/env bash
# test_model edits a valid model file: start from the tiny committed one; the
# F16 checks use the smallest F16 seed of the loader's fuzz corpus.
here=$(dirname "$0")
exec "$1" "$here/../data/deep3d-tiny-fcn.safetensors" "$here/../fuzz/corpus/model/fcn-min-f16.safetensors"
