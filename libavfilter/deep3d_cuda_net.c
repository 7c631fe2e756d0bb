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

#include <stdint.h>
#include <string.h>

#include "libavutil/avstring.h"
#include "libavutil/common.h"
#include "libavutil/cuda_check.h"
#include "libavutil/error.h"
#include "libavutil/log.h"
#include "libavutil/mem.h"

#include "deep3d_cuda_net.h"
#include "cuda/load_helper.h"

#define CHECK_CU(x)  FF_CUDA_CHECK_DL(net->log_ctx, net->cu, x)
#define CHECK_DNN(x) DEEP3D_CHECK_DNN(net->dnn, net->log_ctx, x)
#define PTR(p) ((void *)(uintptr_t)(p))

/* ffnvcodec declares only a few CUresult values; this one is the driver API's. */
#define CU_ERR_OUT_OF_MEMORY 2

#define BLOCK 256
/* A layer whose fastest algorithms want more scratch than this uses a slower one. */
#define MAX_LAYER_WORKSPACE ((size_t)256 << 20)
/* Every tensor of the weight block starts on 256 bytes. */
#define ALIGN_FLOATS 64

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

    CUdeviceptr weights;            ///< one block holding every parameter
    CUdeviceptr a, b;               ///< trunk activations, ping-pong
    CUdeviceptr bn;                 ///< BatchNorm of the current stage's pooled map
    CUdeviceptr pred;               ///< K channels of the current branch
    CUdeviceptr sum;                ///< K x H/2 x W/2, sum of the branches
    CUdeviceptr up;                 ///< K x H x W
    CUdeviceptr fc[3];              ///< fc6, fc7, pred5 outputs (original)
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

typedef struct Upload {
    float *host;            ///< staging buffer; NULL while counting
    size_t used;            ///< floats placed so far
    CUdeviceptr base;
} Upload;

static CUdeviceptr put(Upload *u, const float *src, size_t n)
{
    CUdeviceptr at = u->base + u->used * sizeof(float);
    if (u->host)
        memcpy(u->host + u->used, src, n * sizeof(float));
    u->used += FFALIGN(n, ALIGN_FLOATS);
    return at;
}

/* Give every parameter its place; tmp holds derived vectors (max(C, K) floats). */
static void place_weights(Deep3DCudaNet *net, Upload *u, float *tmp)
{
    const Deep3DModel *m = net->m;
    int K = m->nb_prob, cin = 3;

    for (int s = 0; s < DEEP3D_STAGES; s++) {
        int c = m->stage_channels[s];
        for (int i = 0; i < m->stage_convs[s]; i++, cin = c) {
            net->trunk[s][i].w = put(u, m->conv_w[s][i], (size_t)c * cin * 9);
            net->trunk_b[s][i] = put(u, m->conv_b[s][i], c);
        }
        if (s >= m->nb_branches)
            continue;
        /* BatchNorm with the stored inverse std: scale computed as the CPU path does */
        for (int ch = 0; ch < c; ch++)
            tmp[ch] = m->bn_gamma[s][ch] * m->bn_inv_std[s][ch];
        net->bn_scale[s] = put(u, tmp, c);
        net->bn_mean[s]  = put(u, m->bn_mean[s], c);
        net->bn_beta[s]  = put(u, m->bn_beta[s], c);
        net->pred_conv[s].w = put(u, m->pred_w[s], (size_t)K * c * 9);
        net->pred_b[s]      = put(u, m->pred_b[s], K);
    }
    /* every branch's deconvolution accumulates into one sum: add their biases once */
    memset(tmp, 0, K * sizeof(*tmp));
    for (int b = 0; b < DEEP3D_STAGES; b++) {
        int k = m->deconv_k[b];
        net->deconv[b].w = put(u, m->deconv_w[b], (size_t)K * K * k * k);
        for (int ch = 0; ch < K; ch++)
            tmp[ch] += m->deconv_b[b][ch];
    }
    net->branch_b = put(u, tmp, K);
    if (m->arch == DEEP3D_ARCH_ORIGINAL) {
        int F = m->fc_channels, n5 = K * (m->in_h / 32) * (m->in_w / 32);
        size_t in5 = (size_t)m->stage_channels[4] * (m->in_h / 32) * (m->in_w / 32);
        net->fc6.w   = put(u, m->fc6_w, F * in5);
        net->fc6_b   = put(u, m->fc6_b, F);
        net->fc7.w   = put(u, m->fc7_w, (size_t)F * F);
        net->fc7_b   = put(u, m->fc7_b, F);
        net->pred5.w = put(u, m->pred5_w, (size_t)n5 * F);
        net->pred5_b = put(u, m->pred5_b, n5);
    }
    net->up_deconv.w  = put(u, m->up_w, (size_t)K * K * 16);
    net->up_b         = put(u, m->up_b, K);
    net->final_conv.w = put(u, m->final_w, (size_t)K * K * 9);
    net->final_b      = put(u, m->final_b, K);
}

static int upload_weights(Deep3DCudaNet *net)
{
    const Deep3DModel *m = net->m;
    int tmp_len = m->nb_prob;
    Upload u = { 0 };
    float *tmp;
    int ret;

    for (int s = 0; s < DEEP3D_STAGES; s++)
        tmp_len = FFMAX(tmp_len, m->stage_channels[s]);
    tmp = av_malloc_array(tmp_len, sizeof(*tmp));
    if (!tmp)
        return AVERROR(ENOMEM);

    place_weights(net, &u, tmp);
    ret = dev_alloc(net, &net->weights, u.used * sizeof(float), "the weights");
    if (ret < 0)
        goto end;
    u = (Upload){ .host = av_calloc(u.used, sizeof(float)), .base = net->weights };
    if (!u.host) {
        ret = AVERROR(ENOMEM);
        goto end;
    }
    place_weights(net, &u, tmp);
    /* model parameters, not frame data: copied once */
    ret = CHECK_CU(net->cu->cuMemcpyHtoD(net->weights, u.host, u.used * sizeof(float)));
end:
    av_free(u.host);
    av_free(tmp);
    return ret;
}

/* ---- convolutions ---- */

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
        if (perf[i].status != CUDNN_STATUS_SUCCESS ||
            perf[i].mathType == CUDNN_TENSOR_OP_MATH ||
            perf[i].mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION)
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
    av_log(net->log_ctx, AV_LOG_ERROR, "cuDNN has no usable fp32 algorithm for %s.\n", cv->name);
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
        if (perf[i].status != CUDNN_STATUS_SUCCESS ||
            perf[i].mathType == CUDNN_TENSOR_OP_MATH ||
            perf[i].mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION)
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
    av_log(net->log_ctx, AV_LOG_ERROR, "cuDNN has no usable fp32 algorithm for %s.\n", cv->name);
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
    int n, c, h, w, want_c, want_h, want_w, ret;

    av_strlcpy(cv->name, name, sizeof(cv->name));
    cv->transposed = transposed;
    if ((ret = CHECK_DNN(cudnnCreateTensorDescriptor(&cv->in))) < 0 ||
        (ret = CHECK_DNN(cudnnCreateTensorDescriptor(&cv->out))) < 0 ||
        (ret = CHECK_DNN(cudnnCreateFilterDescriptor(&cv->filter))) < 0 ||
        (ret = CHECK_DNN(cudnnCreateConvolutionDescriptor(&cv->conv))) < 0)
        return ret;
    if ((ret = CHECK_DNN(cudnnSetTensor4dDescriptor(cv->in, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT,
                                                    1, ci, ih, iw))) < 0 ||
        (ret = CHECK_DNN(cudnnSetTensor4dDescriptor(cv->out, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT,
                                                    1, co, oh, ow))) < 0 ||
        (ret = CHECK_DNN(cudnnSetFilter4dDescriptor(cv->filter, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW,
                                                    transposed ? ci : co, transposed ? co : ci,
                                                    kh, kw))) < 0 ||
        (ret = CHECK_DNN(cudnnSetConvolution2dDescriptor(cv->conv, pad, pad, stride, stride, 1, 1,
                                                         CUDNN_CROSS_CORRELATION,
                                                         CUDNN_DATA_FLOAT))) < 0 ||
        (ret = CHECK_DNN(cudnnSetConvolutionMathType(cv->conv, CUDNN_FMA_MATH))) < 0)
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

/* y = conv(x) + beta * y */
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
    return launch(net, net->bias_act, (size_t)c * hw, args);
}

/* ---- the network ---- */

int ff_deep3d_cuda_net_forward(Deep3DCudaNet *net, CUdeviceptr input, CUdeviceptr probs)
{
    const Deep3DModel *m = net->m;
    int K = m->nb_prob, h = m->in_h, w = m->in_w, half = (m->in_h / 2) * (m->in_w / 2);
    int first = 1, ret;
    CUdeviceptr x = input, y;

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
            if ((ret = launch(net, net->pool_bn, (size_t)c * (h / 2) * (w / 2), args)) < 0)
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
        /* pred5's (K * h5 * w5) vector is the (K, h5, w5) map in C order */
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
        (ret = conv_run(net, &net->final_conv, net->up, probs, 0.0f)) < 0)
        return ret;
    {
        int hw = m->in_h * m->in_w;
        void *args[] = { &probs, &net->final_b, &K, &hw };
        return launch(net, net->softmax, hw, args);
    }
}

static int build(Deep3DCudaNet *net)
{
    const Deep3DModel *m = net->m;
    int K = m->nb_prob, H = m->in_h, W = m->in_w, cin = 3, h = H, w = W, ret;
    size_t trunk = 0, bn = 0;
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
        (ret = dev_alloc(net, &net->a, trunk * sizeof(float), "activations")) < 0 ||
        (ret = dev_alloc(net, &net->b, trunk * sizeof(float), "activations")) < 0 ||
        (ret = dev_alloc(net, &net->bn, bn * sizeof(float), "activations")) < 0 ||
        (ret = dev_alloc(net, &net->pred, (size_t)K * (H / 2) * (W / 2) * sizeof(float),
                         "activations")) < 0 ||
        (ret = dev_alloc(net, &net->sum, (size_t)K * (H / 2) * (W / 2) * sizeof(float),
                         "activations")) < 0 ||
        (ret = dev_alloc(net, &net->up, (size_t)K * H * W * sizeof(float), "activations")) < 0 ||
        (ret = dev_alloc(net, &net->workspace, net->workspace_size, "the cuDNN workspace")) < 0)
        return ret;
    if (m->arch == DEEP3D_ARCH_ORIGINAL &&
        ((ret = dev_alloc(net, &net->fc[0], m->fc_channels * sizeof(float), "activations")) < 0 ||
         (ret = dev_alloc(net, &net->fc[1], m->fc_channels * sizeof(float), "activations")) < 0 ||
         (ret = dev_alloc(net, &net->fc[2], (size_t)K * h * w * sizeof(float), "activations")) < 0))
        return ret;
    return 0;
}

int ff_deep3d_cuda_net_init(Deep3DCudaNet **pnet, void *log_ctx, const Deep3DModel *m,
                            AVCUDADeviceContext *hwctx, const Deep3DCudnn *dnn)
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
                                                     "deep3d_bias_softmax"))) < 0)
        goto fail;

    ret = build(net);
    if (ret < 0)
        goto fail;
    av_log(log_ctx, AV_LOG_VERBOSE, "GPU network: fp32, %zu MiB of device memory (workspace "
           "%zu MiB)\n", net->device_bytes >> 20, net->workspace_size >> 20);
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
    dev_free(net, &net->workspace);
    if (net->module)
        CHECK_CU(net->cu->cuModuleUnload(net->module));
    av_freep(pnet);
}
