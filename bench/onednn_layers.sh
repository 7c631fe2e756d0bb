#!/usr/bin/env bash
# Per-layer benchmark of the oneDNN engine (make bench): for the compact and
# the original models of bench/run.sh, each layer's time in our engine against
# oneDNN's own figure for the same shape measured alone in the same run (the
# ceiling, benchdnn-style), and GFLOP/s against this machine's OpenBLAS SGEMM
# peak (bench/gemm_peak.c, same run). fp32, and bf16 where the CPU has
# avx512_bf16. Results: bench/results/onednn-layers-<host>-<date>.md.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$TOP/_build}
OUT=$BUILD/ffmpeg-build
SRC=$BUILD/ffmpeg
WORK=$BUILD/bench
PASSES=${PASSES:-15}
MODELS=${MODELS:-compact original}
PY=${PYTHON:-/usr/bin/python3}
MULTIARCH=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
mkdir -p "$WORK" "$TOP/bench/results"

LINK=()
for l in libavfilter libavformat libavcodec libswresample libswscale libavutil; do LINK+=("$OUT/$l/$l.a"); done
EXTRA=$(sed -n 's/^EXTRALIBS-avcodec=//p; s/^EXTRALIBS-avfilter=//p; s/^EXTRALIBS-avformat=//p' \
        "$OUT/ffbuild/config.mak" | tr '\n' ' ')
LDFLAGS=$(sed -n 's/^LDFLAGS=//p' "$OUT/ffbuild/config.mak")
# shellcheck disable=SC2086
cc -O2 -std=c17 -I"$OUT" -I"$SRC" "$TOP/bench/onednn_layers.c" -o "$WORK/onednn_layers" "${LINK[@]}" \
    $LDFLAGS $EXTRA -ldnnl
cc -O2 -I/usr/include/$MULTIARCH/openblas-pthread "$TOP/bench/gemm_peak.c" -o "$WORK/gemm_peak" \
    -L/usr/lib/$MULTIARCH/openblas-pthread -l:libopenblas.a -lpthread -lm
peak=$("$WORK/gemm_peak" "$(nproc)" | tail -n 1 | sed 's/.*gflops=//')

# bench/run.sh's models
[ -f "$WORK/original.safetensors" ] ||
    "$PY" "$TOP/tools/make_model.py" --arch original --input 384x160 --channels 64,128,256,512,512 \
        --convs 1,1,2,2,2 --fc 512 --disparity -15:16 --seed 1 --no-calibrate "$WORK/original.safetensors"
[ -f "$WORK/compact.safetensors" ] ||
    "$PY" "$TOP/tools/make_model.py" --arch fcn --input 256x160 --channels 16,32,64,128,128 \
        --convs 1,1,1,1,1 --disparity -8:8 --seed 1 --no-calibrate "$WORK/compact.safetensors"

precs=fp32
grep -q -w avx512_bf16 /proc/cpuinfo && precs="fp32 bf16"
host=$(hostname)
out=$TOP/bench/results/onednn-layers-$host-$(date -u +%Y-%m-%d-%H%M).md
{
    echo "# deep3d oneDNN engine per layer, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- machine: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores; ISA: $(grep -o -w -E 'avx512f|avx512_bf16|amx_tile|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
    echo "- load average at the start (other processes share the cores): $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- build: $(cd "$TOP" && git rev-parse --short HEAD 2>/dev/null || echo unknown); oneDNN $(dpkg-query -W -f='${Version}' libdnnl2 2>/dev/null || echo '?'); 2 OpenMP threads"
    echo "- $PASSES passes after a warm-up; per layer the minimum of the passes on both sides (benchdnn's \"min\": on this shared machine, medians of single layers are dominated by other processes taking a core from one of the two OpenMP threads at a barrier), the whole pass as median and minimum; ours: the engine's pass with a wait after each step (input reorders counted to their layer); alone: the same shape as one oneDNN primitive, formats \"any\", as benchdnn times it, run once in each pass right after ours so both see the same load; deconvolutions alone are oneDNN's deconvolution primitive (a run over 1 s is not repeated)"
    echo "- command: \`bench/onednn_layers.sh\` (make bench)"
} > "$out"
for model in $MODELS; do
    for prec in $precs; do
        echo >> "$out"
        echo "## $model, $prec" >> "$out"
        echo >> "$out"
        "$WORK/onednn_layers" "$WORK/$model.safetensors" "$peak" "$PASSES" "$prec" >> "$out"
    done
done
echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out"
cat "$out"
echo "bench: wrote $out"
