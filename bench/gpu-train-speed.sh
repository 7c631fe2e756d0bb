#!/usr/bin/env bash
# The prepared GPU check of training speed (issue 17 target: >= 1500 samples/s for the default
# architecture at 256x160 on one GPU, generator included). About 4 minutes:
#   1. the generator alone, one training step alone, and the generator's 25 most expensive
#      operators (torch.profiler, CUDA time) at batch 256;
#   2. train.py for SECONDS (default 75) at --batch 256, generator included, without and with
#      --prefetch (the next step's pairs on a CUDA stream of their own);
# and leaves env.txt, bench.json, profile.txt, the two train logs and speed.md under $OUT.
#
#   OUT=/some/dir bash bench/gpu-train-speed.sh [SECONDS]
#   NPROC=8 OUT=... bash bench/gpu-train-speed.sh      # a node of 8: --batch 256 per GPU under torchrun
set -uo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-75}
OUT=${OUT:-_build/gpu-train-speed}
PY=${PYTHON:-python3}
NPROC=${NPROC:-1}
mkdir -p "$OUT"
{
    date -u
    nvidia-smi 2>&1 | head -15
    "$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))'
} > "$OUT/env.txt" 2>&1
cat "$OUT/env.txt"

timeout 90 "$PY" tools/d3train/bench_synth.py --size 256x160 --batch 256 --reps 3 --train-batch 256 \
    --train-steps 5 --profile 25 > "$OUT/bench.json" 2> "$OUT/profile.txt"
cat "$OUT/bench.json"
head -n 40 "$OUT/profile.txt"

LAUNCH=("$PY")
[ "$NPROC" -gt 1 ] && LAUNCH=("$PY" -m torch.distributed.run --standalone --nproc_per_node="$NPROC")
MIN=$("$PY" -c "print($SECONDS_PER_RUN / 60)")
for variant in plain prefetch; do
    extra=()
    [ "$variant" = prefetch ] && extra=(--prefetch)
    timeout --signal=TERM --kill-after=30 $((SECONDS_PER_RUN + 120)) "${LAUNCH[@]}" tools/d3train/train.py \
        --out "$OUT/$variant" --device cuda --batch $((256 * NPROC)) --minutes "$MIN" --val 0 --log-every 15 \
        --ckpt-every 100000 "${extra[@]}" > "$OUT/$variant.out" 2>&1
    tail -n 2 "$OUT/$variant.out"
done

"$PY" - "$OUT" "$NPROC" <<'EOF' | tee "$OUT/speed.md"
import json, sys
out, nproc = sys.argv[1], sys.argv[2]
print(f"# d3train speed on the GPU ({nproc} process(es), --batch {256 * int(nproc)}, 256x160, generator included)\n")
print("| variant | samples/s | generator share (process 0) | steps |")
print("| --- | --- | --- | --- |")
for v in ("plain", "prefetch"):
    try:
        ev = [json.loads(l) for l in open(f"{out}/{v}/train.log") if l.strip()]
        d = [e for e in ev if e["event"] == "done"][-1]
        print(f"| {v} | {d['samples_per_s']} | {d['gen_seconds'] / max(d['minutes'] * 60, 1e-9):.2f} | {d['step']} |")
    except (OSError, IndexError, KeyError) as e:
        print(f"| {v} | failed ({e}) | | |")
EOF
