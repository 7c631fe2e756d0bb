#!/usr/bin/env bash
# ONNX Runtime for the ONNX depth source (docs/onnx.md), both pinned and checked by sha256:
# - the C API header, from Debian trixie's onnxruntime source package (1.21, ORT_API_VERSION
#   21), through the same private apt configuration as the FFmpeg sources; only the headers
#   the filter includes are unpacked, into $BUILD/deps/include/onnxruntime;
# - a CPU runtime for the tests: libonnxruntime.so.1.* from PyPI's onnxruntime wheel (a zip),
#   unpacked into $BUILD/ort. The filter loads it at run time (dlopen); nothing links it.
# ORT_HEADER_SOURCE=/path/to/onnxruntime-src (a tree with include/onnxruntime) skips the
# header download; ORT_WHEEL=/path/to/onnxruntime-*.whl skips the wheel download.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(mkdir -p "${BUILD:-$TOP/_build}" && cd "${BUILD:-$TOP/_build}" && pwd)
DL=$BUILD/dl
APT=$BUILD/apt
INC=$BUILD/deps/include/onnxruntime

ORT_DEB_VERSION=1.21.0+dfsg-1
ORT_TARBALL=onnxruntime_1.21.0+dfsg.orig.tar.xz
ORT_TARBALL_SHA256=32df1f82bd6b07b18372c0f387133214905cbde7a586b3ad83f0ed0075f80273
# the headers the filter includes, as paths inside the tarball's include/onnxruntime/
ORT_HEADERS=(core/session/onnxruntime_c_api.h)

ORT_WHEEL_VERSION=1.32.0
ORT_WHEEL_NAME=onnxruntime-1.32.0-cp311-cp311-manylinux_2_28_x86_64.whl
ORT_WHEEL_SHA256=5a34fc4dfeb5a7b4a74c95dcba1e773d722abda720b474edf1b0c419dc6d163d
ORT_LIB=onnxruntime/capi/libonnxruntime.so.1.32.0

mkdir -p "$DL"
sha_ok() { [ -f "$1" ] && echo "$2  $1" | sha256sum -c --quiet - >/dev/null 2>&1; }

# 1. The header.
if [ ! -f "$INC/onnxruntime_c_api.h" ] || [ "$(cat "$INC/.source" 2>/dev/null)" != "${ORT_HEADER_SOURCE:-$ORT_TARBALL_SHA256}" ]; then
    rm -rf "$INC"; mkdir -p "$INC"
    if [ -n "${ORT_HEADER_SOURCE:-}" ]; then
        for h in "${ORT_HEADERS[@]}"; do cp "$ORT_HEADER_SOURCE/include/onnxruntime/$h" "$INC/"; done
    else
        if ! sha_ok "$DL/$ORT_TARBALL" "$ORT_TARBALL_SHA256"; then
            mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial"
            echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
                > "$APT/sources.list"
            papt() { apt-get -o Dir::Etc::SourceList="$APT/sources.list" -o Dir::Etc::SourceParts=/dev/null \
                             -o Dir::State::Lists="$APT/lists" -o Dir::Cache="$APT/cache" "$@"; }
            [ -n "$(ls "$APT/lists" 2>/dev/null | grep -v partial)" ] || papt -q update >/dev/null
            echo "fetch: apt-get source --download-only onnxruntime=$ORT_DEB_VERSION"
            (cd "$DL" && papt -q source --download-only "onnxruntime=$ORT_DEB_VERSION" >/dev/null 2>&1) || true
            if ! sha_ok "$DL/$ORT_TARBALL" "$ORT_TARBALL_SHA256"; then
                echo "fetch: could not get $ORT_TARBALL with sha256 $ORT_TARBALL_SHA256 from Debian trixie;" >&2
                echo "fetch: set ORT_HEADER_SOURCE to an onnxruntime 1.21 source tree" >&2
                exit 1
            fi
        fi
        members=()
        for h in "${ORT_HEADERS[@]}"; do members+=("onnxruntime-1.21.0/include/onnxruntime/$h"); done
        tar -xJf "$DL/$ORT_TARBALL" -C "$INC" --transform='s|.*/||' "${members[@]}"
    fi
    grep -q '#define ORT_API_VERSION' "$INC/onnxruntime_c_api.h" || { echo "fetch: no ORT_API_VERSION in the header" >&2; exit 1; }
    echo "${ORT_HEADER_SOURCE:-$ORT_TARBALL_SHA256}" > "$INC/.source"
    echo "fetch: ONNX Runtime C API header ($(grep -m1 '#define ORT_API_VERSION' "$INC/onnxruntime_c_api.h")) in $INC"
fi

# 2. The CPU runtime for the tests.
if [ ! -f "$BUILD/ort/$ORT_LIB" ]; then
    wheel=${ORT_WHEEL:-$DL/$ORT_WHEEL_NAME}
    if [ -z "${ORT_WHEEL:-}" ] && ! sha_ok "$wheel" "$ORT_WHEEL_SHA256"; then
        echo "fetch: pip download onnxruntime==$ORT_WHEEL_VERSION (the wheel only, for its library)"
        ${PIP:-/usr/bin/python3 -m pip} download -q --no-deps --only-binary=:all: --python-version 3.11 \
            --platform manylinux_2_28_x86_64 -d "$DL" "onnxruntime==$ORT_WHEEL_VERSION" >/dev/null || true
    fi
    if ! sha_ok "$wheel" "$ORT_WHEEL_SHA256"; then
        echo "fetch: $wheel is missing or its sha256 is not $ORT_WHEEL_SHA256" >&2
        exit 1
    fi
    rm -rf "$BUILD/ort"; mkdir -p "$BUILD/ort"
    /usr/bin/python3 - "$wheel" "$BUILD/ort" "$ORT_LIB" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    z.extract(sys.argv[3], sys.argv[2])
EOF
    echo "fetch: ONNX Runtime $ORT_WHEEL_VERSION (CPU) in $BUILD/ort/$ORT_LIB"
fi
