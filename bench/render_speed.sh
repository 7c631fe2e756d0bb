#!/usr/bin/env bash
# The selection layer and the packing alone, on one core (bench/render_speed.c):
# CPU ms of the one thread per yuv420p frame to full side-by-side at 960x540 and 1920x1080, for each
# kernel version this CPU runs (c, avx2, avx512) and for the one-pass renderer
# against render-then-pack, medians of REPS frames; the whole program is run
# RUNS times and the medians of its medians reported (other processes share
# the cores). Built against the static libraries of the FFmpeg build, as the
# unit tests are. Results: bench/results/render-speed-<host>-<date>.md.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$TOP/_build}
OUT=$BUILD/ffmpeg-build
SRC=$BUILD/ffmpeg
WORK=$BUILD/bench
REPS=${REPS:-15}
RUNS=${RUNS:-3}
mkdir -p "$WORK" "$TOP/bench/results"

LINK=()
for l in libavfilter libavformat libavcodec libswresample libswscale libavutil; do LINK+=("$OUT/$l/$l.a"); done
EXTRA=$(sed -n 's/^EXTRALIBS-avcodec=//p; s/^EXTRALIBS-avfilter=//p; s/^EXTRALIBS-avformat=//p' \
        "$OUT/ffbuild/config.mak" | tr '\n' ' ')
LDFLAGS=$(sed -n 's/^LDFLAGS=//p' "$OUT/ffbuild/config.mak")
# shellcheck disable=SC2086
cc -O2 -std=c17 -Wall -I"$OUT" -I"$SRC" -o "$WORK/render_speed" "$TOP/bench/render_speed.c" \
    "${LINK[@]}" $LDFLAGS $EXTRA

: > "$WORK/render_speed.txt"
for r in $(seq "$RUNS"); do
    "$WORK/render_speed" "$REPS" >> "$WORK/render_speed.txt"
done

out=$TOP/bench/results/render-speed-$(hostname)-$(date -u +%Y-%m-%d-%H%M).md
{
    echo "# deep3d: selection + packing alone, one core, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores; ISA: $(grep -o -w -E 'avx2|avx512f|avx512bw|avx512vl' /proc/cpuinfo | sort -u | tr '\n' ' ')"
    echo "- load average at the start: $(cut -d' ' -f1-3 /proc/loadavg) (other processes share the cores)"
    rev=$(cd "$TOP" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
    echo "- build: $rev; command: \`bench/render_speed.sh\` (REPS=$REPS frames per run, RUNS=$RUNS runs)"
    echo "- yuv420p to sbsl (2W x H), built-in model's geometry (256x160, 17 disparity planes), random probabilities; one job (one core); CPU time of the thread (CLOCK_THREAD_CPUTIME_ID), not wall time: the machine is shared"
    echo "- c: deep3d_render_soft.c's kernel (the compiler's AVX-512/AVX2 clones, as before); avx2, avx512: the intrinsics of deep3d_render_soft_x86.c"
    echo "- one-pass: the filter (render and pack in one pass); two-pass: render a full eye frame, then pack it (the design before)"
    echo
    echo "| input | design | kernel | CPU ms per frame (median of $RUNS run medians) | fastest frame, CPU ms |"
    echo "| --- | --- | --- | --- | --- |"
    awk '{ print $1, $2, $3 }' "$WORK/render_speed.txt" | awk '!seen[$0]++' | while read -r size design isa; do
        med=$(awk -v s="$size" -v d="$design" -v i="$isa" '$1 == s && $2 == d && $3 == i { print $4 }' \
              "$WORK/render_speed.txt" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
        best=$(awk -v s="$size" -v d="$design" -v i="$isa" '$1 == s && $2 == d && $3 == i { print $5 }' \
               "$WORK/render_speed.txt" | sort -g | head -n 1)
        echo "| $size | $design | $isa | $med | $best |"
    done
    echo
    echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$out"
cat "$out"
echo "render_speed: wrote $out"
