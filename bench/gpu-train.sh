#!/usr/bin/env bash
# The one prepared command for a lent GPU (H100/H200): measure the generator, train for
# MINUTES (default 6) on pairs generated on the GPU, export the model, and leave everything
# under $OUT (model.safetensors, train.log, bench.json, env.txt).
#
#   bash bench/gpu-train.sh [MINUTES] [extra tools/d3train/train.py options]
#   NPROC=8 bash bench/gpu-train.sh 6 --batch 2048     # one node of 8 GPUs under torchrun
#
# It finishes within 10 minutes including start-up for MINUTES <= 7 (about 1 minute of probes
# and set-up, the training budget, then the validation and export; the hard limit is
# MINUTES + 3 minutes). A checkpoint is written every 2 minutes;
# if the run is cut short, the last checkpoint is exported instead. Needs python3 with torch
# (CUDA) and numpy; nothing is downloaded (the texture pack travels in the working tree).
set -uo pipefail
MINUTES=${1:-6}
shift $(( $# > 0 ? 1 : 0 ))
cd "$(dirname "$0")/.."
OUT=${OUT:-_build/gpu-train}
PY=${PYTHON:-python3}
mkdir -p "$OUT"
RUN="$OUT/run"

{
    date -u
    nvidia-smi 2>&1 | head -15
    "$PY" -c 'import torch, numpy; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "-"); print("numpy", numpy.__version__)'
} > "$OUT/env.txt" 2>&1
cat "$OUT/env.txt"

# Generator throughput at 384x192 (the issue's yardstick) and at the training size, and one
# training step's throughput without generation; 60 s at most.
{
    timeout 30 "$PY" tools/d3train/bench_synth.py --size 384x192 --batch 512 --reps 3 --train-steps 0
    timeout 30 "$PY" tools/d3train/bench_synth.py --size 256x160 --batch 512 --reps 3 --train-batch 256 --train-steps 5
} > "$OUT/bench.json" 2> "$OUT/bench.err"
cat "$OUT/bench.json"

LIMIT=$(( MINUTES * 60 + 100 ))
LAUNCH=("$PY")
NPROC=${NPROC:-1}
[ "$NPROC" -gt 1 ] && LAUNCH=("$PY" -m torch.distributed.run --standalone --nproc_per_node="$NPROC")
timeout --signal=TERM --kill-after=30 "$LIMIT" "${LAUNCH[@]}" tools/d3train/train.py --out "$RUN" --minutes "$MINUTES" \
    --batch 256 --lr 2e-3 --w-sup 0.1 --log-every 15 --val-every 60 --ckpt-every 120 --val 64 "$@" \
    > "$OUT/train.out" 2>&1
rc=$?
tail -n 5 "$OUT/train.out"
if [ ! -s "$RUN/model.safetensors" ] && [ -s "$RUN/checkpoint.pt" ]; then
    echo "gpu-train: training ended with $rc before the export; exporting the last checkpoint"
    "$PY" tools/d3train/export.py "$RUN/checkpoint.pt" "$RUN/model.safetensors"
fi
cp -f "$RUN/model.safetensors" "$OUT/model.safetensors" 2>/dev/null
cp -f "$RUN/train.log" "$OUT/train.log" 2>/dev/null
rm -f "$RUN/checkpoint.pt.tmp"
ls -la "$OUT"
[ -s "$OUT/model.safetensors" ]
