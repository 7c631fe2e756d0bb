#!/bin/sh
# The temporal state of deep3d is reset at a hard cut and at a timestamp gap,
# for the FATE test fate-deep3d-reset (tests/fate/deep3d.mak).
#
# Usage: deep3d-reset.sh FFMPEG IMAGE DEEP3D_OPTIONS
#
# IMAGE holds two different real pictures of 96x64, one above the other. The
# clip shows the upper one for frames 0-2 and the lower one from frame 3 on (a
# hard cut). Prints the reset lines the filter logs (verbose), and whether the
# output from the cut on equals a fresh run on the lower picture alone: it
# must with scene-cut detection, and must not with scenecut=0 (the control,
# which shows the comparison can fail). Then a gap in the timestamps of the
# still upper picture (frames 2-7 dropped) must reset the state at the gap.
set -u
ffmpeg=$1 img=$2 opts=$3
log=$(mktemp) || exit 1
trap 'rm -f "$log"' EXIT

# md5 of each output frame, one per line
frames() { # frames FILTERS NB_FRAMES [INPUT...]
    vf=$1 n=$2; shift 2
    "$ffmpeg" -nostdin -hide_banner -nostats -v verbose -bitexact "$@" -vf "$vf" \
        -frames:v "$n" -f framemd5 -bitexact - 2>"$log" | grep -v '^#' | sed 's/.*, *//'
}
resets() { # the filter's reset lines, without the log prefix
    sed -n 's/^\[Parsed_deep3d[^]]*\] \(temporal state reset.*\)$/\1/p' "$log"
}
still="-loop 1 -framerate 5 -i $img"
cut="crop=96:64:0:'if(gte(n\,3)\,64\,0)',format=yuv420p"

fresh=$(frames "crop=96:64:0:64,format=yuv420p,deep3d=$opts" 3 $still)
after=$(frames "$cut,deep3d=$opts" 6 $still | tail -n 3)
resets | sed 's/^/cut: /'
[ "$after" = "$fresh" ] && same=yes || same=no
echo "cut: frames 3-5 equal a fresh run on the second picture: $same"

after=$(frames "$cut,deep3d=$opts:scenecut=0" 6 $still | tail -n 3)
echo "cut, scenecut=0: $(resets | wc -l) resets"
[ "$after" = "$fresh" ] && same=yes || same=no
echo "cut, scenecut=0: frames 3-5 equal a fresh run on the second picture: $same"

frames "crop=96:64:0:0,select='not(between(n\,2\,7))',format=yuv420p,deep3d=$opts" 4 \
    $still > /dev/null
resets | sed 's/^/gap: /'
