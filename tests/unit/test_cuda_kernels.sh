#!/usr/bin/env bash
# The CUDA frame kernels against the CPU path on the host CUDA emulator
# (test_cuda_kernels.c), and the emulator's own self-test (d3emu-selftest:
# barriers, shared memory, schedules, misuse). Builds the emulator in
# $BUILD/check/cuda-emu-kernels. Prints the summed "N passed, M failed".
set -uo pipefail
BIN=$1
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$TOP/_build}
EMU=$BUILD/check/cuda-emu-kernels
passed=0; failed=0
count() { # count OUTPUT: add its last line's "N passed, M failed"
    local line
    line=$(echo "$1" | tail -n 1)
    if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
        passed=$((passed + BASH_REMATCH[1])); failed=$((failed + BASH_REMATCH[2]))
    else
        echo "not ok - $2: no result"; failed=$((failed + 1))
    fi
}
if ! command -v c++ > /dev/null; then
    echo "ok - CUDA frame kernels on the host CUDA emulator # skip: no C++ compiler"
    echo "1 passed, 0 failed"; exit 0
fi
if ! "$TOP/tests/cuda-emu/build.sh" "$EMU" "$BUILD/deps/include" \
        "${SANITIZE:+-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-sanitize=vptr}" \
        > "$EMU.log" 2>&1; then
    echo "not ok - building the host CUDA emulator:"; tail -n 20 "$EMU.log"
    echo "0 passed, 1 failed"; exit 1
fi
# on a GPU the kernels must give the same bits: no float FMA and no unrounded float
# multiply or add in their PTX (ptxas may fuse those; mul.rn / add.rn it never does)
ptx=$BUILD/ffmpeg-build/libavfilter/deep3d_cuda.ptx
for k in deep3d_input_8 deep3d_input_16 deep3d_render_pack_8 deep3d_render_pack_16; do
    if [ ! -f "$ptx" ]; then
        echo "ok - PTX of $k # skip: no $ptx"; passed=$((passed + 1)); continue
    fi
    body=$(awk "/\\.entry $k\\(/,/^}/" "$ptx")
    n_rn=$(echo "$body" | grep -cE '(mul|add)\.rn\.f32')
    bad=$(echo "$body" | grep -cE 'fma\.[a-z]+\.f32|(mul|add|sub)\.f32')
    if [ "$n_rn" -gt 0 ] && [ "$bad" -eq 0 ]; then
        echo "ok - PTX of $k: $n_rn mul.rn/add.rn.f32, no fma.f32 or unrounded mul/add/sub.f32"
        passed=$((passed + 1))
    else
        echo "not ok - PTX of $k: $n_rn rounded, $bad fma/unrounded (or the kernel is missing)"
        failed=$((failed + 1))
    fi
done
out=$("$EMU/d3emu-selftest" 2>/dev/null); echo "$out"; count "$out" d3emu-selftest
out=$("$BIN" "$EMU/libcuda.so.1" 2>&1); echo "$out"; count "$out" test_cuda_kernels
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
