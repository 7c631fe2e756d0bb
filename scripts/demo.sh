#!/usr/bin/env bash
# The main job: convert a short real-camera clip to side-by-side 3D with the deep3d
# filter, encode it to H.264 in Matroska, and write preview images. Then check with
# ffprobe that players will see the stereo layout (Matroska StereoMode and the H.264
# frame-packing SEI).
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$TOP/_build}
BIN=$BUILD/ffmpeg-build
OUTDIR=${OUTDIR:-$TOP/out}
CLIP=$BUILD/dl/cityCC0.mpg
# The built-in (interim) model by default; MODEL=path.safetensors runs another.
# STRENGTH (default 1) scales the disparities.
MODEL=${MODEL:-}
DEEP3D="deep3d=${MODEL:+model=$MODEL:}strength=${STRENGTH:-1}:mode=sbs"

"$TOP/scripts/fetch-clip.sh"
mkdir -p "$OUTDIR"
SBS=$OUTDIR/demo-sbs.mkv

echo "demo: $CLIP -> $SBS ($DEEP3D, libx264)"
start=$(date +%s.%N)
# 720x405 is scaled to 640x360: x264 needs an even height, and 360p keeps the demo quick.
"$BIN/ffmpeg" -nostdin -hide_banner -loglevel warning -stats -y -i "$CLIP" \
    -vf "scale=640:360,$DEEP3D" \
    -c:v libx264 -preset veryfast -crf 20 -pix_fmt yuv420p -an "$SBS"
end=$(date +%s.%N)
echo "demo: converted in $(awk "BEGIN { printf \"%.1f\", $end - $start }") s"

# A frame from the middle of the clip, as stored, and as a red/cyan anaglyph.
"$BIN/ffmpeg" -nostdin -loglevel error -y -ss 3 -i "$SBS" -frames:v 1 "$OUTDIR/demo-preview.png"
"$BIN/ffmpeg" -nostdin -loglevel error -y -ss 3 -i "$SBS" -frames:v 1 \
    -vf "stereo3d=in=sbsl:out=arcd" "$OUTDIR/demo-anaglyph.png"

echo "demo: what a player sees in $SBS:"
stream=$("$BIN/ffprobe" -v error -select_streams v:0 \
    -show_entries stream=codec_name,width,height:stream_tags=stereo_mode:stream_side_data=side_data_type,type,inverted \
    -of default=noprint_wrappers=1 "$SBS")
frame=$("$BIN/ffprobe" -v error -select_streams v:0 -read_intervals %+#1 \
    -show_entries frame_side_data=side_data_type -of default=noprint_wrappers=1 "$SBS")
echo "$stream" | sed 's/^/  stream: /'
echo "$frame" | grep -i stereo | sort -u | sed 's/^/  first decoded frame (H.264 frame-packing SEI): /' || true
if ! echo "$stream" | grep 'TAG:stereo_mode=left_right' >/dev/null ||
   ! echo "$frame" | grep 'Stereo 3D' >/dev/null; then
    echo "demo: FAILED: the stereo layout is missing from $SBS" >&2
    exit 1
fi
echo "demo: wrote $SBS, $OUTDIR/demo-preview.png, $OUTDIR/demo-anaglyph.png"
[ -n "$MODEL" ] ||
    echo "demo: note: the built-in model is interim (CPU-trained): expect weak depth (weights/MODEL_CARD.md)."
