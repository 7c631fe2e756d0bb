#!/usr/bin/env bash
# Data-parallel scaling of tools/d3train/train.py on this machine's CPU: samples/s of one
# process against N processes under torchrun (gloo), generator-bound setting (every pair freshly
# generated, no reuse pool), default architecture at 256x160, one torch thread per process and
# BATCH pairs per process. The runs alternate (1, N, 1, N, ...) REPS times so that a change in
# the machine's load hits both; the medians and their ratio go to bench/results/.
#
#   bash bench/train-scaling.sh [SECONDS per run, default 60] [N, default 2] [REPS, default 3]
#
# On a GPU node: DEVICE=cuda BATCH=256 bash bench/train-scaling.sh 60 8   (one process per GPU)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-60}
N=${2:-2}
REPS=${3:-3}
DEVICE=${DEVICE:-cpu}
BATCH=${BATCH:-8}
PY=${PYTHON:-/usr/bin/python3}
OUT=${OUT:-_build/bench-train-scaling}
STAMP=$(date -u +%Y-%m-%d-%H%M)
RESULT=${RESULT:-bench/results/train-scaling-$STAMP.md}
rm -rf "$OUT"
mkdir -p "$OUT"
export OMP_NUM_THREADS=1
MIN=$("$PY" -c "print($SECONDS_PER_RUN / 60)")
COMMON=(--device "$DEVICE" --threads 1 --fresh 100000 --val 0 --log-every 1000 --ckpt-every 100000
        --minutes "$MIN")
# Debian's torch 1.13 on Python 3.11 needs a named stream for torchrun's --redirects (see docs/training.md).
TORCHRUN=("$PY" -m torch.distributed.run --standalone --redirects 1 --tee 1)

machine=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)
load_before=$(uptime)
for r in $(seq 1 "$REPS"); do
    "$PY" tools/d3train/train.py --out "$OUT/one-$r" --batch "$BATCH" "${COMMON[@]}" > "$OUT/one-$r.out" 2>&1
    "${TORCHRUN[@]}" --nproc_per_node="$N" tools/d3train/train.py --out "$OUT/many-$r" --batch $((BATCH * N)) \
        "${COMMON[@]}" > "$OUT/many-$r.out" 2>&1
    echo "train-scaling: rep $r done"
done
load_after=$(uptime)

"$PY" - "$OUT" "$REPS" "$N" "$RESULT" "$machine" "$load_before" "$load_after" "$SECONDS_PER_RUN" "$BATCH" "$DEVICE" <<'EOF'
import json, statistics, sys
out, reps, n, result, machine, before, after, secs, batch, device = sys.argv[1:]
reps, n = int(reps), int(n)

def done(path):
    with open(path) as f:
        ev = [json.loads(l) for l in f if l.strip()]
    d = [e for e in ev if e["event"] == "done"][-1]
    return d["samples_per_s"], d["gen_seconds"] / max(d["minutes"] * 60, 1e-9), d["cpu_s_per_sample"]

one = [done(f"{out}/one-{r}/train.log") for r in range(1, reps + 1)]
many = [done(f"{out}/many-{r}/train.log") for r in range(1, reps + 1)]
m1 = statistics.median(s for s, _, _ in one)
mn = statistics.median(s for s, _, _ in many)
c1 = statistics.median(c for _, _, c in one)
cn = statistics.median(c for _, _, c in many)
lines = [
    f"# d3train data-parallel scaling ({device})", "",
    f"Machine: {machine}; {secs} s per run, {batch} pairs per process per step, every pair freshly generated",
    "(generator-bound), default architecture at 256x160, one torch thread per process, torchrun + gloo.",
    f"Load before: `{before.strip()}`", f"Load after: `{after.strip()}`", "",
    "| processes | samples/s per run | median | CPU s per sample, all processes (median) | generator share (process 0) |",
    "| --- | --- | --- | --- | --- |",
    f"| 1 | {', '.join(f'{s:.2f}' for s, _, _ in one)} | {m1:.2f} | {c1:.3f} | {statistics.median(g for _, g, _ in one):.2f} |",
    f"| {n} | {', '.join(f'{s:.2f}' for s, _, _ in many)} | {mn:.2f} | {cn:.3f} | {statistics.median(g for _, g, _ in many):.2f} |",
    "", f"Ratio of the medians: **{mn / m1:.2f}x** with {n} processes.",
    f"CPU time per sample, {n} processes against 1: {cn / c1:.2f} (1.00 = no cost of going parallel: gradient and",
    f"statistics all-reduces, duplicated work); with {n} otherwise idle cores that would give {n * c1 / cn:.2f}x.", "",
    f"Command: `bash bench/train-scaling.sh {secs} {n} {reps}`", ""]
with open(result, "w") as f:
    f.write("\n".join(lines))
print("\n".join(lines))
EOF
