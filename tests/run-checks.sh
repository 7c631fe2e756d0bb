#!/usr/bin/env bash
# Run every test: repository consistency, the C unit tests (linked against the
# FFmpeg build), the deep3d FATE tests and the rest of FATE that needs no
# samples. Ends with "N passed, M failed" and exits non-zero on any failure.
set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$TOP/_build}
SRC=$BUILD/ffmpeg
OUT=$BUILD/ffmpeg-build
JOBS=${JOBS:-$(nproc)}
LOGDIR=$BUILD/check
mkdir -p "$LOGDIR"

passed=0
failed=0
failures=()

count_unit() { # count_unit NAME LOG: add a unit runner's "N passed, M failed" line
    local name=$1 log=$2 line p f
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "check: $name did not report a result"
        failed=$((failed + 1)); failures+=("$name")
        return
    fi
    p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed*}
    passed=$((passed + p)); failed=$((failed + f))
    grep -E '^not ok' "$log" | sed "s/^/check: $name: /"
    [ "$f" -eq 0 ] || failures+=("$name")
    echo "check: $name: $line"
}

# 1. Repository consistency: the configure hunk of the patch is configure-snippet.
log=$LOGDIR/repo.log
tests/test_repo.sh > "$log" 2>&1
count_unit repo "$log"

# 2. C unit tests, built against the static libraries of the FFmpeg build.
LIBS=(libavfilter libavformat libavcodec libswresample libswscale libavutil)
LINK=()
for l in "${LIBS[@]}"; do LINK+=("$OUT/$l/$l.a"); done
# shellcheck disable=SC2046
EXTRA=$(sed -n 's/^EXTRALIBS-avcodec=//p; s/^EXTRALIBS-avfilter=//p; s/^EXTRALIBS-avformat=//p' \
        "$OUT/ffbuild/config.mak" | tr '\n' ' ')
LDFLAGS=$(sed -n 's/^LDFLAGS=//p' "$OUT/ffbuild/config.mak")
SAN_FLAGS=
[ -n "${SANITIZE:-}" ] && SAN_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
# the compiler of the FFmpeg build (CC=clang for the sanitizer build)
CC=${CC:-cc}
for t in "$TOP"/tests/unit/test_*.c; do
    name=$(basename "$t" .c)
    log=$LOGDIR/$name.log
    # (-I deps/include: ffnvcodec, for the tests of the CUDA engine)
    if ! "$CC" -O1 -g -std=c17 -Wall $SAN_FLAGS -I"$OUT" -I"$SRC" -I"$BUILD/deps/include" -o "$LOGDIR/$name" "$t" "${LINK[@]}" $LDFLAGS $EXTRA \
            > "$log" 2>&1; then
        echo "check: $name failed to build:"; tail -n 20 "$log"
        failed=$((failed + 1)); failures+=("$name")
        continue
    fi
    # A test_NAME.sh beside the source runs the binary with its data.
    if [ -x "$TOP/tests/unit/$name.sh" ]; then
        BUILD=$BUILD "$TOP/tests/unit/$name.sh" "$LOGDIR/$name" > "$log" 2>&1
    else
        "$LOGDIR/$name" > "$log" 2>&1
    fi
    count_unit "$name" "$log"
done

# 3. Python tools (reference forward pass, model files), Debian's python3 + numpy.
log=$LOGDIR/tools.log
/usr/bin/python3 "$TOP/tests/tools/run.py" > "$log" 2>&1
count_unit tools "$log"

# 4. FATE: every test that needs no samples, ours included (FATE_FFMPEG/FFPROBE);
#    FATE_TARGETS=fate-deep3d runs ours only.
rm -f "$OUT"/tests/data/fate/*.rep
# fate-source inspects the FFmpeg tree with git when it is a checkout; ours is a
# tarball inside this repository, so stop git from finding our repository instead.
export GIT_CEILING_DIRECTORIES=$BUILD
FATE_TARGETS=${FATE_TARGETS:-fate}
echo "check: make $FATE_TARGETS (log: $LOGDIR/fate.log)"
make -C "$OUT" -k -j"$JOBS" $FATE_TARGETS > "$LOGDIR/fate.log" 2>&1
fate_pass=0; fate_fail=0; deep3d_pass=0
for rep in "$OUT"/tests/data/fate/*.rep; do
    [ -e "$rep" ] || continue
    name=$(basename "$rep" .rep)
    status=$(cut -d: -f2 "$rep")
    if [ "$status" = 0 ]; then
        fate_pass=$((fate_pass + 1))
        case $name in deep3d-*) deep3d_pass=$((deep3d_pass + 1));; esac
    else
        fate_fail=$((fate_fail + 1)); failures+=("fate-$name")
        echo "check: FAIL fate-$name"
    fi
done
# the GPU tests (FATE_HW) are listed too; `make fate` leaves them out (test_cuda
# runs them on the host CUDA emulator; on a GPU: make fate-deep3d-cuda)
fate_list=$(make -s -C "$OUT" fate-list 2>/dev/null)
deep3d_listed=$(echo "$fate_list" | grep '^fate-deep3d-' | grep -vc '^fate-deep3d-cuda-')
gpu_listed=$(echo "$fate_list" | grep -c '^fate-deep3d-cuda-')
echo "check: fate: $fate_pass passed, $fate_fail failed ($deep3d_pass of $deep3d_listed deep3d tests passed;" \
     "$gpu_listed GPU tests in FATE_HW, run by test_cuda on the host CUDA emulator)"
if [ "$deep3d_listed" -eq 0 ] || [ "$fate_pass" -eq 0 ]; then
    echo "check: FATE ran no deep3d test: is the filter registered?"
    fate_fail=$((fate_fail + 1)); failures+=("fate-deep3d-missing")
fi
passed=$((passed + fate_pass)); failed=$((failed + fate_fail))

echo
[ ${#failures[@]} -eq 0 ] || echo "check: failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
