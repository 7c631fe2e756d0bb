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

# 3. The filter: the right eye of each frame against the numpy rendering of the same depth
#    map (its probabilities to_probs(depth) of what test_onnx wrote, so ORT's arithmetic is
#    not in question; test_onnx showed the filter's source computes exactly these), one
#    thread as test_onnx; each format's planes at its own size.
while read -r fr name fmt w h range matrix model ow oh; do
    in_opts=()
    [ "$range" != unknown ] && in_opts+=(-color_range "$range")
    [ "$matrix" != unknown ] && in_opts+=(-colorspace "$matrix")
    size_opt=${ow:+:onnx_size=${ow}x$oh}
    if "$FFMPEG" -nostdin -v error -f rawvideo -pix_fmt "$fmt" -s "${w}x$h" "${in_opts[@]}" -i "$WORK/$name.raw" \
            -vf "deep3d=model=$WORK/$model.onnx:ort=$ORT_LIB$size_opt:mode=right:threads=1:device=cpu:smooth=0" \
            -f rawvideo -pix_fmt "$fmt" -y "$WORK/$name.right.raw" 2> "$WORK/$name.ffmpeg.log"; then
        count "$("$PY" "$TOP/tests/unit/onnx_check.py" compare-eye "$WORK" "$name" "$WORK/$name.right.raw" 2>&1)"
    else
        not_ok "$name: ffmpeg deep3d with $model failed: $(head -c 300 "$WORK/$name.ffmpeg.log")"
    fi
done < "$WORK/frames.txt"

# 4. Errors through ffmpeg: each refused at init with one clear message, nothing rendered.
ff_err() { # ff_err WHAT EXPECTED_TEXT FILTER_OPTIONS [ENV...]: ffmpeg must fail saying EXPECTED_TEXT
    local what=$1 expect=$2 opts=$3 log; shift 3
    log=$(env "$@" "$FFMPEG" -nostdin -hide_banner -v error -lavfi "testsrc2=s=64x48:r=5:d=0.2,deep3d=$opts" \
          -f null - 2>&1)
    if [ $? -ne 0 ] && echo "$log" | grep -- "$expect" >/dev/null; then
        ok "ffmpeg: $what is refused: $(echo "$log" | grep -m1 -- "$expect" | cut -c1-160)"
    else
        not_ok "ffmpeg: $what: expected an error saying '$expect', got: $(echo "$log" | head -c 400)"
    fi
}
ff_err "a missing runtime (ort=)" "Cannot load ONNX Runtime from the ort option" \
       "model=$WORK/luma-dyn.onnx:ort=/nonexistent/libonnxruntime.so.1"
ff_err "a missing runtime (\$DEEP3D_ORT)" "Cannot load ONNX Runtime from \$DEEP3D_ORT" \
       "model=$WORK/luma-dyn.onnx" DEEP3D_ORT=/nonexistent
ff_err "a model with NaN output" "not finite" "model=$WORK/bad-nan.onnx:ort=$ORT_LIB"
ff_err "a truncated model" "Protobuf parsing failed" "model=$WORK/bad-truncated.onnx:ort=$ORT_LIB"
ff_err "onnx_size on a fixed-size model" "fixed at 32x24" "model=$WORK/luma.onnx:ort=$ORT_LIB:onnx_size=64x48"
ff_err "onnx_std with a zero" "onnx_std: three numbers R|G|B are needed, each above 0" "model=$WORK/luma-dyn.onnx:ort=$ORT_LIB:onnx_std=0.2|0|0.2"
ff_err "onnx_mean with two values" "onnx_mean: three numbers R|G|B are needed" "model=$WORK/luma-dyn.onnx:ort=$ORT_LIB:onnx_mean=0.5|0.5"
ff_err "onnx_mean with a word" "onnx_mean: three numbers R|G|B are needed" "model=$WORK/luma-dyn.onnx:ort=$ORT_LIB:onnx_mean=0.5|x|0.5"
ff_err "device=cuda with an ONNX model and a CPU-only runtime" "has no CUDA execution provider" \
       "model=$WORK/luma-dyn.onnx:ort=$ORT_LIB:device=cuda"
ff_err "ONNX options with a safetensors model" "ONNX" \
       "model=$TOP/tests/data/deep3d-tiny-fcn.safetensors:onnx_size=64x48"

# The runtime found through $DEEP3D_ORT, logged at verbose with its version and path.
log=$(DEEP3D_ORT=$ORT_LIB "$FFMPEG" -nostdin -hide_banner -v verbose \
      -lavfi "testsrc2=s=64x48:r=5:d=0.2,deep3d=model=$WORK/luma-dyn.onnx:onnx_size=28x14" -f null - 2>&1)
if echo "$log" | grep "ONNX Runtime [0-9.]* from $ORT_LIB (\$DEEP3D_ORT)" >/dev/null &&
   echo "$log" | grep "device: cpu .*model: ONNX model" >/dev/null; then
    ok "ffmpeg: \$DEEP3D_ORT loads the runtime, logged at verbose; the info line names the ONNX model"
else
    not_ok "ffmpeg with \$DEEP3D_ORT: $(echo "$log" | grep -i 'onnx\|error' | head -n 4)"
fi

# 5. CUDA frames (the host CUDA emulator of tests/cuda-emu, as test_cuda uses): an ONNX model
#    runs on the GPU path (test_onnx_gpu compares it with the CPU path), which needs the
#    device's primary context; device=auto with software frames uploads them to it.
EMU=$BUILD/check/cuda-emu
if [ ! -e "$EMU/libcuda.so.1" ] && command -v c++ > /dev/null; then
    "$TOP/tests/cuda-emu/build.sh" "$EMU" "$BUILD/deps/include" \
        "${SANITIZE:+-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-sanitize=vptr}" \
        > "$WORK/cuda-emu.log" 2>&1 || true
fi
if [ -e "$EMU/libcuda.so.1" ]; then
    log=$(LD_LIBRARY_PATH=$EMU${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} "$FFMPEG" -nostdin -hide_banner -v error \
          -init_hw_device cuda=gpu -filter_hw_device gpu \
          -lavfi "testsrc2=s=64x48:r=5:d=0.2,format=nv12,hwupload_cuda,deep3d=model=$WORK/luma-dyn.onnx:ort=$ORT_LIB" \
          -f null - 2>&1)
    if [ $? -ne 0 ] && echo "$log" | grep "primary_ctx=1" >/dev/null; then
        ok "ffmpeg: CUDA frames with an ONNX model outside the primary context are refused, saying primary_ctx=1"
    else
        not_ok "ffmpeg: CUDA frames with an ONNX model: $(echo "$log" | head -c 400)"
    fi
    log=$(LD_LIBRARY_PATH=$EMU${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} DEEP3D_CUDNN=$EMU/libcudnn.so.9 \
          "$FFMPEG" -nostdin -hide_banner -v info \
          -lavfi "testsrc2=s=64x48:r=5:d=0.2,format=nv12,deep3d=model=$WORK/luma-dyn.onnx:ort=$ORT_LIB:onnx_size=28x14" \
          -f null - 2>&1)
    if [ $? -eq 0 ] && echo "$log" | grep "device: cuda (.*ONNX model.*auto: software frames uploaded" >/dev/null; then
        ok "ffmpeg: device=auto with an ONNX model and a GPU: uploaded to the GPU path"
    else
        not_ok "ffmpeg: device=auto with an ONNX model and a GPU: $(echo "$log" | grep -i 'device\|error' | head -n 3)"
    fi
else
    ok "CUDA frames with an ONNX model # skip: no host CUDA emulator (no C++ compiler)"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
