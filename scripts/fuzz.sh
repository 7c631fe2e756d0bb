#!/usr/bin/env bash
# Build the libFuzzer targets (tests/fuzz/fuzz_*.c) against the instrumented
# ASan + UBSan FFmpeg of scripts/sanitize-check.sh (built first if needed) and
# run each for FUZZ_SECONDS (default 60) from its seed corpus
# (tests/fuzz/corpus/<target>/). Any crash, sanitizer report, leak, timeout or
# out-of-memory fails the run; the input that caused it is kept under
# _build/fuzz/artifacts/. New inputs found go to _build/fuzz/corpus-<target>/
# (not the repository). Summary: _build/fuzz/summary.txt.
#
# FUZZ_TARGETS="model graph" selects targets; extra libFuzzer flags in FUZZ_FLAGS.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
SAN=${SAN_BUILD:-$TOP/_build/sanitize}
WORK=$TOP/_build/fuzz
SECONDS_EACH=${FUZZ_SECONDS:-60}

SANITIZE_BUILD_ONLY=1 BUILD=$SAN "$TOP/scripts/sanitize-check.sh"

OUT=$SAN/ffmpeg-build
LINK=()
for l in libavfilter libavformat libavcodec libswresample libswscale libavutil; do LINK+=("$OUT/$l/$l.a"); done
EXTRA=$(sed -n 's/^EXTRALIBS-avcodec=//p; s/^EXTRALIBS-avfilter=//p; s/^EXTRALIBS-avformat=//p' \
        "$OUT/ffbuild/config.mak" | tr '\n' ' ')
LDFLAGS=$(sed -n 's/^LDFLAGS=//p' "$OUT/ffbuild/config.mak")
mkdir -p "$WORK/artifacts"

targets=${FUZZ_TARGETS:-$(cd "$TOP/tests/fuzz" && ls fuzz_*.c | sed 's/^fuzz_//; s/\.c$//')}
for t in $targets; do
    echo "fuzz: building $t"
    # shellcheck disable=SC2086
    clang -O1 -g -std=c17 -Wall -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -I"$OUT" -I"$SAN/ffmpeg" -DDEEP3D_FUZZ_DATA_DIR="\"$TOP/tests/data\"" \
        -o "$WORK/fuzz_$t" "$TOP/tests/fuzz/fuzz_$t.c" "${LINK[@]}" $LDFLAGS $EXTRA
done

export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
: > "$WORK/summary.txt"
fail=0
for t in $targets; do
    log=$WORK/fuzz_$t.log
    mkdir -p "$WORK/corpus-$t"
    echo "fuzz: $t for ${SECONDS_EACH} s from tests/fuzz/corpus/$t (log: $log)"
    # -timeout: one input may take at most 25 s; -rss_limit_mb: the network's
    # own limit is 2 GiB of activations, and no input should come near it.
    # shellcheck disable=SC2086
    if "$WORK/fuzz_$t" -max_total_time="$SECONDS_EACH" -timeout=25 -rss_limit_mb=2560 \
           -print_final_stats=1 -artifact_prefix="$WORK/artifacts/$t-" ${FUZZ_FLAGS:-} \
           "$WORK/corpus-$t" "$TOP/tests/fuzz/corpus/$t" > "$log" 2>&1; then
        status=ok
    else
        status=FAILED; fail=1
        grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -n 20 || true
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    secs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
    line="fuzz: $t: $status, ${execs:-?} executions in ${SECONDS_EACH} s (${secs:-?}/s), $cov, corpus $(ls "$WORK/corpus-$t" | wc -l) new + $(ls "$TOP/tests/fuzz/corpus/$t" | wc -l) seeds"
    echo "$line" | tee -a "$WORK/summary.txt"
done
[ "$fail" -eq 0 ] || { echo "fuzz: a target failed; inputs in $WORK/artifacts/"; exit 1; }
