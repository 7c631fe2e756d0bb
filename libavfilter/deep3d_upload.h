/*
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

#ifndef AVFILTER_DEEP3D_UPLOAD_H
#define AVFILTER_DEEP3D_UPLOAD_H

#include "libavutil/buffer.h"
#include "libavutil/frame.h"

#include "avfilter.h"
#include "deep3d_source.h"

/*
 * Software frames on the GPU path (device=auto or cuda): a CUDA device (the
 * graph's, else one of our own), a pool of CUDA frames of the input's format
 * and size; each frame goes up, through the GPU path, and down. Once the GPU
 * path has started (ff_deep3d_upload_start), the copies go through pinned
 * staging buffers on the GPU path's own stream: a frame goes up without a
 * wait (the host waits for a staging buffer only when a ring of them is in
 * flight), a batch comes down with one wait for all its frames.
 */
typedef struct Deep3DUploadStaging Deep3DUploadStaging;

typedef struct Deep3DUpload {
    AVBufferRef *frames;        ///< CUDA frames of the input's format: the GPU path's input
    AVBufferRef *out_frames;    ///< the GPU path's output pool, set by the GPU path
    Deep3DUploadStaging *staging;   ///< pinned buffers, events; NULL before start
} Deep3DUpload;

/**
 * Open the device and the input pool for ctx's input link. With quiet
 * (device=auto), why it cannot is logged at verbose level only (log_ctx:
 * where the errors of the cuDNN probe go, lowered by the caller); why[] gets
 * a short reason for the log line of the CPU fallback.
 */
int ff_deep3d_upload_init(Deep3DUpload *u, AVFilterContext *ctx, void *log_ctx,
                          const Deep3DSource *src, const char *cudnn_path, int quiet, char *why, size_t why_size);

/**
 * Copies from now on through pinned staging buffers, queued on stream (a
 * CUstream: the GPU path's, ff_deep3d_cuda_stream()); errors go to log_ctx
 * (the filter's context). batch: frames per render, the most that come down
 * at once.
 */
int ff_deep3d_upload_start(Deep3DUpload *u, void *log_ctx, void *stream, int batch);

/** A CUDA frame of the pool holding in (data and properties). */
int ff_deep3d_upload_frame(Deep3DUpload *u, const AVFrame *in, AVFrame **gpu);

/**
 * Software frames of the packed picture's size holding gpu[0..nb-1], the
 * GPU path's output (out[i] NULL on error).
 */
int ff_deep3d_upload_download(Deep3DUpload *u, AVFilterLink *outlink, AVFrame *const *gpu,
                              AVFrame **out, int nb);

void ff_deep3d_upload_uninit(Deep3DUpload *u);

#endif /* AVFILTER_DEEP3D_UPLOAD_H */
