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

#include "deep3d_cuda_net.h"
#include "deep3d_half.h"
#include "cuda/load_helper.h"

#define CHECK_CU(x)  FF_CUDA_CHECK_DL(net->log_ctx, net->cu, x)
#define CHECK_DNN(x) DEEP3D_CHECK_DNN(net->dnn, net->log_ctx, x)
#define PTR(p) ((void *)(uintptr_t)(p))

/* ffnvcodec declares only a few CUresult and attribute values; these are the driver API's. */
#define CU_ERR_OUT_OF_MEMORY 2
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
    CUdeviceptr w;
} Conv;

struct Deep3DCudaNet {
    void *log_ctx;
    const Deep3DModel *m;
    AVCUDADeviceContext *hwctx;
    CudaFunctions *cu;
    const Deep3DCudnn *dnn;
    cudnnHandle_t handle;
    CUmodule module;
    CUfunction bias_act, pool_bn, softmax;
    CUfunction to_half, bias_act_h, pool_bn_h, softmax_h;

    int half;                       ///< fp16: half NHWC activations and filters
    size_t elem;                    ///< bytes of one activation
    char precision[160];            ///< what runs and why, for the log

    CUdeviceptr weights;            ///< one block holding every parameter
    CUdeviceptr a, b;               ///< trunk activations, ping-pong
    CUdeviceptr bn;                 ///< BatchNorm of the current stage's pooled map
    CUdeviceptr pred;               ///< K channels of the current branch
    CUdeviceptr sum;                ///< K x H/2 x W/2, sum of the branches
    CUdeviceptr up;                 ///< K x H x W
    CUdeviceptr fc[3];              ///< fc6, fc7, pred5 outputs (original)
    CUdeviceptr input_h;            ///< fp16: the network input in half
    CUdeviceptr logits;             ///< fp16: the last convolution's output
    CUdeviceptr workspace;
    size_t workspace_size, device_bytes;

    Conv trunk[DEEP3D_STAGES][DEEP3D_MAX_CONVS];
    Conv pred_conv[DEEP3D_STAGES], deconv[DEEP3D_STAGES];
    Conv fc6, fc7, pred5, up_deconv, final_conv;

    CUdeviceptr trunk_b[DEEP3D_STAGES][DEEP3D_MAX_CONVS];
    CUdeviceptr bn_scale[DEEP3D_STAGES], bn_mean[DEEP3D_STAGES], bn_beta[DEEP3D_STAGES];
    CUdeviceptr pred_b[DEEP3D_STAGES];
    CUdeviceptr branch_b;           ///< the deconvolution biases of all branches, summed
    CUdeviceptr fc6_b, fc7_b, pred5_b, up_b, final_b;
};

/* ---- device memory ---- */

static int dev_alloc(Deep3DCudaNet *net, CUdeviceptr *p, size_t bytes, const char *what)
{
    CUresult err;

    if (!bytes)
        return 0;
    err = net->cu->cuMemAlloc(p, bytes);
    if (err == CU_ERR_OUT_OF_MEMORY) {
        av_log(net->log_ctx, AV_LOG_ERROR, "Out of GPU memory allocating %zu MiB for %s "
               "(%zu MiB held by the network so far).\n", bytes >> 20, what,
               net->device_bytes >> 20);
        *p = 0;
        return AVERROR(ENOMEM);
    }
    if (CHECK_CU(err) < 0) {
        *p = 0;
        return AVERROR_EXTERNAL;
    }
    net->device_bytes += bytes;
    return 0;
}

static void dev_free(Deep3DCudaNet *net, CUdeviceptr *p)
{
    if (*p)
        CHECK_CU(net->cu->cuMemFree(*p));
    *p = 0;
}

/* ---- weights: counted, then copied into one device block ---- */

/*
 * fp32: every parameter as the model stores it. fp16: the filters (what
 * cuDNN reads) in half, KRSC (NHWC filters: input channels innermost),
 * rounded to nearest even; biases and BatchNorm stay float for our kernels.
 */
typedef struct Upload {
    uint8_t *host;          ///< staging buffer; NULL while counting
    size_t used;            ///< bytes placed so far
    CUdeviceptr base;
    int half;
    char bad[32];           ///< fp16: the first filter with a value beyond the half range
    float bad_value;
} Upload;

/*
 * The CHW index of a channel-major map of n = c * hw values, moved to HWC:
 * pred5's outputs are the (K, h5, w5) map in C order, which the fp16
 * network keeps channels-innermost.
 */
static size_t to_hwc(size_t i, size_t n, int hw)
{
    return hw > 1 ? i % hw * (n / hw) + i / hw : i;
}

/* n float parameters; hw > 1 (fp16 only): reordered CHW to HWC as above. */
static CUdeviceptr put(Upload *u, const float *src, size_t n, int hw)
{
    CUdeviceptr at = u->base + u->used;
    if (u->host) {
        float *dst = (float *)(u->host + u->used);
        for (size_t i = 0; i < n; i++)
            dst[to_hwc(i, n, u->half ? hw : 1)] = src[i];
    }
    u->used += FFALIGN(n * sizeof(float), ALIGN_BYTES);
    return at;
}

/*
 * A filter of k x c x r x s (KCRS, the model's order). fp16: converted to
 * half and reordered to KRSC, the output channels moved as put() does when
 * k_hw > 1; every value is checked against the half range, also while
 * counting, so that the precision can be decided before anything is built.
 */
static CUdeviceptr put_filter(Upload *u, const char *name, const float *src,
                              int k, int c, int r, int s, int k_hw)
{
    size_t rs = (size_t)r * s, n = (size_t)k * c * rs;
    CUdeviceptr at;

    if (!u->half)
        return put(u, src, n, 1);
    at = u->base + u->used;
    for (size_t i = 0; i < n && !u->bad[0]; i++) {
        if (!(fabsf(src[i]) <= DEEP3D_HALF_MAX)) {
            av_strlcpy(u->bad, name, sizeof(u->bad));
            u->bad_value = src[i];
        }
    }
    if (u->host) {
        uint16_t *dst = (uint16_t *)(u->host + u->used);
        for (int ko = 0; ko < k; ko++) {
            size_t kn = to_hwc(ko, k, k_hw);
            for (int ci = 0; ci < c; ci++)
                for (size_t p = 0; p < rs; p++)
                    dst[(kn * rs + p) * c + ci] =
                        ff_deep3d_float_to_half(src[((size_t)ko * c + ci) * rs + p]);
        }
    }
    u->used += FFALIGN(n * sizeof(uint16_t), ALIGN_BYTES);
    return at;
}

/* Give every parameter its place; tmp holds derived vectors (max(C, K) floats). */
static void place_weights(Deep3DCudaNet *net, Upload *u, float *tmp)
{
    const Deep3DModel *m = net->m;
    int K = m->nb_prob, cin = 3;
    char name[32];

    for (int s = 0; s < DEEP3D_STAGES; s++) {
        int c = m->stage_channels[s];
        for (int i = 0; i < m->stage_convs[s]; i++, cin = c) {
            snprintf(name, sizeof(name), "conv%d_%d", s + 1, i + 1);
            net->trunk[s][i].w = put_filter(u, name, m->conv_w[s][i], c, cin, 3, 3, 1);
            net->trunk_b[s][i] = put(u, m->conv_b[s][i], c, 1);
        }
        if (s >= m->nb_branches)
            continue;
        /* BatchNorm with the stored inverse std: scale computed as the CPU path does */
        for (int ch = 0; ch < c; ch++)
            tmp[ch] = m->bn_gamma[s][ch] * m->bn_inv_std[s][ch];
        net->bn_scale[s] = put(u, tmp, c, 1);
        net->bn_mean[s]  = put(u, m->bn_mean[s], c, 1);
        net->bn_beta[s]  = put(u, m->bn_beta[s], c, 1);
        snprintf(name, sizeof(name), "pred%d", s + 1);
        net->pred_conv[s].w = put_filter(u, name, m->pred_w[s], K, c, 3, 3, 1);
        net->pred_b[s]      = put(u, m->pred_b[s], K, 1);
    }
    /* every branch's deconvolution accumulates into one sum: add their biases once */
    memset(tmp, 0, K * sizeof(*tmp));
    for (int b = 0; b < DEEP3D_STAGES; b++) {
        int k = m->deconv_k[b];
        snprintf(name, sizeof(name), "deconv_pred%d", b + 1);
        net->deconv[b].w = put_filter(u, name, m->deconv_w[b], K, K, k, k, 1);
        for (int ch = 0; ch < K; ch++)
            tmp[ch] += m->deconv_b[b][ch];
    }
    net->branch_b = put(u, tmp, K, 1);
    if (m->arch == DEEP3D_ARCH_ORIGINAL) {
        int F = m->fc_channels, h5 = m->in_h / 32, w5 = m->in_w / 32, n5 = K * h5 * w5;
        net->fc6.w   = put_filter(u, "fc6", m->fc6_w, F, m->stage_channels[4], h5, w5, 1);
        net->fc6_b   = put(u, m->fc6_b, F, 1);
        net->fc7.w   = put_filter(u, "fc7", m->fc7_w, F, F, 1, 1, 1);
        net->fc7_b   = put(u, m->fc7_b, F, 1);
        net->pred5.w = put_filter(u, "pred5", m->pred5_w, n5, F, 1, 1, h5 * w5);
        net->pred5_b = put(u, m->pred5_b, n5, h5 * w5);
    }
    net->up_deconv.w  = put_filter(u, "deconv_predup", m->up_w, K, K, 4, 4, 1);
    net->up_b         = put(u, m->up_b, K, 1);
    net->final_conv.w = put_filter(u, "convolution0", m->final_w, K, K, 3, 3, 1);
    net->final_b      = put(u, m->final_b, K, 1);
}

static float *alloc_tmp(const Deep3DModel *m)
{
    int tmp_len = m->nb_prob;

    for (int s = 0; s < DEEP3D_STAGES; s++)
        tmp_len = FFMAX(tmp_len, m->stage_channels[s]);
    return av_malloc_array(tmp_len, sizeof(float));
}

/* The counting pass alone: the size, and in fp16 whether every filter fits half. */
static int count_weights(Deep3DCudaNet *net, Upload *u)
{
    float *tmp = alloc_tmp(net->m);

    if (!tmp)
        return AVERROR(ENOMEM);
    *u = (Upload){ .half = net->half };
    place_weights(net, u, tmp);
    av_free(tmp);
    return 0;
}

static int upload_weights(Deep3DCudaNet *net)
{
    Upload u;
    float *tmp;
    int ret;

    if ((ret = count_weights(net, &u)) < 0)
        return ret;
    tmp = alloc_tmp(net->m);
    if (!tmp)
        return AVERROR(ENOMEM);
    ret = dev_alloc(net, &net->weights, u.used, "the weights");
    if (ret < 0)
        goto end;
    u = (Upload){ .host = av_mallocz(u.used), .base = net->weights, .half = net->half };
    if (!u.host) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    place_weights(net, &u, tmp);
    /* model parameters, not frame data: copied once */
    ret = CHECK_CU(net->cu->cuMemcpyHtoD(net->weights, u.host, u.used));
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

static int choose_forward(Deep3DCudaNet *net, Conv *cv)
{
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int n = 0, ret;

    ret = CHECK_DNN(cudnnGetConvolutionForwardAlgorithm_v7(net->handle, cv->in, cv->filter,
                                                           cv->conv, cv->out,
                                                           FF_ARRAY_ELEMS(perf), &n, perf));
    if (ret < 0)
        return ret;
    for (int i = 0; i < n; i++) {
        size_t ws = 0;
        /* fp32 means FMA: TF32 tensor cores would miss the CPU path by far */
        if (perf[i].status != CUDNN_STATUS_SUCCESS || !math_ok(net, perf[i].mathType))
            continue;
        if (net->dnn->cudnnGetConvolutionForwardWorkspaceSize(net->handle, cv->in, cv->filter,
                                                              cv->conv, cv->out, perf[i].algo,
                                                              &ws) != CUDNN_STATUS_SUCCESS ||
            ws > MAX_LAYER_WORKSPACE)
            continue;
        cv->algo      = perf[i].algo;
        cv->workspace = ws;
        return 0;
    }
    no_algorithm(net, cv);
    return AVERROR(ENOSYS);
}

static int choose_backward_data(Deep3DCudaNet *net, Conv *cv)
{
    cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    int n = 0, ret;

    ret = CHECK_DNN(cudnnGetConvolutionBackwardDataAlgorithm_v7(net->handle, cv->filter, cv->in,
                                                                cv->conv, cv->out,
                                                                FF_ARRAY_ELEMS(perf), &n, perf));
    if (ret < 0)
        return ret;
    for (int i = 0; i < n; i++) {
        size_t ws = 0;
        if (perf[i].status != CUDNN_STATUS_SUCCESS || !math_ok(net, perf[i].mathType))
            continue;
        if (net->dnn->cudnnGetConvolutionBackwardDataWorkspaceSize(net->handle, cv->filter,
                                                                   cv->in, cv->conv, cv->out,
                                                                   perf[i].algo, &ws) != CUDNN_STATUS_SUCCESS ||
            ws > MAX_LAYER_WORKSPACE)
            continue;
        cv->algo      = perf[i].algo;
        cv->workspace = ws;
        return 0;
    }
    no_algorithm(net, cv);
    return AVERROR(ENOSYS);
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
    if ((ret = CHECK_DNN(cudnnSetTensor4dDescriptor(cv->in, fmt, type, 1, ci, ih, iw))) < 0 ||
        (ret = CHECK_DNN(cudnnSetTensor4dDescriptor(cv->out, fmt, type, 1, co, oh, ow))) < 0 ||
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
    if (n != 1 || c != want_c || h != want_h || w != want_w) {
        av_log(net->log_ctx, AV_LOG_ERROR, "%s: cuDNN shape %dx%dx%dx%d, expected 1x%dx%dx%d.\n",
               name, n, c, h, w, want_c, want_h, want_w);
        return AVERROR_BUG;
    }
    ret = transposed ? choose_backward_data(net, cv) : choose_forward(net, cv);
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

/* ---- our kernels ---- */

static int launch(Deep3DCudaNet *net, CUfunction f, size_t n, void **args)
{
    return CHECK_CU(net->cu->cuLaunchKernel(f, (n + BLOCK - 1) / BLOCK, 1, 1, BLOCK, 1, 1, 0,
                                            net->hwctx->stream, args, NULL));
}

static int bias_act(Deep3DCudaNet *net, CUdeviceptr x, CUdeviceptr bias, int c, int hw, int relu)
{
    void *args[] = { &x, &bias, &c, &hw, &relu };
    return launch(net, net->half ? net->bias_act_h : net->bias_act, (size_t)c * hw, args);
}

/* ---- the network ---- */

int ff_deep3d_cuda_net_forward(Deep3DCudaNet *net, CUdeviceptr input, CUdeviceptr probs)
{
    const Deep3DModel *m = net->m;
    int K = m->nb_prob, h = m->in_h, w = m->in_w, half = (m->in_h / 2) * (m->in_w / 2);
    int first = 1, ret;
    CUdeviceptr x = input, y, logits = net->half ? net->logits : probs;

    if (net->half) {
        int three = 3, hw = h * w;
        void *args[] = { &input, &net->input_h, &three, &hw };
        if ((ret = launch(net, net->to_half, (size_t)3 * hw, args)) < 0)
            return ret;
        x = net->input_h;
    }

    for (int s = 0; s < DEEP3D_STAGES; s++) {
        int c = m->stage_channels[s], branch = s < m->nb_branches;
        CUdeviceptr bn = branch ? net->bn : 0;

        for (int i = 0; i < m->stage_convs[s]; i++) {
            y = x == net->a ? net->b : net->a;
            if ((ret = conv_run(net, &net->trunk[s][i], x, y, 0.0f)) < 0 ||
                (ret = bias_act(net, y, net->trunk_b[s][i], c, h * w, 1)) < 0)
                return ret;
            x = y;
        }
        /* pool into the other trunk buffer: it feeds the next stage and the FC head */
        y = x == net->a ? net->b : net->a;
        {
            void *args[] = { &x, &y, &bn, &net->bn_scale[s], &net->bn_mean[s], &net->bn_beta[s],
                             &c, &h, &w };
            if ((ret = launch(net, net->half ? net->pool_bn_h : net->pool_bn,
                              (size_t)c * (h / 2) * (w / 2), args)) < 0)
                return ret;
        }
        h /= 2;
        w /= 2;
        x = y;
        if (branch) {
            if ((ret = conv_run(net, &net->pred_conv[s], net->bn, net->pred, 0.0f)) < 0 ||
                (ret = bias_act(net, net->pred, net->pred_b[s], K, h * w, 1)) < 0 ||
                (ret = conv_run(net, &net->deconv[s], net->pred, net->sum, first ? 0.0f : 1.0f)) < 0)
                return ret;
            first = 0;
        }
    }

    if (m->arch == DEEP3D_ARCH_ORIGINAL) {
        int F = m->fc_channels, n5 = K * h * w;
        /* pred5's (K * h5 * w5) vector is the (K, h5, w5) map in C order
         * (fp16: in HWC order, its rows reordered at upload) */
        if ((ret = conv_run(net, &net->fc6, x, net->fc[0], 0.0f)) < 0 ||
            (ret = bias_act(net, net->fc[0], net->fc6_b, F, 1, 1)) < 0 ||
            (ret = conv_run(net, &net->fc7, net->fc[0], net->fc[1], 0.0f)) < 0 ||
            (ret = bias_act(net, net->fc[1], net->fc7_b, F, 1, 1)) < 0 ||
            (ret = conv_run(net, &net->pred5, net->fc[1], net->fc[2], 0.0f)) < 0 ||
            (ret = bias_act(net, net->fc[2], net->pred5_b, n5, 1, 1)) < 0 ||
            (ret = conv_run(net, &net->deconv[4], net->fc[2], net->sum, first ? 0.0f : 1.0f)) < 0)
            return ret;
    }

    if ((ret = bias_act(net, net->sum, net->branch_b, K, half, 1)) < 0 ||
        (ret = conv_run(net, &net->up_deconv, net->sum, net->up, 0.0f)) < 0 ||
        (ret = bias_act(net, net->up, net->up_b, K, m->in_h * m->in_w, 1)) < 0 ||
        (ret = conv_run(net, &net->final_conv, net->up, logits, 0.0f)) < 0)
        return ret;
    {
        int hw = m->in_h * m->in_w;
        void *args[]   = { &probs, &net->final_b, &K, &hw };
        void *args_h[] = { &logits, &net->final_b, &probs, &K, &hw };
        return launch(net, net->half ? net->softmax_h : net->softmax, hw,
                      net->half ? args_h : args);
    }
}

static int build(Deep3DCudaNet *net)
{
    const Deep3DModel *m = net->m;
    int K = m->nb_prob, H = m->in_h, W = m->in_w, cin = 3, h = H, w = W, ret;
    size_t trunk = 0, bn = 0, es = net->elem;
    char name[32];

    for (int s = 0; s < DEEP3D_STAGES; s++) {
        int c = m->stage_channels[s];
        for (int i = 0; i < m->stage_convs[s]; i++, cin = c) {
            snprintf(name, sizeof(name), "conv%d_%d", s + 1, i + 1);
            ret = conv_init(net, &net->trunk[s][i], name, 0, cin, h, w, c, h, w, 3, 3, 1, 1);
            if (ret < 0)
                return ret;
        }
        trunk = FFMAX(trunk, (size_t)c * h * w);
        h /= 2;
        w /= 2;
        if (s < m->nb_branches) {
            bn = FFMAX(bn, (size_t)c * h * w);
            snprintf(name, sizeof(name), "pred%d", s + 1);
            ret = conv_init(net, &net->pred_conv[s], name, 0, c, h, w, K, h, w, 3, 3, 1, 1);
            if (ret < 0)
                return ret;
        }
        if (s < m->nb_branches || (s == 4 && m->arch == DEEP3D_ARCH_ORIGINAL)) {
            snprintf(name, sizeof(name), "deconv_pred%d", s + 1);
            ret = conv_init(net, &net->deconv[s], name, 1, K, h, w, K, H / 2, W / 2,
                            m->deconv_k[s], m->deconv_k[s], m->deconv_s[s], m->deconv_p[s]);
            if (ret < 0)
                return ret;
        }
    }
    if (m->arch == DEEP3D_ARCH_ORIGINAL) {
        int F = m->fc_channels, c5 = m->stage_channels[4];
        /* FC layers as convolutions: fc6's kernel covers all of pool5 */
        if ((ret = conv_init(net, &net->fc6, "fc6", 0, c5, h, w, F, 1, 1, h, w, 1, 0)) < 0 ||
            (ret = conv_init(net, &net->fc7, "fc7", 0, F, 1, 1, F, 1, 1, 1, 1, 1, 0)) < 0 ||
            (ret = conv_init(net, &net->pred5, "pred5", 0, F, 1, 1, K * h * w, 1, 1, 1, 1, 1, 0)) < 0)
            return ret;
    }
    if ((ret = conv_init(net, &net->up_deconv, "deconv_predup", 1, K, H / 2, W / 2, K, H, W,
                         4, 4, 2, 1)) < 0 ||
        (ret = conv_init(net, &net->final_conv, "convolution0", 0, K, H, W, K, H, W,
                         3, 3, 1, 1)) < 0)
        return ret;

    if ((ret = upload_weights(net)) < 0 ||
        (ret = dev_alloc(net, &net->a, trunk * es, "activations")) < 0 ||
        (ret = dev_alloc(net, &net->b, trunk * es, "activations")) < 0 ||
        (ret = dev_alloc(net, &net->bn, bn * es, "activations")) < 0 ||
        (ret = dev_alloc(net, &net->pred, (size_t)K * (H / 2) * (W / 2) * es, "activations")) < 0 ||
        (ret = dev_alloc(net, &net->sum, (size_t)K * (H / 2) * (W / 2) * es, "activations")) < 0 ||
        (ret = dev_alloc(net, &net->up, (size_t)K * H * W * es, "activations")) < 0 ||
        (ret = dev_alloc(net, &net->workspace, net->workspace_size, "the cuDNN workspace")) < 0)
        return ret;
    if (net->half &&
        ((ret = dev_alloc(net, &net->input_h, (size_t)3 * H * W * es, "activations")) < 0 ||
         (ret = dev_alloc(net, &net->logits, (size_t)K * H * W * es, "activations")) < 0))
        return ret;
    if (m->arch == DEEP3D_ARCH_ORIGINAL &&
        ((ret = dev_alloc(net, &net->fc[0], m->fc_channels * es, "activations")) < 0 ||
         (ret = dev_alloc(net, &net->fc[1], m->fc_channels * es, "activations")) < 0 ||
         (ret = dev_alloc(net, &net->fc[2], (size_t)K * h * w * es, "activations")) < 0))
        return ret;
    return 0;
}

/* auto: fp16 where there are tensor cores (compute capability 7.0 and later), else fp32. */
static void choose_precision(Deep3DCudaNet *net, int precision)
{
    CudaFunctions *cu = net->cu;
    CUdevice dev = net->hwctx->internal->cuda_device;
    int major = 0, minor = 0;

    if (precision == DEEP3D_PRECISION_FP32 || precision == DEEP3D_PRECISION_FP16) {
        net->half = precision == DEEP3D_PRECISION_FP16;
        snprintf(net->precision, sizeof(net->precision), "%s (requested)",
                 net->half ? "fp16 NHWC" : "fp32");
        return;
    }
    if (!cu->cuDeviceGetAttribute ||
        cu->cuDeviceGetAttribute(&major, (CUdevice_attribute)CU_ATTR_CC_MAJOR, dev) != CUDA_SUCCESS ||
        cu->cuDeviceGetAttribute(&minor, (CUdevice_attribute)CU_ATTR_CC_MINOR, dev) != CUDA_SUCCESS) {
        net->half = 0;
        snprintf(net->precision, sizeof(net->precision), "fp32 (auto: the compute capability "
                 "could not be read, so tensor cores are not assumed)");
        return;
    }
    net->half = major >= 7;
    snprintf(net->precision, sizeof(net->precision), "%s (auto: compute capability %d.%d, %s)",
             net->half ? "fp16 NHWC" : "fp32", major, minor,
             net->half ? "tensor cores" : "no tensor cores");
}

int ff_deep3d_cuda_net_init(Deep3DCudaNet **pnet, void *log_ctx, const Deep3DModel *m,
                            AVCUDADeviceContext *hwctx, const Deep3DCudnn *dnn, int precision)
{
    Deep3DCudaNet *net;
    int ret;

    *pnet = NULL;
    net = av_mallocz(sizeof(*net));
    if (!net)
        return AVERROR(ENOMEM);
    net->log_ctx = log_ctx;
    net->m       = m;
    net->hwctx   = hwctx;
    net->cu      = hwctx->internal->cuda_dl;
    net->dnn     = dnn;

    ret = CHECK_DNN(cudnnCreate(&net->handle));
    if (ret < 0) {
        net->handle = NULL;
        goto fail;
    }
    /* cuDNN works on FFmpeg's stream, so it is ordered with the frame kernels */
    ret = CHECK_DNN(cudnnSetStream(net->handle, hwctx->stream));
    if (ret < 0)
        goto fail;

    ret = ff_cuda_load_module(log_ctx, hwctx, &net->module, ff_deep3d_cuda_net_ptx_data,
                              ff_deep3d_cuda_net_ptx_len);
    if (ret < 0)
        goto fail;
    if ((ret = CHECK_CU(net->cu->cuModuleGetFunction(&net->bias_act, net->module,
                                                     "deep3d_bias_act"))) < 0 ||
        (ret = CHECK_CU(net->cu->cuModuleGetFunction(&net->pool_bn, net->module,
                                                     "deep3d_pool_bn"))) < 0 ||
        (ret = CHECK_CU(net->cu->cuModuleGetFunction(&net->softmax, net->module,
                                                     "deep3d_bias_softmax"))) < 0 ||
        (ret = CHECK_CU(net->cu->cuModuleGetFunction(&net->to_half, net->module,
                                                     "deep3d_to_half"))) < 0 ||
        (ret = CHECK_CU(net->cu->cuModuleGetFunction(&net->bias_act_h, net->module,
                                                     "deep3d_bias_act_h"))) < 0 ||
        (ret = CHECK_CU(net->cu->cuModuleGetFunction(&net->pool_bn_h, net->module,
                                                     "deep3d_pool_bn_h"))) < 0 ||
        (ret = CHECK_CU(net->cu->cuModuleGetFunction(&net->softmax_h, net->module,
                                                     "deep3d_bias_softmax_h"))) < 0)
        goto fail;

    choose_precision(net, precision);
    if (net->half) {
        /* a filter beyond the half range would become infinite: refuse it */
        Upload u;
        if ((ret = count_weights(net, &u)) < 0)
            goto fail;
        if (u.bad[0] && precision == DEEP3D_PRECISION_FP16) {
            av_log(log_ctx, AV_LOG_ERROR, "precision=fp16: %s holds %g, beyond the half range "
                   "(+-%g); use precision=fp32 for this model.\n", u.bad, u.bad_value,
                   DEEP3D_HALF_MAX);
            ret = AVERROR(ERANGE);
            goto fail;
        }
        if (u.bad[0]) {
            net->half = 0;
            snprintf(net->precision, sizeof(net->precision), "fp32 (auto: %s holds %g, beyond "
                     "the half range)", u.bad, u.bad_value);
        }
    }
    net->elem = net->half ? sizeof(uint16_t) : sizeof(float);

    ret = build(net);
    if (ret < 0)
        goto fail;
    av_log(log_ctx, AV_LOG_VERBOSE, "GPU network: %s, %zu MiB of device memory (workspace "
           "%zu MiB)\n", net->precision, net->device_bytes >> 20, net->workspace_size >> 20);
    *pnet = net;
    return 0;
fail:
    ff_deep3d_cuda_net_free(&net);
    return ret;
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
    for (int s = 0; s < DEEP3D_STAGES; s++) {
        for (int i = 0; i < DEEP3D_MAX_CONVS; i++)
            conv_uninit(net, &net->trunk[s][i]);
        conv_uninit(net, &net->pred_conv[s]);
        conv_uninit(net, &net->deconv[s]);
    }
    conv_uninit(net, &net->fc6);
    conv_uninit(net, &net->fc7);
    conv_uninit(net, &net->pred5);
    conv_uninit(net, &net->up_deconv);
    conv_uninit(net, &net->final_conv);
    if (net->handle)
        net->dnn->cudnnDestroy(net->handle);

    dev_free(net, &net->weights);
    dev_free(net, &net->a);
    dev_free(net, &net->b);
    dev_free(net, &net->bn);
    dev_free(net, &net->pred);
    dev_free(net, &net->sum);
    dev_free(net, &net->up);
    for (int i = 0; i < 3; i++)
        dev_free(net, &net->fc[i]);
    dev_free(net, &net->input_h);
    dev_free(net, &net->logits);
    dev_free(net, &net->workspace);
    if (net->module)
        CHECK_CU(net->cu->cuModuleUnload(net->module));
    av_freep(pnet);
}
