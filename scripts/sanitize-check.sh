#!/usr/bin/env bash
# Build FFmpeg with deep3d under ASan + UBSan (clang) in $BUILD (its own tree)
# and run the unit tests, the Python tests and the deep3d FATE tests there.
# Any sanitizer report fails the run (halt_on_error, and UBSan aborts on the
# first finding).
#
# The same build serves the fuzzers (tests/fuzz, `make fuzz`): every object
# also carries libFuzzer's coverage instrumentation (-fsanitize=fuzzer-no-link;
# without libFuzzer linked in, the sanitizer runtime's no-op hooks take it), so
# one instrumented FFmpeg is built, not two. SANITIZE_BUILD_ONLY=1 builds and
# stops (make fuzz).
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
export BUILD=${BUILD:?set BUILD to the sanitizer build directory}
mkdir -p "$BUILD/dl"
# reuse the downloads of the main build
for f in "$TOP"/_build/dl/*.orig.tar.xz "$TOP"/_build/dl/*.whl; do [ -e "$BUILD/dl/$(basename "$f")" ] || ln -s "$f" "$BUILD/dl/"; done
"$TOP/scripts/fetch-sources.sh"
"$TOP/scripts/prepare-tree.sh"
# -O1 and line tables only: the build is ~2x faster than -O3 -g and stack
# traces still name file:line (the settings OSS-Fuzz uses).
SAN=-fsanitize=address,undefined
FFMPEG_CONFIGURE_EXTRA="--cc=clang --cxx=clang++ --ld=clang --disable-debug --optflags=-O1
    --extra-cflags=-gline-tables-only --extra-cflags=-fno-omit-frame-pointer
    --extra-cflags=$SAN --extra-cflags=-fno-sanitize-recover=undefined
    --extra-cflags=-fsanitize=fuzzer-no-link --extra-ldflags=$SAN
    --extra-cflags=-fsanitize-ignorelist=$TOP/scripts/sanitize-ignorelist.txt
    --extra-cflags=-DDEEP3D_NO_ONEDNN" \
    "$TOP/scripts/configure-ffmpeg.sh"
echo "sanitize: make -j$(nproc) in $BUILD/ffmpeg-build"
make -s -C "$BUILD/ffmpeg-build" -j"$(nproc)" ffmpeg ffprobe > "$BUILD/ffmpeg-build/make.log" 2>&1 ||
    { tail -n 30 "$BUILD/ffmpeg-build/make.log"; exit 1; }
[ -z "${SANITIZE_BUILD_ONLY:-}" ] || exit 0
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# the unit tests and the host CUDA emulator link against these objects: same compiler
export CC=clang CXX=clang++
# The oneDNN engine is compiled out here (DEEP3D_NO_ONEDNN: the refusing stub, which
# test_onednn checks): libdnnl.so.2 is an uninstrumented library loaded at run time whose
# OpenMP threads (libgomp) LeakSanitizer cannot trace (its tracer crashed in a manual run,
# 2026-12-04). The engine's own code is tested against OpenBLAS by make check.
export DEEP3D_EXPECT_ONEDNN=0
SANITIZE=1 FATE_TARGETS=fate-deep3d "$TOP/tests/run-checks.sh"
