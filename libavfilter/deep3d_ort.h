/*
 * deep3d: ONNX Runtime, loaded at run time
 *
 * This file is part of FFmpeg.
 *
 * FFmpeg is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * FFmpeg is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Lesser General Public License for more details.
 *
 * You should have received a copy of the GNU Lesser General Public
 * License along with FFmpeg; if not, write to the Free Software
 * Foundation, Inc., 51 Franklin Street, Fifth Floor, Boston, MA 02110-1301 USA
 */

#ifndef AVFILTER_DEEP3D_ORT_H
#define AVFILTER_DEEP3D_ORT_H

#include <stddef.h>

/* The C API header of ONNX Runtime 1.21 (Debian's source package, scripts/fetch-ort.sh).
 * Its API is append-only: a newer library serves this header's version. */
#include "onnxruntime_c_api.h"

#define DEEP3D_ORT_ENV "DEEP3D_ORT"

typedef struct Deep3DOrt {
    void *lib;
    const OrtApi *api;          ///< ORT_API_VERSION's table
    char path[1024];            ///< the library that was opened
    const char *version;        ///< the library's own version string
} Deep3DOrt;

/**
 * Open ONNX Runtime and get its API at ORT_API_VERSION. Where from, in order:
 * path (a library file, a directory holding libonnxruntime.so*, or a bare
 * file name for the dynamic linker) when set,
 * else $DEEP3D_ORT when set (either of these failing is an error: no further
 * search), else the dynamic linker's libonnxruntime.so.1 and
 * libonnxruntime.so, else the newest onnxruntime/capi/libonnxruntime.so.1.*
 * of the onnxruntime / onnxruntime-gpu Python wheels in the system's
 * site-packages and dist-packages directories. The choice is logged at
 * VERBOSE. Returns AVERROR(ENOSYS) with an error naming what was tried when
 * no usable library is found (or it is older than the header).
 */
int ff_deep3d_ort_load(Deep3DOrt **ort, void *log_ctx, const char *path);

void ff_deep3d_ort_free(Deep3DOrt **ort);

/**
 * For a failed ORT call: log "what: ORT's message" at error level, release
 * st and return an error code: AVERROR_INVALIDDATA when ORT says the model
 * is bad (invalid protobuf, invalid graph, no model, invalid argument),
 * AVERROR(ENOENT) for a missing file, else AVERROR_EXTERNAL. Returns 0 (and
 * logs nothing) when st is NULL.
 */
int ff_deep3d_ort_check(const Deep3DOrt *ort, void *log_ctx, OrtStatus *st, const char *what);

#endif /* AVFILTER_DEEP3D_ORT_H */
