#!/usr/bin/env bash
# The ONNX depth source on the GPU path (deep3d_source_onnx_cuda.c, cuda/deep3d_onnx.cu), on
# the host CUDA emulator (tests/cuda-emu): device memory is host memory there, so the same
# session, IoBinding and kernels run with ONNX Runtime's CPU provider, and the GPU path's
# output can be compared with the CPU ONNX path's.
# - test_onnx_gpu: the percentile / disparity kernels against deep3d_depthmap.c, bit for bit;
# - the filter, CUDA frames (hwupload, primary context) against device=cpu, tiny models of
#   tools/make_onnx_model.py, every layout, four formats, fp16 and a smaller depth map,
#   render=hard, temporal smoothing, software frames with device=cuda;
# - errors: a runtime without the CUDA provider ($DEEP3D_ONNX_EMU_CUDA_EP=1 asks for it on
#   the emulator; our runtime is the CPU wheel) for device=cuda, and device=auto falling back
#   to the CPU saying so; a device that is not in the primary context; NaN from the model.
# Tolerance of the comparisons: at most one 8-bit step (four 10-bit steps for p010) on at
# most 0.5% of the samples: the GPU path's input conversion is the CUDA twin of
# deep3d_input.c and rounds differently in a few pixels (as the Deep3D engine's FATE_HW
# comparison allows); the depth mapping itself is exact (test_onnx_gpu). Anaglyphs: at most
# two steps on any number of samples: the anaglyph kernel's YUV -> RGB -> mix -> YUV in float
# rounds apart from the CPU's 16-bit RGB through libswscale on many samples, with either depth
# source (the built-in model's GPU path on arcg, measured: 11993 of 86400 samples, max 2;
# FATE_HW bounds anaglyphs by PSNR >= 50 dB).
# Prints the summed "N passed, M failed".
set -uo pipefail
BIN=$1
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$TOP/_build}
FFMPEG=${FFMPEG:-$BUILD/ffmpeg-build/ffmpeg}
WORK=$BUILD/check/onnx-gpu
PY=${PYTHON:-/usr/bin/python3}
EMU=$BUILD/check/cuda-emu
ORT_LIB=$(ls "$BUILD"/ort/onnxruntime/capi/libonnxruntime.so.1.* 2>/dev/null | tail -n 1)
rm -rf "$WORK"; mkdir -p "$WORK"

passed=0; failed=0
ok()     { echo "ok - $*"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $*"; failed=$((failed + 1)); }
count() {
    local out=$1
    echo "$out"
    passed=$((passed + $(echo "$out" | grep -c '^ok'))); failed=$((failed + $(echo "$out" | grep -c '^not ok')))
}

if [ -z "$ORT_LIB" ]; then
    not_ok "no ONNX Runtime under $BUILD/ort (scripts/fetch-ort.sh)"
    echo "$passed passed, $failed failed"; exit 1
fi
# the emulator, as test_cuda and test_onnx build it (kept between the suites)
if [ ! -e "$EMU/kernels.o" ] || [ "$TOP/cuda/deep3d_onnx.cu" -nt "$EMU/kernels.o" ]; then
    "$TOP/tests/cuda-emu/build.sh" "$EMU" "$BUILD/deps/include" \
        "${SANITIZE:+-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-sanitize=vptr}" \
        > "$WORK/cuda-emu.log" 2>&1 || { not_ok "the host CUDA emulator does not build: $(tail -c 400 "$WORK/cuda-emu.log")"; echo "$passed passed, $failed failed"; exit 1; }
fi

# 1. The kernels against the CPU mapping.
count "$("$BIN" "$EMU" | grep -v '^[0-9]* passed')"

# 2. Models.
mk() { "$PY" "$TOP/tools/make_onnx_model.py" "$@" 2>&1 || not_ok "make_onnx_model.py $*"; }
mk luma "$WORK/luma.onnx" --dynamic
mk luma-fp16 "$WORK/luma-fp16.onnx" --dynamic
mk luma-half "$WORK/luma-half.onnx" --dynamic
mk rowramp "$WORK/rowramp.onnx" --size 48x32
mk nan-dark "$WORK/nan-dark.onnx" --dynamic

emu() { LD_LIBRARY_PATH=$EMU${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} "$@"; }
GPU_DEV=(-init_hw_device cuda=gpu:0,primary_ctx=1 -filter_hw_device gpu)
SRC="testsrc2=s=160x90:r=10:d=0.4"

# compare WHAT FMT MODEL_OPTS: CUDA frames through deep3d vs device=cpu, same options
compare() {
    local what=$1 fmt=$2 opts=$3 res anaglyph=0
    case $opts in *mode=a[rgy]*) anaglyph=1 ;; esac
    if ! emu "$FFMPEG" -nostdin -v error "${GPU_DEV[@]}" \
            -lavfi "$SRC,format=$fmt,hwupload,deep3d=ort=$ORT_LIB:$opts,hwdownload,format=$fmt" \
            -f rawvideo -y "$WORK/gpu.raw" 2> "$WORK/gpu.log"; then
        not_ok "$what: the GPU path failed: $(head -c 300 "$WORK/gpu.log")"; return
    fi
    if ! "$FFMPEG" -nostdin -v error -lavfi "$SRC,format=$fmt,deep3d=ort=$ORT_LIB:$opts:device=cpu:threads=1" \
            -f rawvideo -y "$WORK/cpu.raw" 2> "$WORK/cpu.log"; then
        not_ok "$what: the CPU path failed: $(head -c 300 "$WORK/cpu.log")"; return
    fi
    res=$("$PY" - "$WORK/gpu.raw" "$WORK/cpu.raw" "$fmt" "$anaglyph" <<'EOF'
import sys, numpy as np
fmt = sys.argv[3]
anaglyph = sys.argv[4] == "1"
dt, step = (np.uint16, 4 * 64) if fmt == "p010le" else (np.uint8, 1)
a = np.fromfile(sys.argv[1], dt).astype(np.int64); b = np.fromfile(sys.argv[2], dt).astype(np.int64)
if a.size != b.size or a.size == 0:
    print(f"sizes {a.size} {b.size}"); sys.exit(1)
d = np.abs(a - b); n = int((d > 0).sum())
print(f"max {int(d.max())} (step {step}), {n} of {a.size} samples differ")
sys.exit(0 if (d.max() <= 2 * step if anaglyph else d.max() <= step and n <= 0.005 * a.size) else 1)
EOF
)
    if [ $? -eq 0 ]; then ok "$what: GPU path = CPU ONNX path ($res)"; else not_ok "$what: $res"; fi
}

for mode in sbsl sbsr sbs2l sbs2r abl abr ab2l ab2r ml mr irl irr icl icr chl chr \
            arcg arch arcc arcd agmg agmh agmc agmd aybg aybh aybc aybd argg arbg depth right; do
    compare "mode=$mode nv12" nv12 "model=$WORK/luma.onnx:onnx_size=64x36:mode=$mode"
done
compare "yuv420p" yuv420p "model=$WORK/luma.onnx:onnx_size=64x36:mode=sbs"
compare "yuv444p" yuv444p "model=$WORK/luma.onnx:onnx_size=64x36:mode=tb"
compare "p010le" p010le "model=$WORK/luma.onnx:onnx_size=64x36:mode=sbs"
compare "fp16 model (input and output float16)" nv12 "model=$WORK/luma-fp16.onnx:onnx_size=64x36:mode=sbs"
compare "a depth map smaller than the input" nv12 "model=$WORK/luma-half.onnx:onnx_size=64x36:mode=sbs"
compare "a fixed-size model (rowramp 48x32)" nv12 "model=$WORK/rowramp.onnx:mode=sbs"
compare "render=hard" nv12 "model=$WORK/luma.onnx:onnx_size=64x36:mode=sbs:render=hard"
compare "no temporal smoothing, strength 2" nv12 "model=$WORK/luma.onnx:onnx_size=64x36:mode=sbs:smooth=0:strength=2"
compare "batch=3" nv12 "model=$WORK/luma.onnx:onnx_size=64x36:mode=sbs:batch=3"

# software frames with device=cuda: uploaded (primary context), the GPU engine named
log=$(emu "$FFMPEG" -nostdin -hide_banner -v verbose -lavfi "$SRC,format=nv12,deep3d=model=$WORK/luma.onnx:ort=$ORT_LIB:onnx_size=64x36:device=cuda" \
      -f null - 2>&1)
if [ $? -eq 0 ] && echo "$log" | grep "device: cuda .*ONNX Runtime [0-9.]*, CPU provider on the host CUDA emulator" >/dev/null &&
   echo "$log" | grep "ONNX model on the GPU: ONNX Runtime's CPU provider on the host CUDA emulator's memory, input fp32" >/dev/null; then
    ok "software frames, device=cuda: uploaded and run by the ONNX GPU engine (logged)"
else
    not_ok "software frames, device=cuda: $(echo "$log" | grep -i 'device:\|error' | head -n 3)"
fi

# 3. Errors.
ff_err() { # ff_err WHAT EXPECTED_TEXT FFMPEG_ARGS...: ffmpeg must fail saying EXPECTED_TEXT
    local what=$1 expect=$2 log; shift 2
    log=$("$@" 2>&1)
    if [ $? -ne 0 ] && echo "$log" | grep -- "$expect" >/dev/null; then
        ok "$what is refused: $(echo "$log" | grep -m1 -- "$expect" | cut -c1-200)"
    else
        not_ok "$what: expected an error saying '$expect', got: $(echo "$log" | head -c 400)"
    fi
}
ff_err "device=cuda with a runtime without the CUDA provider" "has no CUDA execution provider: it is a CPU-only build" \
    env DEEP3D_ONNX_EMU_CUDA_EP=1 LD_LIBRARY_PATH=$EMU "$FFMPEG" -nostdin -hide_banner -v error \
    -lavfi "$SRC,format=nv12,deep3d=model=$WORK/luma.onnx:ort=$ORT_LIB:device=cuda" -f null -
ff_err "CUDA frames with a runtime without the CUDA provider" "has no CUDA execution provider" \
    env DEEP3D_ONNX_EMU_CUDA_EP=1 LD_LIBRARY_PATH=$EMU "$FFMPEG" -nostdin -hide_banner -v error "${GPU_DEV[@]}" \
    -lavfi "$SRC,format=nv12,hwupload,deep3d=model=$WORK/luma.onnx:ort=$ORT_LIB" -f null -
ff_err "CUDA frames of a device not in its primary context" "primary_ctx=1" \
    emu "$FFMPEG" -nostdin -hide_banner -v error -init_hw_device cuda=gpu -filter_hw_device gpu \
    -lavfi "$SRC,format=nv12,hwupload,deep3d=model=$WORK/luma.onnx:ort=$ORT_LIB" -f null -
ff_err "NaN from the model on the GPU path" "has [0-9]* values that are not finite" \
    emu "$FFMPEG" -nostdin -hide_banner -v error "${GPU_DEV[@]}" \
    -lavfi "$SRC,format=nv12,hwupload,deep3d=model=$WORK/nan-dark.onnx:ort=$ORT_LIB:onnx_size=64x36" -f null -
ff_err "NaN from the model on the CPU path" "is not finite (NaN or infinite) at x=" \
    "$FFMPEG" -nostdin -hide_banner -v error \
    -lavfi "$SRC,format=nv12,deep3d=model=$WORK/nan-dark.onnx:ort=$ORT_LIB:onnx_size=64x36:device=cpu" -f null -
log=$(DEEP3D_ONNX_EMU_CUDA_EP=1 LD_LIBRARY_PATH=$EMU "$FFMPEG" -nostdin -hide_banner -v info \
      -lavfi "$SRC,format=nv12,deep3d=model=$WORK/luma.onnx:ort=$ORT_LIB:onnx_size=64x36" -f null - 2>&1)
if [ $? -eq 0 ] && echo "$log" | grep "device: cpu (auto: no ONNX Runtime's CUDA execution provider" >/dev/null; then
    ok "device=auto with a runtime without the CUDA provider: the CPU, saying why"
else
    not_ok "device=auto without the CUDA provider: $(echo "$log" | grep -i 'device:\|error' | head -n 3)"
fi

# CUDA graphs: this engine cannot be captured (it waits once per batch): plain launches,
# said at verbose level, the frames of cuda_graph=off; cuda_graph=on is an error
g="$SRC,format=nv12,hwupload,deep3d=model=$WORK/luma.onnx:ort=$ORT_LIB:onnx_size=64x36:batch=2"
# (frames to files: the verbose log would interleave with them on one pipe)
auto=$(emu "$FFMPEG" -nostdin -hide_banner -v verbose "${GPU_DEV[@]}" -lavfi "$g,hwdownload,format=nv12" \
       -f framemd5 -y "$WORK/graph-auto.md5" 2>&1)
emu "$FFMPEG" -nostdin -hide_banner -v error "${GPU_DEV[@]}" -lavfi "$g:cuda_graph=off,hwdownload,format=nv12" \
    -f framemd5 -y "$WORK/graph-off.md5" > /dev/null 2>&1
if grep -q "cuda_graph: the onnx depth source's GPU engine cannot be captured" <<< "$auto" &&
   [ "$(grep -c '^0,' "$WORK/graph-off.md5")" -gt 0 ] && cmp -s "$WORK/graph-auto.md5" "$WORK/graph-off.md5" &&
   ! grep -q 'batches launched as CUDA graphs' <<< "$auto"; then
    ok "cuda_graph=auto with the ONNX engine: plain launches, said at verbose, the frames of off"
else
    not_ok "cuda_graph=auto with the ONNX engine: $(echo "$auto" | grep -i 'graph\|error' | head -n 3)"
fi
ff_err "cuda_graph=on with the ONNX engine" "cannot be captured into a CUDA graph" \
    env LD_LIBRARY_PATH=$EMU "$FFMPEG" -nostdin -hide_banner -v error "${GPU_DEV[@]}" \
    -lavfi "$g:cuda_graph=on,hwdownload,format=nv12" -f null -

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
