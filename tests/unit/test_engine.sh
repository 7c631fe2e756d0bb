#!/usr/bin/env bash
# Parity of the C engine with the Python reference: make random models of both
# topologies, F32 and F16, BGR and RGB, with the real original size among them,
# write reference fixtures with tools/make_parity_fixture.py, and run
# test_engine on each with 1 and 3 jobs. Prints the summed "N passed, M failed".
set -uo pipefail
BIN=$1
TOP=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${BUILD:-$TOP/_build}/check/engine
PY=${PYTHON:-/usr/bin/python3}
mkdir -p "$WORK"

passed=0; failed=0
# run_engine NAME MODEL FIXTURE_DIR: the C engine with 1 and 3 jobs, results summed
run_engine() {
    local name=$1 model=$2 dir=$3 jobs out line
    for jobs in 1 3; do
        out=$("$BIN" "$model" "$dir" "$jobs")
        echo "$out" | grep -v '^ok' | grep -v 'passed,' | sed "s/^/$name: /"
        line=$(echo "$out" | tail -n 1)
        if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
            passed=$((passed + BASH_REMATCH[1])); failed=$((failed + BASH_REMATCH[2]))
        else
            echo "not ok - $name ($jobs jobs): no result"; failed=$((failed + 1))
        fi
    done
}

run_case() { # run_case NAME RENDER_SIZES MAKE_MODEL_ARGS...
    local name=$1 sizes=$2; shift 2
    local model=$WORK/$name.safetensors dir=$WORK/$name
    if ! "$PY" "$TOP/tools/make_model.py" "$@" "$model" > "$WORK/$name.log" 2>&1 ||
       ! "$PY" "$TOP/tools/make_parity_fixture.py" --model "$model" --outdir "$dir" --seed 11 \
            --render "$sizes" >> "$WORK/$name.log" 2>&1; then
        echo "not ok - $name: fixture generation failed:"; tail -n 5 "$WORK/$name.log"
        failed=$((failed + 1))
        return
    fi
    run_engine "$name" "$model" "$dir"
}

run_case fcn-small 64x32,100x45,7x3 --arch fcn --input 64x32 --channels 8,8,16,16,16 \
    --convs 1,1,2,1,1 --disparity -4:4 --seed 1
run_case fcn-f16-rgb 96x64,33x17 --arch fcn --input 96x64 --channels 6,12,12,16,16 \
    --convs 2,1,1,1,1 --disparity -6:9 --seed 2 --dtype f16 --color-order rgb \
    --input-mean 0.4,0.5,0.6 --input-scale 1 --disparity-width 128
# a depth and widths no committed model has: the engines follow the layer list the
# loader's hyperparameters give (libavfilter/deep3d_layers.c), nothing else changes
run_case fcn-new-depth 96x64 --arch fcn --input 96x64 --channels 4,20,8,12,6 \
    --convs 3,2,1,1,3 --disparity -3:5 --seed 6
run_case original-small 128x64,200x90 --arch original --input 128x64 --channels 8,8,16,16,16 \
    --convs 1,1,2,2,2 --fc 24 --disparity -5:6 --seed 3
run_case original-384x160 384x160,961x541 --arch original --input 384x160 \
    --channels 64,128,256,512,512 --convs 1,1,2,2,2 --fc 512 --disparity -15:16 --seed 4

# The original weights path: a random .params of the released form (60 arg:/aux: arrays,
# legacy records, shuffled order, tests/tools/make_params.py) converted by
# tools/convert_mxnet.py, then the same parity check at the real 384x160 shapes.
run_params_case() { # run_params_case NAME RENDER_SIZES MAKE_PARAMS_ARGS...
    local name=$1 sizes=$2; shift 2
    local params=$WORK/$name.params model=$WORK/$name.safetensors dir=$WORK/$name
    if ! "$PY" "$TOP/tests/tools/make_params.py" "$@" "$params" > "$WORK/$name.log" 2>&1 ||
       ! "$PY" "$TOP/tools/convert_mxnet.py" "$params" "$model" >> "$WORK/$name.log" 2>&1 ||
       ! "$PY" "$TOP/tools/make_parity_fixture.py" --model "$model" --outdir "$dir" --seed 12 \
            --render "$sizes" >> "$WORK/$name.log" 2>&1; then
        echo "not ok - $name: params/conversion/fixture failed:"; tail -n 5 "$WORK/$name.log"
        failed=$((failed + 1)); rm -f "$params"
        return
    fi
    rm -f "$params"  # 112 MB; the converted model stays for a rerun of the binary
    run_engine "$name" "$model" "$dir"
}

run_params_case mxnet-original-384x160 384x160,720x300 --seed 5 --record legacy

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
