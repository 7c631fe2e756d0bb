/*
 * Parity of the C engine with the Python reference (tools/deep3d_ref.py) on
 * random weights: the network's probabilities and the rendered eye.
 *
 * Usage: test_engine MODEL.safetensors FIXTURE_DIR [THREADS]
 * FIXTURE_DIR is written by tools/make_parity_fixture.py for that model.
 *
 * Tolerances:
 * - probabilities within 1e-4: the reference runs in float64, we in float32
 *   with BLAS summation orders; 1e-4 is the bound and far above the
 *   ~1e-6 float32 error of these small random networks;
 * - the selection in float within 1e-3 of the reference given the same
 *   probabilities (float32 sums of 32 products of values up to 255);
 * - the rendered 8-bit and 10-bit eyes, from our own probabilities, within
 *   0.5 of an 8-bit step of the un-rounded reference, plus the float error.
 *
 * Ends with "N passed, M failed".
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "libavfilter/deep3d_model.h"
#include "libavfilter/deep3d_net.h"
#include "libavfilter/deep3d_render_soft.h"
#include "libavutil/common.h"
#include "libavutil/error.h"
#include "libavutil/log.h"
#include "libavutil/mem.h"

static float *read_f32(const char *dir, const char *name, size_t n)
{
    return (float *)read_exact(dir, name, "", n * sizeof(float));
}

int main(int argc, char **argv)
{
    const char *dir;
    Deep3DModel *m = NULL;
    Deep3DNet *net = NULL;
    float *input = NULL, *ref_probs = NULL, *probs = NULL;
    char line[512];
    FILE *cases;
    int threads, wn, hn, k, dmin, dwidth, ret;
    size_t np;

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

    snprintf(line, sizeof(line), "%s/cases.txt", dir);
    cases = fopen(line, "r");
    if (!cases || !fgets(line, sizeof(line), cases) ||
        sscanf(line, "model %d %d %d %d %d", &wn, &hn, &k, &dmin, &dwidth) != 5) {
        check(0, "read %s/cases.txt", dir);
        if (cases)
            fclose(cases);
        goto end;
    }
    check(wn == m->in_w && hn == m->in_h && k == m->nb_prob && dmin == m->disp_min &&
          dwidth == m->disp_width, "model geometry %dx%d K=%d min=%d width=%d matches the fixture",
          m->in_w, m->in_h, m->nb_prob, m->disp_min, m->disp_width);

    np      = (size_t)m->nb_prob * wn * hn;
    input   = read_f32(dir, "input.f32", (size_t)3 * wn * hn);
    ref_probs = read_f32(dir, "probs.f32", np);
    probs   = av_malloc_array(np, sizeof(float));
    ret = ff_deep3d_net_init(&net, NULL, m, threads);
    if (!input || !ref_probs || !probs || ret < 0) {
        check(0, "fixture files and network setup (%d threads)", threads);
        fclose(cases);
        goto end;
    }
    /* twice: the second pass must not depend on state left by the first */
    for (int pass = 0; pass < 2; pass++) {
        double d;
        ff_deep3d_net_forward(net, input, probs, serial_execute, NULL);
        d = max_abs_diff(probs, ref_probs, np);
        check(d <= 1e-4, "%s %dx%d, %d jobs, pass %d: probabilities within 1e-4 (max diff %.2e)",
              m->arch == DEEP3D_ARCH_ORIGINAL ? "original" : "fcn", wn, hn, threads, pass, d);
    }

    while (fgets(line, sizeof(line), cases)) {
        char left_name[256], right_name[256];
        int wo, ho, renorm;
        float strength, conv;
        Deep3DRenderParams p;
        float *left, *right, *got, *scratch;
        uint8_t *l8, *r8;
        uint16_t *l16, *r16;
        double d_float, d8 = 0, d16 = 0;

        if (sscanf(line, "render %d %d %f %f %d %255s %255s", &wo, &ho, &strength, &conv,
                   &renorm, left_name, right_name) != 7)
            continue;
        p = (Deep3DRenderParams){ wn, hn, m->nb_disp, m->disp_min, m->disp_width,
                                  strength, conv, renorm };
        left    = read_f32(dir, left_name, (size_t)wo * ho);
        right   = read_f32(dir, right_name, (size_t)wo * ho);
        got     = av_malloc_array((size_t)wo * ho, sizeof(float));
        scratch = av_malloc_array(ff_deep3d_render_soft_scratch_size(&p, wo), sizeof(float));
        l8  = av_malloc((size_t)wo * ho);
        r8  = av_malloc((size_t)wo * ho);
        l16 = av_malloc_array((size_t)wo * ho, 2);
        r16 = av_malloc_array((size_t)wo * ho, 2);
        if (!left || !right || !got || !scratch || !l8 || !r8 || !l16 || !r16) {
            check(0, "render %dx%d: read %s and %s", wo, ho, left_name, right_name);
        } else {
            /* the selection alone, on the reference's probabilities, in rows split 3 ways */
            for (int j = 0; j < 3; j++)
                ff_deep3d_render_soft_rows_float(&p, ref_probs, left, got, wo, ho,
                                            ho * j / 3, ho * (j + 1) / 3, scratch);
            d_float = max_abs_diff(got, right, (size_t)wo * ho);
            check(d_float <= 1e-3, "render %dx%d strength %g convergence %g renormalize %d: "
                  "float selection within 1e-3 (max diff %.2e)", wo, ho, strength, conv, renorm,
                  d_float);

            /* end to end: our probabilities, 8-bit and 10-bit (in 16-bit, p010-style shift) */
            for (size_t i = 0; i < (size_t)wo * ho; i++) {
                l8[i]  = (uint8_t)left[i];
                l16[i] = (uint16_t)(left[i] * 4) << 6;
            }
            ff_deep3d_render_soft_rows(&p, &(Deep3DPlaneFormat){ 1, 1, 0, 8 }, probs, 1,
                                  (const uint8_t *[]){ l8 }, (int[]){ wo },
                                  (uint8_t *[]){ r8 }, (int[]){ wo }, wo, ho, 0, ho, scratch);
            ff_deep3d_render_soft_rows(&p, &(Deep3DPlaneFormat){ 1, 2, 6, 10 }, probs, 1,
                                  (const uint8_t *[]){ (uint8_t *)l16 }, (int[]){ 2 * wo },
                                  (uint8_t *[]){ (uint8_t *)r16 }, (int[]){ 2 * wo },
                                  wo, ho, 0, ho, scratch);
            for (size_t i = 0; i < (size_t)wo * ho; i++) {
                d8  = FFMAX(d8, fabs(r8[i] - right[i]));
                d16 = FFMAX(d16, fabs((r16[i] >> 6) / 4.0 - right[i]));
            }
            check(d8 <= 0.5 + 2e-3, "render %dx%d (%s): 8-bit eye within 0.5 step (max %.4f)",
                  wo, ho, right_name, d8);
            check(d16 <= 0.5 + 2e-3, "render %dx%d (%s): 10-bit eye within 0.5 of an 8-bit step "
                  "(max %.4f)", wo, ho, right_name, d16);
        }
        av_free(left);
        av_free(right);
        av_free(got);
        av_free(scratch);
        av_free(l8);
        av_free(r8);
        av_free(l16);
        av_free(r16);
    }
    fclose(cases);

end:
    ff_deep3d_net_free(&net);
    ff_deep3d_model_free(&m);
    av_free(input);
    av_free(ref_probs);
    av_free(probs);
    return check_summary();
}
