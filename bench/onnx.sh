#!/usr/bin/env bash
# CPU benchmark of the ONNX depth source (part of `make bench`; alone: bench/onnx.sh).
#
# A random-weight network the size of Depth Anything V2 Small (ViT-S/14 + DPT head,
# bench/make_onnx_bench_model.py, Debian's python3-torch), exported at several input sizes,
# run by the filter on the CPU ONNX Runtime of scripts/fetch-ort.sh, on 960x540 and
# 1920x1080 yuv420p to full side-by-side. Per row, medians of RUNS runs: fps end to end
# (ffmpeg -benchmark rtime, model loading excluded by timing the frames only: the rtime of
# a 1-frame run is subtracted), the filter's per-stage ms (input conversion, depth source,
# temporal, selection, packing), the ONNX source's own split of its stage (input tensors,
# onnxruntime, depth map -> planes), and ONNX Runtime's share of the filter's time (ORT ms
# over the sum of the stages; the stage times average every frame, the first included).
# Results: bench/results/onnx-cpu-<host>-<date>.md and the table on stdout.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$TOP/_build}
BIN=$BUILD/ffmpeg-build/ffmpeg
WORK=$BUILD/bench
RUNS=${RUNS:-3}
FRAMES=${FRAMES:-12}
SIZES=${ONNX_SIZES:-266x154 364x196 518x294}
INPUTS=${INPUTS:-960x540 1920x1080}
THREADS=${THREADS:-$(nproc)}
PY=${PYTHON:-/usr/bin/python3}
ORT_LIB=$(ls "$BUILD"/ort/onnxruntime/capi/libonnxruntime.so.1.* 2>/dev/null | tail -n 1)
mkdir -p "$WORK" "$TOP/bench/results"
[ -n "$ORT_LIB" ] || { echo "bench: no ONNX Runtime under $BUILD/ort (scripts/fetch-ort.sh)" >&2; exit 1; }

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

host=$(hostname)
out=$TOP/bench/results/onnx-cpu-$host-$(date -u +%Y-%m-%d-%H%M).md
{
    echo "# deep3d ONNX depth source, CPU benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- machine: $host, $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB"
    echo "- load average when the run started (other processes compete for the cores): $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- build: $(cd "$TOP" && git rev-parse --short HEAD 2>/dev/null || echo unknown); ONNX Runtime $(basename "$ORT_LIB" | sed 's/libonnxruntime.so.//') (PyPI CPU wheel)"
    echo "- model: random-weight ViT-S/14 + DPT head (bench/make_onnx_bench_model.py), float32"
    echo "- input: testsrc2 yuv420p to mode=sbs (2W x H), -f null, threads=$THREADS (ORT intra-op threads = the filter's)"
    echo "- $RUNS runs per row, medians; $FRAMES frames per run; fps = (frames - 1) / (rtime - rtime of a 1-frame run), so model loading is not counted; stage ms: the filter's own timers, averaged over every frame (the first, slower, included); ORT share: ORT ms / the sum of the stages"
    echo "- command: \`bench/onnx.sh\` (RUNS=$RUNS FRAMES=$FRAMES)"
    echo
    echo "- CPU s/frame: ffmpeg's user + system time per frame (frames 2..N); fps if alone = cores / CPU s per frame, what the run would reach with the cores to itself and perfect scaling (an upper bound; the machine is shared)"
    echo
    echo "| model input | video | fps | input ms | depth source ms | temporal ms | selection ms | packing ms | of which ORT ms | tensors ms | map ms | ORT share | CPU s/frame | fps if alone |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
} > "$out"

run() { # run SIZE FRAMES MODEL: prints "rtime stages(5) onnx(3) utime+stime"
    local size=$1 frames=$2 model=$3 log
    log=$("$BIN" -hide_banner -nostats -benchmark -v verbose \
          -f lavfi -i "testsrc2=s=$size:r=25,format=yuv420p" -frames:v "$frames" \
          -vf "deep3d=model=$model:ort=$ORT_LIB:mode=sbs:device=cpu:threads=$THREADS" -f null - 2>&1) ||
        { echo "$log" | tail -n 5 >&2; exit 1; }
    echo "$(echo "$log" | sed -n 's/.*rtime=\([0-9.]*\)s.*/\1/p')" \
         "$(echo "$log" | sed -n 's/.*ms per frame: input \([0-9.]*\) network \([0-9.]*\) temporal \([0-9.]*\) selection \([0-9.]*\) packing \([0-9.]*\).*/\1 \2 \3 \4 \5/p')" \
         "$(echo "$log" | sed -n 's/.*onnx: [0-9]* frames; ms per frame: input \([0-9.]*\), onnxruntime \([0-9.]*\), depth map \([0-9.]*\).*/\1 \2 \3/p')" \
         "$(echo "$log" | sed -n 's/.*utime=\([0-9.]*\)s stime=\([0-9.]*\)s.*/\1 \2/p' | awk '{ print $1 + $2 }')"
}

for s in $SIZES; do
    model=$WORK/vits-$s.onnx
    [ -f "$model" ] || "$PY" "$TOP/bench/make_onnx_bench_model.py" "$model" "$s" > /dev/null 2>&1
    for size in $INPUTS; do
        : > "$WORK/onnx-runs.txt"
        for r in $(seq "$RUNS"); do
            read -r one _ _ _ _ _ _ _ _ cpu1 <<< "$(run "$size" 1 "$model")"
            read -r rt t_in t_net t_tmp t_sel t_pack o_in o_ort o_map cpu <<< "$(run "$size" "$FRAMES" "$model")"
            [ -n "$o_map" ] || { echo "bench: no stage times for $s on $size" >&2; exit 1; }
            echo "$(awk -v f="$FRAMES" -v t="$rt" -v o="$one" 'BEGIN { print (f - 1) / (t - o) }') $t_in $t_net $t_tmp $t_sel $t_pack $o_ort $o_in $o_map $(awk -v f="$FRAMES" -v c="$cpu" -v c1="$cpu1" 'BEGIN { print (c - c1) / (f - 1) }')" >> "$WORK/onnx-runs.txt"
        done
        col() { awk -v c="$1" '{ print $c }' "$WORK/onnx-runs.txt" | median; }
        awk -v m="$s" -v v="$size" -v fps="$(col 1)" -v a="$(col 2)" -v n="$(col 3)" -v t="$(col 4)" \
            -v sel="$(col 5)" -v p="$(col 6)" -v ort="$(col 7)" -v ti="$(col 8)" -v tm="$(col 9)" -v cpu="$(col 10)" -v NCPU="$(nproc)" 'BEGIN {
            printf "| %s | %s | %.2f | %.2f | %.1f | %.2f | %.1f | %.2f | %.1f | %.2f | %.2f | %.0f%% | %.3f | %.1f |\n",
                   m, v, fps, a, n, t, sel, p, ort, ti, tm, 100 * ort / (a + n + t + sel + p), cpu, NCPU / cpu }' >> "$out"
    done
done

cat "$out"
echo "bench: wrote $out"
