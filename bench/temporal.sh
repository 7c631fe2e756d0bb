#!/usr/bin/env bash
# Cost of deep3d's temporal options on the CPU path at 540p (issue 7).
#
# A real fixed-camera clip (vtest.avi, Debian opencv-doc, under _build/media)
# scaled to 960x540 yuv420p is written once to a raw file; each configuration
# then converts it to side-by-side with the interim default model
# (weights/deep3d-default.safetensors, 1.08 GFLOP/frame), -f null. The
# configurations run interleaved, RUNS rounds, each round starting at another
# configuration, so a change in the machine's load hits all of them alike. Per run: wall time per frame (-benchmark rtime)
# and the filter's own stage timers (-v verbose). Medians over the runs.
# The added cost is reported as a ratio to smooth=0 from the same rounds, and
# as the temporal stage's own time (deep3d's timer around the temporal steps
# and the expected disparity) over smooth=0's frame time: the end-to-end ratio
# moves by several percent from run to run on a shared 2-core machine.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$TOP/_build}
BIN=$BUILD/ffmpeg-build/ffmpeg
WORK=$BUILD/bench
RUNS=${RUNS:-5}
FRAMES=${FRAMES:-60}
MODEL=${MODEL:-$TOP/weights/deep3d-default.safetensors}
CLIP=$BUILD/media/x-opencv-doc/usr/share/doc/opencv-doc/examples/data/vtest.avi
mkdir -p "$WORK"
raw=$WORK/vtest-960x540-$FRAMES.yuv
[ -s "$raw" ] || "$BIN" -nostdin -v error -y -i "$CLIP" -frames:v "$FRAMES" \
    -vf scale=960:540:flags=bicubic,format=yuv420p -f rawvideo "$raw"

CONFIGS=${CONFIGS:-"smooth=0 smooth=8 smooth=8:convergence=auto smooth=8:dilate=2 smooth=0:render=hard smooth=8:dilate=2:convergence=auto:render=hard"}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A wall stage temporal
read -r -a configs <<< "$CONFIGS"
n=${#configs[@]}
for ((r = 0; r < RUNS; r++)); do
    # each round starts at another configuration: no position in the round is favoured
    for ((j = 0; j < n; j++)); do
        c=${configs[$(((r + j) % n))]}
        log=$("$BIN" -nostdin -hide_banner -benchmark -v verbose -f rawvideo -pix_fmt yuv420p \
              -s 960x540 -framerate 25 -i "$raw" -vf "deep3d=model=$MODEL:mode=sbs:$c" -f null - 2>&1)
        rt=$(echo "$log" | sed -n 's/.*rtime=\([0-9.]*\)s.*/\1/p' | tail -n 1)
        line=$(echo "$log" | grep 'ms per frame' | tail -n 1)
        # input + network + temporal + selection + packing
        st=$(echo "$line" | awk '{ s = 0; for (i = 1; i <= NF; i++) if ($i ~ /^(input|network|temporal|selection|packing)$/) s += $(i + 1); print s }')
        tp=$(echo "$line" | sed 's/.*temporal \([0-9.]*\).*/\1/')
        wall[$c]+="$(awk -v t="$rt" -v n="$FRAMES" 'BEGIN { print t * 1000 / n }') "
        stage[$c]+="$st "
        temporal[$c]+="$tp "
    done
done

echo "# deep3d temporal options: CPU cost at 960x540, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- build: $(cd "$TOP" && git rev-parse --short HEAD); model: $(basename "$MODEL"); $FRAMES frames of vtest.avi at 960x540 yuv420p to sbs; $RUNS interleaved rounds, medians"
echo "- command: \`bench/temporal.sh\` (RUNS=$RUNS FRAMES=$FRAMES)"
echo
echo "| options | wall ms/frame | filter ms/frame (sum of its stages) | temporal stage ms | temporal stage / smooth=0 filter time | wall vs smooth=0 | filter vs smooth=0 |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
base_w=$(echo ${wall[smooth=0]} | tr ' ' '\n' | median)
base_s=$(echo ${stage[smooth=0]} | tr ' ' '\n' | median)
for c in $CONFIGS; do
    w=$(echo ${wall[$c]} | tr ' ' '\n' | median)
    s=$(echo ${stage[$c]} | tr ' ' '\n' | median)
    t=$(echo ${temporal[$c]} | tr ' ' '\n' | median)
    awk -v c="$c" -v w="$w" -v s="$s" -v t="$t" -v bw="$base_w" -v bs="$base_s" \
        'BEGIN { printf "| `%s` | %.2f | %.2f | %.3f | %.1f%% | %+.1f%% | %+.1f%% |\n", c, w, s, t, t / bs * 100, (w / bw - 1) * 100, (s / bs - 1) * 100 }'
done
