#!/usr/bin/env bash
# test_onednn: the oneDNN engine against the OpenBLAS engine on the committed
# tiny models, the built-in model and random models of both topologies made by
# tools/make_model.py (test_engine's shapes, the real 384x160 original among
# them). DEEP3D_EXPECT_ONEDNN=0 checks the refusal without oneDNN instead.
set -uo pipefail
BIN=$1
TOP=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${BUILD:-$TOP/_build}/check/onednn
PY=${PYTHON:-/usr/bin/python3}
mkdir -p "$WORK"

models=("$TOP/tests/data/deep3d-tiny-fcn.safetensors" "$TOP/tests/data/deep3d-tiny-original.safetensors"
        "$TOP/weights/deep3d-default.safetensors")
make_case() { # make_case NAME MAKE_MODEL_ARGS...
    local name=$1; shift
    if "$PY" "$TOP/tools/make_model.py" "$@" "$WORK/$name.safetensors" > "$WORK/$name.log" 2>&1; then
        models+=("$WORK/$name.safetensors")
    else
        echo "not ok - $name: make_model.py failed:"; tail -n 5 "$WORK/$name.log"
        made_failed=1
    fi
}
made_failed=0
make_case fcn-small --arch fcn --input 64x32 --channels 8,8,16,16,16 --convs 1,1,2,1,1 --disparity -4:4 --seed 1
make_case fcn-new-depth --arch fcn --input 96x64 --channels 4,20,8,12,6 --convs 3,2,1,1,3 --disparity -3:5 --seed 6
make_case original-small --arch original --input 128x64 --channels 8,8,16,16,16 --convs 1,1,2,2,2 --fc 24 \
    --disparity -5:6 --seed 3
make_case original-384x160 --arch original --input 384x160 --channels 64,128,256,512,512 --convs 1,1,2,2,2 \
    --fc 512 --disparity -15:16 --seed 4

out=$("$BIN" "${models[@]}")
echo "$out"
if [ "$made_failed" -ne 0 ]; then
    line=$(echo "$out" | tail -n 1)
    if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
        echo "${BASH_REMATCH[1]} passed, $((BASH_REMATCH[2] + 1)) failed"
    fi
    exit 1
fi
