/*
 * deep3d: forward pass of the Deep3D network family on the GPU (cuDNN)
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

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "libavutil/avstring.h"
#include "libavutil/common.h"
#include "libavutil/cuda_check.h"
#include "libavutil/error.h"
#include "libavutil/log.h"
#include "libavutil/mem.h"

#include "deep3d_cuda_deconv.h"
#include "deep3d_cuda_driver.h"
#include "deep3d_cuda_mem.h"
#include "deep3d_cuda_net.h"
#include "deep3d_half.h"
#include "deep3d_layers.h"
#include "deep3d_precision.h"
#include "cuda/load_helper.h"

#define CHECK_CU(x)  FF_CUDA_CHECK_DL(net->log_ctx, net->cu, x)
#define CHECK_DNN(x) DEEP3D_CHECK_DNN(net->dnn, net->log_ctx, x)
#define PTR(p) ((void *)(uintptr_t)(p))

/* ffnvcodec declares only a few attribute values; these are the driver API's. */
#define CU_ATTR_CC_MAJOR     75
#define CU_ATTR_CC_MINOR     76

#define BLOCK 256
/* A layer whose fastest algorithms want more scratch than this uses a slower one. */
#define MAX_LAYER_WORKSPACE ((size_t)256 << 20)
/* Every tensor of the weight block starts on 256 bytes. */
#define ALIGN_BYTES 256

extern const unsigned char ff_deep3d_cuda_net_ptx_data[];
extern const unsigned int ff_deep3d_cuda_net_ptx_len;

/* One convolution (forward) or transposed convolution (cuDNN's backward data). */
typedef struct Conv {
    char name[32];
    int transposed;
    cudnnTensorDescriptor_t in, out;    ///< transposed: in is cuDNN's dy, out its dx
    cudnnFilterDescriptor_t filter;
    cudnnConvolutionDescriptor_t conv;
    int algo;
    size_t workspace;
    size_t find_workspace;      ///< the most any usable algorithm wants (for the timed search)
    CUdeviceptr w;
    /* convolutions with bias and ReLU: one cudnnConvolutionBiasActivationForward */
    int fused;
    cudnnTensorDescriptor_t bias_desc;
} Conv;

struct Deep3DCudaNet {
    Deep3DLayers layers;            ///< what runs, in order
    void *log_ctx;
    AVCUDADeviceContext *hwctx;
    CUstream stream;            ///< the filter's (deep3d_cuda.c): all work of the net goes there
    CudaFunctions *cu;
    const Deep3DCudnn *dnn;
    cudnnHandle_t handle;
    cudnnActivationDescriptor_t relu;   ///< for the fused calls; NULL: none fused
    int nb_fused, nb_timed;
    CUmodule module;
    CUfunction bias_act, pool_bn, softmax, deconv_sum;
    CUfunction to_half, bias_act_h, pool_bn_h, softmax_h, deconv_sum_h;

    int half;                       ///< fp16: half NHWC activations and filters, channels
                                    ///< padded to a multiple of 8
    int batch;                      ///< frames per forward pass: n of every tensor
    size_t elem;                    ///< bytes of one activation
    char precision[160];            ///< what runs and why, for the log

    CUdeviceptr weights;            ///< one block holding every parameter
    CUdeviceptr buf[DEEP3D_MAX_BUFFERS]; ///< the list's buffers, whole batch; fp16: input and
                                         ///< output are the half input and the last logits
    size_t elems[DEEP3D_MAX_BUFFERS];   ///< per frame, fp16 channels padded
    CUdeviceptr workspace;
    size_t workspace_size, device_bytes;

    /* the transposed convolutions whose sum is rectified: one kernel of ours */
    int sum_layer;                  ///< the RELU of their sum, which runs it; -1: none
    int nb_branches;
    CUdeviceptr deconv_desc;        ///< deep3d_cuda_deconv.h's array

    /* per layer */
    Conv conv[DEEP3D_MAX_LAYERS];   ///< CONV, FC, DECONV
    CUdeviceptr bias[DEEP3D_MAX_LAYERS];    ///< added (with ReLU) right after the layer
    CUdeviceptr pending[DEEP3D_MAX_LAYERS]; ///< the biases its source still owes, added here
    int pending_c[DEEP3D_MAX_LAYERS], pending_hw[DEEP3D_MAX_LAYERS]; ///< their bias_act shape
    CUdeviceptr bn_scale[DEEP3D_MAX_LAYERS];        ///< POOL with BatchNorm: gamma * inv_std
    CUdeviceptr bn_mean[DEEP3D_MAX_LAYERS], bn_beta[DEEP3D_MAX_LAYERS];
    int branch[DEEP3D_MAX_LAYERS];  ///< a DECONV run by the sum kernel
    CUdeviceptr own[DEEP3D_MAX_LAYERS]; ///< the output of a branch's source: its own buffer,
                                        ///< as all branches are read at once
};

/* ---- device memory ---- */

static int dev_alloc(Deep3DCudaNet *net, CUdeviceptr *p, size_t bytes, const char *what)
{
    return ff_deep3d_cuda_alloc(net->log_ctx, net->cu, p, bytes, what, &net->device_bytes);
}

static void dev_free(Deep3DCudaNet *net, CUdeviceptr *p)
{
    ff_deep3d_cuda_free_mem(net->log_ctx, net->cu, p);
}

/* ---- weights: counted, then copied into one device block ---- */

/* fp16: channel counts padded to a multiple of 8, so tensor-core kernels apply. */
static int chans(const Deep3DCudaNet *net, int c)
{
    return net->half ? FFALIGN(c, 8) : c;
}

/*
 * fp32: every parameter as the model stores it. fp16: the filters cuDNN
 * reads in half, KRSC (NHWC filters: input channels innermost), rounded to
 * nearest even, both channel counts padded with zero filters; biases,
 * BatchNorm and the weights of our transposed-convolution kernel stay
 * float, vectors zero-padded to the padded channel count, so the padded
 * channels of every activation stay zero.
 */
typedef struct Upload {
    uint8_t *host;          ///< staging buffer (zeroed); NULL while counting
    size_t used;            ///< bytes placed so far
    CUdeviceptr base;
    int half;
} Upload;

/* n float parameters, then zeros up to n_pad. */
static CUdeviceptr put(Upload *u, const float *src, size_t n, size_t n_pad)
{
    CUdeviceptr at = u->base + u->used;
    if (u->host)
        memcpy(u->host + u->used, src, n * sizeof(float));
    u->used += FFALIGN(FFMAX(n, n_pad) * sizeof(float), ALIGN_BYTES);
    return at;
}

/* n parameters rounded to half, then zeros up to n_pad. */
static CUdeviceptr put_half(Upload *u, const float *src, size_t n, size_t n_pad)
{
    CUdeviceptr at = u->base + u->used;
    if (u->host)
        for (size_t i = 0; i < n; i++)
            ((uint16_t *)(u->host + u->used))[i] = ff_deep3d_float_to_half(src[i]);
    u->used += FFALIGN(FFMAX(n, n_pad) * sizeof(uint16_t), ALIGN_BYTES);
    return at;
}

/*
 * Convolutions and FC layers with bias and ReLU, not accumulating into a sum,
 * run as one cudnnConvolutionBiasActivationForward where this cuDNN has it.
 */
static int fusable(const Deep3DCudaNet *net, const Deep3DLayer *l)
{
    const Deep3DCudnn *dnn = net->dnn;
    return (l->op == DEEP3D_OP_CONV || l->op == DEEP3D_OP_FC) && l->relu && !l->accumulate &&
           dnn->cudnnConvolutionBiasActivationForward && dnn->cudnnCreateActivationDescriptor &&
           dnn->cudnnSetActivationDescriptor && dnn->cudnnDestroyActivationDescriptor;
}

/*
 * A filter of k x c x r x s (KCRS, the model's order). fp16: converted to
 * half, reordered to KRSC and padded to kp x r x s x cp.
 */
static CUdeviceptr put_filter(Upload *u, const float *src, int k, int c, int r, int s,
                              int kp, int cp)
{
    size_t rs = (size_t)r * s;
    CUdeviceptr at;

    if (!u->half)
        return put(u, src, (size_t)k * c * rs, 0);
    at = u->base + u->used;
    if (u->host) {
        uint16_t *dst = (uint16_t *)(u->host + u->used);
        for (int ko = 0; ko < k; ko++)
            for (int ci = 0; ci < c; ci++)
                for (size_t p = 0; p < rs; p++)
                    dst[((size_t)ko * rs + p) * cp + ci] =
                        ff_deep3d_float_to_half(src[((size_t)ko * c + ci) * rs + p]);
    }
    u->used += FFALIGN((size_t)kp * cp * rs * sizeof(uint16_t), ALIGN_BYTES);
    return at;
}

/*
 * The first filter that cuDNN would read in half (convolutions, FC layers,
 * the transposed convolution it runs), or bias of a layer with ReLU (fused
 * in half), with a value beyond the half range: it would become infinite.
 * Our transposed-convolution kernel reads float.
 */
static int half_range_bad(const Deep3DLayers *layers, const int *branch, char *name,
                          size_t name_size, float *value)
{
    for (int i = 0; i < layers->nb_layers; i++) {
        const Deep3DLayer *l = &layers->layer[i];
        size_t n;

        if ((l->op != DEEP3D_OP_CONV && l->op != DEEP3D_OP_FC && l->op != DEEP3D_OP_DECONV) ||
            branch[i])
            continue;
        n = l->op == DEEP3D_OP_FC ? ff_deep3d_shape_elems(l->in) * ff_deep3d_shape_elems(l->out) :
            (size_t)l->in.c * l->out.c * l->k * l->k;
        for (size_t j = 0; j < n; j++)
            if (!(fabsf(l->w[j]) <= DEEP3D_HALF_MAX)) {
                av_strlcpy(name, l->name, name_size);
                *value = l->w[j];
                return 1;
            }
        n = l->op == DEEP3D_OP_FC ? ff_deep3d_shape_elems(l->out) : l->out.c;
        for (size_t j = 0; l->relu && !l->accumulate && j < n; j++)
            if (!(fabsf(l->b[j]) <= DEEP3D_HALF_MAX)) {
                snprintf(name, name_size, "%s bias", l->name);
                *value = l->b[j];
                return 1;
            }
    }
    return 0;
}

/*
 * The bias of a layer the engine cannot add right away: cuDNN's convolutions
 * have none. A layer with ReLU gets it added (with the ReLU) by bias_act
 * right after; otherwise it is owed to the buffer and added where that is
 * next read: the biases of the transposed convolutions whose sum is
 * rectified are added once, summed, by the fused sum kernel, and the last
 * convolution's bias inside the softmax.
 */
typedef struct Owed {
    const float *b[DEEP3D_MAX_LAYERS];
    int nb;
    int c, hw;                      ///< the buffer's writer: c biases (real), hw values each
} Owed;

/* c channels of hw values: an FC layer's output is one vector, a map otherwise */
static void bias_shape(const Deep3DLayer *l, int *c, int *hw)
{
    *c  = l->op == DEEP3D_OP_FC ? (int)ff_deep3d_shape_elems(l->out) : l->out.c;
    *hw = l->op == DEEP3D_OP_FC ? 1 : l->out.h * l->out.w;
}

/* What o owes, as one vector (one bias as it is, several summed from zero), padded; then nothing. */
static CUdeviceptr put_owed(const Deep3DCudaNet *net, Upload *u, Owed *o, float *tmp)
{
    if (o->nb == 1) {
        o->nb = 0;
        return put(u, o->b[0], o->c, chans(net, o->c));
    }
    memset(tmp, 0, o->c * sizeof(*tmp));
    for (int i = 0; i < o->nb; i++)
        for (int ch = 0; ch < o->c; ch++)
            tmp[ch] += o->b[i][ch];
    o->nb = 0;
    return put(u, tmp, o->c, chans(net, o->c));
}

/* Give every parameter its place, layer by layer; tmp holds derived vectors. */
static void place_weights(Deep3DCudaNet *net, Upload *u, float *tmp)
{
    const Deep3DLayers *layers = &net->layers;
    Owed owed[DEEP3D_MAX_BUFFERS] = { { { 0 } } };

    for (int i = 0; i < layers->nb_layers; i++) {
        const Deep3DLayer *l = &layers->layer[i];
        Owed *src = &owed[l->src], *dst = &owed[l->dst];
        int c, hw;

        net->pending[i]    = 0;
        net->pending_c[i]  = chans(net, src->c);
        net->pending_hw[i] = src->hw;
        if (src->nb)
            net->pending[i] = put_owed(net, u, src, tmp);
        else if (l->op == DEEP3D_OP_RELU || l->op == DEEP3D_OP_SOFTMAX) {
            /* nothing owed: a zero bias */
            memset(tmp, 0, l->out.c * sizeof(*tmp));
            net->pending[i] = put(u, tmp, l->out.c, chans(net, l->out.c));
        }

        bias_shape(l, &c, &hw);
        switch (l->op) {
        case DEEP3D_OP_CONV:
            net->conv[i].w = put_filter(u, l->w, l->out.c, l->in.c, l->k, l->k,
                                        chans(net, l->out.c), chans(net, l->in.c));
            break;
        case DEEP3D_OP_DECONV:
            /* the model's (ci, co, k, k): as it is for our sum kernel; for cuDNN, the
             * filter of the convolution it transposes */
            net->conv[i].w = net->branch[i] ?
                put(u, l->w, (size_t)l->in.c * l->out.c * l->k * l->k, 0) :
                put_filter(u, l->w, l->in.c, l->out.c, l->k, l->k,
                           chans(net, l->in.c), chans(net, l->out.c));
            break;
        case DEEP3D_OP_FC:
            /* a convolution whose kernel covers the whole input map; its output, a
             * vector in C order (pred5's: the (K, h5, w5) map), padded as channels */
            net->conv[i].w = put_filter(u, l->w, c, l->in.c, l->in.h, l->in.w,
                                        chans(net, c), chans(net, l->in.c));
            break;
        case DEEP3D_OP_POOL:
            /* overwritten: nothing owed there any more */
            dst->nb = 0;
            if (l->side < 0)
                continue;
            owed[l->side].nb = 0;
            /* BatchNorm with the stored inverse std: scale computed as the CPU path does */
            for (int ch = 0; ch < l->in.c; ch++)
                tmp[ch] = l->bn_gamma[ch] * l->bn_inv_std[ch];
            net->bn_scale[i] = put(u, tmp, l->in.c, chans(net, l->in.c));
            net->bn_mean[i]  = put(u, l->bn_mean, l->in.c, chans(net, l->in.c));
            net->bn_beta[i]  = put(u, l->bn_beta, l->in.c, chans(net, l->in.c));
            continue;
        default:
            continue;
        }
        if (!l->accumulate)
            dst->nb = 0;
        dst->b[dst->nb++] = l->b;
        dst->c  = c;
        dst->hw = hw;
        if (net->half && fusable(net, l)) {
            /* cuDNN's half configuration of the fused call takes a half bias */
            dst->nb = 0;
            net->bias[i] = put_half(u, l->b, c, chans(net, c));
        } else
            net->bias[i] = l->relu ? put_owed(net, u, dst, tmp) : 0;
    }
}

static float *alloc_tmp(const Deep3DLayers *layers)
{
    size_t tmp_len = 1;

    for (int i = 0; i < layers->nb_layers; i++) {
        const Deep3DLayer *l = &layers->layer[i];
        int c, hw;
        bias_shape(l, &c, &hw);
        tmp_len = FFMAX(tmp_len, FFMAX(l->in.c, c));
    }
    return av_malloc_array(tmp_len, sizeof(float));
}

/* The counting pass alone: the size of the weight block. */
static void count_weights(Deep3DCudaNet *net, Upload *u, float *tmp)
{
    *u = (Upload){ .half = net->half };
    place_weights(net, u, tmp);
}

static int upload_weights(Deep3DCudaNet *net)
{
    Upload u;
    float *tmp = alloc_tmp(&net->layers);
    int ret;

    if (!tmp)
        return AVERROR(ENOMEM);
    count_weights(net, &u, tmp);
    ret = dev_alloc(net, &net->weights, u.used, "the weights");
    if (ret < 0)
        goto end;
    u = (Upload){ .host = av_mallocz(u.used), .base = net->weights, .half = net->half };
    if (!u.host) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    place_weights(net, &u, tmp);
    /* model parameters, not frame data: copied once, on the filter's stream (a
     * non-blocking stream does not wait for the legacy one's copies) */
    ret = CHECK_CU(net->cu->cuMemcpyHtoDAsync(net->weights, u.host, u.used, net->stream));
    if (ret >= 0)
        ret = CHECK_CU(net->cu->cuStreamSynchronize(net->stream));
end:
    av_free(u.host);
    av_free(tmp);
    return ret;
}

/* ---- convolutions ---- */

/* fp16 takes any algorithm, tensor cores first where cuDNN ranks them so. */
static int math_ok(const Deep3DCudaNet *net, cudnnMathType_t math)
{
    return net->half || (math != CUDNN_TENSOR_OP_MATH &&
                         math != CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION);
}

static void no_algorithm(const Deep3DCudaNet *net, const Conv *cv)
{
    av_log(net->log_ctx, AV_LOG_ERROR, "cuDNN has no usable %s algorithm for %s%s.\n",
           net->half ? "fp16" : "fp32", cv->name,
           net->half ? " (a GPU of compute capability 5.3 or later is needed; "
                       "precision=fp32 may work)" : "");
}

/*
 * The first algorithm cuDNN ranks that our precision allows and whose
 * workspace fits. Forward and backward-data results have the same layout
 * (the _Static_assert of deep3d_cudnn.c); only the calls differ.
 */
static int choose_algorithm(Deep3DCudaNet *net, Conv *cv)
{
    union {
        cudnnConvolutionFwdAlgoPerf_t fwd[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
        cudnnConvolutionBwdDataAlgoPerf_t bwd[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    } perf;
    int n = 0, ret, found = 0;

    cv->find_workspace = 0;
    ret = cv->transposed ?
          CHECK_DNN(cudnnGetConvolutionBackwardDataAlgorithm_v7(net->handle, cv->filter, cv->in,
                                                                cv->conv, cv->out,
                                                                FF_ARRAY_ELEMS(perf.bwd), &n,
                                                                perf.bwd)) :
          CHECK_DNN(cudnnGetConvolutionForwardAlgorithm_v7(net->handle, cv->in, cv->filter,
                                                           cv->conv, cv->out,
                                                           FF_ARRAY_ELEMS(perf.fwd), &n, perf.fwd));
    if (ret < 0)
        return ret;
    for (int i = 0; i < n; i++) {
        int algo      = cv->transposed ? perf.bwd[i].algo : perf.fwd[i].algo;
        int status    = cv->transposed ? perf.bwd[i].status : perf.fwd[i].status;
        int math      = cv->transposed ? perf.bwd[i].mathType : perf.fwd[i].mathType;
        size_t ws     = 0;
        cudnnStatus_t err;

        /* fp32 means FMA: TF32 tensor cores would miss the CPU path by far */
        if (status != CUDNN_STATUS_SUCCESS || !math_ok(net, math))
            continue;
        err = cv->transposed ?
              net->dnn->cudnnGetConvolutionBackwardDataWorkspaceSize(net->handle, cv->filter,
                                                                     cv->in, cv->conv, cv->out,
                                                                     algo, &ws) :
              net->dnn->cudnnGetConvolutionForwardWorkspaceSize(net->handle, cv->in, cv->filter,
                                                                cv->conv, cv->out, algo, &ws);
        if (err != CUDNN_STATUS_SUCCESS || ws > MAX_LAYER_WORKSPACE)
            continue;
        cv->find_workspace = FFMAX(cv->find_workspace, ws);
        if (found)
            continue;
        cv->algo      = algo;
        cv->workspace = ws;
        found = 1;
    }
    if (found)
        return 0;
    no_algorithm(net, cv);
    return AVERROR(ENOSYS);
}

/*
 * The algorithm of cv timed by cuDNN on the network's own buffers (x in, y
 * out) and a workspace of find_size bytes: the fastest that our precision
 * allows and whose workspace fits. Without the timed search in this cuDNN,
 * or when it finds nothing usable, the heuristic choice stays.
 */
static int time_algorithm(Deep3DCudaNet *net, Conv *cv, CUdeviceptr x, CUdeviceptr y,
                          CUdeviceptr ws, size_t find_size)
{
    union {
        cudnnConvolutionFwdAlgoPerf_t fwd[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
        cudnnConvolutionBwdDataAlgoPerf_t bwd[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    } perf;
    const Deep3DCudnn *dnn = net->dnn;
    int n = 0, ret, heuristic = cv->algo;

    if (cv->transposed ? !dnn->cudnnFindConvolutionBackwardDataAlgorithmEx :
                         !dnn->cudnnFindConvolutionForwardAlgorithmEx)
        return 0;
    ret = cv->transposed ?
          CHECK_DNN(cudnnFindConvolutionBackwardDataAlgorithmEx(net->handle, cv->filter, PTR(cv->w),
                                                                cv->in, PTR(x), cv->conv, cv->out,
                                                                PTR(y), FF_ARRAY_ELEMS(perf.bwd),
                                                                &n, perf.bwd, PTR(ws), find_size)) :
          CHECK_DNN(cudnnFindConvolutionForwardAlgorithmEx(net->handle, cv->in, PTR(x), cv->filter,
                                                           PTR(cv->w), cv->conv, cv->out, PTR(y),
                                                           FF_ARRAY_ELEMS(perf.fwd), &n, perf.fwd,
                                                           PTR(ws), find_size));
    if (ret < 0)
        return ret;
    for (int i = 0; i < n; i++) {
        int algo   = cv->transposed ? perf.bwd[i].algo : perf.fwd[i].algo;
        int status = cv->transposed ? perf.bwd[i].status : perf.fwd[i].status;
        int math   = cv->transposed ? perf.bwd[i].mathType : perf.fwd[i].mathType;
        size_t mem = cv->transposed ? perf.bwd[i].memory : perf.fwd[i].memory;
        float time = cv->transposed ? perf.bwd[i].time : perf.fwd[i].time;

        if (status != CUDNN_STATUS_SUCCESS || !math_ok(net, math) || mem > find_size)
            continue;
        cv->algo      = algo;
        cv->workspace = mem;
        net->nb_timed++;
        av_log(net->log_ctx, AV_LOG_DEBUG, "%s: batch %d, %s algorithm %d timed fastest usable "
               "(%.4f ms, workspace %zu; %d timed; heuristic choice %d)\n", cv->name, net->batch,
               cv->transposed ? "backward-data" : "forward", algo, time, mem, n, heuristic);
        return 0;
    }
    av_log(net->log_ctx, AV_LOG_DEBUG, "%s: no usable timed algorithm, heuristic choice %d\n",
           cv->name, heuristic);
    return 0;
}

/*
 * A convolution from ci x ih x iw to co x oh x ow with a kh x kw kernel.
 * Forward: filter (co, ci, kh, kw). Transposed: the model's (ci, co, k, k)
 * weight is the filter of the forward convolution it transposes, which maps
 * the output back onto the input; cross-correlation, so no kernel flip
 * (docs/model-format.md section 4).
 */
static int conv_init(Deep3DCudaNet *net, Conv *cv, const char *name, int transposed,
                     int ci, int ih, int iw, int co, int oh, int ow,
                     int kh, int kw, int stride, int pad)
{
    /* fp16: half NHWC tensors and filters, accumulated in float (cuDNN's
     * "pseudo half"), tensor cores allowed */
    cudnnTensorFormat_t fmt = net->half ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW;
    cudnnDataType_t type    = net->half ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT;
    int n, c, h, w, want_c, want_h, want_w, ret;

    av_strlcpy(cv->name, name, sizeof(cv->name));
    cv->transposed = transposed;
    if ((ret = CHECK_DNN(cudnnCreateTensorDescriptor(&cv->in))) < 0 ||
        (ret = CHECK_DNN(cudnnCreateTensorDescriptor(&cv->out))) < 0 ||
        (ret = CHECK_DNN(cudnnCreateFilterDescriptor(&cv->filter))) < 0 ||
        (ret = CHECK_DNN(cudnnCreateConvolutionDescriptor(&cv->conv))) < 0)
        return ret;
    if ((ret = CHECK_DNN(cudnnSetTensor4dDescriptor(cv->in, fmt, type, net->batch, ci, ih, iw))) < 0 ||
        (ret = CHECK_DNN(cudnnSetTensor4dDescriptor(cv->out, fmt, type, net->batch, co, oh, ow))) < 0 ||
        (ret = CHECK_DNN(cudnnSetFilter4dDescriptor(cv->filter, type, fmt,
                                                    transposed ? ci : co, transposed ? co : ci,
                                                    kh, kw))) < 0 ||
        (ret = CHECK_DNN(cudnnSetConvolution2dDescriptor(cv->conv, pad, pad, stride, stride, 1, 1,
                                                         CUDNN_CROSS_CORRELATION,
                                                         CUDNN_DATA_FLOAT))) < 0 ||
        (ret = CHECK_DNN(cudnnSetConvolutionMathType(cv->conv, net->half ? CUDNN_TENSOR_OP_MATH :
                                                                           CUDNN_FMA_MATH))) < 0)
        return ret;

    /* The forward convolution must map the larger side onto the smaller one. */
    ret = CHECK_DNN(cudnnGetConvolution2dForwardOutputDim(cv->conv, transposed ? cv->out : cv->in,
                                                          cv->filter, &n, &c, &h, &w));
    if (ret < 0)
        return ret;
    want_c = transposed ? ci : co;
    want_h = transposed ? ih : oh;
    want_w = transposed ? iw : ow;
    if (n != net->batch || c != want_c || h != want_h || w != want_w) {
        av_log(net->log_ctx, AV_LOG_ERROR, "%s: cuDNN shape %dx%dx%dx%d, expected %dx%dx%dx%d.\n",
               name, n, c, h, w, net->batch, want_c, want_h, want_w);
        return AVERROR_BUG;
    }
    ret = choose_algorithm(net, cv);
    if (ret < 0)
        return ret;
    net->workspace_size = FFMAX(net->workspace_size, cv->workspace);
    av_log(net->log_ctx, AV_LOG_DEBUG, "%s: %dx%dx%d -> %dx%dx%d, %s algorithm %d, workspace %zu\n",
           name, ci, ih, iw, co, oh, ow, transposed ? "backward-data" : "forward", cv->algo,
           cv->workspace);
    return 0;
}

static void conv_uninit(Deep3DCudaNet *net, Conv *cv)
{
    const Deep3DCudnn *dnn = net->dnn;

    if (cv->in)
        dnn->cudnnDestroyTensorDescriptor(cv->in);
    if (cv->out)
        dnn->cudnnDestroyTensorDescriptor(cv->out);
    if (cv->filter)
        dnn->cudnnDestroyFilterDescriptor(cv->filter);
    if (cv->conv)
        dnn->cudnnDestroyConvolutionDescriptor(cv->conv);
    if (cv->bias_desc)
        dnn->cudnnDestroyTensorDescriptor(cv->bias_desc);
    memset(cv, 0, sizeof(*cv));
}

/* y = conv(x) + beta * y; alpha and beta are float for half tensors too */
static int conv_run(Deep3DCudaNet *net, const Conv *cv, CUdeviceptr x, CUdeviceptr y, float beta)
{
    const float one = 1.0f;
    void *ws = net->workspace_size ? PTR(net->workspace) : NULL;

    if (cv->transposed)
        return CHECK_DNN(cudnnConvolutionBackwardData(net->handle, &one, cv->filter, PTR(cv->w),
                                                      cv->in, PTR(x), cv->conv, cv->algo,
                                                      ws, net->workspace_size, &beta,
                                                      cv->out, PTR(y)));
    return CHECK_DNN(cudnnConvolutionForward(net->handle, &one, cv->in, PTR(x), cv->filter,
                                             PTR(cv->w), cv->conv, cv->algo, ws,
                                             net->workspace_size, &beta, cv->out, PTR(y)));
}

/* y = ReLU(conv(x) + bias) in one call (cv->fused) */
static int conv_bias_relu(Deep3DCudaNet *net, const Conv *cv, CUdeviceptr x, CUdeviceptr y,
                          CUdeviceptr bias)
{
    const float one = 1.0f, zero = 0.0f;
    void *ws = net->workspace_size ? PTR(net->workspace) : NULL;

    /* z = y with alpha2 = 0: not read */
    return CHECK_DNN(cudnnConvolutionBiasActivationForward(net->handle, &one, cv->in, PTR(x),
                                                           cv->filter, PTR(cv->w), cv->conv,
                                                           cv->algo, ws, net->workspace_size,
                                                           &zero, cv->out, PTR(y), cv->bias_desc,
                                                           PTR(bias), net->relu, cv->out, PTR(y)));
}

/* ---- our kernels: one launch for the whole batch ---- */

static int launch(Deep3DCudaNet *net, CUfunction f, size_t n, void **args)
{
    return CHECK_CU(net->cu->cuLaunchKernel(f, (n + BLOCK - 1) / BLOCK, 1, 1, BLOCK, 1, 1, 0,
                                            net->stream, args, NULL));
}

/* x += bias, ReLU if relu: every frame of c (fp16: padded) channels of hw values. */
static int bias_act(Deep3DCudaNet *net, CUdeviceptr x, CUdeviceptr bias, int c, int hw, int relu)
{
    int n = net->batch;
    void *args[] = { &x, &bias, &c, &hw, &n, &relu };
    return launch(net, net->half ? net->bias_act_h : net->bias_act, (size_t)n * c * hw, args);
}

/* ---- the network: the layer list, in order ---- */

static int pool_bn(Deep3DCudaNet *net, int i, CUdeviceptr x, CUdeviceptr y)
{
    const Deep3DLayer *l = &net->layers.layer[i];
    int c = chans(net, l->in.c), h = l->in.h, w = l->in.w, n = net->batch;
    CUdeviceptr bn = l->side >= 0 ? net->buf[l->side] : 0;
    void *args[] = { &x, &y, &bn, &net->bn_scale[i], &net->bn_mean[i], &net->bn_beta[i],
                     &c, &h, &w, &n };

    return launch(net, net->half ? net->pool_bn_h : net->pool_bn,
                  (size_t)n * c * (h / 2) * (w / 2), args);
}

/* The softmax of the logits x, with the bias they still owe, into the float probabilities. */
static int bias_softmax(Deep3DCudaNet *net, int i, CUdeviceptr x, CUdeviceptr probs)
{
    const Deep3DLayer *l = &net->layers.layer[i];
    int k = l->out.c, kp = chans(net, k), hw = l->out.h * l->out.w, n = net->batch;
    void *args[]   = { &probs, &net->pending[i], &k, &hw, &n };
    void *args_h[] = { &x, &net->pending[i], &probs, &k, &kp, &hw, &n };

    return launch(net, net->half ? net->softmax_h : net->softmax, (size_t)n * hw,
                  net->half ? args_h : args);
}

/* Layer i (RELU of the sum): ReLU(summed biases + every branch's transposed convolution). */
static int deconv_sum(Deep3DCudaNet *net, int i, CUdeviceptr y)
{
    const Deep3DLayer *l = &net->layers.layer[i];
    int k = l->out.c, kp = chans(net, k), oh = l->out.h, ow = l->out.w, n = net->batch;
    void *args[]   = { &net->deconv_desc, &net->nb_branches, &net->pending[i], &y,
                       &k, &oh, &ow, &n };
    void *args_h[] = { &net->deconv_desc, &net->nb_branches, &net->pending[i], &y,
                       &k, &kp, &oh, &ow, &n };

    return launch(net, net->half ? net->deconv_sum_h : net->deconv_sum,
                  (size_t)n * kp * oh * ow, net->half ? args_h : args);
}

/* Add the biases still owed by the source of layer i (RELU and SOFTMAX add them themselves). */
static int add_pending(Deep3DCudaNet *net, int i, CUdeviceptr x)
{
    return net->pending[i] ? bias_act(net, x, net->pending[i], net->pending_c[i],
                                      net->pending_hw[i], 0) : 0;
}

int ff_deep3d_cuda_net_forward(Deep3DCudaNet *net, CUdeviceptr input, CUdeviceptr probs)
{
    int ret;

    if (net->half) {
        int three = 3, eight = chans(net, 3), n = net->batch;
        int hw = net->layers.buffer_elems[DEEP3D_BUF_INPUT] / 3;
        void *args[] = { &input, &net->buf[DEEP3D_BUF_INPUT], &three, &eight, &hw, &n };
        if ((ret = launch(net, net->to_half, (size_t)n * eight * hw, args)) < 0)
            return ret;
    } else {
        net->buf[DEEP3D_BUF_INPUT]  = input;
        net->buf[DEEP3D_BUF_OUTPUT] = probs;
    }

    for (int i = 0; i < net->layers.nb_layers; i++) {
        const Deep3DLayer *l = &net->layers.layer[i];
        CUdeviceptr x = net->buf[l->src];
        /* a branch's input: the copy of its own that the sum kernel reads */
        CUdeviceptr y = net->own[i] ? net->own[i] : net->buf[l->dst];
        int c, hw;

        switch (l->op) {
        case DEEP3D_OP_CONV:
        case DEEP3D_OP_FC:
        case DEEP3D_OP_DECONV:
            /* a branch runs in the sum kernel (its source owes nothing: checked at init) */
            if (net->branch[i])
                break;
            bias_shape(l, &c, &hw);
            if ((ret = add_pending(net, i, x)) < 0)
                return ret;
            if (net->conv[i].fused) {
                if ((ret = conv_bias_relu(net, &net->conv[i], x, y, net->bias[i])) < 0)
                    return ret;
                break;
            }
            if ((ret = conv_run(net, &net->conv[i], x, y, l->accumulate ? 1.0f : 0.0f)) < 0 ||
                (net->bias[i] &&
                 (ret = bias_act(net, y, net->bias[i], chans(net, c), hw, 1)) < 0))
                return ret;
            break;
        case DEEP3D_OP_POOL:
            if ((ret = add_pending(net, i, x)) < 0 || (ret = pool_bn(net, i, x, y)) < 0)
                return ret;
            break;
        case DEEP3D_OP_RELU:
            ret = i == net->sum_layer ? deconv_sum(net, i, y) :
                  bias_act(net, y, net->pending[i], chans(net, l->out.c), l->out.h * l->out.w, 1);
            if (ret < 0)
                return ret;
            break;
        case DEEP3D_OP_SOFTMAX:
            if ((ret = bias_softmax(net, i, x, probs)) < 0)
                return ret;
            break;
        }
    }
    return 0;
}

/*
 * Convolutions followed by their bias and ReLU (fusable()) become one
 * cudnnConvolutionBiasActivationForward. fp32: the same float sums, the
 * convolution, plus the bias, then the ReLU. fp16: cuDNN's half
 * configuration, whose bias is half (rounded at load: an error of at most
 * 2^-12 of the bias, below the rounding of the half output itself); the
 * sums stay float, the output is rounded once. Saves a kernel and a pass
 * over the activation per layer.
 */
static int fuse(Deep3DCudaNet *net)
{
    cudnnTensorFormat_t fmt = net->half ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW;
    cudnnDataType_t type    = net->half ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT;
    int ret;

    for (int i = 0; i < net->layers.nb_layers; i++) {
        const Deep3DLayer *l = &net->layers.layer[i];
        Conv *cv = &net->conv[i];
        int c, hw;

        if (!fusable(net, l) || !net->bias[i])
            continue;
        if (!net->relu &&
            ((ret = CHECK_DNN(cudnnCreateActivationDescriptor(&net->relu))) < 0 ||
             (ret = CHECK_DNN(cudnnSetActivationDescriptor(net->relu, CUDNN_ACTIVATION_RELU,
                                                           CUDNN_NOT_PROPAGATE_NAN, 0.0))) < 0))
            return ret;
        bias_shape(l, &c, &hw);
        if ((ret = CHECK_DNN(cudnnCreateTensorDescriptor(&cv->bias_desc))) < 0 ||
            (ret = CHECK_DNN(cudnnSetTensor4dDescriptor(cv->bias_desc, fmt, type, 1,
                                                        chans(net, c), 1, 1))) < 0)
            return ret;
        cv->fused = 1;
        net->nb_fused++;
    }
    return 0;
}

/*
 * Every convolution's algorithm timed by cuDNN at init, on the network's
 * buffers at this batch size, with a workspace as large as the largest any
 * usable algorithm of any layer wants (held only meanwhile); then the
 * workspace is sized for the algorithms chosen. fp32: the caller's input
 * and output are stood in for by buffers of their size, also held meanwhile.
 */
static int time_algorithms(Deep3DCudaNet *net)
{
    const Deep3DLayers *layers = &net->layers;
    size_t es = net->elem * net->batch, find_size = 0;
    CUdeviceptr ws = 0, stand_in[2] = { 0 };
    int ret = 0;

    if (!net->dnn->cudnnFindConvolutionForwardAlgorithmEx &&
        !net->dnn->cudnnFindConvolutionBackwardDataAlgorithmEx)
        return 0;
    for (int i = 0; i < layers->nb_layers; i++)
        find_size = FFMAX(find_size, net->conv[i].find_workspace);
    if ((ret = dev_alloc(net, &ws, find_size, "the algorithm search")) < 0)
        goto end;
    if (!net->half &&
        ((ret = dev_alloc(net, &stand_in[0], layers->buffer_elems[DEEP3D_BUF_INPUT] * es,
                          "the algorithm search")) < 0 ||
         (ret = dev_alloc(net, &stand_in[1], layers->buffer_elems[DEEP3D_BUF_OUTPUT] * es,
                          "the algorithm search")) < 0))
        goto end;
    net->workspace_size = 0;
    for (int i = 0; i < layers->nb_layers; i++) {
        const Deep3DLayer *l = &layers->layer[i];
        Conv *cv = &net->conv[i];
        CUdeviceptr x, y;

        if ((l->op != DEEP3D_OP_CONV && l->op != DEEP3D_OP_FC && l->op != DEEP3D_OP_DECONV) ||
            net->branch[i])
            continue;
        x = !net->half && l->src == DEEP3D_BUF_INPUT  ? stand_in[0] :
            !net->half && l->src == DEEP3D_BUF_OUTPUT ? stand_in[1] : net->buf[l->src];
        y = !net->half && l->dst == DEEP3D_BUF_INPUT  ? stand_in[0] :
            !net->half && l->dst == DEEP3D_BUF_OUTPUT ? stand_in[1] :
            net->own[i] ? net->own[i] : net->buf[l->dst];
        if ((ret = time_algorithm(net, cv, x, y, ws, find_size)) < 0)
            goto end;
        net->workspace_size = FFMAX(net->workspace_size, cv->workspace);
    }
end:
    /* what the search held is not counted as the network's */
    for (int i = 0; i < 2; i++)
        if (stand_in[i]) {
            dev_free(net, &stand_in[i]);
            net->device_bytes -= layers->buffer_elems[i ? DEEP3D_BUF_OUTPUT : DEEP3D_BUF_INPUT] * es;
        }
    if (ws) {
        dev_free(net, &ws);
        net->device_bytes -= find_size;
    }
    return ret;
}

/*
 * The transposed convolutions without ReLU whose sum a RELU layer rectifies
 * (the branches of docs/model-format.md section 4) run in one kernel of
 * ours at that RELU. Each reads its input from the layer right before it,
 * a convolution or FC layer, which then writes to a buffer of its own: the
 * branches share one buffer in the list, as the CPU engine runs each
 * at once.
 */
static int plan_branches(Deep3DCudaNet *net)
{
    const Deep3DLayers *layers = &net->layers;

    net->sum_layer = -1;
    for (int i = 0; i < layers->nb_layers; i++) {
        const Deep3DLayer *r = &layers->layer[i];
        int nb = 0;

        if (r->op != DEEP3D_OP_RELU)
            continue;
        for (int j = 1; j < i; j++) {
            const Deep3DLayer *l = &layers->layer[j], *w = &layers->layer[j - 1];
            if (l->op != DEEP3D_OP_DECONV || l->relu || l->dst != r->src)
                continue;
            if ((w->op != DEEP3D_OP_CONV && w->op != DEEP3D_OP_FC) || w->dst != l->src ||
                l->out.c != r->out.c || l->out.h != r->out.h || l->out.w != r->out.w ||
                l->in.c != r->out.c || nb >= DEEP3D_DECONV_MAX_BRANCHES || net->sum_layer >= 0) {
                av_log(net->log_ctx, AV_LOG_ERROR, "%s: not a branch the GPU sum kernel "
                       "takes.\n", l->name);
                return AVERROR_BUG;
            }
            net->branch[j] = 1;
            nb++;
        }
        if (nb) {
            net->sum_layer   = i;
            net->nb_branches = nb;
        }
    }
    return 0;
}

/* Per-frame elements of a tensor; fp16: channels padded, an FC output's vector as channels. */
static size_t tensor_elems(const Deep3DCudaNet *net, Deep3DShape s, int vector)
{
    return vector ? (size_t)chans(net, ff_deep3d_shape_elems(s)) :
                    (size_t)chans(net, s.c) * s.h * s.w;
}

/* The branches' inputs, strides and weights for the sum kernel, on the device. */
static int upload_branches(Deep3DCudaNet *net)
{
    const Deep3DLayers *layers = &net->layers;
    long long desc[DEEP3D_DECONV_MAX_BRANCHES * DEEP3D_DECONV_FIELDS] = { 0 };
    int b = 0, ret;

    if (net->sum_layer < 0)
        return 0;
    for (int j = 0; j < layers->nb_layers; j++) {
        const Deep3DLayer *l = &layers->layer[j], *w;
        long long *d = desc + b * DEEP3D_DECONV_FIELDS;
        int hw = l->in.h * l->in.w, cp = chans(net, l->in.c);

        if (!net->branch[j])
            continue;
        w = &layers->layer[j - 1]; /* a branch is never the first layer (checked at setup) */
        if (net->pending[j]) {
            av_log(net->log_ctx, AV_LOG_ERROR, "%s: its input owes a bias.\n", l->name);
            return AVERROR_BUG;
        }
        d[DEEP3D_DECONV_IN] = (long long)net->own[j - 1];
        d[DEEP3D_DECONV_W]  = (long long)net->conv[j].w;
        d[DEEP3D_DECONV_C]  = l->in.c;
        d[DEEP3D_DECONV_IH] = l->in.h;
        d[DEEP3D_DECONV_IW] = l->in.w;
        d[DEEP3D_DECONV_K]  = l->k;
        d[DEEP3D_DECONV_S]  = l->stride;
        d[DEEP3D_DECONV_P]  = l->pad;
        d[DEEP3D_DECONV_SN] = tensor_elems(net, w->out, w->op == DEEP3D_OP_FC);
        if (w->op == DEEP3D_OP_FC || !net->half) {
            /* C order: an FC layer's vector, or NCHW */
            d[DEEP3D_DECONV_SC] = hw;
            d[DEEP3D_DECONV_SY] = l->in.w;
            d[DEEP3D_DECONV_SX] = 1;
        } else {
            d[DEEP3D_DECONV_SC] = 1;
            d[DEEP3D_DECONV_SY] = (long long)l->in.w * cp;
            d[DEEP3D_DECONV_SX] = cp;
        }
        b++;
    }
    if ((ret = dev_alloc(net, &net->deconv_desc, sizeof(desc), "the branch table")) < 0)
        return ret;
    /* on the filter's stream, and done before desc goes */
    if ((ret = CHECK_CU(net->cu->cuMemcpyHtoDAsync(net->deconv_desc, desc, sizeof(desc),
                                                   net->stream))) < 0)
        return ret;
    return CHECK_CU(net->cu->cuStreamSynchronize(net->stream));
}

static int build(Deep3DCudaNet *net)
{
    const Deep3DLayers *layers = &net->layers;
    int used[DEEP3D_MAX_BUFFERS] = { 0 }, ret;

    if ((ret = plan_branches(net)) < 0)
        return ret;
    for (int i = 0; i < layers->nb_layers; i++) {
        const Deep3DLayer *l = &layers->layer[i];
        Conv *cv = &net->conv[i];
        int fc = l->op == DEEP3D_OP_FC;

        /* every buffer holds the largest tensor it takes; a branch's source writes its own */
        net->elems[l->src] = FFMAX(net->elems[l->src], tensor_elems(net, l->in, 0));
        if (!(i + 1 < layers->nb_layers && net->branch[i + 1])) {
            net->elems[l->dst] = FFMAX(net->elems[l->dst], tensor_elems(net, l->out, fc));
            used[l->dst] = 1;
        }
        if (l->side >= 0) {
            net->elems[l->side] = FFMAX(net->elems[l->side], tensor_elems(net, l->out, 0));
            used[l->side] = 1;
        }
        if (!net->branch[i])
            used[l->src] = 1;

        switch (l->op) {
        case DEEP3D_OP_CONV:
        case DEEP3D_OP_DECONV:
            if (net->branch[i])
                continue;
            ret = conv_init(net, cv, l->name, l->op == DEEP3D_OP_DECONV,
                            chans(net, l->in.c), l->in.h, l->in.w,
                            chans(net, l->out.c), l->out.h, l->out.w,
                            l->k, l->k, l->stride, l->pad);
            break;
        case DEEP3D_OP_FC:
            /* FC layers as convolutions whose kernel covers the whole input map */
            ret = conv_init(net, cv, l->name, 0, chans(net, l->in.c), l->in.h, l->in.w,
                            tensor_elems(net, l->out, 1), 1, 1, l->in.h, l->in.w, 1, 0);
            break;
        default:
            continue;
        }
        if (ret < 0)
            return ret;
    }

    if ((ret = upload_weights(net)) < 0)
        return ret;
    /* every activation holds the whole batch; fp16: the network's input and last
     * logits in half too, the float ones are the caller's */
    for (int i = net->half ? 0 : DEEP3D_BUF_INTERNAL; i < layers->nb_buffers; i++)
        if (used[i] &&
            (ret = dev_alloc(net, &net->buf[i], net->elems[i] * net->elem * net->batch,
                             "activations")) < 0)
            return ret;
    for (int i = 0; i + 1 < layers->nb_layers; i++) {
        const Deep3DLayer *l = &layers->layer[i];
        if (net->branch[i + 1] &&
            (ret = dev_alloc(net, &net->own[i], tensor_elems(net, l->out, l->op == DEEP3D_OP_FC) *
                             net->elem * net->batch, "activations")) < 0)
            return ret;
    }
    if ((ret = upload_branches(net)) < 0 || (ret = fuse(net)) < 0 ||
        (ret = time_algorithms(net)) < 0)
        return ret;
    return dev_alloc(net, &net->workspace, net->workspace_size, "the cuDNN workspace");
}

/* One network of the given precision; the context must be current. */
static int net_create(Deep3DCudaNet **pnet, void *log_ctx, const Deep3DModel *m,
                      AVCUDADeviceContext *hwctx, CUstream stream, const Deep3DCudnn *dnn,
                      int half, int batch)
{
    static const struct { size_t off; const char *name; } kernels[] = {
#define KERNEL(field, name) { offsetof(Deep3DCudaNet, field), name }
        KERNEL(bias_act,     "deep3d_bias_act"),
        KERNEL(pool_bn,      "deep3d_pool_bn"),
        KERNEL(softmax,      "deep3d_bias_softmax"),
        KERNEL(deconv_sum,   "deep3d_deconv_sum"),
        KERNEL(to_half,      "deep3d_to_half"),
        KERNEL(bias_act_h,   "deep3d_bias_act_h"),
        KERNEL(pool_bn_h,    "deep3d_pool_bn_h"),
        KERNEL(softmax_h,    "deep3d_bias_softmax_h"),
        KERNEL(deconv_sum_h, "deep3d_deconv_sum_h"),
#undef KERNEL
    };
    Deep3DCudaNet *net;
    int ret;

    *pnet = NULL;
    net = av_mallocz(sizeof(*net));
    if (!net)
        return AVERROR(ENOMEM);
    net->log_ctx = log_ctx;
    net->hwctx   = hwctx;
    net->stream  = stream;
    net->cu      = hwctx->internal->cuda_dl;
    net->dnn     = dnn;
    net->batch   = FFMAX(batch, 1);
    net->half    = half;
    net->elem    = half ? sizeof(uint16_t) : sizeof(float);

    if ((ret = ff_deep3d_layers_build(&net->layers, m)) < 0) {
        av_log(log_ctx, AV_LOG_ERROR, "The model does not fit the layer list.\n");
        goto fail;
    }
    ret = CHECK_DNN(cudnnCreate(&net->handle));
    if (ret < 0) {
        net->handle = NULL;
        goto fail;
    }
    /* cuDNN works on the filter's stream, so it is ordered with the frame kernels
     * and captured with them into a CUDA graph */
    ret = CHECK_DNN(cudnnSetStream(net->handle, stream));
    if (ret < 0)
        goto fail;

    ret = ff_cuda_load_module(log_ctx, hwctx, &net->module, ff_deep3d_cuda_net_ptx_data,
                              ff_deep3d_cuda_net_ptx_len);
    if (ret < 0)
        goto fail;
    for (int i = 0; i < FF_ARRAY_ELEMS(kernels); i++)
        if ((ret = CHECK_CU(net->cu->cuModuleGetFunction((CUfunction *)((uint8_t *)net +
                                                                         kernels[i].off),
                                                         net->module, kernels[i].name))) < 0)
            goto fail;
    if ((ret = build(net)) < 0)
        goto fail;
    *pnet = net;
    return 0;
fail:
    ff_deep3d_cuda_net_free(&net);
    return ret;
}

int ff_deep3d_cuda_net_pick_half(float ms_fp32, float ms_fp16)
{
    /* a tie keeps fp32: the output closer to the CPU path's */
    return ms_fp16 < ms_fp32;
}

#define AUTO_ROUNDS 3
#define AUTO_ITERS  4

/*
 * The time of one forward pass of each network, the least of AUTO_ROUNDS
 * rounds of AUTO_ITERS passes (the least disturbed), on stand-in input and
 * output buffers of the real sizes, after one untimed pass each; the two
 * alternate which goes first. The context must be current.
 */
static int measure(Deep3DCudaNet *const net[2], float ms[2])
{
    Deep3DCudaNet *n0 = net[0];
    CudaFunctions *cu = n0->cu;
    CUstream s = n0->stream;
    Deep3DCudaDriver drv = { 0 };
    CUevent ev[3] = { 0 };
    CUdeviceptr in = 0, out = 0;
    size_t in_bytes  = n0->layers.buffer_elems[DEEP3D_BUF_INPUT] * sizeof(float) * n0->batch;
    size_t out_bytes = n0->layers.buffer_elems[DEEP3D_BUF_OUTPUT] * sizeof(float) * n0->batch;
    int ret;

    ms[0] = ms[1] = INFINITY;
    if ((ret = ff_deep3d_cuda_driver_load(&drv, n0->log_ctx)) < 0)
        return ret;
    for (int i = 0; i < 3; i++)
        if ((ret = FF_CUDA_CHECK_DL(n0->log_ctx, cu, cu->cuEventCreate(&ev[i], 0))) < 0)
            goto end;
    if ((ret = ff_deep3d_cuda_alloc(n0->log_ctx, cu, &in, in_bytes, "the precision test", NULL)) < 0 ||
        (ret = ff_deep3d_cuda_alloc(n0->log_ctx, cu, &out, out_bytes, "the precision test", NULL)) < 0 ||
        (ret = FF_CUDA_CHECK_DL(n0->log_ctx, cu, cu->cuMemsetD8Async(in, 0, in_bytes, s))) < 0)
        goto end;
    for (int k = 0; k < 2; k++)
        if ((ret = ff_deep3d_cuda_net_forward(net[k], in, out)) < 0)
            goto end;
    for (int r = 0; r < AUTO_ROUNDS; r++) {
        float t[2];
        if ((ret = FF_CUDA_CHECK_DL(n0->log_ctx, cu, cu->cuEventRecord(ev[0], s))) < 0)
            goto end;
        for (int k = 0; k < 2; k++) {
            Deep3DCudaNet *nk = net[(k + r) & 1];
            for (int it = 0; it < AUTO_ITERS; it++)
                if ((ret = ff_deep3d_cuda_net_forward(nk, in, out)) < 0)
                    goto end;
            if ((ret = FF_CUDA_CHECK_DL(n0->log_ctx, cu, cu->cuEventRecord(ev[k + 1], s))) < 0)
                goto end;
        }
        if ((ret = FF_CUDA_CHECK_DL(n0->log_ctx, cu, cu->cuEventSynchronize(ev[2]))) < 0 ||
            (ret = FF_CUDA_CHECK_DL(n0->log_ctx, cu, drv.cuEventElapsedTime(&t[0], ev[0], ev[1]))) < 0 ||
            (ret = FF_CUDA_CHECK_DL(n0->log_ctx, cu, drv.cuEventElapsedTime(&t[1], ev[1], ev[2]))) < 0)
            goto end;
        for (int k = 0; k < 2; k++)
            ms[(k + r) & 1] = FFMIN(ms[(k + r) & 1], t[k] / AUTO_ITERS);
    }
end:
    /* the stream is idle before the buffers go */
    if (in || out)
        FF_CUDA_CHECK_DL(n0->log_ctx, cu, cu->cuStreamSynchronize(s));
    ff_deep3d_cuda_free_mem(n0->log_ctx, cu, &in);
    ff_deep3d_cuda_free_mem(n0->log_ctx, cu, &out);
    for (int i = 0; i < 3; i++)
        if (ev[i])
            cu->cuEventDestroy(ev[i]);
    ff_deep3d_cuda_driver_unload(&drv);
    return ret;
}

/* precision=auto on a GPU with tensor cores: both built, timed, the slower freed. */
static int init_measured(Deep3DCudaNet **pnet, void *log_ctx, const Deep3DModel *m,
                         AVCUDADeviceContext *hwctx, CUstream stream, const Deep3DCudnn *dnn,
                         int batch, int major, int minor)
{
    Deep3DCudaNet *net[2] = { NULL };
    float ms[2];
    int ret, half;

    if ((ret = net_create(&net[0], log_ctx, m, hwctx, stream, dnn, 0, batch)) < 0)
        goto end;
    if ((ret = net_create(&net[1], log_ctx, m, hwctx, stream, dnn, 1, batch)) < 0 ||
        (ret = measure(net, ms)) < 0) {
        /* fp16 could not be built or timed here (no algorithm, memory): fp32, which could */
        av_log(log_ctx, AV_LOG_WARNING, "precision=auto: fp16 could not be built or timed "
               "(%s); fp32 runs.\n", av_err2str(ret));
        snprintf(net[0]->precision, sizeof(net[0]->precision), "fp32 (auto: compute capability "
                 "%d.%d, fp16 failed: %s)", major, minor, av_err2str(ret));
        *pnet  = net[0];
        net[0] = NULL;
        ret    = 0;
        goto end;
    }
    half = ff_deep3d_cuda_net_pick_half(ms[0], ms[1]);
    av_log(log_ctx, AV_LOG_VERBOSE, "precision=auto: one forward pass of batch %d takes "
           "%.4f ms in fp32, %.4f ms in fp16 (least of %d rounds of %d): %s\n", net[0]->batch,
           ms[0], ms[1], AUTO_ROUNDS, AUTO_ITERS, half ? "fp16" : "fp32");
    snprintf(net[half]->precision, sizeof(net[half]->precision), "%s (auto: compute capability "
             "%d.%d, measured %.3f ms fp16 vs %.3f ms fp32 per batch)",
             half ? "fp16 NHWC" : "fp32", major, minor, ms[1], ms[0]);
    *pnet = net[half];
    net[half] = NULL;
end:
    ff_deep3d_cuda_net_free(&net[0]);
    ff_deep3d_cuda_net_free(&net[1]);
    return ret;
}

int ff_deep3d_cuda_net_init(Deep3DCudaNet **pnet, void *log_ctx, const Deep3DModel *m,
                            AVCUDADeviceContext *hwctx, CUstream stream, const Deep3DCudnn *dnn,
                            int precision, int batch)
{
    CudaFunctions *cu = hwctx->internal->cuda_dl;
    CUdevice dev = hwctx->internal->cuda_device;
    Deep3DCudaNet *probe;
    char why[160] = "", bad[32] = "";
    float bad_value = 0;
    int ret, half = precision == DEEP3D_PRECISION_FP16, major = 0, minor = 0;

    *pnet = NULL;
    /* the branches' filters are float in fp16 too: the layer list and branches decide */
    probe = av_mallocz(sizeof(*probe));
    if (!probe)
        return AVERROR(ENOMEM);
    probe->log_ctx = log_ctx;
    if ((ret = ff_deep3d_layers_build(&probe->layers, m)) < 0)
        av_log(log_ctx, AV_LOG_ERROR, "The model does not fit the layer list.\n");
    if (ret < 0 || (ret = plan_branches(probe)) < 0) {
        av_free(probe);
        return ret;
    }
    half_range_bad(&probe->layers, probe->branch, bad, sizeof(bad), &bad_value);
    av_free(probe);

    if (precision == DEEP3D_PRECISION_FP16 && bad[0]) {
        /* a filter beyond the half range would become infinite: refuse it */
        av_log(log_ctx, AV_LOG_ERROR, "precision=fp16: %s holds %g, beyond the half range "
               "(+-%g); use precision=fp32 for this model.\n", bad, bad_value, DEEP3D_HALF_MAX);
        return AVERROR(ERANGE);
    }
    if (precision == DEEP3D_PRECISION_FP32 || precision == DEEP3D_PRECISION_FP16)
        snprintf(why, sizeof(why), "%s (requested)", half ? "fp16 NHWC" : "fp32");
    else if (precision == DEEP3D_PRECISION_BF16)
        snprintf(why, sizeof(why), "fp32 (precision=bf16 is the CPU engine's; the GPU runs "
                 "fp16 or fp32)");
    else if (!cu->cuDeviceGetAttribute ||
             cu->cuDeviceGetAttribute(&major, (CUdevice_attribute)CU_ATTR_CC_MAJOR, dev) != CUDA_SUCCESS ||
             cu->cuDeviceGetAttribute(&minor, (CUdevice_attribute)CU_ATTR_CC_MINOR, dev) != CUDA_SUCCESS)
        snprintf(why, sizeof(why), "fp32 (auto: the compute capability could not be read, so "
                 "tensor cores are not assumed)");
    else if (major < 7)
        snprintf(why, sizeof(why), "fp32 (auto: compute capability %d.%d, no tensor cores)",
                 major, minor);
    else if (bad[0])
        snprintf(why, sizeof(why), "fp32 (auto: %s holds %g, beyond the half range)", bad,
                 bad_value);
    else
        ret = init_measured(pnet, log_ctx, m, hwctx, stream, dnn, batch, major, minor);
    if (why[0])
        ret = net_create(pnet, log_ctx, m, hwctx, stream, dnn, half, batch);
    if (ret < 0)
        return ret;
    if (why[0])
        av_strlcpy((*pnet)->precision, why, sizeof((*pnet)->precision));
    av_log(log_ctx, AV_LOG_VERBOSE, "GPU network: %s, batch %d, %zu MiB of device memory "
           "(workspace %zu MiB); algorithms of %d cuDNN calls timed, %d with bias and ReLU "
           "fused; %d transposed convolutions summed in one kernel%s\n", (*pnet)->precision,
           (*pnet)->batch, (*pnet)->device_bytes >> 20, (*pnet)->workspace_size >> 20,
           (*pnet)->nb_timed, (*pnet)->nb_fused, (*pnet)->nb_branches,
           (*pnet)->half ? "; channels padded to multiples of 8" : "");
    return 0;
}

size_t ff_deep3d_cuda_net_device_bytes(const Deep3DCudaNet *net)
{
    return net->device_bytes;
}

const char *ff_deep3d_cuda_net_precision(const Deep3DCudaNet *net)
{
    return net->precision;
}

void ff_deep3d_cuda_net_free(Deep3DCudaNet **pnet)
{
    Deep3DCudaNet *net = *pnet;

    if (!net)
        return;
    for (int i = 0; i < DEEP3D_MAX_LAYERS; i++)
        conv_uninit(net, &net->conv[i]);
    if (net->relu)
        net->dnn->cudnnDestroyActivationDescriptor(net->relu);
    if (net->handle)
        net->dnn->cudnnDestroy(net->handle);

    dev_free(net, &net->weights);
    /* fp32: the input and output buffers are the caller's */
    for (int i = net->half ? 0 : DEEP3D_BUF_INTERNAL; i < DEEP3D_MAX_BUFFERS; i++)
        dev_free(net, &net->buf[i]);
    for (int i = 0; i < DEEP3D_MAX_LAYERS; i++)
        dev_free(net, &net->own[i]);
    dev_free(net, &net->deconv_desc);
    dev_free(net, &net->workspace);
    if (net->module)
        CHECK_CU(net->cu->cuModuleUnload(net->module));
    av_freep(pnet);
}
