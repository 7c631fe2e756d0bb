#!/usr/bin/env bash
# test_cuda_net on the host CUDA emulator (tests/cuda-emu, built here into its own
# directory): the GPU network's kernels and precisions against the CPU engine, with
# the two committed tiny models.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$TOP/_build}
EMU=$BUILD/check/cuda-emu-net
if ! command -v c++ > /dev/null; then
    echo "ok - test_cuda_net # skip: no C++ compiler for the host CUDA emulator"
    echo "1 passed, 0 failed"
    exit 0
fi
if ! "$TOP/tests/cuda-emu/build.sh" "$EMU" "$BUILD/deps/include" \
         "${SANITIZE:+-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-sanitize=vptr}" \
         > "$EMU.log" 2>&1; then
    echo "not ok - building the host CUDA emulator:"; tail -n 20 "$EMU.log"
    echo "0 passed, 1 failed"
    exit 1
fi
# the emulator's libcuda.so.1 only: a real one in the linker's cache must not be found
LD_LIBRARY_PATH=$EMU${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} exec "$1" \
    "$TOP/tests/data/deep3d-tiny-fcn.safetensors" "$TOP/tests/data/deep3d-tiny-original.safetensors" \
    "$EMU/libcudnn.so.9"
