/*
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

/*
 * The CPU renderer: the soft selection (deep3d_render_soft.c) or the hard warp
 * (deep3d_render_hard.c), and the packing (deep3d_pack.c) or the anaglyph mix
 * (deep3d_anaglyph.c). Rows are split over the slice jobs; the output does not
 * depend on their number.
 *
 * Stereo layouts take one pass: each job renders the rows of the second eye
 * that its output rows need, into a few rows of its own, and packs them with
 * the input's rows straight into the output frame (ff_deep3d_pack_row()), so
 * no full-size eye is written and read back, and rows a layout does not show
 * (the odd eye's rows of irl) are not rendered. The depth picture and the
 * anaglyphs still render a frame of the input's size first and mix it after.
 */

#include "libavutil/common.h"
#include "libavutil/cpu.h"
#include "libavutil/error.h"
#include "libavutil/mem.h"
#include "libavutil/pixdesc.h"

#include "deep3d_render_hard.h"
#include "deep3d_render.h"
#include "deep3d_temporal.h"

struct Deep3DRender {
    Deep3DRenderConfig cfg;
    Deep3DPack pack;
    Deep3DAnaglyph *anaglyph;   ///< anaglyph output only
    AVFrame *eye;               ///< the rendered eye or the depth picture (not for stereo)
    uint8_t **rows;             ///< stereo: per job, two rendered rows of each plane
    int row_offset[DEEP3D_PACK_MAX_PLANES];  ///< where each plane's rows start in them
    int row_size[DEEP3D_PACK_MAX_PLANES];    ///< bytes of one row of each plane
    int packed;                 ///< this frame's output was written by render_eye
    float *ed;                  ///< expected disparity at source resolution (render=hard)
    float **scratch;            ///< one per job
    size_t scratch_floats;      ///< size of each
    /* this frame's inputs of the slice jobs */
    const Deep3DRenderParams *sel;
    const float *probs;
    const AVFrame *in;
    AVFrame *out;
};

typedef struct PackArgs {
    Deep3DRender *r;
    AVFrame *out;
    const AVFrame *left, *right;
} PackArgs;

static int one_pass(const Deep3DRender *r)
{
    return r->cfg.output == DEEP3D_OUTPUT_STEREO;
}

static void free_scratch(Deep3DRender *r)
{
    for (int i = 0; r->scratch && i < r->cfg.nb_jobs; i++)
        av_free(r->scratch[i]);
    av_freep(&r->scratch);
    r->scratch_floats = 0;
}

/* Scratch for sel's shifts: strength and convergence can change from frame
 * to frame (auto convergence, commands), and the soft renderer's padding
 * grows with the largest shift. */
static int ensure_scratch(Deep3DRender *r, const Deep3DRenderParams *sel)
{
    size_t need = ff_deep3d_render_soft_scratch_size(sel, r->pack.in_w);

    if (r->cfg.render == DEEP3D_RENDER_HARD)
        need = FFMAX(need, ff_deep3d_render_hard_scratch_size(r->pack.in_w));
    if (need <= r->scratch_floats)
        return 0;
    free_scratch(r);
    if (!(r->scratch = av_calloc(r->cfg.nb_jobs, sizeof(*r->scratch))))
        return AVERROR(ENOMEM);
    for (int i = 0; i < r->cfg.nb_jobs; i++)
        if (!(r->scratch[i] = av_malloc_array(need, sizeof(float))))
            return AVERROR(ENOMEM);
    r->scratch_floats = need;
    return 0;
}

Deep3DRenderParams ff_deep3d_render_params(const Deep3DModel *m, float strength,
                                           float convergence, int renormalize)
{
    return (Deep3DRenderParams){
        .net_w = m->in_w, .net_h = m->in_h, .nb_disp = m->nb_disp,
        .disp_min = m->disp_min, .disp_width = m->disp_width,
        .strength = strength, .convergence = convergence, .renormalize = renormalize,
    };
}

int ff_deep3d_render_init(Deep3DRender **pr, void *log_ctx, const Deep3DRenderConfig *cfg)
{
    const Deep3DModel *m = cfg->geometry;
    Deep3DRender *r;
    int ret;

    *pr = NULL;
    if (!(r = av_mallocz(sizeof(*r))))
        return AVERROR(ENOMEM);
    r->cfg  = *cfg;
    r->cfg.nb_jobs = FFMAX(1, cfg->nb_jobs);
    r->pack = *cfg->pack;
    ret = AVERROR(ENOMEM);
    if (cfg->output == DEEP3D_OUTPUT_ANAGLYPH &&
        (ret = ff_deep3d_anaglyph_init(&r->anaglyph, log_ctx, cfg->anaglyph, r->pack.format,
                                       r->pack.in_w, r->pack.in_h)) < 0)
        goto fail;
    if (cfg->render == DEEP3D_RENDER_HARD &&
        !(r->ed = av_malloc_array((size_t)m->in_w * m->in_h, sizeof(*r->ed))))
        goto fail;
    if (one_pass(r)) {
        size_t size = 0;
        for (int i = 0; i < r->pack.nb_planes; i++) {
            r->row_offset[i] = size;
            r->row_size[i]   = FFALIGN(r->pack.planes[i].w * r->pack.planes[i].bytes_per_pixel, 64);
            size += 2 * (size_t)r->row_size[i];
        }
        if (!(r->rows = av_calloc(r->cfg.nb_jobs, sizeof(*r->rows))))
            goto fail;
        for (int j = 0; j < r->cfg.nb_jobs; j++)
            if (!(r->rows[j] = av_malloc(size)))
                goto fail;
    } else {
        if (!(r->eye = av_frame_alloc()))
            goto fail;
        r->eye->format = r->pack.format;
        r->eye->width  = r->pack.in_w;
        r->eye->height = r->pack.in_h;
        if ((ret = av_frame_get_buffer(r->eye, 0)) < 0)
            goto fail;
    }
    if (cfg->render == DEEP3D_RENDER_SOFT) {
        Deep3DSoftDSP dsp;
        ff_deep3d_render_soft_dsp_init(&dsp, av_get_cpu_flags());
        av_log(log_ctx, AV_LOG_VERBOSE, "selection layer: %s kernels, %s\n", dsp.name,
               one_pass(r) ? "rendered and packed in one pass" : "eye frame, then mixed");
    }
    *pr = r;
    return 0;
fail:
    ff_deep3d_render_free(&r);
    return ret;
}

int ff_deep3d_render_needs_depth(const Deep3DRender *r)
{
    return r->cfg.output != DEEP3D_OUTPUT_STEREO || r->pack.has_right || r->cfg.swap;
}

static Deep3DPlaneFormat plane_format(const Deep3DPackPlane *pl, const AVPixFmtDescriptor *desc)
{
    return (Deep3DPlaneFormat){
        .comps     = pl->bytes_per_pixel / pl->elem_size,
        .elem_size = pl->elem_size,
        .shift     = pl->shift,
        .depth     = desc->comp[0].depth,
    };
}

/* Planes of one geometry (U and V) share the probability rows: how many
 * from plane i on. */
static int plane_group(const Deep3DPack *pack, int i)
{
    const Deep3DPackPlane *pl = &pack->planes[i];
    int n;

    for (n = 1; i + n < pack->nb_planes; n++) {
        const Deep3DPackPlane *next = &pack->planes[i + n];
        if (next->w != pl->w || next->h != pl->h || next->bytes_per_pixel != pl->bytes_per_pixel ||
            next->sub_x != pl->sub_x || next->sub_y != pl->sub_y)
            break;
    }
    return n;
}

/* The second eye: every plane, rows split across the jobs. */
static int eye_job(void *arg, int job, int nb_jobs)
{
    Deep3DRender *r = arg;
    const AVFrame *in = r->in;
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(in->format);

    for (int i = 0, n; i < r->pack.nb_planes; i += n) {
        const Deep3DPackPlane *pl = &r->pack.planes[i];
        Deep3DPlaneFormat f = plane_format(pl, desc);
        int y0 = pl->h * job / nb_jobs, y1 = pl->h * (job + 1) / nb_jobs;

        n = plane_group(&r->pack, i);
        if (r->cfg.render == DEEP3D_RENDER_HARD)
            ff_deep3d_render_hard_rows(r->sel, &f, r->ed, n, (const uint8_t *const *)in->data + i,
                                in->linesize + i, r->eye->data + i, r->eye->linesize + i,
                                pl->w, pl->h, y0, y1, r->scratch[job]);
        else
            ff_deep3d_render_soft_rows(r->sel, &f, r->probs, n, (const uint8_t *const *)in->data + i,
                                  in->linesize + i, r->eye->data + i, r->eye->linesize + i,
                                  pl->w, pl->h, y0, y1, r->scratch[job]);
    }
    return 0;
}

/*
 * Stereo layouts in one pass: output rows [y0, y1) of each plane, from the
 * input's rows and the rows of the second eye rendered here as they are
 * needed, in increasing order (the soft renderer reuses its upsampled
 * probability rows from one output row to the next).
 */
static int stereo_job(void *arg, int job, int nb_jobs)
{
    Deep3DRender *r = arg;
    const AVFrame *in = r->in;
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(in->format);
    int rendered = !r->cfg.swap;        /* which eye is rendered: 1 right, 0 left */
    static const int zero_ls[DEEP3D_PACK_MAX_PLANES] = { 0 };

    for (int i = 0, n; i < r->pack.nb_planes; i += n) {
        const Deep3DPackPlane *pl = &r->pack.planes[i];
        Deep3DPlaneFormat f = plane_format(pl, desc);
        int y0 = pl->eye_h * job / nb_jobs, y1 = pl->eye_h * (job + 1) / nb_jobs;
        Deep3DSoftRows soft;

        n = plane_group(&r->pack, i);
        if (r->cfg.render == DEEP3D_RENDER_SOFT)
            ff_deep3d_render_soft_start(&soft, r->sel, &f, r->probs, n, pl->w, pl->h,
                                        r->scratch[job]);
        for (int y = y0; y < y1; y++) {
            /* rows[eye][plane of the group][j]: row first + j of that eye */
            const uint8_t *rows[2][DEEP3D_PACK_MAX_PLANES][2] = { { { NULL } } };
            for (int eye = 0; eye < 2; eye++) {
                int first, cnt = ff_deep3d_pack_rows_needed(&r->pack, i, y, eye, &first);
                for (int j = 0; j < cnt; j++) {
                    const uint8_t *src[DEEP3D_PACK_MAX_PLANES];
                    uint8_t *dst[DEEP3D_PACK_MAX_PLANES];
                    for (int k = 0; k < n; k++) {
                        src[k] = in->data[i + k] + (first + j) * in->linesize[i + k];
                        dst[k] = r->rows[job] + r->row_offset[i + k] + j * r->row_size[i + k];
                        rows[eye][k][j] = eye == rendered ? dst[k] : src[k];
                    }
                    if (eye != rendered)
                        continue;
                    if (r->cfg.render == DEEP3D_RENDER_HARD)
                        /* zero line sizes: row first + j lands in dst itself */
                        ff_deep3d_render_hard_rows(r->sel, &f, r->ed, n, (const uint8_t *const *)
                                                   in->data + i, in->linesize + i, dst, zero_ls,
                                                   pl->w, pl->h, first + j, first + j + 1,
                                                   r->scratch[job]);
                    else
                        ff_deep3d_render_soft_row(&soft, first + j, src, dst);
                }
            }
            for (int k = 0; k < n; k++)
                ff_deep3d_pack_row(&r->pack, i + k, r->out, y, rows[0][k], rows[1][k]);
        }
    }
    return 0;
}

static int depth_job(void *arg, int job, int nb_jobs)
{
    Deep3DRender *r = arg;
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(r->eye->format);

    for (int i = 0; i < r->pack.nb_planes; i++) {
        const Deep3DPackPlane *pl = &r->pack.planes[i];
        int chroma = !(desc->flags & AV_PIX_FMT_FLAG_RGB) && i > 0 && desc->nb_components > 2;
        Deep3DPlaneFormat f = plane_format(pl, desc);

        ff_deep3d_render_depth_rows(r->sel, &f, r->probs, chroma, r->eye->data[i],
                                    r->eye->linesize[i], pl->w, pl->h,
                                    pl->h * job / nb_jobs, pl->h * (job + 1) / nb_jobs,
                                    r->scratch[job]);
    }
    return 0;
}

int ff_deep3d_render_eye(Deep3DRender *r, AVFrame *out, const AVFrame *in,
                         const float *probs, const Deep3DRenderParams *sel)
{
    int ret;

    if ((ret = ensure_scratch(r, sel)) < 0 ||
        (r->eye && (ret = av_frame_make_writable(r->eye)) < 0))
        return ret;
    if (r->cfg.render == DEEP3D_RENDER_HARD && r->cfg.output != DEEP3D_OUTPUT_DEPTH)
        ff_deep3d_expected_disparity(r->cfg.geometry, probs, r->ed);
    r->sel   = sel;
    r->probs = probs;
    r->in    = in;
    r->out   = out;
    if (one_pass(r)) {
        r->cfg.execute(r->cfg.opaque, stereo_job, r, FFMIN(r->pack.planes[0].eye_h, r->cfg.nb_jobs));
        r->packed = 1;
        return 0;
    }
    r->cfg.execute(r->cfg.opaque, r->cfg.output == DEEP3D_OUTPUT_DEPTH ? depth_job : eye_job, r,
                   FFMIN(r->pack.planes[0].h, r->cfg.nb_jobs));
    return 0;
}

static int pack_job(void *arg, int job, int nb_jobs)
{
    PackArgs *a = arg;

    ff_deep3d_pack_slice(&a->r->pack, a->out, a->left, a->right, job, nb_jobs);
    return 0;
}

int ff_deep3d_render_pack(Deep3DRender *r, void *log_ctx, AVFrame *out, const AVFrame *in)
{
    /* stereo without a second eye (ml): the input only */
    PackArgs a = { r, out, in, r->eye ? r->eye : in };

    if (r->packed) {            /* done in one pass by ff_deep3d_render_eye() */
        r->packed = 0;
        return 0;
    }
    if (r->cfg.output == DEEP3D_OUTPUT_DEPTH)
        a.left = r->eye;
    else if (r->cfg.swap)
        FFSWAP(const AVFrame *, a.left, a.right);
    if (r->anaglyph)
        return ff_deep3d_anaglyph_render(r->anaglyph, log_ctx, out, a.left, a.right,
                                         r->cfg.execute, r->cfg.opaque, r->cfg.nb_jobs);
    r->cfg.execute(r->cfg.opaque, pack_job, &a, FFMIN(r->pack.planes[0].eye_h, r->cfg.nb_jobs));
    return 0;
}

void ff_deep3d_render_free(Deep3DRender **pr)
{
    Deep3DRender *r = *pr;

    if (!r)
        return;
    ff_deep3d_anaglyph_free(&r->anaglyph);
    av_frame_free(&r->eye);
    for (int j = 0; r->rows && j < r->cfg.nb_jobs; j++)
        av_free(r->rows[j]);
    av_freep(&r->rows);
    av_freep(&r->ed);
    free_scratch(r);
    av_freep(pr);
}
