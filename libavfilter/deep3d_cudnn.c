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

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#if !defined(_WIN32)
#include <dlfcn.h>
#include <glob.h>
#endif

#include "libavutil/avstring.h"
#include "libavutil/error.h"
#include "libavutil/log.h"
#include "libavutil/mem.h"

#include "deep3d_cudnn.h"

/* The perf results are read by position: our struct must be cuDNN's
 * (tests/unit/cudnn_abi_check.c asserts the same of the real one). */
_Static_assert(sizeof(cudnnConvolutionFwdAlgoPerf_t) == 48 &&
               offsetof(cudnnConvolutionFwdAlgoPerf_t, memory) == 16 &&
               offsetof(cudnnConvolutionFwdAlgoPerf_t, mathType) == 28 &&
               sizeof(cudnnConvolutionBwdDataAlgoPerf_t) == 48,
               "cuDNN perf result layout");

#if !defined(_WIN32)

/* Where cuDNN 9 usually lives when the dynamic linker does not know it: the
 * CUDA toolkit, distribution packages, and the pip wheels (nvidia-cudnn-cu12
 * / -cu13) of system, virtualenv, conda and user installs. */
static const char *const search_globs[] = {
    "/usr/local/cuda/lib64/" DEEP3D_CUDNN_SONAME,
    "/usr/local/cuda/targets/*/lib/" DEEP3D_CUDNN_SONAME,
    "/usr/lib/*-linux-gnu/" DEEP3D_CUDNN_SONAME,
    "/usr/lib64/" DEEP3D_CUDNN_SONAME,
    "$VIRTUAL_ENV/lib/python3*/site-packages/nvidia/cudnn/lib/" DEEP3D_CUDNN_SONAME,
    "$CONDA_PREFIX/lib/python3*/site-packages/nvidia/cudnn/lib/" DEEP3D_CUDNN_SONAME,
    "$CONDA_PREFIX/lib/" DEEP3D_CUDNN_SONAME,
    "/usr/local/lib/python3*/dist-packages/nvidia/cudnn/lib/" DEEP3D_CUDNN_SONAME,
    "/usr/local/lib/python3*/site-packages/nvidia/cudnn/lib/" DEEP3D_CUDNN_SONAME,
    "/usr/lib/python3*/dist-packages/nvidia/cudnn/lib/" DEEP3D_CUDNN_SONAME,
    "/usr/lib/python3/dist-packages/nvidia/cudnn/lib/" DEEP3D_CUDNN_SONAME,
    "/opt/conda/lib/python3*/site-packages/nvidia/cudnn/lib/" DEEP3D_CUDNN_SONAME,
    "$HOME/.local/lib/python3*/site-packages/nvidia/cudnn/lib/" DEEP3D_CUDNN_SONAME,
};

/* Expand a leading $VAR; 0 when the variable is unset or the result too long. */
static int expand_env(char *dst, size_t size, const char *pattern)
{
    const char *slash, *val;
    char var[64];

    if (pattern[0] != '$')
        return av_strlcpy(dst, pattern, size) < size;
    slash = strchr(pattern, '/');
    if (!slash || slash - pattern - 1 >= sizeof(var))
        return 0;
    memcpy(var, pattern + 1, slash - pattern - 1);
    var[slash - pattern - 1] = 0;
    val = getenv(var);
    if (!val || !*val)
        return 0;
    return snprintf(dst, size, "%s%s", val, slash) < size;
}

static void *try_open(const char *file, char *err, size_t err_size)
{
    void *lib = dlopen(file, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *e = dlerror();
        av_strlcpy(err, e ? e : "unknown error", err_size);
    }
    return lib;
}

/* The file to open for a user-given path: a directory means the soname in it. */
static void user_file(char *dst, size_t size, const char *path)
{
    struct stat st;
    if (!stat(path, &st) && S_ISDIR(st.st_mode))
        snprintf(dst, size, "%s/%s", path, DEEP3D_CUDNN_SONAME);
    else
        av_strlcpy(dst, path, size);
}

static void *open_library(void *log_ctx, const char *path, char *opened, size_t size)
{
    char err[512] = "", file[1024];
    const char *env = getenv(DEEP3D_CUDNN_ENV);
    void *lib;

    if (!(path && *path) && env && *env)
        path = env;
    if (path && *path) {
        /* An explicit choice is honoured strictly: no silent fallback elsewhere. */
        user_file(file, sizeof(file), path);
        if ((lib = try_open(file, err, sizeof(err))))
            av_strlcpy(opened, file, size);
        else
            av_log(log_ctx, AV_LOG_ERROR, "Cannot load cuDNN from %s: %s\n", file, err);
        return lib;
    }

    if ((lib = try_open(DEEP3D_CUDNN_SONAME, err, sizeof(err)))) {
        av_strlcpy(opened, DEEP3D_CUDNN_SONAME, size);
        return lib;
    }
    for (int i = 0; i < FF_ARRAY_ELEMS(search_globs); i++) {
        char pattern[1024], dummy[512];
        glob_t g;

        if (!expand_env(pattern, sizeof(pattern), search_globs[i]))
            continue;
        if (glob(pattern, 0, NULL, &g))
            continue;
        for (size_t j = 0; j < g.gl_pathc && !lib; j++)
            if ((lib = try_open(g.gl_pathv[j], dummy, sizeof(dummy))))
                av_strlcpy(opened, g.gl_pathv[j], size);
        globfree(&g);
        if (lib)
            return lib;
    }
    av_log(log_ctx, AV_LOG_ERROR, "Cannot load cuDNN 9 (%s): %s. Searched the dynamic linker's "
           "path, /usr/local/cuda/lib64 and the Python wheels' nvidia/cudnn/lib; install cuDNN 9 "
           "or name it with the filter's cudnn option or $%s (a file or a directory).\n",
           DEEP3D_CUDNN_SONAME, err, DEEP3D_CUDNN_ENV);
    return NULL;
}

int ff_deep3d_cudnn_load(Deep3DCudnn **pdnn, void *log_ctx, const char *path)
{
    Deep3DCudnn *dnn;
    size_t version;

    *pdnn = NULL;
    dnn = av_mallocz(sizeof(*dnn));
    if (!dnn)
        return AVERROR(ENOMEM);
    dnn->lib = open_library(log_ctx, path, dnn->path, sizeof(dnn->path));
    if (!dnn->lib)
        goto fail;

#define DEEP3D_CUDNN_LOAD(name, required)                                           \
    dnn->name = (t##name *)dlsym(dnn->lib, #name);                                  \
    if (!dnn->name && required) {                                                   \
        av_log(log_ctx, AV_LOG_ERROR, "%s has no symbol %s: not a cuDNN 9 library.\n", \
               dnn->path, #name);                                                   \
        goto fail;                                                                  \
    }
    DEEP3D_CUDNN_FUNCTIONS(DEEP3D_CUDNN_LOAD)
#undef DEEP3D_CUDNN_LOAD

    /* The prototypes above are those of cuDNN 9; another major version may differ. */
    version = dnn->cudnnGetVersion();
    if (version < 90000 || version >= 100000) {
        av_log(log_ctx, AV_LOG_ERROR, "%s is cuDNN %zu.%zu.%zu; cuDNN 9 is required.\n",
               dnn->path, version / 10000, version / 100 % 100, version % 100);
        goto fail;
    }
    dnn->version = version;
    av_log(log_ctx, AV_LOG_VERBOSE, "cuDNN %d.%d.%d from %s\n", dnn->version / 10000,
           dnn->version / 100 % 100, dnn->version % 100, dnn->path);
    *pdnn = dnn;
    return 0;

fail:
    ff_deep3d_cudnn_free(&dnn);
    return AVERROR(ENOSYS);
}

void ff_deep3d_cudnn_free(Deep3DCudnn **pdnn)
{
    Deep3DCudnn *dnn = *pdnn;
    if (!dnn)
        return;
    if (dnn->lib)
        dlclose(dnn->lib);
    av_freep(pdnn);
}

#else /* _WIN32 */

int ff_deep3d_cudnn_load(Deep3DCudnn **pdnn, void *log_ctx, const char *path)
{
    *pdnn = NULL;
    av_log(log_ctx, AV_LOG_ERROR, "Loading cuDNN is not implemented on this platform.\n");
    return AVERROR(ENOSYS);
}

void ff_deep3d_cudnn_free(Deep3DCudnn **pdnn)
{
    av_freep(pdnn);
}

#endif /* _WIN32 */

int ff_deep3d_cudnn_check(const Deep3DCudnn *dnn, void *log_ctx, cudnnStatus_t status,
                          const char *call)
{
    char detail[512] = "";

    if (status == CUDNN_STATUS_SUCCESS)
        return 0;
    if (dnn->cudnnGetLastErrorString)
        dnn->cudnnGetLastErrorString(detail, sizeof(detail));
    av_log(log_ctx, AV_LOG_ERROR, "%s failed: %s (%d)%s%s\n", call,
           dnn->cudnnGetErrorString(status), status, *detail ? ": " : "", detail);
    switch (status) {
    case CUDNN_STATUS_NOT_INITIALIZED:
        av_log(log_ctx, AV_LOG_ERROR, "cuDNN could not use the GPU: no device, or a driver "
               "older than this cuDNN build needs.\n");
        break;
    case CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDA_DRIVER:
        av_log(log_ctx, AV_LOG_ERROR, "The NVIDIA driver is too old for %s.\n", dnn->path);
        break;
    case CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH:
        av_log(log_ctx, AV_LOG_ERROR, "This cuDNN build does not support the GPU.\n");
        break;
    case CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED:
    case CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED:
        return AVERROR(ENOMEM);
    }
    return AVERROR_EXTERNAL;
}
