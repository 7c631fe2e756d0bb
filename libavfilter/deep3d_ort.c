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

#include <dlfcn.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "libavutil/avstring.h"
#include "libavutil/error.h"
#include "libavutil/log.h"
#include "libavutil/mem.h"

#include "deep3d_ort.h"

/* The names the dynamic linker is asked for (a system install, LD_LIBRARY_PATH). */
static const char *const linker_names[] = { "libonnxruntime.so.1", "libonnxruntime.so" };

/* Where pip and Debian put the onnxruntime / onnxruntime-gpu wheels' files: a fixed
 * list of system directories (no home or virtual-environment search: point ort= or
 * $DEEP3D_ORT there). Both wheels ship onnxruntime/capi/libonnxruntime.so.1.X.Y. */
static const char *const wheel_dirs[] = {
    "/usr/local/lib/python3*/dist-packages",
    "/usr/local/lib/python3*/site-packages",
    "/usr/lib/python3/dist-packages",
    "/usr/lib/python3*/site-packages",
    "/usr/lib64/python3*/site-packages",
    "/opt/conda/lib/python3*/site-packages",
};
#define WHEEL_LIB "onnxruntime/capi/libonnxruntime.so.1.*"

/* dlopen file and check it is a usable ONNX Runtime; on failure err says why. */
static int try_open(Deep3DOrt *ort, const char *file, char *err, size_t err_size)
{
    const OrtApiBase *(*get_base)(void);
    const OrtApiBase *base;
    void *lib = dlopen(file, RTLD_NOW | RTLD_LOCAL);

    if (!lib) {
        const char *e = dlerror();
        av_strlcpy(err, e ? e : "dlopen failed", err_size);
        return AVERROR(ENOSYS);
    }
    get_base = (const OrtApiBase *(*)(void))dlsym(lib, "OrtGetApiBase");
    base = get_base ? get_base() : NULL;
    if (!base) {
        snprintf(err, err_size, "%s has no OrtGetApiBase: not ONNX Runtime", file);
        dlclose(lib);
        return AVERROR(ENOSYS);
    }
    ort->api = base->GetApi(ORT_API_VERSION);
    if (!ort->api) {
        snprintf(err, err_size, "%s is ONNX Runtime %s, older than the API version %d "
                 "(ONNX Runtime 1.%d) this filter was built for", file,
                 base->GetVersionString(), ORT_API_VERSION, ORT_API_VERSION);
        dlclose(lib);
        return AVERROR(ENOSYS);
    }
    ort->lib     = lib;
    ort->version = base->GetVersionString();
    av_strlcpy(ort->path, file, sizeof(ort->path));
    return 0;
}

/* An explicit path: a library file, a directory with libonnxruntime.so.1* or
 * libonnxruntime.so (the name glob sorts last is taken), or a bare file name for
 * the dynamic linker. */
static int open_explicit(Deep3DOrt *ort, const char *path, char *err, size_t err_size)
{
    struct stat st;
    char pattern[1100];
    glob_t g;
    int ret;

    if (!strchr(path, '/'))     /* a bare name: the dynamic linker's search */
        return try_open(ort, path, err, err_size);
    if (stat(path, &st) < 0) {
        snprintf(err, err_size, "%s does not exist", path);
        return AVERROR(ENOSYS);
    }
    if (!S_ISDIR(st.st_mode))
        return try_open(ort, path, err, err_size);
    snprintf(pattern, sizeof(pattern), "%s/libonnxruntime.so*", path);
    if (glob(pattern, 0, NULL, &g) || !g.gl_pathc) {
        snprintf(err, err_size, "no libonnxruntime.so* in the directory %s", path);
        return AVERROR(ENOSYS);
    }
    ret = try_open(ort, g.gl_pathv[g.gl_pathc - 1], err, err_size);
    globfree(&g);
    return ret;
}

int ff_deep3d_ort_load(Deep3DOrt **port, void *log_ctx, const char *path)
{
    const char *env = getenv(DEEP3D_ORT_ENV), *from;
    char err[1024] = "";
    Deep3DOrt *ort;
    int ret = AVERROR(ENOSYS);

    *port = NULL;
    if (!(ort = av_mallocz(sizeof(*ort))))
        return AVERROR(ENOMEM);

    if (path && *path) {
        from = "the ort option";
        ret  = open_explicit(ort, path, err, sizeof(err));
    } else if (env && *env) {
        from = "$" DEEP3D_ORT_ENV;
        ret  = open_explicit(ort, env, err, sizeof(err));
    } else {
        from = "the dynamic linker";
        for (int i = 0; i < FF_ARRAY_ELEMS(linker_names) && ret < 0; i++)
            ret = try_open(ort, linker_names[i], err, sizeof(err));
        for (int i = 0; i < FF_ARRAY_ELEMS(wheel_dirs) && ret < 0; i++) {
            char pattern[256];
            glob_t g;
            snprintf(pattern, sizeof(pattern), "%s/" WHEEL_LIB, wheel_dirs[i]);
            if (glob(pattern, 0, NULL, &g))
                continue;
            from = "a Python wheel";
            /* glob sorts: several Python versions' wheels, the last is taken */
            ret = try_open(ort, g.gl_pathv[g.gl_pathc - 1], err, sizeof(err));
            globfree(&g);
        }
        if (ret < 0 && !strcmp(from, "the dynamic linker"))
            snprintf(err, sizeof(err), "not found by the dynamic linker (%s) nor as %s in "
                     "the system's Python site-packages / dist-packages", linker_names[0], WHEEL_LIB);
    }
    if (ret < 0) {
        av_log(log_ctx, AV_LOG_ERROR, "Cannot load ONNX Runtime from %s: %s. ONNX models need "
               "ONNX Runtime >= 1.%d (CPU: pip install onnxruntime); give its "
               "libonnxruntime.so with ort=PATH or $%s.\n", from, err, ORT_API_VERSION,
               DEEP3D_ORT_ENV);
        av_free(ort);
        return ret;
    }
    av_log(log_ctx, AV_LOG_VERBOSE, "ONNX Runtime %s from %s (%s), API version %d.\n",
           ort->version, ort->path, from, ORT_API_VERSION);
    *port = ort;
    return 0;
}

void ff_deep3d_ort_free(Deep3DOrt **port)
{
    Deep3DOrt *ort = *port;
    if (!ort)
        return;
    if (ort->lib)
        dlclose(ort->lib);
    av_freep(port);
}

int ff_deep3d_ort_check(const Deep3DOrt *ort, void *log_ctx, OrtStatus *st, const char *what)
{
    OrtErrorCode code;
    int ret;

    if (!st)
        return 0;
    code = ort->api->GetErrorCode(st);
    av_log(log_ctx, AV_LOG_ERROR, "%s: %s\n", what, ort->api->GetErrorMessage(st));
    ort->api->ReleaseStatus(st);
    switch (code) {
    case ORT_INVALID_PROTOBUF:
    case ORT_INVALID_GRAPH:
    case ORT_NO_MODEL:
    case ORT_INVALID_ARGUMENT:
        ret = AVERROR_INVALIDDATA;
        break;
    case ORT_NO_SUCHFILE:
        ret = AVERROR(ENOENT);
        break;
    default:
        ret = AVERROR_EXTERNAL;
    }
    return ret;
}
