#!/usr/bin/env bash
# Download the FFmpeg 7.1 and nv-codec-headers source tarballs from Debian (trixie) into
# $BUILD/dl and check them by sha256. Uses a private apt configuration under $BUILD/apt, so
# the machine's own apt sources are never touched.
#
# FFMPEG_SOURCE=/path/to/ffmpeg-7.1.x.tar.xz or /path/to/ffmpeg-checkout skips the FFmpeg
# download (for users who are not on Debian); nv-codec-headers can likewise come from
# NVCODEC_SOURCE=/path/to/nv-codec-headers-12.x(.tar.*).
set -euo pipefail

BUILD=$(mkdir -p "${BUILD:-_build}" && cd "${BUILD:-_build}" && pwd)
DL=$BUILD/dl
APT=$BUILD/apt

FFMPEG_DEB_VERSION=7:7.1.5-0+deb13u1
FFMPEG_TARBALL=ffmpeg_7.1.5.orig.tar.xz
FFMPEG_SHA256=de668509caf9e35e3cd162473441fdb29538c6d96ed080292b3cf9e6fc5d558f
NVCODEC_DEB_VERSION=12.1.14.0-1
NVCODEC_TARBALL=nv-codec-headers_12.1.14.0.orig.tar.xz
NVCODEC_SHA256=0ca1a0c85b149646fa6ce4d600584507fdccf5a23d58e668d8701e89cee0c3fb

mkdir -p "$DL"

sha_ok() { [ -f "$1" ] && echo "$2  $1" | sha256sum -c --quiet - >/dev/null 2>&1; }

private_apt() {
    local cmd=$1; shift
    "$cmd" -o Dir::Etc::SourceList="$APT/sources.list" \
           -o Dir::Etc::SourceParts=/dev/null \
           -o Dir::State::Lists="$APT/lists" \
           -o Dir::Cache="$APT/cache" "$@"
}

apt_ready=
apt_setup() {
    [ -n "$apt_ready" ] && return 0
    mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial"
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
        > "$APT/sources.list"
    echo "fetch: reading trixie source index (private apt config in $APT)"
    private_apt apt-get -q update >/dev/null
    apt_ready=1
}

fetch() { # fetch PACKAGE=VERSION TARBALL SHA256
    local pkgver=$1 tarball=$2 sha=$3
    if sha_ok "$DL/$tarball" "$sha"; then
        echo "fetch: $tarball already present (sha256 ok)"
        return 0
    fi
    apt_setup
    echo "fetch: apt-get source --download-only $pkgver"
    # The mirror may 404 a small debian.tar.xz while the orig tarball arrives: judge by the sha256.
    (cd "$DL" && private_apt apt-get -q source --download-only "$pkgver" >/dev/null 2>&1) || true
    if ! sha_ok "$DL/$tarball" "$sha"; then
        echo "fetch: could not get $tarball with sha256 $sha from Debian trixie." >&2
        echo "fetch: if trixie no longer carries $pkgver, point FFMPEG_SOURCE / NVCODEC_SOURCE" >&2
        echo "fetch: at your own copy (see README.md)." >&2
        exit 1
    fi
    echo "fetch: $tarball sha256 ok"
}

if [ -z "${FFMPEG_SOURCE:-}" ]; then
    fetch "ffmpeg=$FFMPEG_DEB_VERSION" "$FFMPEG_TARBALL" "$FFMPEG_SHA256"
fi
if [ -z "${NVCODEC_SOURCE:-}" ]; then
    fetch "nv-codec-headers=$NVCODEC_DEB_VERSION" "$NVCODEC_TARBALL" "$NVCODEC_SHA256"
fi

# ONNX Runtime: the C API header (Debian) and a CPU runtime for the tests (PyPI wheel).
"$(dirname "$0")/fetch-ort.sh"
