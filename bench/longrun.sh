#!/usr/bin/env bash
# Long run: FRAMES (default 120000) small frames through deep3d's CPU path in
# one ffmpeg process, resident memory (VmRSS) sampled every INTERVAL seconds
# (default 2), to show memory stays flat after warm-up (no per-frame leak or
# growth). Not part of CI (minutes of CPU).
#
# Usage: bench/longrun.sh [RESULT.md]   (default bench/results/longrun-DATE.md)
# Env: FFMPEG (default _build/ffmpeg-build/ffmpeg), FRAMES, SIZE (64x32),
#      MODEL (tests/data/deep3d-tiny-fcn.safetensors), MODE (sbs), THREADS (2),
#      INTERVAL, WARMUP (fraction of the frames counted as warm-up, default 0.1).
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
FFMPEG=${FFMPEG:-$TOP/_build/ffmpeg-build/ffmpeg}
FRAMES=${FRAMES:-120000}
SIZE=${SIZE:-64x32}
MODEL=${MODEL:-$TOP/tests/data/deep3d-tiny-fcn.safetensors}
MODE=${MODE:-sbs}
THREADS=${THREADS:-2}
INTERVAL=${INTERVAL:-2}
WARMUP=${WARMUP:-0.1}
RESULT=${1:-$TOP/bench/results/longrun-$(date -u +%F).md}
TMP=$(mktemp -d)
calc() { awk "BEGIN { print $* }"; }
trap 'rm -rf "$TMP"' EXIT

cmd=("$FFMPEG" -nostdin -hide_banner -loglevel error -progress "$TMP/progress"
     -f lavfi -i "testsrc2=s=$SIZE:r=25" -frames:v "$FRAMES"
     -vf "deep3d=model=$MODEL:mode=$MODE:threads=$THREADS" -f null -)
echo "longrun: ${cmd[*]}"
start=$(date +%s.%N)
"${cmd[@]}" &
pid=$!
: > "$TMP/samples"
while kill -0 "$pid" 2> /dev/null; do
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2> /dev/null || true)
    frame=$(grep '^frame=' "$TMP/progress" 2> /dev/null | tail -n 1 | cut -d= -f2 || true)
    now=$(date +%s.%N)
    [ -n "$rss" ] && echo "$(calc "$now - $start") ${frame:-0} $rss" >> "$TMP/samples"
    sleep "$INTERVAL"
done
rc=0
wait "$pid" || rc=$?
end=$(date +%s.%N)
[ "$rc" -eq 0 ] || { echo "longrun: ffmpeg failed ($rc)"; exit 1; }
done_frames=$(grep '^frame=' "$TMP/progress" | tail -n 1 | cut -d= -f2)

# After warm-up: the samples taken once WARMUP of the frames had passed.
summary=$(awk -v total="$FRAMES" -v warm="$WARMUP" '
    { t[NR] = $1; f[NR] = $2; r[NR] = $3; if ($3 > max) max = $3 }
    $2 >= total * warm && !first { first = NR }
    END {
        if (!first) first = NR
        wmin = r[first]; wmax = r[first]
        for (i = first; i <= NR; i++) { if (r[i] < wmin) wmin = r[i]; if (r[i] > wmax) wmax = r[i] }
        printf "%d %d %d %d %d %d %d %d %.1f %.1f\n", NR, NR - first + 1, r[first], f[first], r[NR], f[NR], wmin, wmax, t[first], t[NR]
    }' "$TMP/samples")
read -r n nwarm rfirst ffirst rlast flast wmin wmax tfirst tlast <<< "$summary"
elapsed=$(calc "$end - $start")
growth=$((rlast - rfirst))
echo "longrun: $done_frames frames in ${elapsed} s; VmRSS after warm-up: first $rfirst kB (frame $ffirst), last $rlast kB (frame $flast), min $wmin, max $wmax kB, growth $growth kB over $nwarm samples"

mkdir -p "$(dirname "$RESULT")"
{
    echo "# Long run: resident memory over $done_frames frames ($(date -u '+%F %H:%M UTC'))"
    echo
    echo "- Commit: $(git -C "$TOP" rev-parse --short HEAD)$(git -C "$TOP" diff --quiet HEAD -- libavfilter || echo ' (libavfilter modified)')"
    echo "- Machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1), load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- Command (bench/longrun.sh, FRAMES=$FRAMES SIZE=$SIZE MODE=$MODE THREADS=$THREADS INTERVAL=$INTERVAL):"
    echo
    echo '```'
    echo "${cmd[*]}" | sed "s|$TOP/||g; s|$TMP/progress|PROGRESS|"
    echo '```'
    echo
    echo "- $done_frames frames in $elapsed s ($(calc "int($done_frames / $elapsed)") fps), exit status 0."
    echo "- VmRSS sampled every $INTERVAL s: $n samples; warm-up = the first $(calc "int($WARMUP * 100)")% of the frames."
    echo "- After warm-up ($nwarm samples, frames $ffirst to $flast, ${tfirst} s to ${tlast} s): first $rfirst kB, last $rlast kB, min $wmin kB, max $wmax kB; last - first = $growth kB."
    echo
    echo "| t (s) | frame | VmRSS (kB) |"
    echo "| --- | --- | --- |"
    # every sample if few, else about 40 spread evenly
    awk -v n="$n" '{ step = n > 40 ? int(n / 40) : 1; if ((NR - 1) % step == 0 || NR == n) printf "| %.1f | %d | %d |\n", $1, $2, $3 }' "$TMP/samples"
} > "$RESULT"
echo "longrun: wrote $RESULT"
