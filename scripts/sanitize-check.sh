#!/usr/bin/env bash
# Build FFmpeg with deep3d under ASan + UBSan in $BUILD (its own tree) and run
# the unit tests and the deep3d FATE tests there. Any sanitizer report fails
# the run (halt_on_error, and UBSan aborts on the first finding).
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
export BUILD=${BUILD:?set BUILD to the sanitizer build directory}
mkdir -p "$BUILD/dl"
# reuse the downloads of the main build
for f in "$TOP"/_build/dl/*.orig.tar.xz; do [ -e "$BUILD/dl/$(basename "$f")" ] || ln -s "$f" "$BUILD/dl/"; done
"$TOP/scripts/fetch-sources.sh"
"$TOP/scripts/prepare-tree.sh"
FFMPEG_CONFIGURE_EXTRA="--toolchain=gcc-asan --extra-cflags=-fsanitize=undefined --extra-cflags=-fno-sanitize-recover=undefined --extra-ldflags=-fsanitize=undefined" \
    "$TOP/scripts/configure-ffmpeg.sh"
echo "sanitize: make -j$(nproc) in $BUILD/ffmpeg-build"
make -s -C "$BUILD/ffmpeg-build" -j"$(nproc)" ffmpeg ffprobe > "$BUILD/ffmpeg-build/make.log" 2>&1 ||
    { tail -n 30 "$BUILD/ffmpeg-build/make.log"; exit 1; }
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
SANITIZE=1 FATE_TARGETS=fate-deep3d "$TOP/tests/run-checks.sh"
