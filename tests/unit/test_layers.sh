#!/usr/bin/env bash
# test_layers on hand-made hyperparameters and the two committed tiny models.
here=$(dirname "$0")
exec "$1" "$here/../data/deep3d-tiny-fcn.safetensors" "$here/../data/deep3d-tiny-original.safetensors"
