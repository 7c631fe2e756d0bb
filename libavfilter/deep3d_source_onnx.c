/*
 * deep3d: ONNX depth models as a depth source
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
 * A depth network in an ONNX file, run by ONNX Runtime's C API on the CPU.
 * open() loads the runtime and the model, checks the model's input and
 * output against the contract (deep3d_source_onnx.h) and runs it once on a
 * grey picture, which fixes the depth map's size (the geometry) and catches
 * a model that fails or gives values that are not finite before any frame.
 * run(): the frame is converted straight into the buffer of the input
 * tensor, ORT writes into the buffer of the output tensor, and
 * deep3d_depthmap.c turns the map into disparity planes.
 */

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "libavutil/avstring.h"
#include "libavutil/common.h"
#include "libavutil/error.h"
#include "libavutil/intreadwrite.h"
#include "libavutil/log.h"
#include "libavutil/mem.h"
#include "libavutil/time.h"

#include "deep3d_cuda.h"
#include "deep3d_depthmap.h"
#include "deep3d_input.h"
#include "deep3d_ort.h"
#include "deep3d_half.h"
#include "deep3d_source_onnx.h"
#include "deep3d_source_onnx_priv.h"

const float ff_deep3d_onnx_imagenet_mean[3] = { 0.485f, 0.456f, 0.406f };
const float ff_deep3d_onnx_imagenet_std[3]  = { 0.229f, 0.224f, 0.225f };


/* ---- file kinds ---- */

enum Deep3DFileKind ff_deep3d_file_kind(const uint8_t *head, size_t size, int64_t file_size)
{
    static const uint8_t model_tags[] = { 0x08, 0x12, 0x1a, 0x22, 0x28, 0x32, 0x3a, 0x42, 0x72 };

    if (size >= 9 && head[8] == '{') {
        uint64_t len = AV_RL64(head);
        if (len >= 2 && file_size >= 8 && len <= (uint64_t)file_size - 8)
            return DEEP3D_FILE_SAFETENSORS;
    }
    if (size >= 1 && memchr(model_tags, head[0], sizeof(model_tags)))
        return DEEP3D_FILE_ONNX;
    /* fields 20 (training_info) and 25 (functions): two-byte tags */
    if (size >= 2 && head[1] == 0x01 && (head[0] == 0xa2 || head[0] == 0xca))
        return DEEP3D_FILE_ONNX;
    return DEEP3D_FILE_UNKNOWN;
}

int ff_deep3d_file_kind_path(void *log_ctx, const char *path, enum Deep3DFileKind *kind)
{
    uint8_t head[16];
    size_t n;
    int64_t size;
    FILE *f = fopen(path, "rb");

    if (!f) {
        int ret = AVERROR(errno);
        av_log(log_ctx, AV_LOG_ERROR, "Cannot open model file %s: %s\n", path, av_err2str(ret));
        return ret;
    }
    n = fread(head, 1, sizeof(head), f);
    size = fseek(f, 0, SEEK_END) ? -1 : ftell(f);
    fclose(f);
    *kind = ff_deep3d_file_kind(head, n, size);
    return 0;
}

/* ---- the runtime ---- */

static void ort_logger(void *param, OrtLoggingLevel severity, const char *category,
                       const char *logid, const char *location, const char *message)
{
    /* ORT's environment is one per process, shared by every filter instance: its
     * messages go to the global log, not to one filter's context */
    av_log(NULL, severity >= ORT_LOGGING_LEVEL_ERROR ? AV_LOG_ERROR : AV_LOG_VERBOSE,
           "onnxruntime: %s\n", message);
}

#define ORT_CHECK(call, what)                                                   \
    do {                                                                        \
        int err_ = ff_deep3d_ort_check(o->ort, log_ctx, o->api->call, what);    \
        if (err_ < 0)                                                           \
            return err_;                                                        \
    } while (0)

static const char *elem_type_name(ONNXTensorElementDataType t)
{
    switch (t) {
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT:   return "float32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16: return "float16";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE:  return "float64";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8:   return "uint8";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32:   return "int32";
    case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64:   return "int64";
    default:                                    return "another type";
    }
}

/* The element type and dimensions (-1: free) of input or output i. */
static int tensor_info(Deep3DSourceOnnx *o, void *log_ctx, int output, int *rank,
                       int64_t *dims, ONNXTensorElementDataType *type)
{
    const OrtApi *api = o->api;
    const char *what = output ? "output" : "input";
    OrtTypeInfo *ti = NULL;
    const OrtTensorTypeAndShapeInfo *tti = NULL;
    size_t n = 0;
    int ret = 0;

    if (output)
        ORT_CHECK(SessionGetOutputTypeInfo(o->session, 0, &ti), "ONNX model: reading its types");
    else
        ORT_CHECK(SessionGetInputTypeInfo(o->session, 0, &ti), "ONNX model: reading its types");
    if ((ret = ff_deep3d_ort_check(o->ort, log_ctx, api->CastTypeInfoToTensorInfo(ti, &tti),
                                   "ONNX model: reading its types")) < 0)
        goto end;
    if (!tti) {
        av_log(log_ctx, AV_LOG_ERROR, "ONNX model %s: its %s is not a tensor.\n", o->path, what);
        ret = AVERROR_INVALIDDATA;
        goto end;
    }
    if ((ret = ff_deep3d_ort_check(o->ort, log_ctx, api->GetTensorElementType(tti, type),
                                   "ONNX model: reading its types")) < 0 ||
        (ret = ff_deep3d_ort_check(o->ort, log_ctx, api->GetDimensionsCount(tti, &n),
                                   "ONNX model: reading its types")) < 0)
        goto end;
    if (n < 1 || n > 4) {
        av_log(log_ctx, AV_LOG_ERROR, "ONNX model %s: its %s has %zu dimensions; the contract "
               "wants %s.\n", o->path, what, n, output ? "2 to 4 ([H, W], [1, H, W] or "
               "[1, 1, H, W])" : "4 ([1, 3, H, W])");
        ret = AVERROR_INVALIDDATA;
        goto end;
    }
    *rank = n;
    ret = ff_deep3d_ort_check(o->ort, log_ctx, api->GetDimensions(tti, dims, n),
                              "ONNX model: reading its types");
end:
    api->ReleaseTypeInfo(ti);
    return ret;
}

static int get_name(Deep3DSourceOnnx *o, void *log_ctx, int output, char **name)
{
    OrtAllocator *alloc;
    char *s = NULL;

    ORT_CHECK(GetAllocatorWithDefaultOptions(&alloc), "ONNX Runtime");
    if (output)
        ORT_CHECK(SessionGetOutputName(o->session, 0, alloc, &s), "ONNX model: reading its names");
    else
        ORT_CHECK(SessionGetInputName(o->session, 0, alloc, &s), "ONNX model: reading its names");
    *name = av_strdup(s);
    o->api->ReleaseStatus(o->api->AllocatorFree(alloc, s));
    return *name ? 0 : AVERROR(ENOMEM);
}

/* The input: [N, 3, H, W] float32, N 1 or free, H and W fixed or free. */
static int check_input(Deep3DSourceOnnx *o, void *log_ctx, const Deep3DOnnxOptions *opt)
{
    ONNXTensorElementDataType type;
    int64_t dims[4];
    int rank, ret, w, h;

    if ((ret = tensor_info(o, log_ctx, 0, &rank, dims, &type)) < 0)
        return ret;
    if (type != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT && type != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16) {
        av_log(log_ctx, AV_LOG_ERROR, "ONNX model %s: its input is %s; the contract wants "
               "float32 or float16.\n", o->path, elem_type_name(type));
        return AVERROR_INVALIDDATA;
    }
    o->in_type = type;
    if (rank != 4 || (dims[0] > 1) || dims[0] == 0 || (dims[1] >= 0 && dims[1] != 3)) {
        char buf[128] = "";
        for (int i = 0; i < rank; i++)
            av_strlcatf(buf, sizeof(buf), "%s%"PRId64, i ? ", " : "", dims[i]);
        av_log(log_ctx, AV_LOG_ERROR, "ONNX model %s: its input has shape [%s]; the contract "
               "wants [1, 3, H, W] (-1: free).\n", o->path, buf);
        return AVERROR_INVALIDDATA;
    }
    w = opt && opt->width  > 0 ? opt->width  : 0;
    h = opt && opt->height > 0 ? opt->height : 0;
    if ((dims[3] > 0 && w && w != dims[3]) || (dims[2] > 0 && h && h != dims[2])) {
        av_log(log_ctx, AV_LOG_ERROR, "ONNX model %s: its input size is fixed at %"PRId64"x%"PRId64
               "; onnx_size=%dx%d cannot be used.\n", o->path, dims[3], dims[2], w, h);
        return AVERROR(EINVAL);
    }
    if (!w)
        w = dims[3] > 0 ? dims[3] : DEEP3D_ONNX_DEFAULT_W;
    if (!h)
        h = dims[2] > 0 ? dims[2] : DEEP3D_ONNX_DEFAULT_H;
    if (w < 2 || h < 2 || w > DEEP3D_ONNX_MAX_SIZE || h > DEEP3D_ONNX_MAX_SIZE) {
        av_log(log_ctx, AV_LOG_ERROR, "ONNX model %s: input size %dx%d is outside 2x2 .. %dx%d.\n",
               o->path, w, h, DEEP3D_ONNX_MAX_SIZE, DEEP3D_ONNX_MAX_SIZE);
        return AVERROR(EINVAL);
    }
    o->in_shape[0] = 1;
    o->in_shape[1] = 3;
    o->in_shape[2] = h;
    o->in_shape[3] = w;
    return 0;
}

/* The output's declared type (its shape is checked on the probe run's result). */
static int check_output_type(Deep3DSourceOnnx *o, void *log_ctx)
{
    ONNXTensorElementDataType type;
    int64_t dims[4];
    int rank, ret;

    if ((ret = tensor_info(o, log_ctx, 1, &rank, dims, &type)) < 0)
        return ret;
    if (type != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT && type != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16) {
        av_log(log_ctx, AV_LOG_ERROR, "ONNX model %s: its output is %s; the contract wants "
               "float32 or float16.\n", o->path, elem_type_name(type));
        return AVERROR_INVALIDDATA;
    }
    o->out_type = type;
    return 0;
}

/* fp16 models: in_buf rounded into the input tensor. */
static void to_half_input(Deep3DSourceOnnx *o)
{
    size_t n = (size_t)3 * o->in_shape[2] * o->in_shape[3];

    if (o->in_half)
        for (size_t i = 0; i < n; i++)
            o->in_half[i] = ff_deep3d_float_to_half(o->in_buf[i]);
}

/* fp16 models: the output tensor widened into out_buf. */
static void from_half_output(Deep3DSourceOnnx *o)
{
    size_t n = (size_t)o->geometry.in_w * o->geometry.in_h;

    if (o->out_half)
        for (size_t i = 0; i < n; i++)
            o->out_buf[i] = ff_deep3d_half_to_float(o->out_half[i]);
}

size_t ff_deep3d_onnx_elem_size(ONNXTensorElementDataType type)
{
    return type == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16 ? 2 : 4;
}

/* Run the model on a mid-grey picture: it must run, give a depth map of a
 * usable shape and only finite values. Sets out_shape, out_rank, geometry. */
static int probe(Deep3DSourceOnnx *o, void *log_ctx)
{
    const OrtApi *api = o->api;
    size_t plane = (size_t)o->in_shape[2] * o->in_shape[3], n = 0, count = 0;
    OrtValue *out = NULL;
    OrtTensorTypeAndShapeInfo *info = NULL;
    int64_t dims[4];
    const char *in_name = o->in_name, *out_name = o->out_name;
    void *data = NULL;
    int ret, w, h;
    char shape[128] = "";

    for (int c = 0; c < 3; c++)
        for (size_t i = 0; i < plane; i++)
            o->in_buf[c * plane + i] = 0.5f * o->in_scale[c] - o->in_conv.input_mean[c];
    to_half_input(o);
    ret = ff_deep3d_ort_check(o->ort, log_ctx,
                              api->Run(o->session, NULL, &in_name, (const OrtValue *const *)&o->in_val,
                                       1, &out_name, 1, &out),
                              "ONNX model: the first run (a grey picture) failed");
    if (ret < 0)
        return ret;
    if ((ret = ff_deep3d_ort_check(o->ort, log_ctx, api->GetTensorTypeAndShape(out, &info),
                                   "ONNX model: its output")) < 0)
        goto end;
    /* the type is the declared one, checked by check_output_type() */
    if ((ret = ff_deep3d_ort_check(o->ort, log_ctx, api->GetDimensionsCount(info, &n),
                                   "ONNX model: its output")) < 0)
        goto end;
    if (n >= 1 && n <= 4 &&
        (ret = ff_deep3d_ort_check(o->ort, log_ctx, api->GetDimensions(info, dims, n),
                                   "ONNX model: its output")) < 0)
        goto end;
    for (size_t i = 0; i < n && i < 4; i++)
        av_strlcatf(shape, sizeof(shape), "%s%"PRId64, i ? ", " : "", dims[i]);
    if (n < 2 || n > 4 || (n >= 3 && dims[0] != 1) || (n == 4 && dims[1] != 1)) {
        av_log(log_ctx, AV_LOG_ERROR, "ONNX model %s: its output has shape [%s]; the "
               "contract wants [H, W], [1, H, W] or [1, 1, H, W].\n", o->path, shape);
        ret = AVERROR_INVALIDDATA;
        goto end;
    }
    h = dims[n - 2];
    w = dims[n - 1];
    if (w < 2 || h < 2 || w > DEEP3D_MAX_INPUT || h > DEEP3D_MAX_INPUT) {
        av_log(log_ctx, AV_LOG_ERROR, "ONNX model %s: its depth map is %dx%d; it must be "
               "2x2 .. %dx%d.\n", o->path, w, h, DEEP3D_MAX_INPUT, DEEP3D_MAX_INPUT);
        ret = AVERROR_INVALIDDATA;
        goto end;
    }
    if ((ret = ff_deep3d_ort_check(o->ort, log_ctx, api->GetTensorMutableData(out, &data),
                                   "ONNX model: its output")) < 0)
        goto end;
    for (size_t i = 0; i < (size_t)w * h; i++)
        count += !isfinite(o->out_type == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16 ?
                           ff_deep3d_half_to_float(((const uint16_t *)data)[i]) :
                           ((const float *)data)[i]);
    if (count) {
        av_log(log_ctx, AV_LOG_ERROR, "ONNX model %s: on a grey picture %zu of its %d output "
               "values are not finite (NaN or infinite).\n", o->path, count, w * h);
        ret = AVERROR_INVALIDDATA;
        goto end;
    }
    o->out_rank = n;
    memcpy(o->out_shape, dims, n * sizeof(*dims));
    o->geometry.in_w = w;
    o->geometry.in_h = h;
end:
    if (info)
        api->ReleaseTensorTypeAndShapeInfo(info);
    api->ReleaseValue(out);
    return ret;
}

static int onnx_open(Deep3DSource *src, void *log_ctx, const Deep3DSourceConfig *cfg)
{
    Deep3DSourceOnnx *o = src->priv;
    const Deep3DOnnxOptions *opt = cfg->onnx;
    const OrtApi *api;
    size_t nb_in = 0, nb_out = 0, in_size;
    Deep3DModel *g = &o->geometry;
    int ret;

    o->path    = cfg->model_path;
    o->threads = FFMAX(1, cfg->nb_jobs);
    if (!o->path)
        return AVERROR(EINVAL);
    for (int c = 0; c < 3; c++) {
        float mean = opt && opt->std[c] > 0 ? opt->mean[c] : ff_deep3d_onnx_imagenet_mean[c];
        float std  = opt && opt->std[c] > 0 ? opt->std[c]  : ff_deep3d_onnx_imagenet_std[c];
        o->in_scale[c] = 1.0f / std;
        o->in_conv.input_mean[c] = mean / std;
    }
    o->in_conv.input_scale = 1.0f;

    if ((ret = ff_deep3d_ort_load(&o->ort, log_ctx, opt ? opt->ort_path : NULL)) < 0)
        return ret;
    api = o->api = o->ort->api;
    ORT_CHECK(CreateEnvWithCustomLogger(ort_logger, NULL, ORT_LOGGING_LEVEL_WARNING, "deep3d",
                                        &o->env), "ONNX Runtime: creating its environment");
    ORT_CHECK(CreateSessionOptions(&o->options), "ONNX Runtime: session options");
    ORT_CHECK(SetIntraOpNumThreads(o->options, o->threads), "ONNX Runtime: threads");
    ORT_CHECK(SetInterOpNumThreads(o->options, 1), "ONNX Runtime: threads");
    ORT_CHECK(SetSessionExecutionMode(o->options, ORT_SEQUENTIAL), "ONNX Runtime: session options");
    ORT_CHECK(SetSessionGraphOptimizationLevel(o->options, ORT_ENABLE_ALL), "ONNX Runtime: session options");
    /* the filter's own threads render while ORT waits for the next frame: no spinning */
    ORT_CHECK(AddSessionConfigEntry(o->options, "session.intra_op.allow_spinning", "0"),
              "ONNX Runtime: session options");
    ret = ff_deep3d_ort_check(o->ort, log_ctx, api->CreateSession(o->env, o->path, o->options,
                                                                  &o->session),
                              "ONNX model: ONNX Runtime cannot load it");
    if (ret < 0) {
        av_log(log_ctx, AV_LOG_ERROR, "ONNX model %s could not be loaded (see above).\n", o->path);
        return ret;
    }
    ORT_CHECK(SessionGetInputCount(o->session, &nb_in), "ONNX model: reading its inputs");
    ORT_CHECK(SessionGetOutputCount(o->session, &nb_out), "ONNX model: reading its outputs");
    if (nb_in != 1 || nb_out < 1) {
        av_log(log_ctx, AV_LOG_ERROR, "ONNX model %s has %zu inputs and %zu outputs; the "
               "contract wants one image input and a depth output.\n", o->path, nb_in, nb_out);
        return AVERROR_INVALIDDATA;
    }
    if ((ret = get_name(o, log_ctx, 0, &o->in_name)) < 0 ||
        (ret = get_name(o, log_ctx, 1, &o->out_name)) < 0 ||
        (ret = check_input(o, log_ctx, opt)) < 0 ||
        (ret = check_output_type(o, log_ctx)) < 0)
        return ret;
    if (nb_out > 1)
        av_log(log_ctx, AV_LOG_VERBOSE, "ONNX model: %zu outputs; the first, '%s', is the depth.\n",
               nb_out, o->out_name);

    o->in_conv.in_w = o->in_shape[3];
    o->in_conv.in_h = o->in_shape[2];
    in_size = (size_t)3 * o->in_conv.in_w * o->in_conv.in_h;
    if (!(o->in_buf = av_malloc_array(in_size, sizeof(float))))
        return AVERROR(ENOMEM);
    /* fp16 inputs and outputs: the tensors hold half, the source works in float and
     * converts (rounding to nearest even, widening exactly) */
    if (o->in_type == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16 &&
        !(o->in_half = av_malloc_array(in_size, sizeof(uint16_t))))
        return AVERROR(ENOMEM);
    ORT_CHECK(CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, &o->mem), "ONNX Runtime");
    ORT_CHECK(CreateTensorWithDataAsOrtValue(o->mem, o->in_half ? (void *)o->in_half : (void *)o->in_buf,
                                             in_size * ff_deep3d_onnx_elem_size(o->in_type),
                                             o->in_shape, 4, o->in_type, &o->in_val),
              "ONNX Runtime: the input tensor");
    if ((ret = probe(o, log_ctx)) < 0)
        return ret;
    if (!(o->out_buf = av_malloc_array((size_t)g->in_w * g->in_h, sizeof(float))))
        return AVERROR(ENOMEM);
    if (o->out_type == ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16 &&
        !(o->out_half = av_malloc_array((size_t)g->in_w * g->in_h, sizeof(uint16_t))))
        return AVERROR(ENOMEM);
    ORT_CHECK(CreateTensorWithDataAsOrtValue(o->mem, o->out_half ? (void *)o->out_half : (void *)o->out_buf,
                                             (size_t)g->in_w * g->in_h * ff_deep3d_onnx_elem_size(o->out_type),
                                             o->out_shape, o->out_rank, o->out_type, &o->out_val),
              "ONNX Runtime: the output tensor");

    g->disp_min    = DEEP3D_DEPTHMAP_DISP_MIN;
    g->disp_max    = DEEP3D_DEPTHMAP_DISP_MAX;
    g->disp_width  = DEEP3D_DEPTHMAP_DISP_WIDTH;
    g->nb_disp     = g->disp_max - g->disp_min + 1;
    g->nb_prob     = g->nb_disp + 1;
    /* src->image: RGB in 0..1, so the temporal thresholds are in 8-bit levels */
    g->input_scale = 1.0f;
    src->geometry  = g;

    if ((ret = ff_deep3d_depthmap_init(&o->depthmap, (size_t)g->in_w * g->in_h,
                                       DEEP3D_DEPTHMAP_LO_PCT, DEEP3D_DEPTHMAP_HI_PCT)) < 0)
        return ret;
    av_log(log_ctx, AV_LOG_VERBOSE, "ONNX model %s: input '%s' 1x3x%dx%d (mean %.3f,%.3f,%.3f "
           "std %.3f,%.3f,%.3f), output '%s' %dx%d; %d disparity planes (%d..%d px at width %d), "
           "%d intra-op threads\n", o->path, o->in_name, o->in_conv.in_h, o->in_conv.in_w,
           o->in_conv.input_mean[0] / o->in_scale[0], o->in_conv.input_mean[1] / o->in_scale[1],
           o->in_conv.input_mean[2] / o->in_scale[2], 1 / o->in_scale[0], 1 / o->in_scale[1],
           1 / o->in_scale[2], o->out_name, g->in_w, g->in_h, g->nb_disp, g->disp_min,
           g->disp_max, g->disp_width, o->threads);
    return 0;
}

static void onnx_free_stream(Deep3DSource *src)
{
    Deep3DSourceOnnx *o = src->priv;

    ff_deep3d_input_free(&o->input);
    ff_deep3d_input_free(&o->image_input);
    av_freep(&src->image);
    av_freep(&src->probs);
}

static int onnx_configure(Deep3DSource *src, void *log_ctx, const Deep3DSourceConfig *cfg)
{
    Deep3DSourceOnnx *o = src->priv;
    const Deep3DModel *g = &o->geometry;
    size_t npix = (size_t)g->in_w * g->in_h;
    int ret;

    onnx_free_stream(src);
    if ((ret = ff_deep3d_input_init(&o->input, &o->in_conv, src->nb_jobs)) < 0 ||
        (ret = ff_deep3d_input_init(&o->image_input, g, src->nb_jobs)) < 0)
        return ret;
    ff_deep3d_input_set_scale(o->input, o->in_scale);
    src->image = av_malloc_array(3 * npix, sizeof(float));
    src->probs = av_malloc_array((size_t)g->nb_prob * npix, sizeof(float));
    if (!src->image || !src->probs)
        return AVERROR(ENOMEM);
    return 0;
}

static int onnx_run(Deep3DSource *src, void *log_ctx, const AVFrame *frame)
{
    Deep3DSourceOnnx *o = src->priv;
    const Deep3DModel *g = &o->geometry;
    const char *in_name = o->in_name, *out_name = o->out_name;
    int64_t t0 = av_gettime_relative(), t1, t2;
    size_t bad = 0;
    int ret;

    if ((ret = ff_deep3d_input_convert(o->input, log_ctx, frame, o->in_buf, src->execute,
                                       src->opaque)) < 0 ||
        (ret = ff_deep3d_input_convert(o->image_input, log_ctx, frame, src->image, src->execute,
                                       src->opaque)) < 0)
        return ret;
    to_half_input(o);
    t1 = av_gettime_relative();
    ret = ff_deep3d_ort_check(o->ort, log_ctx,
                              o->api->Run(o->session, NULL, &in_name,
                                          (const OrtValue *const *)&o->in_val, 1, &out_name, 1,
                                          &o->out_val),
                              "ONNX model: running it failed");
    if (ret < 0)
        return ret;
    t2 = av_gettime_relative();
    from_half_output(o);
    ret = ff_deep3d_depthmap_to_probs(o->depthmap, g, o->out_buf, src->probs, NULL, NULL, &bad);
    if (ret == AVERROR_INVALIDDATA)
        av_log(log_ctx, AV_LOG_ERROR, "ONNX model %s: its depth map for frame %"PRId64" has a "
               "value that is not finite (NaN or infinite) at x=%zu y=%zu.\n", o->path,
               o->nb_frames, bad % g->in_w, bad / g->in_w);
    if (ret < 0)
        return ret;
    src->t_input = t1 - t0;
    o->t_input  += t1 - t0;
    o->t_ort    += t2 - t1;
    o->t_map    += av_gettime_relative() - t2;
    o->nb_frames++;
    return 0;
}

static void onnx_describe(const Deep3DSource *src, char *buf, size_t size)
{
    const Deep3DSourceOnnx *o = src->priv;

    if (src->device_priv) {     /* its GPU engine runs it: the device line names the runtime */
        snprintf(buf, size, "ONNX model %s (input %dx%d %s, depth %dx%d %s) on the GPU", o->path,
                 o->in_conv.in_w, o->in_conv.in_h, elem_type_name(o->in_type), o->geometry.in_w,
                 o->geometry.in_h, elem_type_name(o->out_type));
        return;
    }
    snprintf(buf, size, "ONNX model %s (input %dx%d %s, depth %dx%d %s) on ONNX Runtime %s, CPU, "
             "%d threads", o->path, o->in_conv.in_w, o->in_conv.in_h,
             elem_type_name(o->in_type), o->geometry.in_w, o->geometry.in_h,
             elem_type_name(o->out_type), o->ort ? o->ort->version : "?", o->threads);
}

static void onnx_close(Deep3DSource *src)
{
    Deep3DSourceOnnx *o = src->priv;
    const OrtApi *api;

    if (!o)
        return;
    api = o->api;
    if (o->nb_frames)
        av_log(NULL, AV_LOG_VERBOSE, "onnx: %"PRId64" frames; ms per frame: input %.2f, "
               "onnxruntime %.2f, depth map %.2f\n", o->nb_frames,
               o->t_input / 1e3 / o->nb_frames, o->t_ort / 1e3 / o->nb_frames,
               o->t_map / 1e3 / o->nb_frames);
    onnx_free_stream(src);
    ff_deep3d_depthmap_free(&o->depthmap);
    if (api) {
        api->ReleaseValue(o->in_val);
        api->ReleaseValue(o->out_val);
        api->ReleaseMemoryInfo(o->mem);
        api->ReleaseSession(o->session);
        api->ReleaseSessionOptions(o->options);
        api->ReleaseEnv(o->env);
    }
    av_freep(&o->in_buf);
    av_freep(&o->out_buf);
    av_freep(&o->in_half);
    av_freep(&o->out_half);
    av_freep(&o->in_name);
    av_freep(&o->out_name);
    ff_deep3d_ort_free(&o->ort);
}

void ff_deep3d_source_onnx_buffers(const Deep3DSource *src, const float **input, int *w, int *h,
                                   const float **depth)
{
    const Deep3DSourceOnnx *o = src->priv;

    *input = o->in_buf;
    *w     = o->in_conv.in_w;
    *h     = o->in_conv.in_h;
    *depth = o->out_buf;
}

const Deep3DSourceOps ff_deep3d_source_onnx = {
    .name      = "onnx",
    .priv_size = sizeof(Deep3DSourceOnnx),
    .open      = onnx_open,
    .configure = onnx_configure,
    .run       = onnx_run,
    .describe  = onnx_describe,
    .close     = onnx_close,
#if DEEP3D_HAVE_CUDA
    .device    = &ff_deep3d_source_onnx_device,
#endif
};
