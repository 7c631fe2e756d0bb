#!/usr/bin/env bash
# test_model edits a valid model file: start from the tiny committed one.
exec "$1" "$(dirname "$0")/../data/deep3d-tiny-fcn.safetensors"
