/*
 * Parity of the C input conversion and network with the Python reference
 * (tools/deep3d_frame.py, tools/deep3d_ref.py) on real frames in every
 * format the filter takes, at sizes that need shrinking, enlarging, odd
 * chroma and none at all.
 *
 * Usage: test_input MODEL FIXTURE_DIR [THREADS]
 * FIXTURE_DIR holds frames.txt, NAME.raw and the reference NAME.input.f32 /
 * NAME.probs.f32 (tools/make_frame_fixture.py fixture).
 *
 * Frames are copied into buffers with padded, 64-aligned rows, so the code
 * must honour linesize. Tolerances:
 * - network input within 2e-6 of input_scale per value: float32 sums of up to
 *   ~30 weighted taps of values up to 1023 and a 3x3 colour matrix, against
 *   float64 (seen ~3e-7 of scale);
 * - probabilities within 1e-4, the bound of test_engine.c, here also carrying
 *   the input's rounding.
 *
 * Ends with "N passed, M failed".
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "libavfilter/deep3d_input.h"
#include "libavfilter/deep3d_model.h"
#include "libavfilter/deep3d_net.h"
#include "libavutil/common.h"
#include "libavutil/error.h"
#include "libavutil/frame.h"
#include "libavutil/imgutils.h"
#include "libavutil/log.h"
#include "libavutil/mem.h"
#include "libavutil/pixdesc.h"

/* A frame of the given format filled from FFmpeg's tightly packed rawvideo. */
static AVFrame *load_frame(const char *dir, const char *name, enum AVPixelFormat fmt, int w, int h)
{
    AVFrame *f = av_frame_alloc();
    int size = av_image_get_buffer_size(fmt, w, h, 1);
    uint8_t *raw = size > 0 ? read_exact(dir, name, ".raw", size) : NULL;
    const uint8_t *src[4];
    int src_ls[4];

    if (!f || !raw)
        goto fail;
    f->format = fmt;
    f->width  = w;
    f->height = h;
    /* padded rows: linesize is a multiple of 64, past the row's end */
    if (av_frame_get_buffer(f, 64) < 0 ||
        av_image_fill_arrays((uint8_t **)src, src_ls, raw, fmt, w, h, 1) < 0)
        goto fail;
    av_image_copy2(f->data, f->linesize, (uint8_t **)src, src_ls, fmt, w, h);
    av_free(raw);
    return f;
fail:
    av_free(raw);
    av_frame_free(&f);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *dir;
    Deep3DModel *m = NULL;
    Deep3DNet *net = NULL;
    Deep3DInput *in = NULL;
    float *input = NULL, *probs = NULL;
    char line[512];
    FILE *list = NULL;
    int threads, ret;
    size_t n_in, n_prob;

    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL FIXTURE_DIR [THREADS]\n", argv[0]);
        return 2;
    }
    dir = argv[2];
    threads = argc > 3 ? atoi(argv[3]) : 1;
    av_log_set_level(AV_LOG_ERROR);

    ret = ff_deep3d_model_load(&m, NULL, argv[1]);
    check(ret >= 0, "load %s (%s)", argv[1], av_err2str(ret));
    if (ret < 0)
        goto end;
    n_in   = (size_t)3 * m->in_w * m->in_h;
    n_prob = (size_t)m->nb_prob * m->in_w * m->in_h;
    input  = av_malloc_array(n_in, sizeof(float));
    probs  = av_malloc_array(n_prob, sizeof(float));
    ret = ff_deep3d_net_init(&net, NULL, m, threads);
    if (ret >= 0)
        ret = ff_deep3d_input_init(&in, m, threads);
    snprintf(line, sizeof(line), "%s/frames.txt", dir);
    list = fopen(line, "r");
    if (!input || !probs || ret < 0 || !list) {
        check(0, "set up the network, the input conversion and %s", line);
        goto end;
    }

    while (fgets(line, sizeof(line), list)) {
        char name[128], fmt_name[32], range[16], matrix[32];
        int w, h;
        enum AVPixelFormat fmt;
        AVFrame *f;
        float *ref_in, *ref_probs;

        if (sscanf(line, "frame %127s %31s %d %d %15s %31s", name, fmt_name, &w, &h, range,
                   matrix) != 6)
            continue;
        fmt = av_get_pix_fmt(fmt_name);
        f = load_frame(dir, name, fmt, w, h);
        ref_in    = (float *)read_exact(dir, name, ".input.f32", n_in * sizeof(float));
        ref_probs = (float *)read_exact(dir, name, ".probs.f32", n_prob * sizeof(float));
        if (!f || !ref_in || !ref_probs) {
            check(0, "%s: read the frame and its reference data", name);
        } else {
            double d_in, d_p;
            f->color_range = strcmp(range, "unknown") ? av_color_range_from_name(range)
                                                      : AVCOL_RANGE_UNSPECIFIED;
            f->colorspace  = strcmp(matrix, "unknown") ? av_color_space_from_name(matrix)
                                                       : AVCOL_SPC_UNSPECIFIED;
            ret = ff_deep3d_input_convert(in, NULL, f, input, serial_execute, NULL);
            d_in = ret < 0 ? INFINITY : max_abs_diff(input, ref_in, n_in);
            check(d_in <= 2e-6 * m->input_scale, "%s (%s %dx%d %s %s): network input within "
                  "2e-6 of scale %g (max diff %.2e)", name, fmt_name, w, h, range, matrix,
                  m->input_scale, d_in);
            ff_deep3d_net_forward(net, input, probs, serial_execute, NULL);
            d_p = max_abs_diff(probs, ref_probs, n_prob);
            check(d_p <= 1e-4, "%s: probabilities within 1e-4, %d jobs (max diff %.2e)", name,
                  threads, d_p);
        }
        av_frame_free(&f);
        av_free(ref_in);
        av_free(ref_probs);
    }

end:
    if (list)
        fclose(list);
    ff_deep3d_input_free(&in);
    ff_deep3d_net_free(&net);
    ff_deep3d_model_free(&m);
    av_free(input);
    av_free(probs);
    return check_summary();
}
