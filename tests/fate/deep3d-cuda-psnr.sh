#!/bin/sh
# CUDA output of deep3d against its CPU output, for the FATE_HW tests of
# tests/fate/deep3d.mak.
#
# Usage: deep3d-cuda-psnr.sh FFMPEG MIN_DB SIZE FORMAT DEEP3D_OPTIONS [frames|upload|batch1 [SCALE [PRE]]]
#
# testsrc2 of SIZE in FORMAT goes through deep3d twice: on the CPU (software
# frames, device=cpu) and on the GPU (hwupload: CUDA frames in and out,
# device=cuda; with "upload", software frames in and out, which the filter
# uploads and downloads itself), and the GPU frames are compared with the CPU ones
# (SCALE: options of a scale filter making the pictures, e.g. to tag another
# colour matrix or range; PRE: filters before the split, which both branches see,
# e.g. a sendcmd script changing deep3d's options while the clip runs: the two
# instances are named deep3d@ref and deep3d@gpu, as sendcmd reaches one target)
# by the psnr filter. With "batch1" the reference is the GPU path too (CUDA
# frames, DEEP3D_OPTIONS with batch=1): a batch must not change the output.
# Every plane of every frame must reach MIN_DB; "inf" asks for identical
# frames. Prints one line per frame and a summary; exits non-zero on a
# failure, or unless all 5 frames of the clip were compared (a frame held back
# and lost, e.g. by batch, fails): 10 for the alternating layouts (al, ar).
#
# DEEP3D_PSNR_GPU_CHAIN replaces the GPU branch (and no CUDA device is
# opened): tests/unit/test_cuda.sh uses it to check this script on a machine
# without a GPU.
set -u
ffmpeg=$1 min=$2 size=$3 fmt=$4 opts=$5 how=${6:-frames} scale=${7:-} pre=${8:-}
[ "$scale" = - ] && scale=""    # "-": no scale, for a PRE after it
want=5
case ":$opts:" in
    *:mode=al:*|*:mode=ar:*) want=10 ;;
esac

# psnr takes planar formats: compare semi-planar ones deinterleaved (lossless)
case $fmt in
    nv12)   cmpfmt=yuv420p ;;
    p010le) cmpfmt=yuv420p10le ;;
    *)      cmpfmt=$fmt ;;
esac

if [ -n "${DEEP3D_PSNR_GPU_CHAIN:-}" ]; then
    hw=""
    gpu=$DEEP3D_PSNR_GPU_CHAIN
else
    hw="-init_hw_device cuda=gpu -filter_hw_device gpu"
    if [ "$how" = upload ]; then
        gpu="deep3d@gpu=$opts:device=cuda"
    else
        gpu="hwupload,deep3d@gpu=$opts:device=cuda,hwdownload,format=$fmt"
    fi
fi

graph="testsrc2=s=$size:r=5:d=1,${pre:+$pre,}${scale:+scale=$scale,}format=$fmt,split[a][b];"
if [ "$how" = batch1 ] && [ -z "${DEEP3D_PSNR_GPU_CHAIN:-}" ]; then
    ref="hwupload,deep3d@ref=$opts:device=cuda:batch=1,hwdownload,format=$fmt"
else
    ref="deep3d@ref=$opts:device=cpu"
fi
graph="${graph}[a]$ref,format=${cmpfmt}[cpu];"
graph="${graph}[b]$gpu,format=${cmpfmt}[gpu];[gpu][cpu]psnr=stats_file=-"

# shellcheck disable=SC2086
stats=$("$ffmpeg" -nostdin -hide_banner -nostats -loglevel error $hw -lavfi "$graph" -f null -) || {
    echo "ffmpeg failed"
    exit 1
}

echo "$stats" | awk -v min="$min" -v want="$want" '
    /^n:/ {
        frames++
        for (i = 1; i <= NF; i++) {
            split($i, kv, ":")
            if (kv[1] !~ /^psnr_/ || kv[1] == "psnr_avg")
                continue
            v = kv[2]
            bad = v == "inf" ? 0 : min == "inf" ? 1 : (v + 0 < min + 0)
            if (v != "inf" && (worst == "" || v + 0 < worst + 0))
                worst = v
            if (bad) {
                fails++
                print "frame " $1 ": " kv[1] " = " v " dB, below " min
            }
        }
    }
    END {
        if (!frames) {
            print "no frame compared"
            exit 1
        }
        printf "%d frames, lowest PSNR %s dB (minimum %s)\n", frames, worst == "" ? "inf" : worst, min
        if (frames != want) {
            printf "%d frames compared, %d expected\n", frames, want
            exit 1
        }
        exit fails ? 1 : 0
    }'
