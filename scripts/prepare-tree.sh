#!/usr/bin/env bash
# Unpack FFmpeg into $BUILD/ffmpeg, apply the registration patch once (before the first
# configure), and symlink our own sources into the tree, so an edit in this repository
# rebuilds in seconds. Also installs nv-codec-headers and a static-x264 pkg-config file
# into the private prefix $BUILD/deps.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(mkdir -p "${BUILD:-$TOP/_build}" && cd "${BUILD:-$TOP/_build}" && pwd)
SRC=$BUILD/ffmpeg
DEPS=$BUILD/deps

unpack() { # unpack TARBALL|DIR DEST
    local from=$1 to=$2
    mkdir -p "$to"
    if [ -d "$from" ]; then
        cp -a "$from/." "$to/"
    else
        tar -xf "$from" -C "$to" --strip-components=1
    fi
}

# 1. FFmpeg tree, patched once; unpacked afresh when the patch itself changes.
patch_sum=$(cat "$TOP"/patches/*.patch | sha256sum | cut -d' ' -f1)
if [ "$(cat "$SRC/.deep3d-patched" 2>/dev/null)" != "$patch_sum" ]; then
    rm -rf "$SRC"
    from=${FFMPEG_SOURCE:-$BUILD/dl/ffmpeg_7.1.5.orig.tar.xz}
    echo "prepare: unpacking $from into $SRC"
    unpack "$from" "$SRC"
    if ! grep -q '^7\.1' "$SRC/RELEASE" 2>/dev/null; then
        echo "prepare: $from is not FFmpeg 7.1 (RELEASE says '$(cat "$SRC/RELEASE" 2>/dev/null)')" >&2
        exit 1
    fi
    for p in "$TOP"/patches/*.patch; do
        echo "prepare: applying $(basename "$p")"
        patch -d "$SRC" -p1 --forward --quiet < "$p"
    done
    echo "$patch_sum" > "$SRC/.deep3d-patched"
fi

# 2. Our files, linked into the tree (refreshed every time: new files appear here too).
link_all() { # link_all REPO_DIR TREE_DIR PATTERN...
    local from=$1 to=$2; shift 2
    local pat f
    for pat in "$@"; do
        for f in "$from"/$pat; do
            [ -e "$f" ] || continue
            ln -sfn "$f" "$to/$(basename "$f")"
        done
    done
}
# links to files this repository no longer has (renamed, removed) go first
find "$SRC" -xtype l -lname "$TOP/*" -delete
link_all "$TOP/libavfilter" "$SRC/libavfilter" '*.c' '*.h' '*.mak'
link_all "$TOP/cuda"        "$SRC/libavfilter" '*.cu' '*.cuh'
link_all "$TOP/tests/fate"  "$SRC/tests/fate"  '*.mak' '*.sh'
link_all "$TOP/tests/ref/fate" "$SRC/tests/ref/fate" '*'
mkdir -p "$SRC/tests/deep3d"
link_all "$TOP/tests/data"  "$SRC/tests/deep3d"   '*.safetensors' '*.png' '*.cmd'
link_all "$TOP/weights"     "$SRC/tests/deep3d"   '*.safetensors'
# ONNX Runtime's C API header (scripts/fetch-ort.sh) beside our sources, and its CPU runtime
# where the FATE tests load it from (ort=tests/deep3d/libonnxruntime.so)
link_all "$DEPS/include/onnxruntime" "$SRC/libavfilter" 'onnxruntime_c_api.h'
for f in "$BUILD"/ort/onnxruntime/capi/libonnxruntime.so.1.*; do
    if [ -e "$f" ]; then ln -sfn "$f" "$SRC/tests/deep3d/libonnxruntime.so"; fi
done
link_all "$TOP/tests/data"  "$SRC/tests/deep3d"   '*.onnx'
# the built-in default model as C source (rewritten only when the model changes)
"${PYTHON:-/usr/bin/python3}" "$TOP/tools/embed_model.py" "$TOP/weights/deep3d-default.safetensors" \
    "$SRC/libavfilter/deep3d_default_model.inc"

# 3. nv-codec-headers into the private prefix.
if [ ! -f "$DEPS/include/ffnvcodec/nvEncodeAPI.h" ]; then
    from=${NVCODEC_SOURCE:-$BUILD/dl/nv-codec-headers_12.1.14.0.orig.tar.xz}
    echo "prepare: installing nv-codec-headers from $from into $DEPS"
    rm -rf "$BUILD/nvch"
    unpack "$from" "$BUILD/nvch"
    make -s -C "$BUILD/nvch" install PREFIX="$DEPS" >/dev/null
fi

# 4. x264 linked statically: FFmpeg's configure keeps -l flags in place, so ask for the
#    archive by name (-l:libx264.a); a bare path would be moved ahead of the objects.
mkdir -p "$DEPS/lib/pkgconfig"
sys_pc=$(pkg-config --variable=pcfiledir x264 2>/dev/null)/x264.pc
if [ ! -f "$sys_pc" ]; then
    echo "prepare: x264.pc not found; run scripts/deps.sh" >&2
    exit 1
fi
sed -e 's|^Libs:.*|Libs: -L${libdir} -l:libx264.a -lpthread -lm -ldl|' \
    -e '/^Libs.private:/d' "$sys_pc" > "$DEPS/lib/pkgconfig/x264.pc.tmp"
if ! cmp -s "$DEPS/lib/pkgconfig/x264.pc.tmp" "$DEPS/lib/pkgconfig/x264.pc"; then
    mv "$DEPS/lib/pkgconfig/x264.pc.tmp" "$DEPS/lib/pkgconfig/x264.pc"
else
    rm -f "$DEPS/lib/pkgconfig/x264.pc.tmp"
fi
