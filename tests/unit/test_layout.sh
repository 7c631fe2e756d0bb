#!/usr/bin/env bash
# test_layout with the tiny committed model (see tests/data/README.md).
exec "$1" "$(dirname "$0")/../data/deep3d-tiny-fcn.safetensors"
