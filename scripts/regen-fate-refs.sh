#!/usr/bin/env bash
# Regenerate the references of the deep3d FATE tests (all, or those named) and
# bring new ones back into tests/ref/fate/. Existing references are symlinks
# into this repository, so GEN=1 rewrites them in place; review with git diff.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$TOP/_build}
"$TOP/scripts/prepare-tree.sh"
targets=${*:-fate-deep3d}
make -s -k -C "$BUILD/ffmpeg-build" $targets GEN=1 > /dev/null 2>&1 || true
for f in "$BUILD"/ffmpeg/tests/ref/fate/deep3d-*; do
    [ -L "$f" ] || { cp "$f" "$TOP/tests/ref/fate/"; rm "$f"; }
done
"$TOP/scripts/prepare-tree.sh"
echo "regen: $(ls "$TOP"/tests/ref/fate/deep3d-* | wc -l) deep3d references; check them with git diff"
