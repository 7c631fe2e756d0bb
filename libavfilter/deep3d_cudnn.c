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

static void *try_open(const char *file, char *err, size_t err_size)
{
    void *lib = dlopen(file, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *e = dlerror();
        av_strlcpy(err, e ? e : "unknown error", err_size);
    }
    return lib;
}

/*
 * Where NVIDIA's pip wheels put cuDNN 9 when the dynamic linker does not
 * know it: nvidia-cudnn-cu12 and nvidia-cudnn-cu13 both install
 * nvidia/cudnn/lib/libcudnn.so.9 into the site-packages (Debian's system
 * Python: dist-packages) of PREFIX/lib/python3.MINOR. The candidates are
 * this fixed list: PREFIX the active virtual environment ($VIRTUAL_ENV),
 * the active conda environment ($CONDA_PREFIX), /usr/local and /usr; MINOR
 * 9 to 14. Nothing is globbed and no home directory is searched: any other
 * place is named with the filter's cudnn option or $DEEP3D_CUDNN.
 */
static const char *const wheel_prefixes[] = {
    "$VIRTUAL_ENV", "$CONDA_PREFIX", "/usr/local", "/usr",
};
static const char *const wheel_site_dirs[] = { "site-packages", "dist-packages" };
#define WHEEL_MINOR_FIRST 14
#define WHEEL_MINOR_LAST  9
#define WHEEL_LIB "nvidia/cudnn/lib/" DEEP3D_CUDNN_SONAME

/* A prefix, with a leading $VAR expanded; NULL when the variable is unset or empty. */
static const char *wheel_prefix(const char *p)
{
    const char *val;

    if (p[0] != '$')
        return p;
    val = getenv(p + 1);
    return val && *val ? val : NULL;
}

/* The first wheel candidate that exists and opens; logged at debug level. */
static void *open_wheel(void *log_ctx, char *opened, size_t size)
{
    for (int i = 0; i < FF_ARRAY_ELEMS(wheel_prefixes); i++) {
        const char *prefix = wheel_prefix(wheel_prefixes[i]);
        for (int minor = WHEEL_MINOR_FIRST; prefix && minor >= WHEEL_MINOR_LAST; minor--) {
            for (int j = 0; j < FF_ARRAY_ELEMS(wheel_site_dirs); j++) {
                char file[1024], err[512];
                struct stat st;
                void *lib;

                if (snprintf(file, sizeof(file), "%s/lib/python3.%d/%s/" WHEEL_LIB, prefix, minor,
                             wheel_site_dirs[j]) >= sizeof(file) || stat(file, &st))
                    continue;
                if ((lib = try_open(file, err, sizeof(err)))) {
                    av_strlcpy(opened, file, size);
                    return lib;
                }
                av_log(log_ctx, AV_LOG_DEBUG, "cuDNN candidate %s: %s\n", file, err);
            }
        }
    }
    return NULL;
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
    av_log(log_ctx, AV_LOG_DEBUG, "cuDNN: the dynamic linker has no %s (%s); trying the pip "
           "wheel locations\n", DEEP3D_CUDNN_SONAME, err);
    if ((lib = open_wheel(log_ctx, opened, size)))
        return lib;
    av_log(log_ctx, AV_LOG_ERROR, "Cannot load cuDNN 9 (%s): %s. Tried the dynamic linker's "
           "path and the pip wheels (nvidia-cudnn-cu12/-cu13) of $VIRTUAL_ENV, $CONDA_PREFIX, "
           "/usr/local and /usr; install cuDNN 9 or name it with the filter's cudnn option or "
           "$%s (a file or a directory).\n", DEEP3D_CUDNN_SONAME, err, DEEP3D_CUDNN_ENV);
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
