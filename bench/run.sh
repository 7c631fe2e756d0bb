#!/usr/bin/env bash
# CPU benchmark of the deep3d filter (make bench).
#
# For two random-weight networks (speed does not depend on the weights) and the
# built-in default model:
#   original: the released Deep3D topology at 384x160 (about 21.8 GFLOP/frame)
#   compact:  an fcn of about 1 GFLOP/frame (256x160, 17 disparity planes)
#   builtin:  the model compiled into the filter (no model option; weights/)
# and two input sizes (960x540, 1920x1080) converted to full side-by-side, it
# measures frames per second end to end, milliseconds per stage (input
# conversion, network, selection, packing; the filter's own timers), peak RSS,
# and the network's GEMM throughput as a fraction of this machine's OpenBLAS
# SGEMM peak, measured in the same run. Each figure is the median of RUNS runs.
# Every row is run by each CPU engine of ENGINES (default: blas onednn, and
# onednn-bf16 where the CPU has avx512_bf16), interleaved run by run so that
# the engines see the same load; auto is the filter's defaults (cpu_engine=auto,
# precision=auto: bf16 on avx512_bf16 machines for networks of 0.2 GMAC or more that pass its accuracy trial);
# MODELS picks models (default: all three).
# Results: bench/results/cpu-<host>-<date>.md and the table on stdout.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$TOP/_build}
BIN=${BIN:-$BUILD/ffmpeg-build/ffmpeg}     # BIN=: another build's binary (before / after)
WORK=$BUILD/bench
RUNS=${RUNS:-3}
MODELS=${MODELS:-original compact builtin}
if [ -z "${ENGINES:-}" ]; then
    ENGINES="blas onednn"
    grep -q -w avx512_bf16 /proc/cpuinfo && ENGINES="$ENGINES onednn-bf16"
    ENGINES="$ENGINES auto"
fi
FRAMES_540=${FRAMES_540:-40}
FRAMES_1080=${FRAMES_1080:-20}
PY=${PYTHON:-/usr/bin/python3}
MULTIARCH=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
mkdir -p "$WORK" "$TOP/bench/results"

# 1. SGEMM peak of this machine (1 thread and all cores).
cc -O2 -I/usr/include/$MULTIARCH/openblas-pthread "$TOP/bench/gemm_peak.c" -o "$WORK/gemm_peak" \
    -L/usr/lib/$MULTIARCH/openblas-pthread -l:libopenblas.a -lpthread -lm
peak_out=$("$WORK/gemm_peak" "$(nproc)")
peak=$(echo "$peak_out" | tail -n 1 | sed 's/.*gflops=//')

# 2. Models.
[ -f "$WORK/original.safetensors" ] ||
    "$PY" "$TOP/tools/make_model.py" --arch original --input 384x160 --channels 64,128,256,512,512 \
        --convs 1,1,2,2,2 --fc 512 --disparity -15:16 --seed 1 --no-calibrate "$WORK/original.safetensors"
[ -f "$WORK/compact.safetensors" ] ||
    "$PY" "$TOP/tools/make_model.py" --arch fcn --input 256x160 --channels 16,32,64,128,128 \
        --convs 1,1,1,1,1 --disparity -8:8 --seed 1 --no-calibrate "$WORK/compact.safetensors"

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

host=$(hostname)
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)
flags=$(grep -o -w -E 'avx512f|avx512_bf16|amx_tile|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')
out=$TOP/bench/results/cpu-$host-$(date -u +%Y-%m-%d-%H%M).md
{
    echo "# deep3d CPU benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- machine: $cpu, $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB; ISA: $flags"
    echo "- load average when the run started (other processes compete for the 2 cores): $(cut -d' ' -f1-3 /proc/loadavg)"
    rev=$(cd "$TOP" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
    [ -z "$(cd "$TOP" && git status --porcelain -- libavfilter 2>/dev/null)" ] || rev="$rev + uncommitted libavfilter changes"
    [ "$BIN" = "$BUILD/ffmpeg-build/ffmpeg" ] || rev="$BIN"
    echo "- build: $rev; OpenBLAS $(dpkg-query -W -f='${Version}' libopenblas-dev 2>/dev/null || echo '?') (Debian) linked statically"
    echo "- SGEMM peak (OpenBLAS, 512x4096x2304): $(echo "$peak_out" | sed 's/gemm_peak //' | tr '\n' ';' | sed 's/;$//; s/;/, /g') GFLOP/s"
    echo "- input: testsrc2 (synthetic; the network's cost does not depend on content), yuv420p, to mode=sbs (2W x H), -f null"
    echo "- $RUNS runs per row, medians; frames per run: $FRAMES_540 at 540p, $FRAMES_1080 at 1080p"
    echo "- command: \`make bench\` (bench/run.sh)"
    echo
    echo "- the filter's defaults apply (temporal smoothing smooth=8 is on: the temporal column)"
    echo
    echo "- engines: $ENGINES (cpu_engine=, and precision=bf16 for onednn-bf16; auto: the defaults, cpu_engine=auto:precision=auto); oneDNN $(dpkg-query -W -f='${Version}' libdnnl2 2>/dev/null || echo '?') (Debian, loaded at run time)"
    echo
    echo "| model | engine | GFLOP/frame | input | fps | input ms | network ms | temporal ms | selection ms | packing ms | network GFLOP/s | % of SGEMM peak | peak RSS MiB |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
} > "$out"

engine_opts() { # engine_opts ENGINE: the filter options of a column
    case $1 in
        blas) echo "cpu_engine=blas";;
        onednn) echo "cpu_engine=onednn:precision=fp32";;
        onednn-bf16) echo "cpu_engine=onednn:precision=bf16";;
        auto) echo "cpu_engine=auto:precision=auto";;
        *) echo "bench: unknown engine $1" >&2; exit 1;;
    esac
}

for model in $MODELS; do
    model_opt="model=$WORK/$model.safetensors:"
    [ "$model" = builtin ] && model_opt=""
    for size in 960x540 1920x1080; do
        frames=$FRAMES_540
        [ "$size" = 1920x1080 ] && frames=$FRAMES_1080
        for engine in $ENGINES; do : > "$WORK/runs-$engine.txt"; done
        # the engines alternate run by run: they share the machine's load
        for r in $(seq "$RUNS"); do
            for engine in $ENGINES; do
                log=$("$BIN" -hide_banner -nostats -benchmark -v verbose \
                      -f lavfi -i "testsrc2=s=$size:r=25,format=yuv420p" -frames:v "$frames" \
                      -vf "deep3d=${model_opt}mode=sbs:device=cpu:$(engine_opts "$engine")" -f null - 2>&1)
                rtime=$(echo "$log" | sed -n 's/.*rtime=\([0-9.]*\)s.*/\1/p')
                rss=$(echo "$log" | sed -n 's/.*maxrss=\([0-9]*\)KiB.*/\1/p')
                gmac=$(echo "$log" | sed -n 's/.*, \([0-9.]*\) GMAC\/frame.*/\1/p' | head -n 1)
                stages=$(echo "$log" | sed -n 's/.*ms per frame: input \([0-9.]*\) network \([0-9.]*\) temporal \([0-9.]*\) selection \([0-9.]*\) packing \([0-9.]*\).*/\1 \2 \3 \4 \5/p')
                [ -n "$stages" ] || { echo "bench: no stage times in the log of $model $size $engine" >&2; echo "$log" | tail -n 5 >&2; exit 1; }
                echo "$(awk -v f="$frames" -v t="$rtime" 'BEGIN { print f / t }') $stages $rss $gmac" >> "$WORK/runs-$engine.txt"
            done
        done
        for engine in $ENGINES; do
            runs=$WORK/runs-$engine.txt
            col() { awk -v c="$1" '{ print $c }' "$runs" | median; }
            fps=$(col 1); t_in=$(col 2); t_net=$(col 3); t_tmp=$(col 4); t_sel=$(col 5); t_pack=$(col 6)
            rss=$(awk '{ print $7 }' "$runs" | sort -g | tail -n 1)
            gmac=$(col 8)
            awk -v m="$model" -v e="$engine" -v g="$gmac" -v s="$size" -v fps="$fps" -v a="$t_in" -v n="$t_net" \
                -v t="$t_tmp" -v sel="$t_sel" -v p="$t_pack" -v rss="$rss" -v peak="$peak" 'BEGIN {
                gf = 2 * g / (n / 1000);
                printf "| %s | %s | %.2f | %s | %.2f | %.2f | %.1f | %.2f | %.1f | %.2f | %.0f | %.0f%% | %.0f |\n",
                       m, e, 2 * g, s, fps, a, n, t, sel, p, gf, 100 * gf / peak, rss / 1024 }' >> "$out"
        done
    done
done
echo "- load average when the run ended: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out"

cat "$out"
echo "bench: wrote $out"
