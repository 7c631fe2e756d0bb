#!/usr/bin/env bash
# Per-stage milliseconds of the CPU path from the filter's own stage timers
# (the "ms per frame: input .. network .. temporal .. selection .. packing .."
# line it logs at -v verbose), built-in model, yuv420p to full side-by-side at
# 960x540 and 1920x1080, for each selection kernel this CPU runs, picked with
# ffmpeg's -cpuflags (c: -cpuflags 0; avx2: -cpuflags -avx512; avx512: the
# default), and optionally for an older build (BEFORE=path/to/ffmpeg, default
# flags) in the same run. Rows alternate run by run so that they share the
# load; medians of RUNS runs.
#
# Stereo layouts render and pack in one pass (docs/results.md): their packing
# timer reads 0 and the selection column holds both; compare selection +
# packing across builds.
#
#   BEFORE=/work/main/_build/ffmpeg-build/ffmpeg bench/stages.sh
# Results: bench/results/stages-<host>-<date>.md and stdout.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$TOP/_build}
BIN=${BIN:-$BUILD/ffmpeg-build/ffmpeg}
BEFORE=${BEFORE:-}
RUNS=${RUNS:-5}
FRAMES_540=${FRAMES_540:-40}
FRAMES_1080=${FRAMES_1080:-20}
OPTS=${OPTS:-mode=sbs:device=cpu}
WORK=$BUILD/bench
mkdir -p "$WORK" "$TOP/bench/results"

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# columns: label, binary, -cpuflags value ("" for none)
cols=()
[ -n "$BEFORE" ] && cols+=("before|$BEFORE|")
cols+=("c|$BIN|0")
grep -q -w avx2 /proc/cpuinfo && cols+=("avx2|$BIN|-avx512")
grep -q -w avx512bw /proc/cpuinfo && grep -q -w avx512vl /proc/cpuinfo && cols+=("avx512|$BIN|")

out=$TOP/bench/results/stages-$(hostname)-$(date -u +%Y-%m-%d-%H%M).md
{
    echo "# deep3d CPU path per stage, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores"
    echo "- load average at the start: $(cut -d' ' -f1-3 /proc/loadavg) (other processes share the cores; the rows alternate run by run)"
    rev=$(cd "$TOP" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
    echo "- build: $rev ($BIN)${BEFORE:+; before: $BEFORE}"
    echo "- built-in model, testsrc2 yuv420p, deep3d=$OPTS, -f null; $FRAMES_540 frames at 540p, $FRAMES_1080 at 1080p; $RUNS runs, medians; fps = frames / wall time of the process"
    echo "- the filter's stage timers (wall time per frame, 2 slice threads); kernel picked by -cpuflags (c: 0, avx2: -avx512)"
    echo "- stereo layouts render and pack in one pass: packing reads 0, selection holds both"
    echo "- command: \`${BEFORE:+BEFORE=$BEFORE }bench/stages.sh\`"
    echo
    echo "| input | build / kernel | fps | input ms | network ms | temporal ms | selection ms | packing ms | selection + packing ms |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
} > "$out"

for size in 960x540 1920x1080; do
    frames=$FRAMES_540
    [ "$size" = 1920x1080 ] && frames=$FRAMES_1080
    for c in "${cols[@]}"; do : > "$WORK/stages-${c%%|*}.txt"; done
    for r in $(seq "$RUNS"); do
        for c in "${cols[@]}"; do
            IFS='|' read -r label bin flags <<< "$c"
            t0=$(date +%s.%N)
            log=$("$bin" -hide_banner -nostats -v verbose ${flags:+-cpuflags "$flags"} \
                  -f lavfi -i "testsrc2=s=$size:r=25,format=yuv420p" -frames:v "$frames" \
                  -vf "deep3d=$OPTS" -f null - 2>&1)
            t1=$(date +%s.%N)
            stages=$(echo "$log" | sed -n 's/.*ms per frame: input \([0-9.]*\) network \([0-9.]*\) temporal \([0-9.]*\) selection \([0-9.]*\) packing \([0-9.]*\).*/\1 \2 \3 \4 \5/p')
            [ -n "$stages" ] || { echo "stages: no stage times from $label $size" >&2; echo "$log" | tail -n 5 >&2; exit 1; }
            echo "$(awk -v f="$frames" -v a="$t0" -v b="$t1" 'BEGIN { print f / (b - a) }') $stages" \
                >> "$WORK/stages-$label.txt"
        done
    done
    for c in "${cols[@]}"; do
        label=${c%%|*}
        runs=$WORK/stages-$label.txt
        col() { awk -v c="$1" '{ print $c }' "$runs" | median; }
        sp=$(awk '{ print $5 + $6 }' "$runs" | median)
        printf '| %s | %s | %.2f | %.2f | %.1f | %.2f | %.2f | %.2f | %.2f |\n' "$size" "$label" \
            "$(col 1)" "$(col 2)" "$(col 3)" "$(col 4)" "$(col 5)" "$(col 6)" "$sp" >> "$out"
    done
done
echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out"
cat "$out"
echo "stages: wrote $out"
