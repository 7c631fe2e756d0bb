/*
 * deep3d: the CUDA path (CUDA frames in, stereo CUDA frames out)
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

/*
 * Per batch, all on the filter's own stream (ordered against FFmpeg's by
 * events; a batch may run as a CUDA graph, deep3d_cuda_graph.c): the frames
 * are converted to the network input in one launch (cuda/deep3d_cuda.cu,
 * deep3d_input_*, with the tap tables of deep3d_cuda_tables.c), the network
 * runs (deep3d_cuda_net.c). Per frame: with the soft renderer, every stereo
 * layout is one render_pack launch that draws the rendered eye into shared
 * memory and writes both eyes to the output frame. render=hard draws its eye
 * straight into its place in the output frame (or into an eye-sized frame
 * first when the layout squeezes or interleaves the eyes), and the packing
 * kernel places the other eye. Anaglyphs take both eyes as frames of the
 * input size and combine them in one kernel; the depth picture is drawn from
 * the probabilities alone. Parameters (weights, shift tables, the frame
 * kernels' tables) are the only host to device copies, made once at
 * configuration (and when the user changes the shift); convergence=auto
 * rewrites the shift tables on the device.
 */

#include <math.h>
#include <stdint.h>
#include <string.h>
#if defined(_WIN32)
#include <windows.h>
#else
#include <dlfcn.h>
#endif

#include "libavutil/avstring.h"
#include "libavutil/common.h"
#include "libavutil/cuda_check.h"
#include "libavutil/error.h"
#include "libavutil/hwcontext.h"
#include "libavutil/hwcontext_cuda_internal.h"
#include "libavutil/log.h"
#include "libavutil/mem.h"
#include "libavutil/pixdesc.h"
#include "libavutil/time.h"

#include "cuda/load_helper.h"
#include "deep3d_anaglyph.h"
#include "deep3d_cuda.h"
#include "deep3d_cuda_driver.h"
#include "deep3d_cuda_graph.h"
#include "deep3d_cuda_mem.h"
#include "deep3d_cuda_tables.h"
#include "deep3d_cuda_timers.h"
#include "deep3d_temporal.h"
#include "deep3d_input.h"
#include "deep3d_shift.h"

#define CHECK_CU(x) FF_CUDA_CHECK_DL(c->log_ctx, c->cu, x)
/* floats in the anaglyph parameter block: mix 3 x 6, inverse 3 x 3, colour 8 */
#define ANAGLYPH_PARAMS 35
#define BLOCK_X 32
#define BLOCK_Y 8
/* Batches whose reports (scene distances, auto convergence) are in flight
 * to the host: when all are unread, the oldest is waited for (the GPU is
 * then that many batches behind). */
#define REPORT_RING 16
/* Frames before the steady-state throughput is timed: lazy module loading,
 * first-use allocations and clocks ramping up stay out of it. */
#define WARMUP_FRAMES 64

/* What the temporal kernels leave for the host per frame, in pinned memory
 * they write themselves: read when the batch's event has passed. */
typedef struct FrameReport {
    double dist;                ///< the scene distance (when measured)
    Deep3DConvReport conv;      ///< convergence=auto's decision
} FrameReport;

extern const unsigned char ff_deep3d_cuda_ptx_data[];
extern const unsigned int ff_deep3d_cuda_ptx_len;

struct Deep3DCuda {
    void *log_ctx;
    const Deep3DModel *m;
    Deep3DPack pack;
    Deep3DRenderParams sel;     ///< this frame's: the user's shift, or auto convergence's
    float strength, convergence;    ///< the user's
    int swap;
    int output;                 ///< enum Deep3DCudaOutput

    AVBufferRef *device_ref;
    AVCUDADeviceContext *hwctx;
    CudaFunctions *cu;
    Deep3DSource *source;       ///< the depth; its GPU engine is initialised here
    int source_ready;           ///< the engine is to be freed
    CUmodule module;
    CUfunction input, select, pack_eye;     ///< for this format's sample container
    CUfunction interleave, depth_pic, anaglyph, anaglyph_chroma;
    CUfunction scene_rows, scene_decide, smooth, expected, dilate, hard;
    CUfunction render_pack;     ///< the soft renderer packing both eyes (stereo layouts)
    Deep3DCudaTables tables;    ///< the input taps and sampling positions (axes: in tables_dev)
    CUdeviceptr tables_dev;     ///< their device copy, made at init
    CUfunction conv_histogram, conv_decision;
    Deep3DCudaDriver drv;       ///< event timing and pinned memory
    Deep3DCudaTimers *timers;   ///< per-stage GPU times; NULL below verbose level

    /* All our work (and cuDNN's) is queued on a non-blocking stream of our
     * own, ordered against FFmpeg's by events: ev_in after the input frames,
     * ev_out after the output frames. FFmpeg's may be the legacy NULL stream,
     * which cannot be captured into a graph. */
    CUstream stream;
    CUevent ev_in, ev_out;
    Deep3DCudaGraphs *graphs;   ///< a CUDA graph per batch size (cuda_graph)
    int graph_run;              ///< enum Deep3DCudaGraphRun of the current batch

    AVBufferRef *out_frames;    ///< the output pool (packed size)
    AVBufferRef *eye_frames;    ///< the rendered eye at input size, unless drawn in place
    AVFrame *eye;

    /* the network's batch: batch inputs and probability volumes, one per
     * slot; net_input and probs point at the slot being worked on */
    int batch;
    CUdeviceptr batch_input, batch_probs;
    CUdeviceptr net_input, probs;
    CUdeviceptr shift_int[2], shift_frac[2];    ///< per plane width: luma, chroma
    CUdeviceptr params;         ///< the block holding the shift tables
    size_t device_bytes;

    enum AVPixelFormat sw_format;

    /* temporal steps and render=hard (docs/temporal.md): the per-pixel work
     * runs here, the decisions in deep3d_temporal.c on the host */
    Deep3DTemporal *temporal;
    Deep3DTemporalParams tp;
    int render_hard;
    AVRational time_base, frame_rate;
    CUdeviceptr state, prev_in, ed, rows, hard_scratch;
    /* scene cuts decided on the device (deep3d_scene_decide into `scene`),
     * convergence=auto there too (deep3d_conv_*: the histogram, the state,
     * the shift tables in `params`); what the host logs and counts comes
     * back through pinned memory a batch later: report slot r of the ring
     * holds the batch's frames at reports[r * batch + i], frame numbers and
     * whether the distance was measured beside them, done at report_ev[r] */
    CUdeviceptr scene;              ///< int: this frame's cut decision
    CUdeviceptr conv_hist, conv_state;
    FrameReport *reports;           ///< pinned, REPORT_RING x batch
    CUdeviceptr reports_dev;        ///< the same memory, as the device sees it
    int64_t *report_frame;
    uint8_t *report_measured;
    int report_nb[REPORT_RING];
    CUevent report_ev[REPORT_RING];
    int report_head, report_count, report_cur;
    uint8_t *params_host;           ///< the shift tables and the hard renderer's gain, offset

    int depth, elem_size, shift, uv_comps, chroma_w, chroma_h;
    Deep3DColour colour;        ///< for colorspace / color_range, once colour_set
    enum AVColorSpace colorspace;
    enum AVColorRange color_range;
    int colour_set;

    /* anaglyphs: the mix, the frame's matrix and its inverse (AK_* of
     * cuda/deep3d_cuda.cu), uploaded when the matrix or range changes */
    float mix[3][6];
    CUdeviceptr anaglyph_params;
    CUdeviceptr anaglyph_uv;    ///< subsampled chroma: u, v of the mix at full resolution
    enum AVColorSpace mix_colorspace;
    enum AVColorRange mix_range;
    int mix_set;

    /* throughput, for benchmarks: the work is asynchronous, so the clock
     * stops when the stream has drained, at free */
    int64_t nb_frames, t_first;
    /* and the steady state, on the GPU's clock: from the end of the batch
     * that passes WARMUP_FRAMES to the end of the last one */
    CUevent ev_warm, ev_end;
    int64_t warm_frames;        ///< frames done when ev_warm was recorded; 0: not yet
};

int ff_deep3d_cuda_format_supported(enum AVPixelFormat fmt)
{
    return fmt == AV_PIX_FMT_NV12 || fmt == AV_PIX_FMT_P010 ||
           fmt == AV_PIX_FMT_YUV420P || fmt == AV_PIX_FMT_YUV444P;
}

int ff_deep3d_cuda_driver_present(void)
{
#if defined(_WIN32)
    HMODULE lib = LoadLibraryA("nvcuda.dll");
    if (lib)
        FreeLibrary(lib);
#else
    void *lib = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (lib)
        dlclose(lib);
#endif
    return lib != NULL;
}

int ff_deep3d_cuda_probe(void *log_ctx, const Deep3DSource *src, const char *cudnn_path)
{
    Deep3DSourceDeviceConfig cfg = { .source = src, .cudnn_path = cudnn_path };

    if (!src->ops->device) {
        av_log(log_ctx, AV_LOG_ERROR, "The %s depth source has no GPU engine.\n", src->ops->name);
        return AVERROR(ENOSYS);
    }
    return src->ops->device->probe(log_ctx, &cfg);
}

static int dev_alloc(Deep3DCuda *c, CUdeviceptr *p, size_t bytes, const char *what)
{
    return ff_deep3d_cuda_alloc(c->log_ctx, c->cu, p, bytes, what, &c->device_bytes);
}

/* A frame pool of this device: CUDA frames of sw_format, w x h. */
static int frames_init(Deep3DCuda *c, AVBufferRef **pref, enum AVPixelFormat sw_format,
                       int w, int h)
{
    AVBufferRef *ref = av_hwframe_ctx_alloc(c->device_ref);
    AVHWFramesContext *fc;
    int ret;

    if (!ref)
        return AVERROR(ENOMEM);
    fc = (AVHWFramesContext *)ref->data;
    fc->format    = AV_PIX_FMT_CUDA;
    fc->sw_format = sw_format;
    fc->width     = w;
    fc->height    = h;
    ret = av_hwframe_ctx_init(ref);
    if (ret < 0) {
        av_log(c->log_ctx, AV_LOG_ERROR, "Cannot create a %dx%d %s CUDA frame pool.\n", w, h,
               av_get_pix_fmt_name(sw_format));
        av_buffer_unref(&ref);
        return ret;
    }
    *pref = ref;
    return 0;
}

/* The shift tables for c->sel into c->params (allocated on the first call).
 * Synchronous, after the stream has drained (the frames queued before read
 * the old tables); with convergence=auto the device rewrites them per frame. */
static int upload_params(Deep3DCuda *c)
{
    int D = c->sel.nb_disp, ret;
    size_t bytes = 4 * (size_t)D * 4 + 4 * sizeof(double);
    uint8_t *host = c->params_host;
    Deep3DShift luma = ff_deep3d_shift(&c->sel, c->pack.in_w);
    Deep3DShift chroma = ff_deep3d_shift(&c->sel, c->chroma_w);
    double kc[4] = { luma.gain, luma.offset, chroma.gain, chroma.offset };

    if (!host && !(host = c->params_host = av_malloc(bytes)))
        return AVERROR(ENOMEM);
    /* layout: luma ints, luma floats, chroma ints, chroma floats (4 bytes each),
     * then the hard renderer's gain and offset for luma and chroma (doubles);
     * deep3d_conv_decide() writes the same layout */
    ff_deep3d_cuda_shift_table(&c->sel, c->pack.in_w, (int32_t *)host, (float *)(host + 4 * D));
    ff_deep3d_cuda_shift_table(&c->sel, c->chroma_w, (int32_t *)(host + 8 * D),
                               (float *)(host + 12 * D));
    memcpy(host + 16 * D, kc, sizeof(kc));
    if (!c->params && (ret = dev_alloc(c, &c->params, bytes, "the shift tables")) < 0)
        return ret;
    /* on our stream (non-blocking: it would not wait for a legacy-stream copy) */
    if ((ret = CHECK_CU(c->cu->cuMemcpyHtoDAsync(c->params, host, bytes, c->stream))) < 0 ||
        (ret = CHECK_CU(c->cu->cuStreamSynchronize(c->stream))) < 0)
        return ret;
    c->shift_int[0]  = c->params;
    c->shift_frac[0] = c->params + 4 * D;
    c->shift_int[1]  = c->params + 8 * D;
    c->shift_frac[1] = c->params + 12 * D;
    return 0;
}

static int load_kernels(Deep3DCuda *c)
{
    const char *suffix = c->elem_size == 1 ? "8" : "16";
    char name[32];
    int ret;

    ret = ff_cuda_load_module(c->log_ctx, c->hwctx, &c->module, ff_deep3d_cuda_ptx_data,
                              ff_deep3d_cuda_ptx_len);
    if (ret < 0)
        return ret;
    snprintf(name, sizeof(name), "deep3d_input_%s", suffix);
    if ((ret = CHECK_CU(c->cu->cuModuleGetFunction(&c->input, c->module, name))) < 0)
        return ret;
    snprintf(name, sizeof(name), "deep3d_select_%s", suffix);
    if ((ret = CHECK_CU(c->cu->cuModuleGetFunction(&c->select, c->module, name))) < 0)
        return ret;
    snprintf(name, sizeof(name), "deep3d_render_pack_%s", suffix);
    if ((ret = CHECK_CU(c->cu->cuModuleGetFunction(&c->render_pack, c->module, name))) < 0)
        return ret;
    snprintf(name, sizeof(name), "deep3d_hard_%s", suffix);
    if ((ret = CHECK_CU(c->cu->cuModuleGetFunction(&c->hard, c->module, name))) < 0 ||
        (ret = CHECK_CU(c->cu->cuModuleGetFunction(&c->scene_rows, c->module, "deep3d_scene_rows"))) < 0 ||
        (ret = CHECK_CU(c->cu->cuModuleGetFunction(&c->scene_decide, c->module, "deep3d_scene_decide"))) < 0 ||
        (ret = CHECK_CU(c->cu->cuModuleGetFunction(&c->smooth, c->module, "deep3d_smooth"))) < 0 ||
        (ret = CHECK_CU(c->cu->cuModuleGetFunction(&c->expected, c->module, "deep3d_expected"))) < 0 ||
        (ret = CHECK_CU(c->cu->cuModuleGetFunction(&c->dilate, c->module, "deep3d_dilate"))) < 0 ||
        (ret = CHECK_CU(c->cu->cuModuleGetFunction(&c->conv_histogram, c->module, "deep3d_conv_hist"))) < 0 ||
        (ret = CHECK_CU(c->cu->cuModuleGetFunction(&c->conv_decision, c->module, "deep3d_conv_decide"))) < 0)
        return ret;
    snprintf(name, sizeof(name), "deep3d_interleave_%s", suffix);
    if ((ret = CHECK_CU(c->cu->cuModuleGetFunction(&c->interleave, c->module, name))) < 0)
        return ret;
    snprintf(name, sizeof(name), "deep3d_depth_%s", suffix);
    if ((ret = CHECK_CU(c->cu->cuModuleGetFunction(&c->depth_pic, c->module, name))) < 0)
        return ret;
    snprintf(name, sizeof(name), "deep3d_anaglyph_%s", suffix);
    if ((ret = CHECK_CU(c->cu->cuModuleGetFunction(&c->anaglyph, c->module, name))) < 0)
        return ret;
    snprintf(name, sizeof(name), "deep3d_anaglyph_chroma_%s", suffix);
    if ((ret = CHECK_CU(c->cu->cuModuleGetFunction(&c->anaglyph_chroma, c->module, name))) < 0)
        return ret;
    snprintf(name, sizeof(name), "deep3d_pack_%s", suffix);
    return CHECK_CU(c->cu->cuModuleGetFunction(&c->pack_eye, c->module, name));
}

/* Device and host buffers of the temporal steps and of render=hard. */
static int temporal_alloc(Deep3DCuda *c)
{
    const Deep3DModel *m = c->m;
    size_t npix = (size_t)m->in_w * m->in_h;
    int ret;

    if (c->temporal || c->render_hard) {
        if ((ret = dev_alloc(c, &c->ed, npix * sizeof(float), "the expected disparity")) < 0)
            return ret;
    }
    if (c->render_hard &&
        (ret = dev_alloc(c, &c->hard_scratch, (size_t)c->pack.in_w * c->pack.in_h * 5 *
                         sizeof(float), "the hard renderer's rows")) < 0)
        return ret;
    if (!c->temporal)
        return 0;
    if ((ret = dev_alloc(c, &c->state, npix * m->nb_prob * sizeof(float), "the smoothed volume")) < 0 ||
        (ret = dev_alloc(c, &c->prev_in, npix * 3 * sizeof(float), "the previous input")) < 0 ||
        (ret = dev_alloc(c, &c->rows, (size_t)3 * m->in_h * sizeof(float), "the scene distance")) < 0 ||
        (ret = dev_alloc(c, &c->scene, sizeof(int32_t), "the scene-cut decision")) < 0)
        return ret;
    if (c->tp.auto_conv &&
        ((ret = dev_alloc(c, &c->conv_hist, DEEP3D_CONV_HIST_BINS * sizeof(uint32_t),
                          "the disparity histogram")) < 0 ||
         (ret = dev_alloc(c, &c->conv_state, 2 * sizeof(double), "the convergence state")) < 0 ||
         (ret = CHECK_CU(c->cu->cuMemsetD8Async(c->conv_hist, 0, DEEP3D_CONV_HIST_BINS *
                                                sizeof(uint32_t), c->stream))) < 0 ||
         (ret = CHECK_CU(c->cu->cuMemsetD8Async(c->conv_state, 0, 2 * sizeof(double),
                                                c->stream))) < 0))
        return ret;
    if (!(c->report_frame = av_calloc((size_t)REPORT_RING * c->batch, sizeof(*c->report_frame))) ||
        !(c->report_measured = av_calloc((size_t)REPORT_RING * c->batch, 1)))
        return AVERROR(ENOMEM);
    if ((ret = CHECK_CU(c->drv.cuMemAllocHost((void **)&c->reports, (size_t)REPORT_RING *
                                              c->batch * sizeof(FrameReport)))) < 0) {
        c->reports = NULL;
        return ret;
    }
    if ((ret = CHECK_CU(c->drv.cuMemHostGetDevicePointer(&c->reports_dev, c->reports, 0))) < 0)
        return ret;
    for (int i = 0; i < REPORT_RING; i++)
        if ((ret = CHECK_CU(c->cu->cuEventCreate(&c->report_ev[i], CU_EVENT_DISABLE_TIMING))) < 0) {
            c->report_ev[i] = NULL;
            return ret;
        }
    return 0;
}

/*
 * The reports of the batches that have reached the host, in frame order, to
 * the temporal module (scene-cut log lines and reset count, auto convergence
 * debug lines); wait: all of them, else those whose batch has completed,
 * stopping at the first that has not.
 */
static int reports_drain(Deep3DCuda *c, int wait)
{
    while (c->report_count) {
        int r = c->report_head, ret;
        CUresult res = wait ? c->cu->cuEventSynchronize(c->report_ev[r]) :
                              c->cu->cuEventQuery(c->report_ev[r]);
        if (res == DEEP3D_CU_NOT_READY)
            return 0;
        if ((ret = CHECK_CU(res)) < 0)
            return ret;
        for (int i = 0; i < c->report_nb[r]; i++) {
            int k = r * c->batch + i;
            if (c->report_measured[k])
                ff_deep3d_temporal_scene_result(c->temporal, c->log_ctx, c->report_frame[k],
                                                c->reports[k].dist);
            if (c->tp.auto_conv)
                ff_deep3d_temporal_log_conv(c->log_ctx, &c->reports[k].conv);
        }
        c->report_head = (r + 1) % REPORT_RING;
        c->report_count--;
    }
    return 0;
}

/* A report slot for the batch about to be queued: the landed ones read, the
 * oldest waited for when all are in flight. Outside any graph capture. */
static int reports_reserve(Deep3DCuda *c, int nb)
{
    int ret;

    if (!c->temporal)
        return 0;
    if ((ret = reports_drain(c, 0)) < 0)
        return ret;
    if (c->report_count == REPORT_RING &&
        ((ret = CHECK_CU(c->cu->cuEventSynchronize(c->report_ev[c->report_head]))) < 0 ||
         (ret = reports_drain(c, 0)) < 0))
        return ret;
    c->report_cur = (c->report_head + c->report_count) % REPORT_RING;
    c->report_nb[c->report_cur] = nb;
    return 0;
}

/* The batch's reports are queued: their event follows the batch's work. */
static int reports_commit(Deep3DCuda *c)
{
    int ret;

    if (!c->temporal)
        return 0;
    if ((ret = CHECK_CU(c->cu->cuEventRecord(c->report_ev[c->report_cur], c->stream))) < 0)
        return ret;
    c->report_count++;
    return 0;
}

/* The anaglyph kernels' parameter block and, for subsampled chroma, the
 * full-resolution u and v of the mix. */
static int anaglyph_alloc(Deep3DCuda *c)
{
    int ret;

    if (c->output != DEEP3D_OUTPUT_ANAGLYPH)
        return 0;
    if ((ret = dev_alloc(c, &c->anaglyph_params, ANAGLYPH_PARAMS * sizeof(float),
                         "the anaglyph matrices")) < 0)
        return ret;
    if (c->chroma_w != c->pack.in_w || c->chroma_h != c->pack.in_h)
        return dev_alloc(c, &c->anaglyph_uv, 2 * (size_t)c->pack.in_w * c->pack.in_h *
                         sizeof(float), "the anaglyph chroma");
    return 0;
}

/* Whether render_pack draws and packs both eyes (the soft renderer in the
 * stereo layouts); else the rendered eye is a kernel of its own. */
static int render_packed(const Deep3DCuda *c)
{
    return c->output == DEEP3D_OUTPUT_STEREO && !c->render_hard;
}

/* Whether the rendered eye needs a frame of its own: render=hard's eye
 * squeezed before packing or interleaved, and anaglyphs (combined with the
 * input by their kernel). render_pack needs none. */
static int eye_frame_needed(const Deep3DCuda *c)
{
    if (render_packed(c))
        return 0;
    return c->pack.half_w || c->pack.half_h || c->pack.interleave ||
           c->output == DEEP3D_OUTPUT_ANAGLYPH;
}

/* The frame kernels' tables for this frame size, on the device. */
static int tables_init(Deep3DCuda *c)
{
    const Deep3DModel *m = c->m;
    int ret = ff_deep3d_cuda_tables_build(&c->tables, c->pack.in_w, c->pack.in_h, c->chroma_w,
                                          c->chroma_h, m->in_w, m->in_h, c->sel.net_w,
                                          c->sel.net_h);
    if (ret < 0)
        return ret;
    if ((ret = dev_alloc(c, &c->tables_dev, c->tables.size, "the frame kernels' tables")) < 0 ||
        (ret = CHECK_CU(c->cu->cuMemcpyHtoD(c->tables_dev, c->tables.host, c->tables.size))) < 0)
        return ret;
    ff_deep3d_cuda_tables_place(&c->tables, c->tables_dev);
    return 0;
}

int ff_deep3d_cuda_init(Deep3DCuda **pc, void *log_ctx, const Deep3DCudaConfig *cfg,
                        AVBufferRef *in_frames, AVBufferRef **out_frames)
{
    AVHWFramesContext *in_fc = (AVHWFramesContext *)in_frames->data;
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(in_fc->sw_format);
    const Deep3DModel *m = cfg->source->geometry;
    Deep3DSourceDeviceConfig dcfg = {
        .source = cfg->source, .cudnn_path = cfg->cudnn_path, .precision = cfg->precision,
        .batch = FFMAX(cfg->batch, 1),
    };
    AVCUDADeviceContext *hwctx;
    Deep3DCuda *c;
    CUcontext dummy;
    int ret, pushed = 0, graph_mode;

    *pc = NULL;
    *out_frames = NULL;
    if (!ff_deep3d_cuda_format_supported(in_fc->sw_format)) {
        av_log(log_ctx, AV_LOG_ERROR, "CUDA frames of %s are not supported: the GPU path takes "
               "nv12, p010le, yuv420p and yuv444p (convert with scale_cuda=format=nv12, or "
               "hwdownload for the CPU path).\n", av_get_pix_fmt_name(in_fc->sw_format));
        return AVERROR(EINVAL);
    }
    if (in_fc->device_ctx->type != AV_HWDEVICE_TYPE_CUDA) {
        av_log(log_ctx, AV_LOG_ERROR, "The input frames are not on a CUDA device.\n");
        return AVERROR(EINVAL);
    }
    hwctx = in_fc->device_ctx->hwctx;
    dcfg.hwctx = hwctx;

    c = av_mallocz(sizeof(*c));
    if (!c)
        return AVERROR(ENOMEM);
    c->log_ctx = log_ctx;
    c->m       = m;
    c->source  = cfg->source;
    c->pack    = *cfg->pack;
    c->sel     = ff_deep3d_render_params(m, cfg->strength, cfg->convergence, cfg->renormalize);
    c->strength    = cfg->strength;
    c->convergence = cfg->convergence;
    c->swap    = cfg->swap;
    c->output  = cfg->output;
    c->batch   = FFMAX(cfg->batch, 1);
    if (c->batch > DEEP3D_CUDA_MAX_BATCH) {
        av_log(log_ctx, AV_LOG_ERROR, "batch=%d: the GPU path takes at most %d frames.\n",
               c->batch, DEEP3D_CUDA_MAX_BATCH);
        ret = AVERROR(EINVAL);
        goto fail;
    }
    if (c->output == DEEP3D_OUTPUT_ANAGLYPH &&
        (ret = ff_deep3d_anaglyph_matrix(cfg->anaglyph, c->mix)) < 0) {
        av_log(log_ctx, AV_LOG_ERROR, "Unknown anaglyph type %d.\n", cfg->anaglyph);
        goto fail;
    }
    c->hwctx   = hwctx;
    c->render_hard = cfg->render == DEEP3D_RENDER_HARD;
    c->time_base   = cfg->time_base;
    c->frame_rate  = cfg->frame_rate;
    if (cfg->temporal) {
        c->tp = *cfg->temporal;
        if ((ret = ff_deep3d_temporal_init(&c->temporal, m, &c->tp)) < 0)
            goto fail;
    }
    c->sw_format = in_fc->sw_format;
    c->depth     = desc->comp[0].depth;
    c->elem_size = desc->comp[0].depth + desc->comp[0].shift > 8 ? 2 : 1;
    c->shift     = desc->comp[0].shift;
    c->uv_comps  = desc->comp[1].plane == desc->comp[2].plane ? 2 : 1;
    c->chroma_w  = AV_CEIL_RSHIFT(c->pack.in_w, desc->log2_chroma_w);
    c->chroma_h  = AV_CEIL_RSHIFT(c->pack.in_h, desc->log2_chroma_h);
    c->device_ref = av_buffer_ref(in_fc->device_ref);
    if (!c->device_ref) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }

    /* the source's runtime (cuDNN) first: its absence is the likelier failure, and the
     * one to report */
    if ((ret = ff_deep3d_cuda_probe(log_ctx, cfg->source, cfg->cudnn_path)) < 0)
        goto fail;
    if (!hwctx->internal || !hwctx->internal->cuda_dl) {
        av_log(log_ctx, AV_LOG_ERROR, "The CUDA device of the input frames is not initialised.\n");
        ret = AVERROR(EINVAL);
        goto fail;
    }
    c->cu = hwctx->internal->cuda_dl;
    if ((ret = ff_deep3d_cuda_driver_load(&c->drv, log_ctx)) < 0)
        goto fail;

    ret = frames_init(c, &c->out_frames, in_fc->sw_format, c->pack.out_w, c->pack.pic_h);
    if (ret < 0)
        goto fail;
    if (eye_frame_needed(c)) {
        c->eye = av_frame_alloc();
        if (!c->eye) {
            ret = AVERROR(ENOMEM);
            goto fail;
        }
        ret = frames_init(c, &c->eye_frames, in_fc->sw_format, c->pack.in_w, c->pack.in_h);
        if (ret >= 0)
            ret = av_hwframe_get_buffer(c->eye_frames, c->eye, 0);
        if (ret < 0)
            goto fail;
    }

    ret = CHECK_CU(c->cu->cuCtxPushCurrent(hwctx->cuda_ctx));
    if (ret < 0)
        goto fail;
    pushed = 1;
    if ((ret = CHECK_CU(c->cu->cuStreamCreate(&c->stream, DEEP3D_CU_STREAM_NON_BLOCKING))) < 0 ||
        (ret = CHECK_CU(c->cu->cuEventCreate(&c->ev_in, CU_EVENT_DISABLE_TIMING))) < 0 ||
        (ret = CHECK_CU(c->cu->cuEventCreate(&c->ev_out, CU_EVENT_DISABLE_TIMING))) < 0)
        goto fail;
    /* graphs only where the source's engine can be captured (the ONNX one waits in a run) */
    graph_mode = cfg->cuda_graph;
    if (!c->source->ops->device->capturable && graph_mode != DEEP3D_CUDA_GRAPH_OFF) {
        av_log(log_ctx, graph_mode == DEEP3D_CUDA_GRAPH_ON ? AV_LOG_ERROR : AV_LOG_VERBOSE,
               "cuda_graph: the %s depth source's GPU engine cannot be captured into a CUDA "
               "graph%s.\n", c->source->ops->name,
               graph_mode == DEEP3D_CUDA_GRAPH_ON ? " (cuda_graph=on)" : ": plain launches");
        if (graph_mode == DEEP3D_CUDA_GRAPH_ON) {
            ret = AVERROR(ENOSYS);
            goto fail;
        }
        graph_mode = DEEP3D_CUDA_GRAPH_OFF;
    }
    if ((ret = ff_deep3d_cuda_graphs_init(&c->graphs, log_ctx, c->cu, &c->drv, graph_mode,
                                          c->batch)) < 0)
        goto fail;
    dcfg.stream = c->stream;
    c->source_ready = 1;
    if ((ret = c->source->ops->device->init(c->source, log_ctx, &dcfg)) < 0 ||
        (ret = load_kernels(c)) < 0 ||
        (ret = dev_alloc(c, &c->batch_input, (size_t)c->batch * 3 * m->in_w * m->in_h *
                         sizeof(float), "the network input")) < 0 ||
        (ret = dev_alloc(c, &c->batch_probs, (size_t)c->batch * m->nb_prob * m->in_w *
                         m->in_h * sizeof(float), "the probabilities")) < 0 ||
        (ret = upload_params(c)) < 0 ||
        (ret = tables_init(c)) < 0 ||
        (ret = temporal_alloc(c)) < 0 ||
        (ret = anaglyph_alloc(c)) < 0)
        goto fail;
    /* the summary is logged at verbose level: below it, no events are recorded */
    if (av_log_get_level() >= AV_LOG_VERBOSE &&
        (ret = ff_deep3d_cuda_timers_init(&c->timers, log_ctx, c->cu, &c->drv, c->batch)) < 0)
        goto fail;
    /* the initial uploads and clears (upload_params is synchronous, the clears are ours) */
    if ((ret = CHECK_CU(c->cu->cuStreamSynchronize(c->stream))) < 0)
        goto fail;
    CHECK_CU(c->cu->cuCtxPopCurrent(&dummy));
    pushed = 0;
    c->net_input = c->batch_input;
    c->probs     = c->batch_probs;

    *out_frames = av_buffer_ref(c->out_frames);
    if (!*out_frames) {
        ret = AVERROR(ENOMEM);
        goto fail;
    }
    *pc = c;
    return 0;

fail:
    if (pushed)
        CHECK_CU(c->cu->cuCtxPopCurrent(&dummy));
    ff_deep3d_cuda_free(&c);
    return ret;
}

/*
 * Every kernel launch of this file goes through here, so that a batch can be
 * launched plainly or captured into / replayed from a CUDA graph in one place.
 */
static int launch(Deep3DCuda *c, CUfunction f, unsigned gx, unsigned gy, unsigned gz,
                  unsigned bx, unsigned by, unsigned bz, unsigned shared, void **args)
{
    if (c->graph_run != DEEP3D_GRAPH_PLAIN)
        return ff_deep3d_cuda_graphs_launch(c->graphs, c->stream, f, gx, gy, gz, bx, by, bz,
                                            shared, args);
    return CHECK_CU(c->cu->cuLaunchKernel(f, gx, gy, gz, bx, by, bz, shared, c->stream, args,
                                          NULL));
}

/* One thread per pixel of a w x h picture, in BLOCK_X x BLOCK_Y blocks. */
static int launch_2d(Deep3DCuda *c, CUfunction f, int w, int h, void **args)
{
    return launch(c, f, FFALIGN(w, BLOCK_X) / BLOCK_X, FFALIGN(h, BLOCK_Y) / BLOCK_Y, 1,
                  BLOCK_X, BLOCK_Y, 1, 0, args);
}

/* One thread per element of n, in blocks of 256. */
static int launch_1d(Deep3DCuda *c, CUfunction f, long long n, void **args)
{
    return launch(c, f, FFALIGN(n, 256) / 256, 1, 1, 256, 1, 1, 0, args);
}

/* The end of a stage on the stream, for the timers (when on). A graph's
 * batch is timed as a whole (ff_deep3d_cuda_timers_whole()): an event
 * recorded while capturing is no timing point when the graph runs. */
static int mark(Deep3DCuda *c, enum Deep3DStage stage, int frame)
{
    if (!c->timers || c->graph_run != DEEP3D_GRAPH_PLAIN)
        return 0;
    return ff_deep3d_cuda_timers_mark(c->timers, c->stream, stage, frame);
}

/* Point net_input and probs at slot i of the batch. */
static void use_slot(Deep3DCuda *c, int i)
{
    size_t npix = (size_t)c->m->in_w * c->m->in_h;

    c->net_input = c->batch_input + i * 3 * npix * sizeof(float);
    c->probs     = c->batch_probs + i * c->m->nb_prob * npix * sizeof(float);
}

/* The colour coefficients of the CPU path for in's tags; recomputed (and any
 * warning given) when the tags change. */
static void set_colour(Deep3DCuda *c, const AVFrame *in)
{
    if (in->colorspace != c->colorspace || in->color_range != c->color_range || !c->colour_set) {
        ff_deep3d_colour_init(&c->colour, c->log_ctx, c->sw_format, in->colorspace,
                              in->color_range);
        c->colorspace  = in->colorspace;
        c->color_range = in->color_range;
        c->colour_set  = 1;
    }
}

/* The network input of frames in[0 .. nb - 1] into their slots: one launch
 * (gridDim.z = slot), each frame with its own colour tags. */
static int run_input(Deep3DCuda *c, AVFrame *const *in, int nb)
{
    const Deep3DModel *m = c->m;
    Deep3DColour colour[DEEP3D_CUDA_MAX_BATCH];
    const Deep3DColour *pc[DEEP3D_CUDA_MAX_BATCH];
    Deep3DInputArgs a;
    void *args[] = { &a };

    for (int i = 0; i < nb; i++) {
        set_colour(c, in[i]);
        colour[i] = c->colour;
        pc[i] = &colour[i];
    }
    ff_deep3d_cuda_input_args(&a, &c->tables, m, (const AVFrame *const *)in, pc, nb,
                              c->uv_comps, c->shift, c->batch_input);
    return launch(c, c->input, FFALIGN(m->in_w, DEEP3D_IN_BLOCK_X) / DEEP3D_IN_BLOCK_X,
                  FFALIGN(m->in_h, DEEP3D_IN_BLOCK_Y) / DEEP3D_IN_BLOCK_Y, nb,
                  DEEP3D_IN_BLOCK_X, DEEP3D_IN_BLOCK_Y, 1, 0, args);
}

/* Both eyes of in into out in one launch (gridDim.z = plane): the input eye
 * packed, the rendered one (when shown) drawn by the soft renderer from the
 * current probabilities into shared memory and packed from there. */
static int run_render_pack(Deep3DCuda *c, AVFrame *out, const AVFrame *in, int rendered)
{
    uint64_t si[2] = { c->shift_int[0], c->shift_int[1] };
    uint64_t sf[2] = { c->shift_frac[0], c->shift_frac[1] };
    Deep3DRenderPackArgs a;
    unsigned grid[3], shared;
    void *args[] = { &a };

    ff_deep3d_cuda_render_pack_args(&a, &c->tables, &c->pack, &c->sel, c->swap, rendered,
                                    c->depth, in, out, c->probs, si, sf, grid, &shared);
    return launch(c, c->render_pack, grid[0], grid[1], grid[2], DEEP3D_RP_TILE_W,
                  DEEP3D_RP_TILE_H, 1, shared, args);
}

/* A source with its own input (an ONNX model's size and normalisation) reads the frame itself. */
static int run_source_input(Deep3DCuda *c, const AVFrame *in, int slot)
{
    int v = c->uv_comps == 2 ? 1 : 2;
    Deep3DSourceFrame f = {
        .data  = { (uint64_t)(uintptr_t)in->data[0], (uint64_t)(uintptr_t)in->data[1],
                   (uint64_t)(uintptr_t)in->data[v] },
        .pitch = { in->linesize[0], in->linesize[1], in->linesize[v] },
        .w = c->pack.in_w, .h = c->pack.in_h, .cw = c->chroma_w, .ch = c->chroma_h,
        .uv_comps = c->uv_comps, .shift = c->shift, .elem_size = c->elem_size,
        .colour = &c->colour,
    };
    return c->source->ops->device->input(c->source, &f, slot);
}

static int run_select(Deep3DCuda *c, const Deep3DPackPlane *pl, const uint8_t *src_p, int src_pitch,
                      uint8_t *dst_p, int dst_pitch)
{
    CUdeviceptr src = (CUdeviceptr)src_p, dst = (CUdeviceptr)dst_p;
    int w = pl->w, h = pl->h, comps = pl->bytes_per_pixel / pl->elem_size, shift = pl->shift;
    int maxval = (1 << c->depth) - 1, nw = c->sel.net_w, nh = c->sel.net_h, D = c->sel.nb_disp;
    int renorm = c->sel.renormalize, t = pl->w != c->pack.in_w;
    void *args[] = { &src, &src_pitch, &dst, &dst_pitch, &w, &h, &comps, &shift, &maxval,
                     &c->probs, &nw, &nh, &D, &c->shift_int[t], &c->shift_frac[t], &renorm };

    return launch_2d(c, c->select, w, h, args);
}

static int run_pack(Deep3DCuda *c, const Deep3DPackPlane *pl, const uint8_t *src_p, int src_pitch,
                    uint8_t *dst_p, int dst_pitch)
{
    CUdeviceptr src = (CUdeviceptr)src_p, dst = (CUdeviceptr)dst_p;
    int eye_w = pl->eye_w, eye_h = pl->eye_h, src_w = pl->w, src_h = pl->h;
    int comps = pl->bytes_per_pixel / pl->elem_size, half_w = c->pack.half_w;
    int half_h = c->pack.half_h, shift = pl->shift;
    void *args[] = { &src, &src_pitch, &dst, &dst_pitch, &eye_w, &eye_h, &src_w, &src_h,
                     &comps, &half_w, &half_h, &shift };

    return launch_2d(c, c->pack_eye, eye_w, eye_h, args);
}


static int run_expected(Deep3DCuda *c, CUdeviceptr probs)
{
    int npix = c->m->in_w * c->m->in_h, D = c->m->nb_disp, dmin = c->m->disp_min;
    float dmax = c->m->disp_max;
    void *args[] = { &probs, &c->ed, &npix, &D, &dmin, &dmax };
    return launch_1d(c, c->expected, npix, args);
}

/*
 * Smoothing, resets, dilation and auto convergence at network resolution
 * (deep3d_temporal.c does the same on the CPU) for frame f of the batch.
 * The timestamp resets are decided on the host; the scene cut on the device
 * (deep3d_scene_decide, the same sums in the same order and precision as the
 * CPU path), which the smoothing and auto convergence kernels read there;
 * convergence=auto on the device too (deep3d_conv_*, the same steps as
 * ff_deep3d_temporal_auto_conv()), rewriting the shift tables. No wait:
 * what the host logs and counts arrives through the batch's report slot
 * (reports_drain). The launches are the same for every frame (the scene
 * kernels run on frames the host resets too, deciding nothing), so a batch
 * keeps the shape of its CUDA graph.
 */
static int run_temporal(Deep3DCuda *c, const AVFrame *in, int f)
{
    const Deep3DModel *m = c->m;
    int npix = m->in_w * m->in_h, K = m->nb_prob, nw = m->in_w, nb_rows = 3 * m->in_h;
    float alpha0 = ff_deep3d_temporal_alpha0(c->temporal);
    float inv_motion = ff_deep3d_temporal_inv_motion(c->temporal);
    int k = c->report_cur * c->batch + f;
    CUdeviceptr report = c->reports_dev + k * sizeof(FrameReport);
    CUdeviceptr cut = 0;
    int64_t frame, resets;
    int fresh, measure, ret;

    /* this frame's index: the count before it */
    ff_deep3d_temporal_stats(c->temporal, &frame, &resets);
    fresh = ff_deep3d_temporal_begin_deferred(c->temporal, c->log_ctx, in->pts, c->time_base,
                                              c->frame_rate, &measure);
    c->report_frame[k]    = frame;
    c->report_measured[k] = measure;
    if (c->tp.scenecut > 0) {
        double denom = 3.0 * m->in_w * m->in_h;
        float levels = 255.0f / m->input_scale, scenecut = c->tp.scenecut;
        CUdeviceptr dist = report + offsetof(FrameReport, dist);
        void *rows_args[] = { &c->net_input, &c->prev_in, &c->rows, &nw, &nb_rows };
        void *dec_args[]  = { &c->rows, &nb_rows, &denom, &levels, &scenecut, &measure,
                              &c->scene, &dist };

        cut = c->scene;
        if ((ret = launch_1d(c, c->scene_rows, nb_rows, rows_args)) < 0 ||
            (ret = launch_1d(c, c->scene_decide, 1, dec_args)) < 0)
            return ret;
    }
    {
        int fr = fresh || c->tp.smooth <= 0;
        void *args[] = { &c->net_input, &c->prev_in, &c->probs, &c->state, &npix, &K,
                         &alpha0, &inv_motion, &fr, &cut };
        if ((ret = launch_1d(c, c->smooth, npix, args)) < 0)
            return ret;
    }
    if ((c->tp.dilate > 0 || c->tp.auto_conv) && (ret = run_expected(c, c->state)) < 0)
        return ret;
    if (c->tp.dilate > 0) {
        int nh = m->in_h, r = c->tp.dilate;
        void *args[] = { &c->state, &c->ed, &c->probs, &nw, &nh, &K, &r };
        ret = launch_2d(c, c->dilate, nw, nh, args);
        if (ret < 0)
            return ret;
    } else {
        /* the renderer reads the smoothed volume where it is (no copy): the
         * next frame's smoothing is queued after this frame's rendering */
        c->probs = c->state;
    }
    if (c->tp.auto_conv) {
        Deep3DConvConsts kc;
        int dmin = m->disp_min, dmax = m->disp_max, dw = m->disp_width, D = m->nb_disp;
        int lw = c->pack.in_w, cw = c->chroma_w;
        float strength = c->strength;
        CUdeviceptr tables = c->params, hard_kc = c->params + 16 * D;
        CUdeviceptr conv = report + offsetof(FrameReport, conv);
        void *hist_args[] = { &c->ed, &npix, &dmin, &kc.range, &c->conv_hist };
        void *dec_args[]  = { &c->conv_hist, &kc, &c->conv_state, &fresh, &cut, &strength,
                              &dmin, &dmax, &dw, &D, &lw, &cw, &tables, &hard_kc, &conv };

        ff_deep3d_temporal_conv_consts(c->temporal, strength, &kc);
        if ((ret = launch_1d(c, c->conv_histogram, npix, hist_args)) < 0 ||
            (ret = launch_1d(c, c->conv_decision, 1, dec_args)) < 0)
            return ret;
    }
    return 0;
}

static int run_hard(Deep3DCuda *c, const Deep3DPackPlane *pl, const uint8_t *src_p, int src_pitch,
                    uint8_t *dst_p, int dst_pitch)
{
    CUdeviceptr src = (CUdeviceptr)src_p, dst = (CUdeviceptr)dst_p;
    int w = pl->w, h = pl->h, comps = pl->bytes_per_pixel / pl->elem_size, shift = pl->shift;
    int maxval = (1 << c->depth) - 1, nw = c->sel.net_w, nh = c->sel.net_h;
    /* as deep3d_render_hard.c: shift = E[d] * gain + offset, in this plane's samples,
     * gain and offset from the parameter block (upload_params, deep3d_conv_decide) */
    CUdeviceptr kc = c->params + 16 * c->sel.nb_disp + (w != c->pack.in_w) * 2 * sizeof(double);
    void *args[] = { &src, &src_pitch, &dst, &dst_pitch, &w, &h, &comps, &shift, &maxval,
                     &c->ed, &nw, &nh, &kc, &c->hard_scratch };

    return launch_1d(c, c->hard, h, args);
}

static uint8_t *slot(const AVFrame *out, const Deep3DPackPlane *pl, int i, int right)
{
    int x = right ? pl->right_x : pl->left_x, y = right ? pl->right_y : pl->left_y;
    return out->data[i] + (ptrdiff_t)y * out->linesize[i] + (ptrdiff_t)x * pl->bytes_per_pixel;
}

static int run_interleave(Deep3DCuda *c, AVFrame *out, const AVFrame *left,
                          const AVFrame *right)
{
    const Deep3DPack *p = &c->pack;
    const AVFrame *even = p->right_on_even ? right : left;
    const AVFrame *odd  = p->right_on_even ? left : right;
    int ret;

    for (int i = 0; i < p->nb_planes; i++) {
        const Deep3DPackPlane *pl = &p->planes[i];
        CUdeviceptr e = (CUdeviceptr)even->data[i], o = (CUdeviceptr)odd->data[i];
        CUdeviceptr d = (CUdeviceptr)out->data[i];
        int ep = even->linesize[i], op = odd->linesize[i], dp = out->linesize[i];
        int w = pl->eye_w, h = pl->eye_h, comps = pl->bytes_per_pixel / pl->elem_size;
        int sub_y = pl->sub_y, luma_h = p->in_h, shift = pl->shift;
        int sub_x = pl->sub_x, luma_w = p->in_w, weave = p->interleave;
        void *args[] = { &e, &ep, &o, &op, &d, &dp, &w, &h, &comps, &sub_y, &luma_h, &shift,
                         &sub_x, &luma_w, &weave };

        ret = launch_2d(c, c->interleave, w, h, args);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/*
 * The parameter block of the anaglyph kernels for the colour of the frame
 * (c->colour, set by run_input): the mix, the inverse of the YUV to RGB
 * matrix of ff_deep3d_colour_init() and that matrix's offsets and scales.
 * Synchronous, after the stream has drained: the previous frame's kernels
 * may still read the old block.
 */
static int anaglyph_params(Deep3DCuda *c)
{
    const Deep3DColour *k = &c->colour;
    /* rgb = A (y, u, v): A = [1 0 crv; 1 cgu cgv; 1 cbu 0] */
    double a[3][3] = { { 1, 0, k->crv }, { 1, k->cgu, k->cgv }, { 1, k->cbu, 0 } };
    double det = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
                 a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
                 a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
    float host[ANAGLYPH_PARAMS];
    int ret;

    if (c->mix_set && c->mix_colorspace == c->colorspace && c->mix_range == c->color_range)
        return 0;
    if (fabs(det) < 1e-9) {
        av_log(c->log_ctx, AV_LOG_ERROR, "The colour matrix cannot be inverted.\n");
        return AVERROR(EINVAL);
    }
    memcpy(host, c->mix, sizeof(c->mix));
    /* the inverse by cofactors: inv[i][j] = C[j][i] / det */
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            int r0 = (j + 1) % 3, r1 = (j + 2) % 3, c0 = (i + 1) % 3, c1 = (i + 2) % 3;
            host[18 + 3 * i + j] = (a[r0][c0] * a[r1][c1] - a[r0][c1] * a[r1][c0]) / det;
        }
    host[27] = k->y_off; host[28] = k->y_mul; host[29] = k->c_off; host[30] = k->c_mul;
    host[31] = k->crv;   host[32] = k->cgu;   host[33] = k->cgv;   host[34] = k->cbu;
    if ((ret = CHECK_CU(c->cu->cuStreamSynchronize(c->stream))) < 0 ||
        (ret = CHECK_CU(c->cu->cuMemcpyHtoDAsync(c->anaglyph_params, host, sizeof(host),
                                                 c->stream))) < 0 ||
        (ret = CHECK_CU(c->cu->cuStreamSynchronize(c->stream))) < 0)
        return ret;
    c->mix_colorspace = c->colorspace;
    c->mix_range      = c->color_range;
    c->mix_set        = 1;
    return 0;
}

/* The anaglyph of left and right into out (one eye's size), YUV -> RGB ->
 * mix -> YUV per pixel; subsampled chroma in a second pass. */
static int run_anaglyph(Deep3DCuda *c, AVFrame *out, const AVFrame *left,
                        const AVFrame *right)
{
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(c->sw_format);
    const AVFrame *f[3] = { left, right, out };
    CUdeviceptr py[3], pu[3], pv[3];
    int pitch_y[3], pitch_c[3], ret;
    int w = c->pack.in_w, h = c->pack.in_h, cw = c->chroma_w, ch = c->chroma_h;
    int sub_x = desc->log2_chroma_w, sub_y = desc->log2_chroma_h, uv_comps = c->uv_comps;
    int shift = c->shift, maxval = (1 << c->depth) - 1;

    if ((ret = anaglyph_params(c)) < 0)
        return ret;
    for (int i = 0; i < 3; i++) {
        py[i] = (CUdeviceptr)f[i]->data[0];
        pu[i] = (CUdeviceptr)f[i]->data[1];
        pv[i] = (CUdeviceptr)f[i]->data[uv_comps == 2 ? 1 : 2];
        pitch_y[i] = f[i]->linesize[0];
        pitch_c[i] = f[i]->linesize[1];
    }
    {
        void *args[] = { &py[0], &pu[0], &pv[0], &pitch_y[0], &pitch_c[0],
                         &py[1], &pu[1], &pv[1], &pitch_y[1], &pitch_c[1],
                         &py[2], &pu[2], &pv[2], &pitch_y[2], &pitch_c[2],
                         &w, &h, &cw, &ch, &sub_x, &sub_y, &uv_comps, &shift, &maxval,
                         &c->anaglyph_params, &c->anaglyph_uv };
        ret = launch_2d(c, c->anaglyph, w, h, args);
        if (ret < 0 || (!sub_x && !sub_y))
            return ret;
    }
    {
        void *args[] = { &c->anaglyph_uv, &w, &h, &pu[2], &pv[2], &pitch_c[2], &cw, &ch,
                         &sub_x, &sub_y, &uv_comps, &shift, &maxval, &c->anaglyph_params };
        return launch_2d(c, c->anaglyph_chroma, cw, ch, args);
    }
}

/* The depth picture into out (one eye's size): luma from the probabilities,
 * chroma neutral. */
static int run_depth(Deep3DCuda *c, AVFrame *out)
{
    const Deep3DPack *p = &c->pack;
    int ret;

    for (int i = 0; i < p->nb_planes; i++) {
        const Deep3DPackPlane *pl = &p->planes[i];
        CUdeviceptr d = (CUdeviceptr)out->data[i];
        int dp = out->linesize[i], w = pl->w, h = pl->h;
        int comps = pl->bytes_per_pixel / pl->elem_size, shift = pl->shift;
        int maxval = (1 << c->depth) - 1, chroma = i > 0;
        int nw = c->sel.net_w, nh = c->sel.net_h, D = c->sel.nb_disp;
        void *args[] = { &d, &dp, &w, &h, &comps, &shift, &maxval, &chroma, &c->probs,
                         &nw, &nh, &D };

        ret = launch_2d(c, c->depth_pic, w, h, args);
        if (ret < 0)
            return ret;
    }
    return 0;
}

/* Whether the network runs for this configuration (else only the input is packed). */
static int network_needed(const Deep3DCuda *c)
{
    const Deep3DPack *p = &c->pack;

    return c->output != DEEP3D_OUTPUT_STEREO || p->interleave ||
           (c->swap ? p->has_left : p->has_right);
}

/*
 * The frame-independent part of the network for nb frames: each frame's
 * input into its slot, then one forward pass of the whole batch. The
 * per-frame steps (temporal, rendering) follow in frame order in
 * run_network(), so the output is that of one frame at a time.
 */
static int run_batch(Deep3DCuda *c, AVFrame *const *in, int nb)
{
    int ret;

    if ((ret = run_input(c, in, nb)) < 0)
        return ret;
    /* a source with an input of its own (ONNX) converts each frame, in its colour */
    for (int i = 0; c->source->ops->device->input && i < nb; i++) {
        use_slot(c, i);
        set_colour(c, in[i]);
        if ((ret = run_source_input(c, in[i], i)) < 0)
            return ret;
    }
    use_slot(c, 0);
    if ((ret = mark(c, DEEP3D_STAGE_INPUT, 0)) < 0)
        return ret;
    /* a replayed graph holds the network's work already (fixed buffers per batch size) */
    if (c->graph_run != DEEP3D_GRAPH_REPLAY &&
        (ret = c->source->ops->device->run(c->source, c->batch_input, c->batch_probs, nb)) < 0)
        return ret;
    return mark(c, DEEP3D_STAGE_NETWORK, 0);
}

/* Temporal steps and (render=hard) the expected disparity of in, whose
 * probabilities are in the current slot. */
static int run_network(Deep3DCuda *c, const AVFrame *in, int f)
{
    int ret;

    /* the anaglyph reads the colour of this frame, not of the batch's last */
    set_colour(c, in);
    if (c->temporal && (ret = run_temporal(c, in, f)) < 0)
        return ret;
    /* the depth picture reads the probabilities, as on the CPU path */
    if (c->render_hard && c->output != DEEP3D_OUTPUT_DEPTH && (ret = run_expected(c, c->probs)) < 0)
        return ret;
    return 0;
}

static int render(Deep3DCuda *c, AVFrame *out, const AVFrame *in, int f)
{
    const Deep3DPack *p = &c->pack;
    /* both eyes whole, combined by one kernel: interleaved rows, anaglyphs */
    int combined = p->interleave || c->output == DEEP3D_OUTPUT_ANAGLYPH;
    /* with swap, the rendered eye takes the left slot and the input the right one */
    int rendered_shown = combined || (c->swap ? p->has_left : p->has_right);
    int input_shown    = c->swap ? p->has_right : p->has_left;
    int to_eye = eye_frame_needed(c), ret;

    if (c->output == DEEP3D_OUTPUT_DEPTH) {
        if ((ret = run_network(c, in, f)) < 0 || (ret = mark(c, DEEP3D_STAGE_TEMPORAL, f)) < 0 ||
            (ret = run_depth(c, out)) < 0 || (ret = mark(c, DEEP3D_STAGE_SELECT, f)) < 0)
            return ret;
        return mark(c, DEEP3D_STAGE_PACK, f);
    }
    if (rendered_shown && (ret = run_network(c, in, f)) < 0)
        return ret;
    if ((ret = mark(c, DEEP3D_STAGE_TEMPORAL, f)) < 0)
        return ret;
    if (render_packed(c)) {
        /* selection and packing in one kernel: its time counts as the selection's */
        if ((ret = run_render_pack(c, out, in, rendered_shown)) < 0 ||
            (ret = mark(c, DEEP3D_STAGE_SELECT, f)) < 0)
            return ret;
        return mark(c, DEEP3D_STAGE_PACK, f);
    }
    if (rendered_shown) {
        for (int i = 0; i < p->nb_planes; i++) {
            const Deep3DPackPlane *pl = &p->planes[i];
            int (*run)(Deep3DCuda *, const Deep3DPackPlane *, const uint8_t *, int, uint8_t *, int) =
                c->render_hard ? run_hard : run_select;
            /* a full-size eye shown as it is is rendered in place */
            ret = to_eye ? run(c, pl, in->data[i], in->linesize[i],
                               c->eye->data[i], c->eye->linesize[i]) :
                           run(c, pl, in->data[i], in->linesize[i],
                               slot(out, pl, i, !c->swap), out->linesize[i]);
            if (ret < 0)
                return ret;
        }
    }
    if ((ret = mark(c, DEEP3D_STAGE_SELECT, f)) < 0)
        return ret;
    if (combined) {
        const AVFrame *left  = c->swap ? c->eye : in;
        const AVFrame *right = c->swap ? in : c->eye;
        if ((ret = p->interleave ? run_interleave(c, out, left, right) :
                                   run_anaglyph(c, out, left, right)) < 0)
            return ret;
        return mark(c, DEEP3D_STAGE_PACK, f);
    }
    for (int i = 0; i < p->nb_planes; i++) {
        const Deep3DPackPlane *pl = &p->planes[i];
        if (input_shown &&
            (ret = run_pack(c, pl, in->data[i], in->linesize[i],
                            slot(out, pl, i, c->swap), out->linesize[i])) < 0)
            return ret;
        if (rendered_shown && to_eye &&
            (ret = run_pack(c, pl, c->eye->data[i], c->eye->linesize[i],
                            slot(out, pl, i, !c->swap), out->linesize[i])) < 0)
            return ret;
    }
    return mark(c, DEEP3D_STAGE_PACK, f);
}

/* The work of a batch, launched in the current way (c->graph_run). */
static int run_sequence(Deep3DCuda *c, AVFrame *const *out, AVFrame *const *in, int nb)
{
    int ret = 0;

    if (network_needed(c))
        ret = run_batch(c, in, nb);
    else if ((ret = mark(c, DEEP3D_STAGE_INPUT, 0)) >= 0)
        ret = mark(c, DEEP3D_STAGE_NETWORK, 0);
    for (int i = 0; i < nb && ret >= 0; i++) {
        use_slot(c, i);
        ret = render(c, out[i], in[i], i);
    }
    return ret;
}

/*
 * Whether the batch can be a graph: all the host work that cannot be
 * captured (the anaglyph's parameter block, uploaded synchronously when the
 * colour tags change) is done first; frames of different tags in one batch
 * (the block would change within it) run plainly.
 */
static int graph_ready(Deep3DCuda *c, AVFrame *const *in, int nb)
{
    int ret;

    if (c->output != DEEP3D_OUTPUT_ANAGLYPH)
        return 1;
    for (int i = 1; i < nb; i++)
        if (in[i]->colorspace != in[0]->colorspace || in[i]->color_range != in[0]->color_range)
            return 0;
    set_colour(c, in[0]);
    if ((ret = anaglyph_params(c)) < 0)
        return ret;
    return 1;
}

/*
 * The batch plainly, or captured into its size's graph and launched, or the
 * graph replayed with this batch's arguments (deep3d_cuda_graph.c). A
 * capture that fails leaves the host state as it was (temporal decisions),
 * and the batch runs again plainly. Timed per stage when plain, as a whole
 * when a graph.
 */
static int run_graphed(Deep3DCuda *c, AVFrame *const *out, AVFrame *const *in, int nb)
{
    Deep3DTemporalMark tmark;
    int ret, again;

    c->graph_run = DEEP3D_GRAPH_PLAIN;
    if (c->graphs && (ret = graph_ready(c, in, nb)) != 0) {
        if (ret < 0)
            return ret;
        if ((ret = ff_deep3d_cuda_graphs_begin(c->graphs, c->stream, nb)) < 0)
            return ret;
        c->graph_run = ret;
    }
    if (c->graph_run == DEEP3D_GRAPH_PLAIN)
        goto plain;
    if (c->temporal)
        ff_deep3d_temporal_mark(c->temporal, &tmark);
    ret = run_sequence(c, out, in, nb);
    again = ff_deep3d_cuda_graphs_end(c->graphs, c->stream, ret >= 0);
    if (again < 0)
        return again;
    if (again) {
        c->graph_run = DEEP3D_GRAPH_PLAIN;
        if (c->temporal)
            ff_deep3d_temporal_rewind(c->temporal, &tmark);
        goto plain;
    }
    if (ret < 0)
        return ret;
    c->graph_run = DEEP3D_GRAPH_PLAIN;
    if (c->timers && (ret = ff_deep3d_cuda_timers_begin(c->timers, c->stream, nb)) < 0)
        return ret;
    if ((ret = ff_deep3d_cuda_graphs_run(c->graphs, c->stream)) < 0)
        return ret;
    return c->timers ? ff_deep3d_cuda_timers_whole(c->timers, c->stream) : 0;

plain:
    if (c->timers && (ret = ff_deep3d_cuda_timers_begin(c->timers, c->stream, nb)) < 0)
        return ret;
    return run_sequence(c, out, in, nb);
}

int ff_deep3d_cuda_render_batch(Deep3DCuda *c, AVFrame *const *out, AVFrame *const *in,
                                int nb)
{
    CUcontext dummy;
    int ret;

    if (nb < 1 || nb > c->batch) {
        av_log(c->log_ctx, AV_LOG_ERROR, "%d frames for a batch of %d.\n", nb, c->batch);
        return AVERROR_BUG;
    }
    for (int i = 0; i < nb; i++)
        if ((ret = av_hwframe_get_buffer(c->out_frames, out[i], 0)) < 0)
            return ret;
    ret = CHECK_CU(c->cu->cuCtxPushCurrent(c->hwctx->cuda_ctx));
    if (ret < 0)
        return ret;
    if (!c->nb_frames)
        c->t_first = av_gettime_relative();
    c->nb_frames += nb;
    if (!c->ev_warm && (ret = CHECK_CU(c->cu->cuEventCreate(&c->ev_warm, CU_EVENT_DEFAULT))) >= 0)
        ret = CHECK_CU(c->cu->cuEventCreate(&c->ev_end, CU_EVENT_DEFAULT));
    if (ret < 0)
        goto end;
    /* our stream after FFmpeg's, which wrote the input frames */
    if ((ret = CHECK_CU(c->cu->cuEventRecord(c->ev_in, c->hwctx->stream))) < 0 ||
        (ret = CHECK_CU(c->cu->cuStreamWaitEvent(c->stream, c->ev_in, 0))) < 0 ||
        (ret = reports_reserve(c, nb)) < 0)
        goto end;
    ret = run_graphed(c, out, in, nb);
    if (ret >= 0)
        ret = reports_commit(c);
    /* FFmpeg's stream after ours: whoever reads the output frames there */
    if (ret >= 0 &&
        ((ret = CHECK_CU(c->cu->cuEventRecord(c->ev_out, c->stream))) < 0 ||
         (ret = CHECK_CU(c->cu->cuStreamWaitEvent(c->hwctx->stream, c->ev_out, 0))) < 0))
        goto end;
    if (ret >= 0 && !c->warm_frames && c->nb_frames >= WARMUP_FRAMES &&
        (ret = CHECK_CU(c->cu->cuEventRecord(c->ev_warm, c->stream))) >= 0)
        c->warm_frames = c->nb_frames;
end:
    c->graph_run = DEEP3D_GRAPH_PLAIN;
    use_slot(c, 0);
    CHECK_CU(c->cu->cuCtxPopCurrent(&dummy));
    return ret;
}

int ff_deep3d_cuda_render(Deep3DCuda *c, AVFrame *out, const AVFrame *in)
{
    return ff_deep3d_cuda_render_batch(c, &out, (AVFrame *const *)&in, 1);
}

int ff_deep3d_cuda_set_shift(Deep3DCuda *c, float strength, float convergence)
{
    CUcontext dummy;
    int ret;

    if (strength == c->strength && convergence == c->convergence)
        return 0;
    c->strength    = strength;
    c->convergence = convergence;
    /* auto convergence sets both per frame from the user's strength */
    if (c->tp.auto_conv && c->temporal)
        return 0;
    c->sel.strength    = strength;
    c->sel.convergence = convergence;
    if ((ret = CHECK_CU(c->cu->cuCtxPushCurrent(c->hwctx->cuda_ctx))) < 0)
        return ret;
    /* the frames queued before read the old tables */
    ret = CHECK_CU(c->cu->cuStreamSynchronize(c->stream));
    if (ret >= 0)
        ret = upload_params(c);
    CHECK_CU(c->cu->cuCtxPopCurrent(&dummy));
    return ret;
}

void *ff_deep3d_cuda_stream(const Deep3DCuda *c)
{
    return c->stream;
}

int ff_deep3d_cuda_batch(const Deep3DCuda *c)
{
    return c->batch;
}

void ff_deep3d_cuda_describe(const Deep3DCuda *c, char *buf, size_t size)
{
    const Deep3DSourceDeviceOps *dev = c->source->ops->device;
    char name[256] = "?", engine[256];

    c->cu->cuDeviceGetName(name, sizeof(name), c->hwctx->internal->cuda_device);
    dev->describe(c->source, engine, sizeof(engine));
    snprintf(buf, size, "%s, %s, %zu MiB of GPU memory", name, engine,
             (c->device_bytes + dev->device_bytes(c->source)) >> 20);
}

void ff_deep3d_cuda_free(Deep3DCuda **pc)
{
    Deep3DCuda *c = *pc;
    CUcontext dummy;

    if (!c)
        return;
    if (c->cu && CHECK_CU(c->cu->cuCtxPushCurrent(c->hwctx->cuda_ctx)) >= 0) {
        float ms = 0;
        int steady = c->warm_frames && c->nb_frames > c->warm_frames &&
                     CHECK_CU(c->cu->cuEventRecord(c->ev_end, c->stream)) >= 0;
        /* nothing of ours may be in flight when it is freed */
        if (c->stream)
            CHECK_CU(c->cu->cuStreamSynchronize(c->stream));
        if (c->nb_frames) {
            double t = (av_gettime_relative() - c->t_first) / 1e6;
            av_log(c->log_ctx, AV_LOG_VERBOSE, "GPU: %"PRId64" frames in %.3f s from the first "
                   "frame to the end of the last one's work: %.1f fps\n", c->nb_frames, t,
                   t > 0 ? c->nb_frames / t : 0);
        }
        if (steady && c->drv.cuEventElapsedTime(&ms, c->ev_warm, c->ev_end) == CUDA_SUCCESS &&
            ms > 0)
            av_log(c->log_ctx, AV_LOG_VERBOSE, "GPU steady state: %"PRId64" frames after the "
                   "first %"PRId64" in %.3f ms of GPU time (CUDA events): %.1f fps\n",
                   c->nb_frames - c->warm_frames, c->warm_frames, ms,
                   (c->nb_frames - c->warm_frames) / (ms / 1e3));
        if (c->ev_warm)
            CHECK_CU(c->cu->cuEventDestroy(c->ev_warm));
        if (c->ev_end)
            CHECK_CU(c->cu->cuEventDestroy(c->ev_end));
        if (c->timers)
            ff_deep3d_cuda_timers_log(c->timers, c->log_ctx);
        ff_deep3d_cuda_timers_free(&c->timers);
        if (c->graphs && ff_deep3d_cuda_graphs_launched(c->graphs))
            av_log(c->log_ctx, AV_LOG_VERBOSE, "GPU: %"PRId64" batches launched as CUDA "
                   "graphs\n", ff_deep3d_cuda_graphs_launched(c->graphs));
        ff_deep3d_cuda_graphs_free(&c->graphs);
        /* the reports still on their way: logged and counted before the statistics */
        if (c->temporal && c->reports)
            reports_drain(c, 1);
        for (int i = 0; i < REPORT_RING; i++)
            if (c->report_ev[i])
                CHECK_CU(c->cu->cuEventDestroy(c->report_ev[i]));
        if (c->reports)
            CHECK_CU(c->drv.cuMemFreeHost(c->reports));
        c->reports = NULL;
        if (c->ev_in)
            CHECK_CU(c->cu->cuEventDestroy(c->ev_in));
        if (c->ev_out)
            CHECK_CU(c->cu->cuEventDestroy(c->ev_out));
        if (c->source_ready)
            c->source->ops->device->uninit(c->source);
        if (c->batch_input)
            CHECK_CU(c->cu->cuMemFree(c->batch_input));
        if (c->batch_probs)
            CHECK_CU(c->cu->cuMemFree(c->batch_probs));
        if (c->params)
            CHECK_CU(c->cu->cuMemFree(c->params));
        if (c->tables_dev)
            CHECK_CU(c->cu->cuMemFree(c->tables_dev));
        for (int i = 0; i < 10; i++) {
            CUdeviceptr *b[] = { &c->state, &c->prev_in, &c->ed, &c->rows, &c->hard_scratch,
                                 &c->anaglyph_params, &c->anaglyph_uv, &c->scene,
                                 &c->conv_hist, &c->conv_state };
            if (*b[i])
                CHECK_CU(c->cu->cuMemFree(*b[i]));
        }
        if (c->module)
            CHECK_CU(c->cu->cuModuleUnload(c->module));
        if (c->stream)
            CHECK_CU(c->cu->cuStreamDestroy(c->stream));
        CHECK_CU(c->cu->cuCtxPopCurrent(&dummy));
    }
    if (c->temporal) {
        int64_t frames, resets;
        ff_deep3d_temporal_stats(c->temporal, &frames, &resets);
        av_log(c->log_ctx, AV_LOG_VERBOSE, "temporal: %"PRId64" frames, %"PRId64" resets\n",
               frames, resets);
    }
    ff_deep3d_temporal_free(&c->temporal);
    ff_deep3d_cuda_driver_unload(&c->drv);
    av_freep(&c->report_frame);
    av_freep(&c->report_measured);
    av_freep(&c->params_host);
    ff_deep3d_cuda_tables_free(&c->tables);
    av_frame_free(&c->eye);
    av_buffer_unref(&c->eye_frames);
    av_buffer_unref(&c->out_frames);
    av_buffer_unref(&c->device_ref);
    av_freep(pc);
}
