#!/usr/bin/env bash
# The ONNX depth source (docs/onnx.md) with the tiny models of tools/make_onnx_model.py and
# the CPU ONNX Runtime of scripts/fetch-ort.sh:
# - test_onnx: file kinds, order statistics, the depth map mapping, loading the runtime,
#   every bad-model class refused at open with a clear error, runs on real frames;
# - onnx_check.py: those results against the numpy references (the mapping bit for bit);
# - the ffmpeg filter with model=X.onnx: mode=right against the numpy rendering in several
#   formats, errors (missing runtime, a bad model) at init, CUDA frames refused.
# Prints the summed "N passed, M failed".
set -uo pipefail
BIN=$1
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$TOP/_build}
FFMPEG=${FFMPEG:-$BUILD/ffmpeg-build/ffmpeg}
WORK=$BUILD/check/onnx
PY=${PYTHON:-/usr/bin/python3}
SRC_FRAME=$TOP/tests/data/city-frame.nut
ORT_LIB=$(ls "$BUILD"/ort/onnxruntime/capi/libonnxruntime.so.1.* 2>/dev/null | tail -n 1)
rm -rf "$WORK"; mkdir -p "$WORK"

passed=0; failed=0
ok()     { echo "ok - $*"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $*"; failed=$((failed + 1)); }
count() { # count OUTPUT: add its ok / not ok lines
    local out=$1
    echo "$out"
    passed=$((passed + $(echo "$out" | grep -c '^ok'))); failed=$((failed + $(echo "$out" | grep -c '^not ok')))
}

if [ -z "$ORT_LIB" ]; then
    not_ok "no ONNX Runtime under $BUILD/ort (scripts/fetch-ort.sh)"
    echo "$passed passed, $failed failed"; exit 1
fi

# 1. Models (32x24 unless said), maps, frames.
mk() { "$PY" "$TOP/tools/make_onnx_model.py" "$@" 2>&1 || not_ok "make_onnx_model.py $*"; }
for k in luma luma4 rowramp bad-rank bad-channels bad-type bad-out-type bad-out-batch \
         bad-two-inputs bad-no-output bad-nan bad-inf bad-corrupt bad-truncated; do
    mk "$k" "$WORK/$k.onnx"
done
mk luma "$WORK/luma-dyn.onnx" --dynamic
mk luma-half "$WORK/luma-half-dyn.onnx" --dynamic
mk rowramp "$WORK/rowramp-48.onnx" --size 48x32
printf 'luma 32 24\nluma4 32 24\nrowramp 32 24\nrowramp-48 48 32\n' > "$WORK/sizes.txt"
cp "$TOP/tests/data/deep3d-tiny-fcn.safetensors" "$WORK/model.safetensors"
"$PY" "$TOP/tests/unit/onnx_check.py" maps "$WORK" || not_ok "onnx_check.py maps"

# frame NAME PIX_FMT W H RANGE MATRIX MODEL [OW OH]
make_frame() {
    local name=$1 fmt=$2 w=$3 h=$4 range=$5 matrix=$6; shift 6
    if "$FFMPEG" -nostdin -v error -i "$SRC_FRAME" -frames:v 1 -vf "scale=$w:$h,format=$fmt" \
            -f rawvideo -y "$WORK/$name.raw"; then
        echo "frame $name $fmt $w $h $range $matrix $*" >> "$WORK/frames.txt"
    else
        not_ok "$name: ffmpeg could not make the $fmt frame"
    fi
}
make_frame yuv420p-luma      yuv420p     320 180 tv unknown luma
make_frame rgb24-luma4       rgb24       96  64  unknown unknown luma4
make_frame p010-dyn          p010le      160 90  tv bt709 luma-dyn 70 42
make_frame gray-half         gray        101 57  unknown unknown luma-half-dyn 64 48
make_frame yuv444p-rowramp   yuv444p     200 120 tv bt709 rowramp-48
make_frame bgra-dyn          bgra        77  41  unknown unknown luma-dyn 28 14

# 2. The C test, then the numpy comparisons of what it wrote.
count "$("$BIN" "$WORK" "$ORT_LIB" | grep -v '^[0-9]* passed')"
count "$("$PY" "$TOP/tests/unit/onnx_check.py" compare-maps "$WORK" 2>&1)"
count "$("$PY" "$TOP/tests/unit/onnx_check.py" compare-frames "$WORK" 2>&1)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
