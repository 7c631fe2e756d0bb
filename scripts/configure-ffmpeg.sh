#!/usr/bin/env bash
# Configure FFmpeg out of tree in $BUILD/ffmpeg-build. Reruns configure only when its
# arguments change, so an unchanged tree rebuilds in seconds.
#
# CUDA kernels are compiled to PTX by clang (--enable-cuda-llvm): no --enable-nonfree, the
# binary stays redistributable. Every external library is linked statically or dlopen()ed at
# run time, so ffmpeg needs only libc, libm, libz and libpthread.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(mkdir -p "${BUILD:-$TOP/_build}" && cd "${BUILD:-$TOP/_build}" && pwd)
SRC=$BUILD/ffmpeg
OUT=$BUILD/ffmpeg-build
DEPS=$BUILD/deps

join() { local IFS=,; echo "$*"; }

DECODERS=(h264 hevc mpeg1video mpeg2video mpeg4 h263p msmpeg4v2 msmpeg4v3 vp8 vp9 ffv1 png mjpeg rawvideo
          wrapped_avframe aac mp2 mp2float mp3 mp3float ac3 opus pcm_s16le pcm_s16be pcm_s24le pcm_s32le
          pcm_f32le pcm_u8 pgm pgmyuv ppm
          h264_cuvid hevc_cuvid mpeg2_cuvid mpeg4_cuvid vp8_cuvid vp9_cuvid)
ENCODERS=(libx264 ffv1 png rawvideo wrapped_avframe aac pcm_s16le pgm pgmyuv ppm mpeg4 h263p
          h264_nvenc hevc_nvenc)
HWACCELS=(h264_nvdec hevc_nvdec mpeg2_nvdec mpeg4_nvdec vp8_nvdec vp9_nvdec)
DEMUXERS=(matroska mov avi nut mpegps mpegts mpegvideo image2 image_png_pipe h264 hevc m4v rawvideo
          aac ac3 mp3 ogg wav pcm_s16le
          concat ffmetadata srt)  # farm joins (docs/farm.md); chapters and subtitles for its test clip
MUXERS=(matroska webm mov mp4 ismv avi nut mpegts mpeg1system image2 null framecrc framemd5
        framehash md5 crc rawvideo h264 hevc wav pcm_s16le)
PARSERS=(h264 hevc mpegvideo mpeg4video vp8 vp9 png mjpeg aac mpegaudio ac3 opus)
BSFS=(h264_mp4toannexb hevc_mp4toannexb aac_adtstoasc vp9_superframe vp9_superframe_split
      extract_extradata h264_metadata hevc_metadata null)
FILTERS=(deep3d
         scale format fps crop pad setsar split hwupload hwupload_cuda hwdownload scale_cuda
         stereo3d v360 null copy hflip vflip transpose setpts settb trim showinfo tile
         hstack vstack psnr ssim select nullsink sendcmd
         testsrc testsrc2 rgbtestsrc yuvtestsrc smptebars color nullsrc
         anull aformat aresample atrim anullsink anullsrc sine)

# OpenBLAS (pthread flavour) for the CPU network; BLAS_CFLAGS / BLAS_LDFLAGS point elsewhere.
MULTIARCH=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
BLAS_CFLAGS=${BLAS_CFLAGS:--I/usr/include/$MULTIARCH/openblas-pthread}
BLAS_LDFLAGS=${BLAS_LDFLAGS:--L/usr/lib/$MULTIARCH/openblas-pthread}

ARGS=(
    "--extra-cflags=$BLAS_CFLAGS" "--extra-ldflags=$BLAS_LDFLAGS"
    --disable-autodetect --disable-everything --disable-doc --disable-network
    --disable-ffplay --disable-postproc
    --enable-gpl --enable-zlib --enable-libx264
    --enable-ffnvcodec --enable-cuda --enable-cuvid --enable-nvdec --enable-nvenc
    --enable-cuda-llvm "--nvccflags=--cuda-gpu-arch=sm_75 -O2 -Wno-unknown-cuda-version"
    --enable-protocol=file,pipe --enable-indev=lavfi
    --enable-decoder="$(join "${DECODERS[@]}")"
    --enable-encoder="$(join "${ENCODERS[@]}")"
    --enable-hwaccel="$(join "${HWACCELS[@]}")"
    --enable-demuxer="$(join "${DEMUXERS[@]}")"
    --enable-muxer="$(join "${MUXERS[@]}")"
    --enable-parser="$(join "${PARSERS[@]}")"
    --enable-bsf="$(join "${BSFS[@]}")"
    --enable-filter="$(join "${FILTERS[@]}")"
    ${FFMPEG_CONFIGURE_EXTRA:-}
)

stamp=$OUT/.deep3d-configure-args
want=$( (printf '%s\n' "${ARGS[@]}"; cat "$SRC/configure" "$SRC/.deep3d-patched") | sha256sum | cut -d' ' -f1)
if [ -f "$OUT/config.h" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    exit 0
fi

mkdir -p "$OUT"
echo "configure: FFmpeg in $OUT (log: $OUT/ffbuild/config.log)"
cd "$OUT"
PKG_CONFIG_PATH=$DEPS/lib/pkgconfig "$SRC/configure" "${ARGS[@]}" > "$OUT/configure.out" || {
    tail -n 20 "$OUT/configure.out" >&2
    exit 1
}
echo "$want" > "$stamp"
