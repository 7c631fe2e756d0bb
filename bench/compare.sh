#!/usr/bin/env bash
# Two ffmpeg builds of the filter on the same conversions, run alternately (A, B,
# A, B, ...) so that both see the same load: fps end to end (frames / wall time)
# per build, medians of RUNS runs, and the ratio B / A of the medians. For
# checking that a change keeps the CPU path's speed ("within noise").
#
#   bench/compare.sh BIN_A BIN_B [LABEL_A LABEL_B]
# Results: bench/results/compare-<date>.md and stdout.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
A=$1 B=$2 LA=${3:-A} LB=${4:-B}
RUNS=${RUNS:-5}
WORK=${BUILD:-$TOP/_build}/bench
PY=${PYTHON:-/usr/bin/python3}
mkdir -p "$WORK" "$TOP/bench/results"
[ -f "$WORK/compact.safetensors" ] ||
    "$PY" "$TOP/tools/make_model.py" --arch fcn --input 256x160 --channels 16,32,64,128,128 \
        --convs 1,1,1,1,1 --disparity -8:8 --seed 1 --no-calibrate "$WORK/compact.safetensors"

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# frames per second of wall time, and per second of CPU time (user + system of the whole
# process: less sensitive than wall time to other processes on the machine): "WALL_FPS CPU_FPS"
fps() { # fps BIN SIZE FRAMES OPTS
    "$PY" - "$@" <<'PYEOF'
import resource, subprocess, sys, time
b, size, frames, opts = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else ""
t0 = time.monotonic()
subprocess.run([b, "-nostdin", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                f"testsrc2=s={size}:r=25,format=yuv420p", "-frames:v", str(frames),
                "-vf", f"deep3d=mode=sbs{opts}", "-f", "null", "-"], check=True)
wall = time.monotonic() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{frames / wall} {frames / (ru.ru_utime + ru.ru_stime)}")
PYEOF
}

out=$TOP/bench/results/compare-$(date -u +%Y-%m-%d-%H%M).md
{
    echo "# deep3d: two builds on the same conversions, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores"
    echo "- load average at the start: $(cut -d' ' -f1-3 /proc/loadavg) (other processes share the cores; A and B alternate, so they share the load)"
    echo "- A ($LA): $A"
    echo "- B ($LB): $B"
    echo "- testsrc2 yuv420p to mode=sbs, -f null; fps = frames / wall time of the whole process, and frames / its CPU time (user + system, all threads: less sensitive to other load); $RUNS runs each, medians"
    echo "- command: \`bench/compare.sh A B\`"
    echo
    echo "| case | $LA fps | $LB fps | $LB / $LA | $LA frames per CPU s | $LB frames per CPU s | $LB / $LA (CPU) |"
    echo "| --- | --- | --- | --- | --- | --- | --- |"
} > "$out"
for case in "builtin 960x540 40 " "builtin 1920x1080 20 " "compact 960x540 40 :model=$WORK/compact.safetensors"; do
    set -- $case
    name=$1 size=$2 frames=$3 opts=${4:-}
    ra=() rb=() ca=() cb=()
    for i in $(seq "$RUNS"); do
        read -r w c <<< "$(fps "$A" "$size" "$frames" "$opts")"; ra+=("$w"); ca+=("$c")
        read -r w c <<< "$(fps "$B" "$size" "$frames" "$opts")"; rb+=("$w"); cb+=("$c")
    done
    ma=$(printf '%s\n' "${ra[@]}" | median) mb=$(printf '%s\n' "${rb[@]}" | median)
    na=$(printf '%s\n' "${ca[@]}" | median) nb=$(printf '%s\n' "${cb[@]}" | median)
    printf '| %s %s | %.2f | %.2f | %.3f | %.2f | %.2f | %.3f |\n' "$name" "$size" "$ma" "$mb" \
        "$(awk -v a="$ma" -v b="$mb" 'BEGIN { print b / a }')" "$na" "$nb" \
        "$(awk -v a="$na" -v b="$nb" 'BEGIN { print b / a }')" >> "$out"
done
cat "$out"
