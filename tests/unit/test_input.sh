#!/usr/bin/env bash
# Real-frame parity: a frame of the CC0 city clip (tests/data/city-frame.nut) in every
# pixel format the filter takes, at sizes that shrink, enlarge, have odd chroma or match
# the network exactly, with limited/full range and several matrices. For two models (a
# small fcn with RGB order and a mean, and a random .params of the released 384x160 form
# in the V2 record format converted by tools/convert_mxnet.py):
# - test_input: the C input conversion and network against tools/deep3d_frame.py and
#   tools/deep3d_ref.py (input and probabilities);
# - the ffmpeg filter itself: mode=right against the reference eye of every plane, and
#   mode=depth against the reference expected disparity (so the filter's own probabilities,
#   with the matrix and range FFmpeg tags the frame with).
# Prints the summed "N passed, M failed".
set -uo pipefail
BIN=$1
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$TOP/_build}
FFMPEG=${FFMPEG:-$BUILD/ffmpeg-build/ffmpeg}
WORK=$BUILD/check/input
PY=${PYTHON:-/usr/bin/python3}
SRC_FRAME=$TOP/tests/data/city-frame.nut
mkdir -p "$WORK"

passed=0; failed=0
ok()     { echo "ok - $*"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $*"; failed=$((failed + 1)); }
count() { # count OUTPUT: add its ok / not ok lines
    local out=$1
    echo "$out"
    passed=$((passed + $(echo "$out" | grep -c '^ok'))); failed=$((failed + $(echo "$out" | grep -c '^not ok')))
}

# make_frame DIR NAME PIX_FMT W H RANGE MATRIX [VF]: NAME.raw from the real frame, listed in frames.txt
make_frame() {
    local dir=$1 name=$2 fmt=$3 w=$4 h=$5 range=$6 matrix=$7 vf=${8:-}
    if "$FFMPEG" -nostdin -v error -i "$SRC_FRAME" -frames:v 1 \
            -vf "scale=$w:$h${vf:+:$vf},format=$fmt" -f rawvideo -y "$dir/$name.raw"; then
        echo "frame $name $fmt $w $h $range $matrix" >> "$dir/frames.txt"
    else
        not_ok "$name: ffmpeg could not make the $fmt frame"
    fi
}

# run_model NAME MODEL: frames of $FRAMES, fixture, test_input with 1 and 2 jobs, filter eyes
run_model() {
    local name=$1 model=$2 dir=$WORK/$1 line
    rm -rf "$dir"; mkdir -p "$dir"
    while read -r line; do
        # shellcheck disable=SC2086
        [ -n "$line" ] && make_frame "$dir" $line
    done <<< "$FRAMES"
    if ! "$PY" "$TOP/tools/make_frame_fixture.py" fixture --model "$model" --dir "$dir" \
            > "$dir/fixture.log" 2>&1; then
        not_ok "$name: reference fixture failed:"; tail -n 5 "$dir/fixture.log"
        return
    fi
    for jobs in 1 2; do
        count "$("$BIN" "$model" "$dir" "$jobs" | grep -v '^[0-9]* passed')"
    done
    while read -r fr fname fmt w h range matrix; do
        local in_opts=() run mode jobs cmp
        [ "$range" != unknown ] && in_opts+=(-color_range "$range")
        [ "$matrix" != unknown ] && in_opts+=(-colorspace "$matrix")
        # mode=right with 1 job, mode=depth with 2: each against its reference (an fp32
        # reference: precision=fp32, as precision=auto may pick bf16 where the CPU has it)
        for run in "right 1 eye" "depth 2 depth"; do
            read -r mode jobs cmp <<< "$run"
            if "$FFMPEG" -nostdin -v error -f rawvideo -pix_fmt "$fmt" -s "${w}x$h" "${in_opts[@]}" \
                    -i "$dir/$fname.raw" -vf "deep3d=model=$model:mode=$mode:threads=$jobs:device=cpu:precision=fp32" \
                    -f rawvideo -pix_fmt "$fmt" -y "$dir/$fname.$mode.raw" 2> "$dir/$fname.ffmpeg.log"; then
                count "$("$PY" "$TOP/tools/make_frame_fixture.py" "compare-$cmp" --model "$model" \
                         --dir "$dir" --name "$fname" --eye "$dir/$fname.$mode.raw" 2>&1)"
            else
                not_ok "$name/$fname: ffmpeg deep3d mode=$mode failed: $(head -c 300 "$dir/$fname.ffmpeg.log")"
            fi
        done
    done < "$dir/frames.txt"
}

# 1. A small fcn (96x64 input, RGB order, scale 1 with a mean) on every format.
FCN=$WORK/fcn-rgb.safetensors
"$PY" "$TOP/tools/make_model.py" --arch fcn --input 96x64 --channels 6,12,12,16,16 \
    --convs 1,1,1,1,1 --disparity -5:6 --seed 21 --color-order rgb --input-scale 1 \
    --input-mean 0.45,0.5,0.4 "$FCN" > "$WORK/fcn-rgb.log" 2>&1 || not_ok "make the fcn model"
FRAMES="
yuv420p yuv420p 720 405 tv unknown
yuv420p-709 yuv420p 720 405 tv bt709
yuvj420p yuvj420p 333 187 pc unknown out_range=pc
yuv422p yuv422p 320 181 tv smpte170m
yuv444p yuv444p 96 64 tv bt709
nv12 nv12 50 30 tv unknown
yuv420p10 yuv420p10le 641 359 tv bt2020nc
yuv444p10-full yuv444p10le 257 129 pc bt709 out_range=pc
p010 p010le 640 360 tv bt709
rgb24 rgb24 96 64 unknown unknown
bgr24 bgr24 301 170 unknown unknown
rgba rgba 1920 1080 unknown unknown
bgra bgra 77 41 unknown unknown
gbrp gbrp 150 77 unknown unknown
gray gray 160 90 unknown unknown
gray-tv gray 161 91 tv unknown
"
run_model fcn-rgb "$FCN"

# 2. The released graph's shapes, through the converter: a random .params (V2 records)
#    converted to our format, on the clip's own frame, a frame at exactly 384x160 and a
#    10-bit one.
PARAMS=$WORK/original.params ORIG=$WORK/original-v2.safetensors
if "$PY" "$TOP/tests/tools/make_params.py" --seed 22 --record v2 "$PARAMS" > "$WORK/original.log" 2>&1 &&
   "$PY" "$TOP/tools/convert_mxnet.py" "$PARAMS" "$ORIG" >> "$WORK/original.log" 2>&1; then
    FRAMES="
orig-yuv420p yuv420p 720 405 tv unknown
orig-rgb24 rgb24 384 160 unknown unknown
orig-p010 p010le 1280 720 tv bt709
"
    run_model original "$ORIG"
else
    not_ok "make and convert the original .params:"; tail -n 5 "$WORK/original.log"
fi
rm -f "$PARAMS"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
