#!/usr/bin/env bash
# test_cuda_graph on the host CUDA emulator (tests/cuda-emu, built here), then
# the filter's CUDA path through the unmodified ffmpeg on the emulator:
# - cuda_graph=on against cuda_graph=off: the same frames (framemd5) over runs
#   with scene cuts, a timestamp jump, convergence=auto, render=hard, dilate,
#   anaglyphs, squeezed and interleaved layouts, the depth picture, batches
#   of 1, 3 and 4 (a partial batch at the end: a size seen once runs plainly),
#   the same scene-cut and convergence log lines; strength and convergence
#   commands between replays; the graph is captured and
#   replayed (verbose log), and auto does the same as on;
# - a capture that fails (the emulated cuDNN refusing a captured stream,
#   $D3EMU_CUDNN_NO_CAPTURE): auto falls back to plain launches, said at
#   verbose level, same frames; on fails with an error;
# - the PTX of the convergence kernels has no fused or unrounded double
#   multiply (the bit-exactness of test_cuda_graph holds on a GPU too);
# - software frames (device=auto) through the pinned staging buffers give the
#   frames of hwupload/hwdownload around the same GPU path.
# Prints the summed "N passed, M failed".
set -uo pipefail
BIN=$1
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$TOP/_build}
OUT=$BUILD/ffmpeg-build
MODEL=$TOP/tests/data/deep3d-tiny-fcn.safetensors
EMU=$BUILD/check/cuda-emu-graph
TMP=$BUILD/check/cuda-graph
passed=0; failed=0
ok()    { echo "ok - $*"; passed=$((passed + 1)); }
notok() { echo "not ok - $*"; failed=$((failed + 1)); }
mkdir -p "$TMP"

if ! "$TOP/tests/cuda-emu/build.sh" "$EMU" "$BUILD/deps/include" > "$TMP/emu-build.log" 2>&1; then
    notok "building the host CUDA emulator:"; tail -n 20 "$TMP/emu-build.log"
    echo "$passed passed, $((failed)) failed"; exit 1
fi

# 1. the C tests
out=$("$BIN" "$EMU")
echo "$out"
line=$(echo "$out" | tail -n 1)
if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    passed=$((passed + BASH_REMATCH[1])); failed=$((failed + BASH_REMATCH[2]))
else
    notok "test_cuda_graph: no result"
fi

# 2. the PTX of the convergence kernels: every double multiply rounded on its own
ptx=$OUT/libavfilter/deep3d_cuda.ptx
if [ -f "$ptx" ]; then
    for k in deep3d_conv_hist deep3d_conv_decide; do
        body=$(awk "/\\.entry $k\\(/,/^}/" "$ptx")
        n_rn=$(echo "$body" | grep -c 'mul\.rn\.f64')
        bad=$(echo "$body" | grep -cE 'fma\.[a-z]+\.f64|mul\.f64')
        if [ -n "$body" ] && [ "$n_rn" -gt 0 ] && [ "$bad" -eq 0 ]; then
            ok "PTX of $k: $n_rn mul.rn.f64, no fma.f64 or unrounded mul.f64"
        else
            notok "PTX of $k: $n_rn mul.rn.f64, $bad fma/unrounded (or the kernel is missing)"
        fi
    done
else
    ok "PTX of the convergence kernels # skip: no $ptx"
fi

# 3. the filter on the emulator, cuda_graph=off against on (and auto)
SRC="testsrc2=s=96x64:r=10:d=3.7,hflip=enable='between(t,1.5,2.45)',vflip=enable='between(t,1.5,2.45)'"
JUMP="setpts='PTS+gte(N,30)*4/TB'"
emu() { # emu NAME OPTIONS [ENV...]: frames to $TMP/NAME.md5, log (verbose) to $TMP/NAME.log
    local name=$1 opts=$2; shift 2
    env "$@" LD_LIBRARY_PATH=$EMU${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} DEEP3D_CUDNN=$EMU/libcudnn.so.9 \
        "$OUT/ffmpeg" -nostdin -hide_banner -nostats -y -loglevel debug -fps_mode passthrough -init_hw_device cuda=gpu \
        -filter_hw_device gpu -lavfi "$SRC,$JUMP,format=nv12,hwupload,deep3d=model=$MODEL:device=cuda:$opts,hwdownload,format=nv12" \
        -f framemd5 "$TMP/$name.md5" > "$TMP/$name.log" 2>&1
}
frames() { grep -vc '^#' "$1"; }
decisions() { grep -E 'temporal state reset|auto convergence:' "$1" | sed 's/^\[[^]]*\] //'; }
for cfg in "default::" "batch3:batch=3" "batch4:batch=4:scenecut=12" \
           "auto:convergence=auto:conv_smooth=4:batch=2" "hard:render=hard:convergence=auto:dilate=1" \
           "nosmooth:smooth=0:scenecut=0" "anaglyph:mode=arcd:batch=2" "half:mode=sbs2l:dilate=2" \
           "interleave:mode=irl" "depth:mode=depth:batch=3"; do
    name=${cfg%%:*}; opts=${cfg#*:}; opts=${opts#:}
    emu "$name-off" "cuda_graph=off${opts:+:$opts}"
    emu "$name-on" "cuda_graph=on${opts:+:$opts}"
    n=$(frames "$TMP/$name-off.md5" 2>/dev/null || echo 0)
    if [ "$n" -eq 37 ] && cmp -s "$TMP/$name-off.md5" "$TMP/$name-on.md5"; then
        ok "cuda_graph=on, $name (${opts:-defaults}): the frames of cuda_graph=off ($n)"
    else
        notok "cuda_graph=on, $name (${opts:-defaults}): $n frames, differ from off or missing (see $TMP/$name-*.log)"
    fi
    replays=$(sed -n 's/.*GPU: \([0-9]*\) batches launched as CUDA graphs.*/\1/p' "$TMP/$name-on.log")
    captured=$(grep -c 'CUDA graph for batches of .* replayed from now on' "$TMP/$name-on.log")
    if [ "${replays:-0}" -gt 5 ] && [ "$captured" -ge 1 ] && ! grep -q 'CUDA graph' "$TMP/$name-off.log"; then
        ok "$name: captured ($captured batch sizes), $replays batches launched as graphs; none with off"
    else
        notok "$name: ${replays:-no} graph launches, $captured captures"
    fi
    if [ "$(decisions "$TMP/$name-off.log")" = "$(decisions "$TMP/$name-on.log")" ]; then
        ok "$name: the same reset and convergence log lines ($(decisions "$TMP/$name-on.log" | grep -c .))"
    else
        notok "$name: reset or convergence log lines differ between off and on"
    fi
done
# the runs above saw what they are meant to test
if grep -q 'temporal state reset at frame .*: scene cut' "$TMP/default-on.log" &&
   grep -q 'temporal state reset at frame .*: timestamp discontinuity' "$TMP/default-on.log" &&
   [ "$(grep -c 'auto convergence:' "$TMP/auto-on.log")" -eq 37 ]; then
    ok "the runs cross scene cuts and a timestamp jump, and decide convergence=auto on each of 37 frames"
else
    notok "the test input has no scene cut, no timestamp jump or no convergence lines"
fi
emu auto-default "convergence=auto:conv_smooth=4:batch=2"
if cmp -s "$TMP/auto-off.md5" "$TMP/auto-default.md5" && grep -q 'replayed from now on' "$TMP/auto-default.log"; then
    ok "cuda_graph=auto (the default) captures and gives the same frames"
else
    notok "cuda_graph=auto: frames differ or no graph"
fi

# commands while graphs replay (the shift tables rewritten between batches); stderr goes to
# $TMP/stderr.log, not into the compared frames (under ASan the emulator's fibers print a
# swapcontext warning with a pid)
cmdrun() { # cmdrun GRAPH: framemd5 of a run with strength and convergence commands
    LD_LIBRARY_PATH=$EMU DEEP3D_CUDNN=$EMU/libcudnn.so.9 "$OUT/ffmpeg" -nostdin -hide_banner -nostats \
        -v error -init_hw_device cuda=gpu -filter_hw_device gpu \
        -lavfi "testsrc2=s=96x64:r=10:d=2,sendcmd=c='0.55 deep3d strength 2.5;1.05 deep3d convergence 3;1.45 deep3d strength 0.5',format=nv12,hwupload,deep3d@deep3d=model=$MODEL:device=cuda:batch=2:cuda_graph=$1,hwdownload,format=nv12" \
        -f framemd5 - 2>> "$TMP/stderr.log"
}
plain=$(cmdrun off); graphed=$(cmdrun on); base=$(LD_LIBRARY_PATH=$EMU DEEP3D_CUDNN=$EMU/libcudnn.so.9 \
    "$OUT/ffmpeg" -nostdin -hide_banner -nostats -v error -init_hw_device cuda=gpu -filter_hw_device gpu \
    -lavfi "testsrc2=s=96x64:r=10:d=2,format=nv12,hwupload,deep3d=model=$MODEL:device=cuda:batch=2,hwdownload,format=nv12" \
    -f framemd5 - 2>> "$TMP/stderr.log")
if [ "$(echo "$plain" | grep -vc '^#')" -eq 20 ] && [ "$plain" = "$graphed" ] && [ "$plain" != "$base" ]; then
    ok "strength and convergence commands between replays: the frames of cuda_graph=off"
else
    notok "commands with graphs: $(echo "$graphed" | grep -v '^[0#]' | head -n 3)"
fi

# 4. a capture that fails: the emulated cuDNN refuses the captured stream
emu fallback "batch=2" D3EMU_CUDNN_NO_CAPTURE=1
emu batch2-off "cuda_graph=off:batch=2"
if cmp -s "$TMP/batch2-off.md5" "$TMP/fallback.md5" &&
   grep -q 'CUDA graph for batches of 2 not captured (.*): plain launches' "$TMP/fallback.log" &&
   ! grep -q 'batches launched as CUDA graphs' "$TMP/fallback.log"; then
    ok "capture refused (cuDNN), cuda_graph=auto: plain launches, said at verbose, the same frames"
else
    notok "capture refused, cuda_graph=auto: $(grep -i 'graph\|error' "$TMP/fallback.log" | head -n 3)"
fi
if ! emu fallback-on "cuda_graph=on:batch=2" D3EMU_CUDNN_NO_CAPTURE=1 &&
   grep -q 'CUDA graph for batches of 2 not captured' "$TMP/fallback-on.log"; then
    ok "capture refused, cuda_graph=on: an error naming the graph"
else
    notok "capture refused, cuda_graph=on: no error"
fi

# 5. software frames through the pinned staging buffers (device=auto): the frames of
#    hwupload + hwdownload around the same GPU path, every format, batches of 1 and 3,
#    and every pinned block freed ($D3EMU_LEAK_CHECK)
for fmt in nv12 p010le yuv420p yuv444p; do
    for b in 1 3; do
        g="testsrc2=s=98x66:r=10:d=1.5,format=$fmt"
        staged=$(LD_LIBRARY_PATH=$EMU DEEP3D_CUDNN=$EMU/libcudnn.so.9 D3EMU_LEAK_CHECK=1 "$OUT/ffmpeg" \
                 -nostdin -hide_banner -nostats -v error -lavfi "$g,deep3d=model=$MODEL:batch=$b:mode=sbs2l" \
                 -f framemd5 - 2> "$TMP/staged.err")
        ref=$(LD_LIBRARY_PATH=$EMU DEEP3D_CUDNN=$EMU/libcudnn.so.9 "$OUT/ffmpeg" -nostdin -hide_banner \
              -nostats -v error -init_hw_device cuda=gpu -filter_hw_device gpu \
              -lavfi "$g,hwupload,deep3d=model=$MODEL:device=cuda:batch=$b:mode=sbs2l,hwdownload,format=$fmt" \
              -f framemd5 - 2>> "$TMP/stderr.log")
        if [ "$(echo "$staged" | grep -vc '^#')" -eq 15 ] && [ "$staged" = "$ref" ] &&
           ! grep -q 'd3emu: .*not freed' "$TMP/staged.err"; then
            ok "software $fmt, batch=$b, through pinned staging: the frames of hwupload/hwdownload, no pinned block left"
        else
            notok "software $fmt, batch=$b, staged: $( (echo "$staged" | grep -v '^[0#]'; grep -v WARNING "$TMP/staged.err") | head -n 3)"
        fi
    done
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
