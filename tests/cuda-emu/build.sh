#!/usr/bin/env bash
# Build the host CUDA emulator: DIR/libcuda.so.1 (cuda_emu.c, the launcher
# launch.cpp and the deep3d kernels compiled for the host, kernels.cpp),
# DIR/libcudnn.so.9 (cudnn_emu.c) and DIR/d3emu-selftest (selftest.cu, the
# launcher's own test). Usage: build.sh DIR NVCODEC_INCLUDE_DIR [EXTRA_FLAGS]
# EXTRA_FLAGS, e.g. -fsanitize=address,undefined, apply to all of it: the
# kernels' memory accesses are then checked as the host runs them.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
DIR=$1 NVINC=$2
read -r -a EXTRA <<< "${3:-}"
mkdir -p "$DIR"
CXXFLAGS=(-std=c++17 -O2 -g -fPIC -Wall "${EXTRA[@]}")
# clang's C++ -fsanitize=function check calls a handler only the C++ UBSan runtime has: a C
# program (a unit test linked by clang) could not load the library
cxx_version=$("${CXX:-c++}" --version)
case "$cxx_version:${3:-}" in *clang*undefined*) CXXFLAGS+=(-fno-sanitize=function);; esac
"${CXX:-c++}" "${CXXFLAGS[@]}" -I"$TOP/cuda" -I"$TOP/libavfilter" -c "$HERE/kernels.cpp" -o "$DIR/kernels.o"
"${CXX:-c++}" "${CXXFLAGS[@]}" -c "$HERE/launch.cpp" -o "$DIR/launch.o"
"${CC:-cc}" -std=c11 -O2 -g -fPIC -Wall -Wno-unused-parameter "${EXTRA[@]}" -I"$NVINC" -c "$HERE/cuda_emu.c" \
    -o "$DIR/cuda_emu.o"
"${CXX:-c++}" -shared "${EXTRA[@]}" -o "$DIR/libcuda.so.1" "$DIR/cuda_emu.o" "$DIR/kernels.o" "$DIR/launch.o"
"${CC:-cc}" -std=c11 -O2 -g -fPIC -Wall -shared "${EXTRA[@]}" -I"$TOP" "$HERE/cudnn_emu.c" -o "$DIR/libcudnn.so.9"
"${CXX:-c++}" "${CXXFLAGS[@]}" -x c++ "$HERE/selftest.cu" -x none "$DIR/launch.o" -o "$DIR/d3emu-selftest"
