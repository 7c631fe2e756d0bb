/*
 * libFuzzer target: the ONNX source's depth map path on arbitrary bytes.
 *
 * The first byte chooses the map's width (1..16); the rest, read as float32,
 * is the map (so NaN, infinities, denormals, huge ranges and ties all occur).
 * ff_deep3d_depthmap_to_probs() must refuse a non-finite value with
 * AVERROR_INVALIDDATA and its index, and otherwise give, at every pixel, two
 * neighbouring planes whose weights are in [0, 1] and sum to 1 within float
 * rounding, with plane 0 empty. The same bytes also go through the file-kind
 * test, which must not read past them.
 *
 * Seeds: tests/fuzz/corpus/depthmap/, written by tests/fuzz/make_depthmap_seeds.py.
 */

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "libavfilter/deep3d_depthmap.h"
#include "libavfilter/deep3d_source_onnx.h"
#include "libavutil/error.h"
#include "libavutil/log.h"
#include "libavutil/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Deep3DModel g = { 0 };
    Deep3DDepthMap *dm = NULL;
    float *depth = NULL, *probs = NULL;
    size_t n, bad = (size_t)-1;
    int ret, w;

    av_log_set_level(AV_LOG_QUIET);
    ff_deep3d_file_kind(data, size, size);
    if (size < 1 + 2 * sizeof(float))
        return 0;
    w = 1 + data[0] % 16;
    n = (size - 1) / sizeof(float) / w * w;
    if (!n)
        return 0;
    g.in_w = w;
    g.in_h = n / w;
    g.disp_min = DEEP3D_DEPTHMAP_DISP_MIN;
    g.disp_max = DEEP3D_DEPTHMAP_DISP_MAX;
    g.nb_disp  = g.disp_max - g.disp_min + 1;
    g.nb_prob  = g.nb_disp + 1;
    depth = av_malloc_array(n, sizeof(*depth));
    probs = av_malloc_array(n * g.nb_prob, sizeof(*probs));
    if (!depth || !probs || ff_deep3d_depthmap_init(&dm, n, DEEP3D_DEPTHMAP_LO_PCT,
                                                    DEEP3D_DEPTHMAP_HI_PCT) < 0)
        goto end;
    memcpy(depth, data + 1, n * sizeof(*depth));
    ret = ff_deep3d_depthmap_to_probs(dm, &g, depth, probs, NULL, NULL, &bad);
    if (ret < 0) {
        if (ret != AVERROR_INVALIDDATA || bad >= n || isfinite(depth[bad]))
            __builtin_trap();   /* only a non-finite value is refused, and it is named */
        goto end;
    }
    for (size_t i = 0; i < n; i++) {
        float sum = 0;
        int nonzero = 0;
        if (probs[i] != 0)
            __builtin_trap();   /* plane 0 renders nothing: it must stay empty */
        for (int k = 1; k < g.nb_prob; k++) {
            float p = probs[k * n + i];
            if (!(p >= 0 && p <= 1))
                __builtin_trap();
            nonzero += p != 0;
            sum += p;
        }
        if (nonzero > 2 || fabsf(sum - 1) > 1e-6f)
            __builtin_trap();
    }
end:
    ff_deep3d_depthmap_free(&dm);
    av_free(depth);
    av_free(probs);
    return 0;
}
