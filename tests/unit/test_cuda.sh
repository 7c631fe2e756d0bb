#!/usr/bin/env bash
# test_cuda with the tiny model and, when this machine has one, a real cuDNN 9
# (found as the filter would: $DEEP3D_CUDNN, the dynamic linker, the usual
# places); plus two checks that need no GPU either:
# - deep3d_cudnn.h against the real cudnn.h (constants, function types), when
#   the headers are installed;
# - tests/fate/deep3d-cuda-psnr.sh, the FATE_HW comparison tool, run with a
#   CPU branch in place of the GPU one: equal outputs pass, different ones fail.
# - the FATE_HW tests through FATE on the host CUDA emulator (tests/cuda-emu).
# Prints the summed "N passed, M failed".
set -uo pipefail
BIN=$1
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$TOP/_build}
OUT=$BUILD/ffmpeg-build
MODEL=$TOP/tests/data/deep3d-tiny-fcn.safetensors
passed=0; failed=0
ok()    { echo "ok - $*"; passed=$((passed + 1)); }
notok() { echo "not ok - $*"; failed=$((failed + 1)); }

find_cudnn() {
    local f
    if [ -n "${DEEP3D_CUDNN:-}" ]; then echo "$DEEP3D_CUDNN"; return; fi
    f=$(/sbin/ldconfig -p 2>/dev/null | awk '/libcudnn\.so\.9 /{ print $NF; exit }')
    [ -n "$f" ] && { echo "$f"; return; }
    for f in /usr/local/cuda/lib64/libcudnn.so.9 /usr/lib/*-linux-gnu/libcudnn.so.9 \
             /usr/local/lib/python3*/dist-packages/nvidia/cudnn/lib/libcudnn.so.9 \
             /usr/local/lib/python3*/site-packages/nvidia/cudnn/lib/libcudnn.so.9; do
        [ -e "$f" ] && { echo "$f"; return; }
    done
}
CUDNN=$(find_cudnn)
echo "cuDNN: ${CUDNN:-none found}"

# 1. the C tests
out=$("$BIN" "$MODEL" "$CUDNN")
echo "$out"
line=$(echo "$out" | tail -n 1)
if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    passed=$((passed + BASH_REMATCH[1])); failed=$((failed + BASH_REMATCH[2]))
else
    notok "test_cuda: no result"
fi

# 2. our cuDNN declarations against cudnn.h
inc=
for d in ${CUDNN:+$(dirname "$CUDNN")/../include} /usr/local/cuda/include /usr/include; do
    [ -f "$d/cudnn.h" ] && { inc=$d; break; }
done
cuda_inc=
for d in /usr/local/cuda/include /usr/local/cuda/targets/*/include; do
    [ -f "$d/cuda_runtime_api.h" ] && { cuda_inc=$d; break; }
done
if [ -n "$inc" ] && [ -n "$cuda_inc" ]; then
    n_const=$(grep -c '^    X(CUDNN_' "$TOP/libavfilter/deep3d_cudnn.h")
    n_func=$(grep -c '^    X(cudnn' "$TOP/libavfilter/deep3d_cudnn.h")
    if cc -std=gnu11 -fsyntax-only -Wno-deprecated-declarations -I"$inc" -I"$cuda_inc" -I"$TOP" \
          "$TOP/tests/unit/cudnn_abi_check.c" > "$BUILD/check/cudnn_abi_check.log" 2>&1; then
        ok "deep3d_cudnn.h matches $inc/cudnn.h ($n_const constants, $n_func function types, perf structs)"
    else
        notok "deep3d_cudnn.h against $inc/cudnn.h:"; head -n 20 "$BUILD/check/cudnn_abi_check.log"
    fi
else
    ok "deep3d_cudnn.h against cudnn.h # skip: no cuDNN headers here"
fi

# 3. the FATE_HW comparison tool, GPU branch replaced by the CPU path
psnr=$TOP/tests/fate/deep3d-cuda-psnr.sh
for fmt in nv12 p010le yuv420p yuv444p; do
    if DEEP3D_PSNR_GPU_CHAIN="deep3d=model=$MODEL:device=cpu:mode=sbs2l" \
           "$psnr" "$OUT/ffmpeg" 50 96x64 "$fmt" "model=$MODEL:mode=sbs2l" > /dev/null; then
        ok "deep3d-cuda-psnr.sh passes equal outputs ($fmt)"
    else
        notok "deep3d-cuda-psnr.sh fails equal outputs ($fmt)"
    fi
done
if DEEP3D_PSNR_GPU_CHAIN="deep3d=model=$MODEL:device=cpu:strength=1.5" \
       "$psnr" "$OUT/ffmpeg" 50 96x64 nv12 "model=$MODEL" > /dev/null; then
    notok "deep3d-cuda-psnr.sh passes outputs that differ (strength 1 vs 1.5)"
else
    ok "deep3d-cuda-psnr.sh fails outputs that differ (strength 1 vs 1.5)"
fi
if DEEP3D_PSNR_GPU_CHAIN="deep3d=model=$MODEL:device=cpu:strength=1.02" \
       "$psnr" "$OUT/ffmpeg" inf 96x64 nv12 "model=$MODEL" > /dev/null; then
    notok "deep3d-cuda-psnr.sh with inf passes outputs that differ slightly"
else
    ok "deep3d-cuda-psnr.sh with inf fails outputs that differ slightly"
fi

# 4. The FATE_HW tests themselves, through FATE, on the host CUDA emulator
#    (tests/cuda-emu: libcuda.so.1 running the deep3d kernels compiled for the
#    host, libcudnn.so.9 with loop convolutions): the unmodified ffmpeg takes
#    its whole CUDA path, hwupload to hwdownload, and must match the CPU path.
EMU=$BUILD/check/cuda-emu
rm -f "$OUT"/tests/data/fate/deep3d-cuda-*.rep
if ! command -v c++ > /dev/null; then
    ok "FATE_HW on the host CUDA emulator # skip: no C++ compiler"
elif ! "$TOP/tests/cuda-emu/build.sh" "$EMU" "$BUILD/deps/include" \
         "${SANITIZE:+-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-sanitize=vptr}" \
         > "$BUILD/check/cuda-emu.log" 2>&1; then
    notok "building the host CUDA emulator:"; tail -n 20 "$BUILD/check/cuda-emu.log"
else
    LD_LIBRARY_PATH=$EMU${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} DEEP3D_CUDNN=$EMU/libcudnn.so.9 \
        make -C "$OUT" -k -j"${JOBS:-$(nproc)}" fate-deep3d-cuda > "$BUILD/check/cuda-emu-fate.log" 2>&1
    n=0
    for rep in "$OUT"/tests/data/fate/deep3d-cuda-*.rep; do
        [ -e "$rep" ] || continue
        n=$((n + 1)); name=$(basename "$rep" .rep)
        if [ "$(cut -d: -f2 "$rep")" = 0 ]; then
            ok "$name on the host CUDA emulator"
        else
            notok "$name on the host CUDA emulator (see $OUT/tests/data/fate/$name.err)"
        fi
    done
    listed=$(make -s -C "$OUT" fate-list 2>/dev/null | grep -c '^fate-deep3d-cuda-')
    if [ "$n" -ne "$listed" ] || [ "$n" -eq 0 ]; then
        notok "FATE_HW on the emulator: $n of $listed tests reported"
    fi
    rm -f "$OUT"/tests/data/fate/deep3d-cuda-*.rep
    # device=auto on software frames: the GPU when the driver and cuDNN are there (frames
    # uploaded and downloaded by the filter), else the CPU with one info line and no error
    emu_run() { # emu_run CUDNN GRAPH: ffmpeg's log at info level
        LD_LIBRARY_PATH=$EMU${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} DEEP3D_CUDNN=$1 \
            "$OUT/ffmpeg" -nostdin -hide_banner -nostats -loglevel info -lavfi "$2" -f null - 2>&1
    }
    log=$(emu_run "$EMU/libcudnn.so.9" "testsrc2=s=96x64:r=5:d=0.4,format=nv12,deep3d=model=$MODEL")
    if echo "$log" | grep 'device: cuda (.*auto: software frames uploaded and downloaded)' >/dev/null; then
        ok "device=auto, software nv12 with a driver and cuDNN: the GPU path, uploaded"
    else
        notok "device=auto, software nv12 with a driver and cuDNN: $(echo "$log" | grep -i 'device\|error' | head -n 3)"
    fi
    for case in "nv12 /nonexistent/libcudnn.so.9 no_cuDNN_9" "rgb24 $EMU/libcudnn.so.9 the_GPU_path_takes_no_rgb24_frames"; do
        set -- $case
        log=$(emu_run "$2" "testsrc2=s=96x64:r=5:d=0.4,format=$1,deep3d=model=$MODEL")
        if [ "$(echo "$log" | grep -c "device: cpu (auto: ${3//_/ };")" = 1 ] &&
           ! echo "$log" | grep -i 'error\|cannot' >/dev/null; then
            ok "device=auto, software $1 (${3//_/ }): the CPU, one info line saying why, no error"
        else
            notok "device=auto, software $1 (${3//_/ }): $(echo "$log" | head -n 5)"
        fi
    done
    # the same stereo side data as the CPU path in every mode (none for anaglyphs): each
    # frame's showinfo line, CPU against CUDA frames (3 frames each)
    side() { # side CHAIN: one line per frame, its Stereo 3D side data or "none"
        LD_LIBRARY_PATH=$EMU${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} DEEP3D_CUDNN=$EMU/libcudnn.so.9 \
            "$OUT/ffmpeg" -nostdin -hide_banner -nostats -loglevel info -init_hw_device cuda=gpu \
            -filter_hw_device gpu -lavfi "testsrc2=s=96x64:r=5:d=0.6,format=nv12,$1,showinfo" \
            -f null - 2>&1 |
            awk '/Parsed_showinfo.* n: *[0-9]/ { if (f) print s; f = 1; s = "none" }
                 /side data - Stereo 3D/ { sub(/.*Stereo 3D: /, ""); s = $0 }
                 END { if (f) print s }'
    }
    for mode in sbsl sbs2r abr ab2l ml mr irl irr depth arcg arcd icl icr chl chr al ar agmd aybg; do
        cpu=$(side "deep3d=model=$MODEL:device=cpu:mode=$mode")
        gpu=$(side "hwupload,deep3d=model=$MODEL:device=cuda:mode=$mode,hwdownload,format=nv12")
        # al, ar: two frames per input frame, each naming its eye
        want=3; case $mode in al|ar) want=6 ;; esac
        if [ "$(echo "$gpu" | grep -c .)" -eq "$want" ] && [ "$cpu" = "$gpu" ]; then
            ok "mode=$mode on CUDA frames: the CPU path's side data ($(echo "$gpu" | head -n 1))"
        else
            notok "mode=$mode on CUDA frames: side data '$gpu', CPU '$cpu'"
        fi
    done
    # precision: what runs, and why, on the device line; D3EMU_CC sets the emulated
    # compute capability (9.0 by default)
    g="testsrc2=s=96x64:r=5:d=0.2,format=nv12,deep3d=model=$MODEL"
    # from 7.0 (tensor cores) auto measures both and keeps the faster: on the emulator,
    # whichever its host timing says, consistent with the times it gives
    for cc in 9.0 7.0; do
        log=$(D3EMU_CC=$cc emu_run "$EMU/libcudnn.so.9" "$g:precision=auto")
        line=$(echo "$log" | grep -o "device: cuda (deep3d host CUDA emulator, cuDNN 9.19.0, fp[0-9]* [A-Z ]*(auto: compute capability $cc, measured [0-9.]* ms fp16 vs [0-9.]* ms fp32 per batch)")
        read -r t16 t32 <<< "$(echo "$line" | sed -n 's/.*measured \([0-9.]*\) ms fp16 vs \([0-9.]*\) ms fp32.*/\1 \2/p')"
        want=fp32; [ -n "$t16" ] && awk -v a="$t16" -v b="$t32" 'BEGIN { exit !(a < b) }' && want=fp16
        if [ -n "$t16" ] && echo "$line" | grep "cuDNN 9.19.0, $want " >/dev/null; then
            ok "precision=auto at compute capability $cc: both measured, the faster kept ($want; fp16 $t16 ms, fp32 $t32 ms)"
        else
            notok "precision=auto at compute capability $cc: $(echo "$log" | grep -i 'device\|error' | head -n 3)"
        fi
    done
    for case in "6.1 auto fp32_(auto:_compute_capability_6.1,_no_tensor_cores)" \
                "6.1 fp16 fp16_NHWC_(requested)" "9.0 fp32 fp32_(requested)"; do
        set -- $case
        log=$(D3EMU_CC=$1 emu_run "$EMU/libcudnn.so.9" "$g:precision=$2")
        if echo "$log" | grep -F "device: cuda (deep3d host CUDA emulator, cuDNN 9.19.0, ${3//_/ }, " >/dev/null; then
            ok "precision=$2 at compute capability $1: ${3//_/ }"
        else
            notok "precision=$2 at compute capability $1: $(echo "$log" | grep -i 'device\|error' | head -n 3)"
        fi
    done
    # a filter value beyond the half range: fp16 refuses it, auto falls back to fp32
    big=$BUILD/check/cuda-emu/big-weight.safetensors
    /usr/bin/env python3 - "$MODEL" "$big" <<'PY'
import json, struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
n = struct.unpack('<Q', b[:8])[0]
off = 8 + n + json.loads(b[8:8 + n])['conv2_1_weight']['data_offsets'][0]
b[off:off + 4] = struct.pack('<f', 1e6)
open(sys.argv[2], 'wb').write(b)
PY
    log=$(emu_run "$EMU/libcudnn.so.9" "testsrc2=s=96x64:r=5:d=0.2,format=nv12,deep3d=model=$big:device=cuda:precision=fp16")
    if echo "$log" | grep -F "precision=fp16: conv2_1 holds 1e+06, beyond the half range" >/dev/null; then
        ok "precision=fp16 refuses a filter beyond the half range, naming it"
    else
        notok "precision=fp16 with a filter beyond the half range: $(echo "$log" | head -n 3)"
    fi
    log=$(emu_run "$EMU/libcudnn.so.9" "testsrc2=s=96x64:r=5:d=0.2,format=nv12,deep3d=model=$big")
    if echo "$log" | grep -F "fp32 (auto: conv2_1 holds 1e+06, beyond the half range)" >/dev/null; then
        ok "precision=auto with a filter beyond the half range: fp32, saying why"
    else
        notok "precision=auto with a filter beyond the half range: $(echo "$log" | grep -i 'device\|error' | head -n 3)"
    fi
    # batch: the frames, timestamps and stereo side data of batch=1 (framecrc and showinfo,
    # 5 frames: 2 full batches and one flushed at the end), and at a size change mid-stream
    # the frames held go out before the error
    # (stderr kept apart: under ASan the emulator's fibers print a swapcontext warning with a pid)
    crc() { # crc CHAIN: framecrc of 5 frames of CUDA frames through CHAIN, or "failed"
        LD_LIBRARY_PATH=$EMU${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} DEEP3D_CUDNN=$EMU/libcudnn.so.9 \
            "$OUT/ffmpeg" -nostdin -hide_banner -nostats -loglevel error -init_hw_device cuda=gpu \
            -filter_hw_device gpu -lavfi "testsrc2=s=96x64:r=5:d=1,format=nv12,$1" \
            -f framecrc - 2> "$EMU/crc.err" || { echo failed; cat "$EMU/crc.err"; }
    }
    b1=$(crc "hwupload,deep3d=model=$MODEL:device=cuda:smooth=4:batch=1,hwdownload,format=nv12")
    b2=$(crc "hwupload,deep3d=model=$MODEL:device=cuda:smooth=4:batch=2,hwdownload,format=nv12")
    if [ "$(echo "$b1" | grep -c '^0,')" -eq 5 ] && [ "$b1" = "$b2" ]; then
        ok "batch=2 on CUDA frames: the frames and timestamps of batch=1 (framecrc, 5 frames)"
    else
        notok "batch=2 on CUDA frames: framecrc differs from batch=1: $(diff <(echo "$b1") <(echo "$b2") | head -n 4)"
    fi
    cpu=$(side "deep3d=model=$MODEL:device=cpu:mode=sbs2l")
    gpu=$(side "hwupload,deep3d=model=$MODEL:device=cuda:mode=sbs2l:batch=2,hwdownload,format=nv12")
    if [ "$(echo "$gpu" | grep -c .)" -eq 3 ] && [ "$cpu" = "$gpu" ]; then
        ok "batch=2 on CUDA frames: the CPU path's side data in all 3 frames"
    else
        notok "batch=2 on CUDA frames: side data '$gpu', CPU '$cpu'"
    fi
    # software frames (upload); the size changes at frame 3 (scale, eval=frame): with
    # batch=3 all three frames before it are held; as many must reach showinfo (in the
    # graph: ffmpeg's muxing after an error is timing-dependent) as with batch=1, then the error
    resize() { # resize BATCH: frames out of ffmpeg, and whether the size error was given
        LD_LIBRARY_PATH=$EMU${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} DEEP3D_CUDNN=$EMU/libcudnn.so.9 \
            "$OUT/ffmpeg" -nostdin -hide_banner -nostats -loglevel info -lavfi \
            "testsrc2=s=96x64:r=5:d=1,format=yuv420p,scale=w='if(lt(n\,3)\,96\,64)':h=64:eval=frame,deep3d=model=$MODEL:device=cuda:batch=$1,showinfo" \
            -f null - 2>&1 |
            awk '/Parsed_showinfo.* n: *[0-9]/ { n++ } /Frame changed from 96x64/ { e = 1 }
                 END { print n + 0, e ? "error" : "no-error" }'
    }
    r1=$(resize 1) r3=$(resize 3)
    if [ "$r3" = "$r1" ] && [ "${r1%% *}" -ge 2 ] && [ "${r1#* }" = error ]; then
        ok "batch=3, size change at frame 3: the held frames out as with batch=1 ($r3), then the error"
    else
        notok "batch=3, size change at frame 3: $r3, batch=1: $r1"
    fi
    # where cuDNN is looked for without the option or $DEEP3D_CUDNN: after the dynamic
    # linker, the pip wheel location of the active virtual environment
    # (PREFIX/lib/python3.MINOR/site-packages/nvidia/cudnn/lib), and no home directory.
    # The linker's cache may know a real cuDNN: ld.so --inhibit-cache leaves it out, and
    # LD_LIBRARY_PATH names only the emulator's libcuda.
    interp=$(readelf -l "$OUT/ffmpeg" 2>/dev/null | sed -n 's/.*interpreter: \(.*\)]/\1/p')
    if [ -x "${interp:-/nonexistent}" ]; then
        fake=$BUILD/check/cuda-emu/search
        rm -rf "$fake" && mkdir -p "$fake/cuda" "$fake/venv/lib/python3.12/site-packages/nvidia/cudnn/lib" \
            "$fake/home/.local/lib/python3.12/site-packages/nvidia/cudnn/lib"
        ln -s "$EMU/libcuda.so.1" "$fake/cuda/"
        cp "$EMU/libcudnn.so.9" "$fake/venv/lib/python3.12/site-packages/nvidia/cudnn/lib/"
        cp "$EMU/libcudnn.so.9" "$fake/home/.local/lib/python3.12/site-packages/nvidia/cudnn/lib/"
        search() { # search VIRTUAL_ENV: ffmpeg's log at verbose level, DEEP3D_CUDNN unset
            env -u DEEP3D_CUDNN -u CONDA_PREFIX VIRTUAL_ENV=$1 HOME=$fake/home LD_LIBRARY_PATH=$fake/cuda \
                "$interp" --inhibit-cache "$OUT/ffmpeg" -nostdin -hide_banner -nostats -loglevel verbose \
                -lavfi "testsrc2=s=96x64:r=5:d=0.2,format=nv12,deep3d=model=$MODEL:device=cuda" -f null - 2>&1
        }
        log=$(search "$fake/venv")
        if echo "$log" | grep -F "cuDNN 9.19.0 from $fake/venv/lib/python3.12/site-packages/nvidia/cudnn/lib/libcudnn.so.9" >/dev/null &&
           echo "$log" | grep 'device: cuda' >/dev/null; then
            ok "cuDNN found at the pip wheel location of \$VIRTUAL_ENV, said at verbose level"
        else
            notok "cuDNN at the pip wheel location of \$VIRTUAL_ENV: $(echo "$log" | grep -i 'cudnn\|error' | head -n 3)"
        fi
        log=$(search "")
        if echo "$log" | grep -F 'Cannot load cuDNN 9 (libcudnn.so.9)' >/dev/null && ! echo "$log" | grep 'cuDNN 9.19.0 from' >/dev/null; then
            ok "cuDNN in a home directory's wheel is not searched: a clear error"
        else
            notok "cuDNN only in a home directory's wheel: $(echo "$log" | grep -i 'cudnn\|error' | head -n 3)"
        fi
    else
        ok "cuDNN search without the dynamic linker's cache # skip: no ELF interpreter found"
    fi
    # per-stage GPU timers (CUDA events, emulated on the host clock): at verbose level one
    # line per stage for all frames; the total is the sum of the stages, frame by frame,
    # so its mean is the sum of the stage means (each printed to 0.1 us: 0.35 us slack)
    vlog() { # vlog LEVEL GRAPH [ENV...]: ffmpeg's log on the emulator, CUDA frames
        local level=$1 graph=$2; shift 2
        env "$@" LD_LIBRARY_PATH=$EMU${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} DEEP3D_CUDNN=$EMU/libcudnn.so.9 \
            "$OUT/ffmpeg" -nostdin -hide_banner -nostats -loglevel "$level" -init_hw_device cuda=gpu \
            -filter_hw_device gpu -lavfi "$graph" -f null - 2>&1
    }
    for case in "1 sbsl" "3 ab2l" "2 depth" "1 arcd"; do
        set -- $case
        # per stage: plain launches (a CUDA graph's batch is timed as a whole)
        log=$(vlog verbose "testsrc2=s=96x64:r=5:d=1.4,format=nv12,hwupload,deep3d=model=$MODEL:device=cuda:batch=$1:mode=$2:cuda_graph=off,hwdownload,format=nv12")
        stages=$(echo "$log" | sed -n 's/.*GPU stage \([a-z]*\) *mean *\([0-9.]*\) us, p99 *\([0-9.]*\) us$/\1 \2 \3/p')
        if echo "$log" | grep -F 'GPU time per frame, CUDA events, 7 frames (batch ' >/dev/null"$1" &&
           [ "$(echo "$stages" | awk '{ print $1 }' | tr '\n' ' ')" = "input network temporal selection packing total " ] &&
           echo "$stages" | awk '$1 == "total" { t = $2; next } { s += $2 } $2 < 0 || $3 < 0 { bad = 1 }
                                 END { exit !(!bad && t > 0 && (s - t < 0.35 && t - s < 0.35)) }'; then
            ok "GPU stage timers, batch=$1 mode=$2: 7 frames, 6 stages, total = sum of stage means ($(echo "$stages" | awk '$1 == "total" { print $2 }') us)"
        else
            notok "GPU stage timers, batch=$1 mode=$2: $(echo "$log" | grep 'GPU \|rror' | head -n 8)"
        fi
    done
    # with CUDA graphs (the default): from the second batch of a size on, timed whole
    log=$(vlog verbose "testsrc2=s=96x64:r=5:d=1.4,format=nv12,hwupload,deep3d=model=$MODEL:device=cuda,hwdownload,format=nv12")
    # (here-strings: no grep -q at the end of a pipe under pipefail)
    if grep -qF 'GPU time per frame, CUDA events, 7 frames (batch 1' <<< "$log" &&
       grep -qF 'GPU stages: 6 batches ran as CUDA graphs, timed as a whole' <<< "$log" &&
       grep -qE 'GPU stage total +mean +[0-9]+\.[0-9] us' <<< "$log" &&
       [ "$(echo "$log" | grep -cE 'GPU stage [a-z]+ +mean')" = 1 ]; then
        ok "GPU stage timers with CUDA graphs: 7 frames in the total (the only stage line), 6 graph batches timed whole"
    else
        notok "GPU stage timers with CUDA graphs: $(echo "$log" | grep 'GPU \|rror' | head -n 8)"
    fi
    log=$(vlog info "testsrc2=s=96x64:r=5:d=1.4,format=nv12,hwupload,deep3d=model=$MODEL:device=cuda,hwdownload,format=nv12")
    if ! echo "$log" | grep 'GPU stage\|rror' >/dev/null; then
        ok "GPU stage timers: nothing at info level"
    else
        notok "GPU stage timers at info level: $(echo "$log" | head -n 3)"
    fi
    # steady-state throughput after 64 warm-up frames (CUDA events): 70 frames give 6
    log=$(vlog verbose "testsrc2=s=96x64:r=25:d=2.8,format=nv12,hwupload,deep3d=model=$MODEL:device=cuda,hwdownload,format=nv12")
    if echo "$log" | grep 'GPU steady state: 6 frames after the first 64 in [0-9.]* ms of GPU time (CUDA events): [0-9.]* fps$' >/dev/null; then
        ok "steady-state fps: the 6 frames after the first 64, by CUDA events"
    else
        notok "steady-state fps: $(echo "$log" | grep 'GPU\|rror' | head -n 3)"
    fi
    # cuDNN: algorithms timed (Find*Ex) on the real buffers; the emulator ranks the tensor-core
    # result, then FMA 2, then 0 (its heuristic gives tensor, then 0): fp32 must take 2 for
    # every convolution, fp16 the tensor-core 1; bias + ReLU fused in both (fp16: half bias)
    nconv=$(echo "$(vlog debug "testsrc2=s=96x64:r=5:d=0.2,format=nv12,hwupload,deep3d=model=$MODEL:device=cuda:precision=fp32,hwdownload,format=nv12")" |
            grep -c 'algorithm [0-9]* timed fastest usable')
    for case in "fp32 2 1" "fp16 1 1"; do
        set -- $case
        log=$(vlog debug "testsrc2=s=96x64:r=5:d=0.2,format=nv12,hwupload,deep3d=model=$MODEL:device=cuda:precision=$1,hwdownload,format=nv12")
        timed=$(echo "$log" | grep -c "algorithm $2 timed fastest usable (0.[0-9]* ms, workspace 4096; 3 timed; heuristic choice [01])")
        # and the 5 branches' transposed convolutions in our sum kernel, not cuDNN
        fused=$(echo "$log" | sed -n 's/.*algorithms of \([0-9]*\) cuDNN calls timed, \([0-9]*\) with bias and ReLU fused; 5 transposed convolutions summed in one kernel.*$/\1 \2/p')
        if [ "$nconv" -gt 0 ] && [ "$timed" -eq "$nconv" ] && [ "${fused% *}" = "$nconv" ] &&
           { { [ "$3" = 1 ] && [ "${fused#* }" -gt 0 ]; } || { [ "$3" = 0 ] && [ "${fused#* }" = 0 ]; }; }; then
            ok "precision=$1: all $nconv convolutions take the timed algorithm $2; fused: ${fused#* }"
        else
            notok "precision=$1, timed algorithms: $timed of $nconv, '$fused': $(echo "$log" | grep 'timed\|rror' | head -n 4)"
        fi
    done
    # the scene cut decided on the device: the reset lines (read back later through pinned
    # memory), their frames and reasons, and the outputs of tests/fate/deep3d-reset.sh are the
    # CPU path's; software frames with device=cuda take the GPU path (uploaded). No
    # pinned block may be left at exit (D3EMU_LEAK_CHECK).
    img=$TOP/tests/data/cut-astronaut-coffee.png
    if [ -f "$img" ]; then
        cpu=$("$TOP/tests/fate/deep3d-reset.sh" "$OUT/ffmpeg" "$img" "model=$MODEL:device=cpu:smooth=8" 2>&1)
        gpu=$(D3EMU_LEAK_CHECK=1 LD_LIBRARY_PATH=$EMU${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} DEEP3D_CUDNN=$EMU/libcudnn.so.9 \
              "$TOP/tests/fate/deep3d-reset.sh" "$OUT/ffmpeg" "$img" "model=$MODEL:device=cuda:smooth=8" 2>&1)
        if [ "$cpu" = "$gpu" ] && echo "$gpu" | grep '^cut: temporal state reset at frame 3: scene cut' >/dev/null &&
           echo "$gpu" | grep '^gap: temporal state reset at frame 2: timestamp' >/dev/null; then
            ok "scene cut on the device: deep3d-reset.sh gives the CPU path's lines and results"
        else
            notok "scene cut on the device: $(diff <(echo "$cpu") <(echo "$gpu") | head -n 6)"
        fi
    else
        notok "scene cut on the device: $img missing"
    fi
    log=$(vlog verbose "testsrc2=s=96x64:r=5:d=2,format=nv12,hwupload,deep3d=model=$MODEL:device=cuda:scenecut=1,hwdownload,format=nv12" D3EMU_LEAK_CHECK=1)
    if echo "$log" | grep 'temporal: 10 frames, 9 resets' >/dev/null && ! echo "$log" | grep 'd3emu:\|rror' >/dev/null; then
        ok "scenecut=1 on moving testsrc2: every frame after the first resets, counted at the end; pinned memory freed"
    else
        notok "scenecut=1 on moving testsrc2: $(echo "$log" | grep 'temporal\|d3emu\|rror' | head -n 3)"
    fi
    # a network of real width (the compact benchmark model: 256x160, 17 planes, up to
    # 128 channels) at 640x360, with the same comparison, in both precisions
    compact=$BUILD/check/cuda-emu/compact.safetensors
    if /usr/bin/env python3 "$TOP/bench/make_bench_model.py" --arch fcn --input 256x160 \
           --channels 16,32,64,128,128 --convs 1,1,1,1,1 --disparity -8:8 "$compact"; then
        for case in "fp32 50" "fp16 38"; do
            set -- $case
            if res=$(LD_LIBRARY_PATH=$EMU${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} DEEP3D_CUDNN=$EMU/libcudnn.so.9 \
                     "$psnr" "$OUT/ffmpeg" "$2" 640x360 nv12 "model=$compact:mode=sbs2l:precision=$1" | tail -n 1); then
                ok "compact network, $1, 640x360 nv12 sbs2l on the host CUDA emulator: $res"
            else
                notok "compact network, $1, 640x360 nv12 sbs2l on the host CUDA emulator: ${res:-failed}"
            fi
        done
    else
        notok "compact network: make_bench_model.py failed"
    fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
