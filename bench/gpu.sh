#!/usr/bin/env bash
# deep3d on a GPU machine: the FATE_HW tests (CUDA output against CPU output),
# then the benchmark; a summary in $OUT/summary.md. Made for a lent H100/H200
# with no internet, a copy of the working tree and a few carried files; it
# finishes in under 6 minutes (each step has a time limit, the whole run a
# deadline: DEADLINE seconds, default 340).
#
#   1. On the build machine (internet, no GPU):
#        make build && bench/gpu.sh prepare
#      makes $BUILD/gpu/city-1080p.mp4: the real demo clip scaled to 1080p and
#      repeated at encoding time to about 3000 frames of H.264, so no run needs
#      -stream_loop (NVDEC's flush at a loop point makes ffmpeg rebuild the
#      graph: "Reconfiguring filter graph", which fails with CUDA frames).
#   2. Carry _build/ffmpeg-build/ffmpeg and _build/gpu (about 40 MiB) and run
#        bench/gpu.sh
#      on the GPU machine. Without a carried ffmpeg it runs `make build`,
#      which needs the build tools and _build/dl (carry it too: 11 MiB).
#
# cuDNN 9: $DEEP3D_CUDNN if set (a file or a directory), else the nvidia.cudnn
# wheel of the machine's Python, else a search of the usual places (the filter
# searches too). Environment: OUT (default $BUILD/gpu-out), FFMPEG, JOBS_HW
# (parallel FATE_HW tests, default 4), FRAMES (decoded frames per pipeline run,
# default 3000), FRAMES_COMPACT / FRAMES_ORIGINAL (frames of the filter-alone
# runs, default 3000 / 1000).
#
# The filter-alone runs cycle through 64 distinct frames of the clip uploaded
# to the GPU once (loop filter: references, no copies), so the temporal steps
# and caches see changing pictures. Every run logs at verbose level: the
# filter's steady-state fps (CUDA events, after 64 warm-up frames) and its
# per-stage GPU times (input, network, temporal, selection, packing; mean and
# p99 per frame) go into the summary. A run whose log says "Reconfiguring" is
# rejected (its fps are not reported). Ablations: scenecut=0 and
# smooth=0:scenecut=0 against the default temporal settings, and cuda_graph=off
# (plain launches; with graphs the timers give the total only, so these rows
# also give the per-stage times) for compact auto b1/b8 and original fp16 b8. Hopper has no
# NVENC: the pipeline ends in -f null. No `grep -q` on a pipe anywhere: under
# pipefail the writer's SIGPIPE would fail the test.
set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$TOP/_build}
GPU_DIR=$BUILD/gpu
OUT=${OUT:-$BUILD/gpu-out}
FFMPEG=${FFMPEG:-$BUILD/ffmpeg-build/ffmpeg}
JOBS_HW=${JOBS_HW:-4}
FRAMES=${FRAMES:-3000}
FRAMES_COMPACT=${FRAMES_COMPACT:-3000}
FRAMES_ORIGINAL=${FRAMES_ORIGINAL:-1000}
DEADLINE=${DEADLINE:-340}
CYCLE=64      # distinct frames on the GPU in the filter-alone runs
CLIP=$GPU_DIR/city-1080p.mp4
TINY=$TOP/tests/data/deep3d-tiny-fcn.safetensors
START=$SECONDS

log() { echo "gpu.sh [$((SECONDS - START))s]: $*" >&2; }

# ---- prepare (build machine) ----
if [ "${1:-}" = prepare ]; then
    set -e
    mkdir -p "$GPU_DIR"
    BUILD=$BUILD "$TOP/scripts/fetch-clip.sh"
    src_frames=$("$FFMPEG" -hide_banner -nostdin -i "$BUILD/dl/cityCC0.mpg" -map 0:v -c copy -f null - 2>&1 |
                 sed -n 's/.*frame= *\([0-9]*\).*/\1/p' | tail -n 1)
    loops=$(( (FRAMES + ${src_frames:-190} - 1) / ${src_frames:-190} - 1 ))
    log "making $CLIP from the demo clip ($src_frames frames, $((loops + 1)) times: 1080p H.264, High profile)"
    # the repetition is in the file: one continuous stream, one decoder session
    "$FFMPEG" -hide_banner -loglevel error -y -stream_loop "$loops" -i "$BUILD/dl/cityCC0.mpg" -an \
        -vf scale=1920:1080:flags=lanczos,setsar=1,format=yuv420p,setpts=N/30/TB -r 30 \
        -c:v libx264 -preset veryfast -crf 26 -g 60 "$CLIP"
    # the ONNX block (3b): a tiny model for the smoke run; the ViT-S-size ones are made on the
    # GPU machine when its Python has torch and onnx (too large to carry: 97 / 48 MiB)
    /usr/bin/python3 "$TOP/tools/make_onnx_model.py" luma "$GPU_DIR/onnx-luma.onnx" --dynamic
    echo "carry: _build/ffmpeg-build/ffmpeg _build/gpu ($(du -sh "$FFMPEG" "$GPU_DIR" | awk '{ print $1 }' | tr '\n' ' '))"
    exit 0
fi

mkdir -p "$OUT"
SUMMARY=$OUT/summary.md
: > "$OUT/notes.txt"
note() { echo "- $*" >> "$OUT/notes.txt"; log "$*"; }

# ---- 0. machine, ffmpeg, cuDNN ----
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader > "$OUT/gpu.txt" 2>&1 ||
    echo "nvidia-smi failed" > "$OUT/gpu.txt"
log "GPU: $(cat "$OUT/gpu.txt")"

if ! "$FFMPEG" -hide_banner -version > /dev/null 2>&1; then
    log "no usable $FFMPEG; trying make build (up to 4 minutes)"
    (cd "$TOP" && timeout 240 make build BUILD="$BUILD") > "$OUT/build.log" 2>&1 ||
        note "make build failed (see build.log)"
fi
# the help text in a variable: `| grep -q` would stop reading early and fail the
# writer with SIGPIPE under pipefail
help=$("$FFMPEG" -hide_banner -h filter=deep3d 2>/dev/null)
if [[ $help != *'cuda '* ]]; then
    note "$FFMPEG is missing or has no deep3d CUDA path; stopping"
    { echo "# deep3d GPU run: no usable ffmpeg"; cat "$OUT/notes.txt"; } > "$SUMMARY"
    exit 1
fi

if [ -z "${DEEP3D_CUDNN:-}" ]; then
    for py in python3 python /usr/bin/python3 /opt/conda/bin/python; do
        d=$("$py" -c 'import os, nvidia.cudnn as m; print(os.path.join(list(m.__path__)[0], "lib"))' 2>/dev/null) || continue
        if [ -e "$d/libcudnn.so.9" ]; then
            export DEEP3D_CUDNN=$d
            # the wheel's neighbours (cublas, nvrtc, the runtime) for cuDNN's engines
            for lib in "$d"/../../*/lib; do
                LD_LIBRARY_PATH=$(cd "$lib" && pwd)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
            done
            export LD_LIBRARY_PATH
            break
        fi
    done
fi
ldcache=$(/sbin/ldconfig -p 2>/dev/null)
if [ -z "${DEEP3D_CUDNN:-}" ] && [[ $ldcache != *'libcudnn.so.9 '* ]]; then
    f=$(timeout 30 find / -xdev \( -path /proc -o -path /sys \) -prune -o -name libcudnn.so.9 -print 2>/dev/null | head -n 1)
    [ -n "$f" ] && export DEEP3D_CUDNN=$f
fi
note "cuDNN: ${DEEP3D_CUDNN:-libcudnn.so.9 from the dynamic linker}"

# One GPU run that says which device runs, before anything else.
"$FFMPEG" -hide_banner -nostdin -v verbose -init_hw_device cuda=gpu -filter_hw_device gpu \
    -lavfi "testsrc2=s=640x360:r=5:d=0.4,format=nv12,hwupload,deep3d=model=$TINY:device=cuda,hwdownload,format=nv12" \
    -f null - > "$OUT/smoke.log" 2>&1
smoke=$?
device=$(grep -o 'device: cuda (.*' "$OUT/smoke.log" | head -n 1)
[ -n "$device" ] || device="no device line, see smoke.log"
note "smoke test: exit $smoke; $device"

# ---- 1. FATE_HW: every deep3d GPU test, as FATE runs it ----
FSRC=$OUT/fate-src
rm -rf "$FSRC" "$OUT/fate-hw"
mkdir -p "$FSRC/tests" "$OUT/fate-hw"
ln -s "$TOP/tests/fate" "$FSRC/tests/fate"
ln -s "$TOP/tests/data" "$FSRC/tests/deep3d"
FFDIR=$(cd "$(dirname "$FFMPEG")" && pwd)
# the tests call $TARGET_PATH/ffmpeg
[ "$(basename "$FFMPEG")" = ffmpeg ] || { mkdir -p "$OUT/bin"; ln -sf "$FFMPEG" "$OUT/bin/ffmpeg"; FFDIR=$OUT/bin; }
tests=$(make -s -f "$TOP/bench/fate-hw.mk" "SRC_PATH=$FSRC" "TARGET_PATH=$FFDIR" list)
# one test: its FATE command, its output and exit status under fate-hw/
cat > "$OUT/run-test.sh" <<EOF
#!/usr/bin/env bash
cmd=\$(make -s -f "$TOP/bench/fate-hw.mk" "SRC_PATH=$FSRC" "TARGET_PATH=$FFDIR" "\$1")
timeout 150 bash -c "\$cmd" > "$OUT/fate-hw/\$1.log" 2>&1
echo \$? > "$OUT/fate-hw/\$1.rc"
EOF
chmod +x "$OUT/run-test.sh"
log "FATE_HW: $(echo "$tests" | wc -w) tests, $JOBS_HW at a time"
echo "$tests" | tr ' ' '\n' | timeout 150 xargs -P "$JOBS_HW" -n 1 "$OUT/run-test.sh"
hw_pass=0; hw_fail=0; hw_failed=()
for t in $tests; do
    if [ "$(cat "$OUT/fate-hw/$t.rc" 2>/dev/null)" = 0 ]; then
        hw_pass=$((hw_pass + 1))
    else
        hw_fail=$((hw_fail + 1)); hw_failed+=("$t")
    fi
done
log "FATE_HW: $hw_pass passed, $hw_fail failed"

# ---- 2. models and clip ----
MODELS=$OUT/models
mkdir -p "$MODELS"
PY=$(command -v python3 || command -v python)
"$PY" "$TOP/bench/make_bench_model.py" --arch fcn --input 256x160 --channels 16,32,64,128,128 \
    --convs 1,1,1,1,1 --disparity -8:8 "$MODELS/compact.safetensors"
"$PY" "$TOP/bench/make_bench_model.py" --arch original --input 384x160 --channels 64,128,256,512,512 \
    --convs 1,1,2,2,2 --fc 512 --disparity -15:16 "$MODELS/original.safetensors"
if [ -f "$CLIP" ]; then
    clip=$CLIP
    clip_desc="the demo clip (real camera, night skyline) scaled to 1080p, H.264 (bench/gpu.sh prepare)"
else
    clip=$OUT/synthetic-1080p.mp4
    clip_desc="SYNTHETIC testsrc2 1080p H.264: $CLIP was not carried"
    "$FFMPEG" -hide_banner -loglevel error -y -f lavfi -i testsrc2=s=1920x1080:r=30:d=8 \
        -c:v libx264 -preset veryfast -crf 20 -g 60 "$clip"
fi
note "clip: $clip_desc"
clip_frames=$("$FFMPEG" -hide_banner -nostdin -i "$clip" -map 0:v -c copy -f null - 2>&1 |
              sed -n 's/.*frame= *\([0-9]*\).*/\1/p' | tail -n 1)
[ "${clip_frames:-0}" -ge "$FRAMES" ] || note "the clip has ${clip_frames:-?} frames, fewer than FRAMES=$FRAMES"

# the GPU idle before timing: nothing else computing, utilisation low
for i in $(seq 1 15); do
    busy=$(nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits 2>/dev/null | head -n 1)
    apps=$(nvidia-smi --query-compute-apps=pid --format=csv,noheader 2>/dev/null | grep -c .)
    [ "${busy:-0}" -le 5 ] && [ "${apps:-0}" -eq 0 ] && break
    sleep 1
done
note "GPU before the benchmark: ${busy:-?}% busy, ${apps:-?} compute processes"

# ---- 3. benchmark runs ----
# bench NAME ARGS...: one ffmpeg run; frames, wall seconds, fps, peak GPU memory
# of the compute processes (nvidia-smi; the run is alone on the GPU), the
# filter's own GPU throughput line, and which device deep3d used.
RESULTS=$OUT/bench.tsv
STAGES=$OUT/stages.tsv
AUTO=$OUT/auto.tsv
printf 'run\tframes\tseconds\tfps\tgpu_mib\tfilter_fps\tdevice\tsteady_fps\n' > "$RESULTS"
printf 'run\tstage\tmean_us\tp99_us\n' > "$STAGES"
printf 'run\tpicked\tfp32_ms\tfp16_ms\n' > "$AUTO"
bench() {
    local name=$1; shift
    local t0 t1 pid mem=0 m frames fps filter_fps device steady
    local left=$((DEADLINE - (SECONDS - START)))   # the whole script stays under DEADLINE
    if [ "$left" -lt 15 ]; then
        note "skipped $name: out of time"
        return
    fi
    [ "$left" -lt 30 ] || left=30
    t0=$(date +%s.%N)
    # SIGINT at the limit: ffmpeg stops cleanly and the counts stay meaningful
    timeout -s INT "$left" "$FFMPEG" -hide_banner -nostdin -v verbose -nostats \
        -progress "$OUT/$name.progress" "$@" > "$OUT/$name.log" 2>&1 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        # all compute processes: ffmpeg is the only one now (its pid is under timeout's)
        m=$(nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits 2>/dev/null |
            awk -F', *' '{ s += $2 } END { print s + 0 }')
        [ -n "$m" ] && [ "$m" -gt "$mem" ] && mem=$m
        sleep 0.2
    done
    wait "$pid"
    local rc=$?
    t1=$(date +%s.%N)
    frames=$(sed -n 's/^frame=//p' "$OUT/$name.progress" 2>/dev/null | tail -n 1)
    fps=$(awk -v f="${frames:-0}" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", f / (b - a) }')
    filter_fps=$(sed -n 's/.*GPU: .*: \([0-9.]*\) fps$/\1/p' "$OUT/$name.log" | tail -n 1)
    steady=$(sed -n 's/.*GPU steady state: .*: \([0-9.]*\) fps$/\1/p' "$OUT/$name.log" | tail -n 1)
    # precision=auto: what it measured at init and kept
    sed -n 's/.*precision=auto: one forward pass of batch \([0-9]*\) takes \([0-9.]*\) ms in fp32, \([0-9.]*\) ms in fp16 .*: \(fp[0-9]*\)$/\4\t\2\t\3/p' \
        "$OUT/$name.log" | head -n 1 | sed "s/^/$name\t/" >> "$AUTO"
    sed -n 's/.*GPU stage \([a-z]*\) *mean *\([0-9.]*\) us, p99 *\([0-9.]*\) us$/\1\t\2\t\3/p' \
        "$OUT/$name.log" | sed "s/^/$name\t/" >> "$STAGES"
    # a rebuilt graph (NVDEC reset, hwaccel change) measured something else: rejected
    if grep 'Reconfiguring' "$OUT/$name.log" > /dev/null; then
        note "$name: REJECTED, the log says Reconfiguring (see $name.log)"
        fps=-; filter_fps=-; steady=-
    fi
    # which path ran: a failed NVDEC setup falls back to software frames and the CPU
    device=$(grep -o 'device: [a-z]*' "$OUT/$name.log" | head -n 1 | cut -d' ' -f2)
    grep -q 'hwaccel initialisation returned error\|Failed setup for format cuda' "$OUT/$name.log" &&
        device="${device:--} (NVDEC failed: software decoding)"
    [ "$rc" = 0 ] || note "$name: ffmpeg exited with $rc (see $name.log)"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "${frames:-0}" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')" "$fps" \
        "$mem" "${filter_fps:--}" "${device:--}" "${steady:--}" >> "$RESULTS"
    log "$name: ${frames:-0} frames, $fps fps, ${mem} MiB, filter ${filter_fps:--} fps, steady ${steady:--} fps"
}

DEC=(-hwaccel cuda -hwaccel_output_format cuda -i "$clip" -an -frames:v "$FRAMES")
HW=(-init_hw_device cuda=gpu -filter_hw_device gpu)
# frames on the GPU: the clip's first CYCLE frames uploaded once and looped
# (references, no copies): N frames of the filter alone
# (the loop filter must be in the build: scripts/configure-ffmpeg.sh FILTERS; without it,
# one uploaded frame repeated by fps, as on 2026-12-04, and a note says so)
filters=$("$FFMPEG" -hide_banner -filters 2>/dev/null)
if [[ $filters == *' loop '* ]]; then
    ongpu() { echo "[0:v]trim=end_frame=$CYCLE,format=nv12,hwupload,loop=loop=$(( ($1 + CYCLE - 1) / CYCLE )):size=$CYCLE:start=0,trim=end_frame=$1"; }
else
    note "this ffmpeg has no loop filter: the filter-alone runs repeat ONE uploaded frame (fps filter)"
    ongpu() { echo "testsrc2=s=${ONGPU_SIZE:-1920x1080}:r=1:d=1,format=nv12,hwupload,fps=$1"; }
fi
CM=$MODELS/compact.safetensors OM=$MODELS/original.safetensors
filter() { # filter NAME FRAMES DEEP3D_OPTIONS
    bench "$1" "${HW[@]}" -i "$clip" -an -lavfi "$(ongpu "$2")${3:+,deep3d=$3}" -f null -
}

bench nvdec-only "${DEC[@]}" -f null -
bench pipeline-compact "${DEC[@]}" -vf "deep3d=model=$CM:mode=sbs" -f null -
bench pipeline-original "${DEC[@]}" -vf "deep3d=model=$OM:mode=sbs:precision=fp16" -f null -
filter ongpu-baseline "$FRAMES_COMPACT" ""
for p in fp32 fp16 auto; do
    for b in 1 8; do
        filter "filter-compact-$p-b$b" "$FRAMES_COMPACT" "model=$CM:mode=sbs:precision=$p:batch=$b"
    done
done
for p in fp32 fp16; do
    for b in 1 8; do
        filter "filter-original-$p-b$b" "$FRAMES_ORIGINAL" "model=$OM:mode=sbs:precision=$p:batch=$b"
    done
done
# precision=auto measures both at init and keeps the faster: against both, same run
filter filter-original-auto-b8 "$FRAMES_ORIGINAL" "model=$OM:mode=sbs:precision=auto:batch=8"
# ablations of the temporal steps (default: smooth=8, scenecut=20)
filter ablate-scenecut0 "$FRAMES_COMPACT" "model=$CM:mode=sbs:scenecut=0"
filter ablate-smooth0-scenecut0 "$FRAMES_COMPACT" "model=$CM:mode=sbs:smooth=0:scenecut=0"
# software decoding, deep3d with device=auto: the filter uploads and downloads each frame
bench upload-compact -i "$clip" -an -frames:v "$FRAMES_ORIGINAL" -vf "deep3d=model=$CM:mode=sbs" -f null -
# CUDA graphs off (plain launches, per-stage timers): the graphs' gain, and where the time goes
for r in "compact auto 1 $FRAMES_COMPACT" "compact auto 8 $FRAMES_COMPACT" "original fp16 8 $FRAMES_ORIGINAL"; do
    set -- $r
    m=$CM; [ "$1" = original ] && m=$OM
    filter "graphoff-$1-$2-b$3" "$4" "model=$m:mode=sbs:precision=$2:batch=$3:cuda_graph=off"
done

# ---- 3b. ONNX depth models on CUDA frames (docs/onnx.md section 8) ----
# Which ONNX Runtime the machine's Python has, and whether it has the CUDA provider (the
# onnxruntime-gpu build); the filter uses its library unless $DEEP3D_ORT says otherwise.
FRAMES_ONNX=${FRAMES_ONNX:-1000}
ONNX_SIZE=${ONNX_SIZE:-364x196}
ONNX_MD=$OUT/onnx.md
if ort_info=$(timeout 60 python3 -c 'import onnxruntime as o, os; print(o.__version__); print(",".join(o.get_available_providers())); print(os.path.dirname(o.__file__))' 2>&1); then
    ort_ver=$(echo "$ort_info" | sed -n 1p); ort_prov=$(echo "$ort_info" | sed -n 2p); ort_dir=$(echo "$ort_info" | sed -n 3p)
else
    ort_ver="none (python3 cannot import onnxruntime: $(echo "$ort_info" | tail -n 1))"; ort_prov=; ort_dir=
fi
ORT_GPU=${DEEP3D_ORT:-$(ls "$ort_dir"/capi/libonnxruntime.so.1.* 2>/dev/null | tail -n 1)}
note "ONNX Runtime of python3: ${ort_ver:-none} (providers: ${ort_prov:-?}); library: ${ORT_GPU:-none}"
HW_ONNX=(-init_hw_device cuda=gpu:0,primary_ctx=1 -filter_hw_device gpu)
onnx_val() { awk -F'\t' -v r="$1" '$1 == r { print $8 }' "$RESULTS"; }
{
    echo "## ONNX depth models on CUDA frames"
    echo
    echo "- python3's onnxruntime: ${ort_ver:-not installed}; providers: ${ort_prov:-?}"
} > "$ONNX_MD"
if [ -n "$ORT_GPU" ] && [ -e "$GPU_DIR/onnx-luma.onnx" ]; then
    # the tiny model on CUDA frames: runs with the CUDA provider, else the error says what is missing
    timeout 60 "$FFMPEG" -hide_banner -nostdin -v verbose "${HW_ONNX[@]}" \
        -lavfi "testsrc2=s=640x360:r=5:d=0.4,format=nv12,hwupload,deep3d=model=$GPU_DIR/onnx-luma.onnx:ort=$ORT_GPU:onnx_size=64x36,hwdownload,format=nv12" \
        -f null - > "$OUT/onnx-smoke.log" 2>&1
    onnx_smoke=$?
    echo "- tiny model on CUDA frames: exit $onnx_smoke; $(grep -m1 -o 'device: cuda (.*\|has no CUDA execution provider.*\|its CUDA execution provider cannot be used.*' "$OUT/onnx-smoke.log" | cut -c1-300)" >> "$ONNX_MD"
fi
if [[ ${ort_prov:-} == *CUDAExecutionProvider* ]] && [ -n "$ORT_GPU" ]; then
    for p in fp32 fp16; do
        mf=$GPU_DIR/onnx-vits-$ONNX_SIZE-$p.onnx
        [ -e "$mf" ] || timeout 120 python3 "$TOP/bench/make_onnx_bench_model.py" "$mf" "$ONNX_SIZE" \
            $([ $p = fp16 ] && echo --fp16) > "$OUT/onnx-make-$p.log" 2>&1 ||
            note "ONNX $p model: cannot make it here (torch and onnx in python3? see onnx-make-$p.log)"
        [ -e "$mf" ] && bench "onnx-vits-$p" "${HW_ONNX[@]}" -i "$clip" -an \
            -lavfi "$(ongpu "$FRAMES_ONNX"),deep3d=model=$mf:ort=$ORT_GPU:mode=sbs" -f null -
    done
    echo "- ViT-S-size random model (bench/make_onnx_bench_model.py) at $ONNX_SIZE, 1080p CUDA frames in and out, mode=sbs: steady fps fp32 $(onnx_val onnx-vits-fp32), fp16 $(onnx_val onnx-vits-fp16) (target: >= 300 fps fp16); rows onnx-vits-* of the benchmark table" >> "$ONNX_MD"
else
    echo "- no CUDA execution provider here: the ONNX GPU runs are skipped (install onnxruntime-gpu)" >> "$ONNX_MD"
fi

# ---- 4. summary ----
val() { awk -F'\t' -v r="$1" -v c="$2" '$1 == r { print $c }' "$RESULTS"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "-" }'; }
{
    echo "# deep3d on the GPU, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- GPU: $(cat "$OUT/gpu.txt")"
    echo "- ffmpeg: $FFMPEG ($("$FFMPEG" -hide_banner -version | head -n 1))"
    echo "- working tree: $(cd "$TOP" && git rev-parse --short HEAD 2>/dev/null || echo unknown)$(cd "$TOP" && [ -n "$(git status --porcelain 2>/dev/null)" ] && echo ' with uncommitted changes')"
    cat "$OUT/notes.txt"
    echo
    echo "## FATE_HW: $hw_pass passed, $hw_fail failed"
    echo
    echo "CUDA output against CPU output, psnr filter, every plane of every frame (tests/fate/deep3d.mak)."
    echo
    echo "| test | result |"
    echo "| --- | --- |"
    for t in $tests; do
        echo "| ${t#fate-} | $(tail -n 1 "$OUT/fate-hw/$t.log" 2>/dev/null) (exit $(cat "$OUT/fate-hw/$t.rc" 2>/dev/null || echo '?')) |"
    done
    echo
    echo "## Benchmark (fp32 unless named fp16, batch 1 unless named b8, mode=sbs, 1080p)"
    echo
    echo "Clip: $clip_desc; $clip_frames frames (runs take $FRAMES; the filter-alone runs loop $CYCLE of them on the GPU). fps = frames / wall time of"
    echo "the ffmpeg run (start-up included); filter fps = the filter's own count from its first frame"
    echo "to the end of the last frame's GPU work; GPU MiB = nvidia-smi peak of the run's process."
    echo
    echo "| run | frames | seconds | fps | filter fps | steady fps | GPU MiB | deep3d device |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
    tail -n +2 "$RESULTS" | awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $6, $8, $5, $7 }'
    echo
    echo "steady fps: the filter's frames after the first 64, over their GPU time (CUDA events)."
    echo
    echo "## Where the time goes: GPU microseconds per frame, mean / p99 (CUDA events)"
    echo
    echo "| run | input | network | temporal | selection | packing | total |"
    echo "| --- | --- | --- | --- | --- | --- | --- |"
    awk -F'\t' 'NR > 1 { if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 } v[$1, $2] = sprintf("%s / %s", $3, $4) }
         END { for (i = 0; i < n; i++) { r = order[i]; printf "| %s | %s | %s | %s | %s | %s | %s |\n", r,
               v[r, "input"], v[r, "network"], v[r, "temporal"], v[r, "selection"], v[r, "packing"], v[r, "total"] } }' "$STAGES"
    echo
    echo "## Ratios (steady fps, same run of this script)"
    echo
    echo "| ratio | value |"
    echo "| --- | --- |"
    for m in compact original; do
        for b in 1 8; do
            echo "| $m fp16 / fp32, batch $b | $(ratio "$(val "filter-$m-fp16-b$b" 8)" "$(val "filter-$m-fp32-b$b" 8)") |"
        done
        for p in fp32 fp16; do
            echo "| $m $p batch 8 / batch 1 | $(ratio "$(val "filter-$m-$p-b8" 8)" "$(val "filter-$m-$p-b1" 8)") |"
        done
    done
    echo "| compact auto / fp32, batch 1 | $(ratio "$(val filter-compact-auto-b1 8)" "$(val filter-compact-fp32-b1 8)") |"
    echo "| CUDA graphs / off, compact auto batch 1 | $(ratio "$(val filter-compact-auto-b1 8)" "$(val graphoff-compact-auto-b1 8)") |"
    echo "| CUDA graphs / off, compact auto batch 8 | $(ratio "$(val filter-compact-auto-b8 8)" "$(val graphoff-compact-auto-b8 8)") |"
    echo "| CUDA graphs / off, original fp16 batch 8 | $(ratio "$(val filter-original-fp16-b8 8)" "$(val graphoff-original-fp16-b8 8)") |"
    echo "| scenecut=0 / default (compact auto b1) | $(ratio "$(val ablate-scenecut0 8)" "$(val filter-compact-auto-b1 8)") |"
    echo "| smooth=0:scenecut=0 / default | $(ratio "$(val ablate-smooth0-scenecut0 8)" "$(val filter-compact-auto-b1 8)") |"
    echo "| pipeline compact / NVDEC only (wall fps) | $(ratio "$(val pipeline-compact 4)" "$(val nvdec-only 4)") |"
    echo "| pipeline original fp16 / NVDEC only | $(ratio "$(val pipeline-original 4)" "$(val nvdec-only 4)") |"
    echo
    echo "## fp16 (channels padded to 8) against fp32, and precision=auto's choice"
    echo
    echo "auto builds both precisions at init, times a few forward passes of each on buffers of"
    echo "the real sizes (CUDA events) and keeps the faster; a tie keeps fp32. auto / best below"
    echo "100% by more than the run-to-run noise means it kept the slower one."
    echo
    echo "| model, batch | fp32 steady fps | fp16 steady fps | fp16 / fp32 | auto kept (init: fp32 ms, fp16 ms per pass) | auto steady fps | auto / best |"
    echo "| --- | --- | --- | --- | --- | --- | --- |"
    for row in "compact 1" "compact 8" "original 8"; do
        set -- $row
        f32=$(val "filter-$1-fp32-b$2" 8) f16=$(val "filter-$1-fp16-b$2" 8) fa=$(val "filter-$1-auto-b$2" 8)
        pick=$(awk -F'\t' -v r="filter-$1-auto-b$2" '$1 == r { printf "%s (%s, %s)", $2, $3, $4 }' "$AUTO")
        best=$(awk -v a="$f32" -v b="$f16" 'BEGIN { print (a + 0 > b + 0) ? a : b }')
        echo "| $1, batch $2 | $f32 | $f16 | $(ratio "$f16" "$f32") | ${pick:--} | $fa | $(ratio "$fa" "$best") |"
    done
    echo
    echo "| target (issue 16, H200/H100) | measured (steady fps) |"
    echo "| --- | --- |"
    echo "| compact auto >= 3000 fps at batch 8, >= 2000 at batch 1 | b8 $(val filter-compact-auto-b8 8), b1 $(val filter-compact-auto-b1 8) |"
    echo "| original fp16 >= 1000 fps at batch 8, >= 1.5x fp32 | $(val filter-original-fp16-b8 8) ($(ratio "$(val filter-original-fp16-b8 8)" "$(val filter-original-fp32-b8 8)") of fp32) |"
    echo "| pipeline >= 90% of NVDEC-only fps | compact $(ratio "$(val pipeline-compact 4)" "$(val nvdec-only 4)") |"
    echo "| upload path >= 600 fps | $(val upload-compact 6) (filter fps) |"
    echo "| < 1 GiB GPU memory at batch 8 (original) | fp32 $(val filter-original-fp32-b8 5) MiB, fp16 $(val filter-original-fp16-b8 5) MiB |"
    echo
    echo "Not measured: the NVENC leg (Hopper has no NVENC), batch 8 in the decoding pipeline."
    [ -e "$ONNX_MD" ] && { echo; cat "$ONNX_MD"; }
    echo "Logs: $OUT (fate-hw/, *.log, bench.tsv)."
} > "$SUMMARY"
log "summary: $SUMMARY"
cat "$SUMMARY"
[ "$hw_fail" -eq 0 ] && [ "$smoke" -eq 0 ]
