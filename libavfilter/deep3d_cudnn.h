/*
 * deep3d: cuDNN 9 loaded at run time
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

#ifndef AVFILTER_DEEP3D_CUDNN_H
#define AVFILTER_DEEP3D_CUDNN_H

/*
 * The subset of the cuDNN 9 C API the deep3d network uses, declared here the
 * way ffnvcodec declares libcuda: nothing of cuDNN is needed to build, and
 * ffmpeg starts where cuDNN is absent; only the CUDA path of deep3d needs it.
 * The library is opened with dlopen() when the filter is configured.
 *
 * The constants are listed once in DEEP3D_CUDNN_CONSTANTS so that a test can
 * compare every value with the real cudnn.h (tests/unit/cudnn_abi_check.c).
 * Included after the real cudnn.h, this header only adds the function types.
 */

#include <stddef.h>

#define DEEP3D_CUDNN_CONSTANTS(X)                               \
    X(CUDNN_STATUS_SUCCESS,                             0)      \
    X(CUDNN_STATUS_NOT_INITIALIZED,                     1001)   \
    X(CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDA_DRIVER, 3005) \
    X(CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH,         3007)   \
    X(CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED,   4003) \
    X(CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED, 4004) \
    X(CUDNN_DATA_FLOAT,                                 0)      \
    X(CUDNN_DATA_HALF,                                  2)      \
    X(CUDNN_TENSOR_NCHW,                                0)      \
    X(CUDNN_TENSOR_NHWC,                                1)      \
    X(CUDNN_CONVOLUTION,                                0)      \
    X(CUDNN_CROSS_CORRELATION,                          1)      \
    X(CUDNN_DEFAULT_MATH,                               0)      \
    X(CUDNN_TENSOR_OP_MATH,                             1)      \
    X(CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION,            2)      \
    X(CUDNN_FMA_MATH,                                   3)      \
    X(CUDNN_CONVOLUTION_FWD_ALGO_COUNT,                 8)      \
    X(CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT,            6)

#ifndef CUDNN_MAJOR

#define DEEP3D_CUDNN_ENUM(name, value) name = value,
enum { DEEP3D_CUDNN_CONSTANTS(DEEP3D_CUDNN_ENUM) };
#undef DEEP3D_CUDNN_ENUM

/* Opaque handles: the same struct tags as cuDNN's, so the types match. */
typedef struct cudnnContext           *cudnnHandle_t;
typedef struct cudnnTensorStruct      *cudnnTensorDescriptor_t;
typedef struct cudnnFilterStruct      *cudnnFilterDescriptor_t;
typedef struct cudnnConvolutionStruct *cudnnConvolutionDescriptor_t;
/* cudaStream_t and the driver API's CUstream are the same type. */
typedef struct CUstream_st            *cudaStream_t;

/* Enumerations are passed as int (C enums of these values are int-sized). */
typedef int cudnnStatus_t;
typedef int cudnnDataType_t;
typedef int cudnnTensorFormat_t;
typedef int cudnnConvolutionMode_t;
typedef int cudnnMathType_t;
typedef int cudnnDeterminism_t;
typedef int cudnnConvolutionFwdAlgo_t;
typedef int cudnnConvolutionBwdDataAlgo_t;

typedef struct cudnnConvolutionFwdAlgoPerfStruct {
    cudnnConvolutionFwdAlgo_t algo;
    cudnnStatus_t status;
    float time;
    size_t memory;
    cudnnDeterminism_t determinism;
    cudnnMathType_t mathType;
    int reserved[3];
} cudnnConvolutionFwdAlgoPerf_t;

typedef struct cudnnConvolutionBwdDataAlgoPerfStruct {
    cudnnConvolutionBwdDataAlgo_t algo;
    cudnnStatus_t status;
    float time;
    size_t memory;
    cudnnDeterminism_t determinism;
    cudnnMathType_t mathType;
    int reserved[3];
} cudnnConvolutionBwdDataAlgoPerf_t;

#endif /* CUDNN_MAJOR */

typedef size_t        tcudnnGetVersion(void);
typedef const char   *tcudnnGetErrorString(cudnnStatus_t status);
typedef void          tcudnnGetLastErrorString(char *message, size_t max_size);
typedef cudnnStatus_t tcudnnCreate(cudnnHandle_t *handle);
typedef cudnnStatus_t tcudnnDestroy(cudnnHandle_t handle);
typedef cudnnStatus_t tcudnnSetStream(cudnnHandle_t handle, cudaStream_t stream);
typedef cudnnStatus_t tcudnnCreateTensorDescriptor(cudnnTensorDescriptor_t *desc);
typedef cudnnStatus_t tcudnnSetTensor4dDescriptor(cudnnTensorDescriptor_t desc,
                                                  cudnnTensorFormat_t format,
                                                  cudnnDataType_t type,
                                                  int n, int c, int h, int w);
typedef cudnnStatus_t tcudnnDestroyTensorDescriptor(cudnnTensorDescriptor_t desc);
typedef cudnnStatus_t tcudnnCreateFilterDescriptor(cudnnFilterDescriptor_t *desc);
typedef cudnnStatus_t tcudnnSetFilter4dDescriptor(cudnnFilterDescriptor_t desc,
                                                  cudnnDataType_t type,
                                                  cudnnTensorFormat_t format,
                                                  int k, int c, int h, int w);
typedef cudnnStatus_t tcudnnDestroyFilterDescriptor(cudnnFilterDescriptor_t desc);
typedef cudnnStatus_t tcudnnCreateConvolutionDescriptor(cudnnConvolutionDescriptor_t *desc);
typedef cudnnStatus_t tcudnnSetConvolution2dDescriptor(cudnnConvolutionDescriptor_t desc,
                                                       int pad_h, int pad_w, int u, int v,
                                                       int dilation_h, int dilation_w,
                                                       cudnnConvolutionMode_t mode,
                                                       cudnnDataType_t compute_type);
typedef cudnnStatus_t tcudnnSetConvolutionMathType(cudnnConvolutionDescriptor_t desc,
                                                   cudnnMathType_t math_type);
typedef cudnnStatus_t tcudnnDestroyConvolutionDescriptor(cudnnConvolutionDescriptor_t desc);
typedef cudnnStatus_t tcudnnGetConvolution2dForwardOutputDim(const cudnnConvolutionDescriptor_t conv,
                                                             const cudnnTensorDescriptor_t x,
                                                             const cudnnFilterDescriptor_t w,
                                                             int *n, int *c, int *h, int *wd);
/*
 * A forward convolution (x, w) -> y and the backward-data one (w, dy) -> dx
 * take the same three calls: rank the algorithms, size an algorithm's
 * workspace, run. kind names the pair; first and second are the types of
 * the two inputs in cuDNN's order.
 */
#define DEEP3D_CUDNN_CONV_CALLS(kind, first_t, second_t, algo_t, perf_t)                           \
typedef cudnnStatus_t tcudnnGet##kind##Algorithm_v7(cudnnHandle_t handle, const first_t a,        \
                                                    const second_t b,                              \
                                                    const cudnnConvolutionDescriptor_t conv,       \
                                                    const cudnnTensorDescriptor_t out,             \
                                                    const int requested, int *returned,            \
                                                    perf_t *perf);                                 \
typedef cudnnStatus_t tcudnnGet##kind##WorkspaceSize(cudnnHandle_t handle, const first_t a,       \
                                                     const second_t b,                             \
                                                     const cudnnConvolutionDescriptor_t conv,      \
                                                     const cudnnTensorDescriptor_t out,            \
                                                     algo_t algo, size_t *size);                   \
typedef cudnnStatus_t tcudnn##kind(cudnnHandle_t handle, const void *alpha,                       \
                                   const first_t a_desc, const void *a,                            \
                                   const second_t b_desc, const void *b,                           \
                                   const cudnnConvolutionDescriptor_t conv, algo_t algo,           \
                                   void *workspace, size_t workspace_size, const void *beta,       \
                                   const cudnnTensorDescriptor_t out_desc, void *out);

DEEP3D_CUDNN_CONV_CALLS(ConvolutionForward, cudnnTensorDescriptor_t, cudnnFilterDescriptor_t,
                        cudnnConvolutionFwdAlgo_t, cudnnConvolutionFwdAlgoPerf_t)
DEEP3D_CUDNN_CONV_CALLS(ConvolutionBackwardData, cudnnFilterDescriptor_t, cudnnTensorDescriptor_t,
                        cudnnConvolutionBwdDataAlgo_t, cudnnConvolutionBwdDataAlgoPerf_t)

/* Every function the loader resolves: X(name, required). */
#define DEEP3D_CUDNN_FUNCTIONS(X)                       \
    X(cudnnGetVersion,                          1)      \
    X(cudnnGetErrorString,                      1)      \
    X(cudnnGetLastErrorString,                  0)      \
    X(cudnnCreate,                              1)      \
    X(cudnnDestroy,                             1)      \
    X(cudnnSetStream,                           1)      \
    X(cudnnCreateTensorDescriptor,              1)      \
    X(cudnnSetTensor4dDescriptor,               1)      \
    X(cudnnDestroyTensorDescriptor,             1)      \
    X(cudnnCreateFilterDescriptor,              1)      \
    X(cudnnSetFilter4dDescriptor,               1)      \
    X(cudnnDestroyFilterDescriptor,             1)      \
    X(cudnnCreateConvolutionDescriptor,         1)      \
    X(cudnnSetConvolution2dDescriptor,          1)      \
    X(cudnnSetConvolutionMathType,              1)      \
    X(cudnnDestroyConvolutionDescriptor,        1)      \
    X(cudnnGetConvolution2dForwardOutputDim,    1)      \
    X(cudnnGetConvolutionForwardAlgorithm_v7,   1)      \
    X(cudnnGetConvolutionForwardWorkspaceSize,  1)      \
    X(cudnnConvolutionForward,                  1)      \
    X(cudnnGetConvolutionBackwardDataAlgorithm_v7,      1)      \
    X(cudnnGetConvolutionBackwardDataWorkspaceSize,     1)      \
    X(cudnnConvolutionBackwardData,             1)

typedef struct Deep3DCudnn {
    void *lib;
    char path[1024];                    ///< the file that was opened
    int version;                        ///< cudnnGetVersion(), e.g. 91900
#define DEEP3D_CUDNN_MEMBER(name, required) t##name *name;
    DEEP3D_CUDNN_FUNCTIONS(DEEP3D_CUDNN_MEMBER)
#undef DEEP3D_CUDNN_MEMBER
} Deep3DCudnn;

/** The soname opened when nothing else is asked for. */
#define DEEP3D_CUDNN_SONAME "libcudnn.so.9"

/** Environment variable naming the library (a file, or a directory holding it). */
#define DEEP3D_CUDNN_ENV "DEEP3D_CUDNN"

/**
 * Open cuDNN 9 and resolve every function above.
 *
 * path: a library file, or a directory holding libcudnn.so.9; NULL or "" uses
 * $DEEP3D_CUDNN if set, else the dynamic linker's search for libcudnn.so.9
 * (LD_LIBRARY_PATH, ldconfig), then the pip wheels' location
 * (PREFIX/lib/python3.MINOR/{site,dist}-packages/nvidia/cudnn/lib, for
 * PREFIX $VIRTUAL_ENV, $CONDA_PREFIX, /usr/local, /usr and MINOR 9..14: a
 * fixed list, no globbing). When a path is given (option or environment),
 * only that is tried.
 *
 * Returns AVERROR(ENOSYS), with one error message naming what was tried and
 * why it failed, when the library cannot be opened, lacks a required symbol
 * or is not version 9; AVERROR(ENOMEM) on allocation failure.
 */
int ff_deep3d_cudnn_load(Deep3DCudnn **dnn, void *log_ctx, const char *path);

void ff_deep3d_cudnn_free(Deep3DCudnn **dnn);

/**
 * Log a failed cuDNN call with cuDNN's own description and return
 * AVERROR_EXTERNAL (AVERROR(ENOMEM) for an allocation failure); 0 on success.
 */
int ff_deep3d_cudnn_check(const Deep3DCudnn *dnn, void *log_ctx, cudnnStatus_t status,
                          const char *call);

#define DEEP3D_CHECK_DNN(dnn, log_ctx, x) ff_deep3d_cudnn_check(dnn, log_ctx, (dnn)->x, #x)

#endif /* AVFILTER_DEEP3D_CUDNN_H */
