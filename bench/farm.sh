#!/usr/bin/env bash
# Issue 18's target: a 3-segment Slurm run against a single pass (bench/farm.py says how).
set -euo pipefail
cd "$(dirname "$0")/.."
exec timeout -k 30 3600 /usr/bin/python3 bench/farm.py
