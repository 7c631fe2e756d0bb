/*
 * The no-wait parts of deep3d's CUDA path, on the host CUDA emulator
 * (tests/cuda-emu, given as EMU_DIR):
 *
 * - convergence=auto on the device (cuda/deep3d_conv.cuh): the histogram and
 *   decision kernels against ff_deep3d_temporal_auto_conv(), the CPU path,
 *   over runs of frames with random disparity maps, resets (host and scene
 *   cut), smoothing on and off, several strengths and limits: the shift
 *   tables and the hard renderer's gain and offset must be the CPU's to the
 *   bit (the CPU path renders with the tables deep3d_render_soft.c builds,
 *   rebuilt here the same way from the CPU's decision), the logged numbers
 *   too. The kernels run as the emulator builds them (the host compiler);
 *   that the PTX keeps every double operation rounded on its own (no FMA) is
 *   checked by test_cuda_graph.sh on the PTX text.
 * - The scene-cut decision kernel when the frame is not measured: no cut,
 *   the pinned distance untouched.
 * - The emulator's capture rules, which the filter's tests rely on to catch
 *   misuse: the legacy stream cannot be captured; a synchronous call while
 *   capturing fails and invalidates the capture; captured launches run only
 *   when the graph is launched, once per launch; a kernel node takes new
 *   arguments (and refuses another function); an event recorded in a capture
 *   has no time.
 *
 * Usage: test_cuda_graph EMU_DIR
 */

#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libavfilter/deep3d_autoconv.h"
#include "libavfilter/deep3d_model.h"
#include "libavfilter/deep3d_render.h"
#include "libavfilter/deep3d_render_soft.h"
#include "libavfilter/deep3d_shift.h"
#include "libavfilter/deep3d_temporal.h"

#include "check.h"

typedef int CUresult;
typedef void *CUfunction;
typedef void *CUstream;

static CUresult (*GetFunction)(CUfunction *, void *, const char *);
static CUresult (*Launch)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                          unsigned, CUstream, void **, void **);
static CUresult (*StreamCreate)(CUstream *, unsigned);
static CUresult (*StreamDestroy)(CUstream);
static CUresult (*StreamSync)(CUstream);
static CUresult (*BeginCapture)(CUstream, int);
static CUresult (*EndCapture)(CUstream, void **);
static CUresult (*CaptureInfo)(CUstream, int *, unsigned long long *, void **, void *const **,
                               size_t *);
static CUresult (*Instantiate)(void **, void *, unsigned long long);
static CUresult (*GraphLaunch)(void *, CUstream);
static CUresult (*SetParams)(void *, void *, const void *);
static CUresult (*ExecDestroy)(void *);
static CUresult (*GraphDestroy)(void *);
static CUresult (*EventCreate)(void **, unsigned);
static CUresult (*EventRecord)(void *, CUstream);
static CUresult (*EventElapsed)(float *, void *, void *);
static CUresult (*EventDestroy)(void *);

static int load(const char *dir)
{
    char path[4096];
    void *lib;

    snprintf(path, sizeof(path), "%s/libcuda.so.1", dir);
    if (!(lib = dlopen(path, RTLD_NOW | RTLD_LOCAL)))
        return -1;
#define SYM(v, name) if (!(*(void **)&v = dlsym(lib, name))) return -1
    SYM(GetFunction, "cuModuleGetFunction");
    SYM(Launch, "cuLaunchKernel");
    SYM(StreamCreate, "cuStreamCreate");
    SYM(StreamDestroy, "cuStreamDestroy_v2");
    SYM(StreamSync, "cuStreamSynchronize");
    SYM(BeginCapture, "cuStreamBeginCapture_v2");
    SYM(EndCapture, "cuStreamEndCapture");
    SYM(CaptureInfo, "cuStreamGetCaptureInfo_v2");
    SYM(Instantiate, "cuGraphInstantiateWithFlags");
    SYM(GraphLaunch, "cuGraphLaunch");
    SYM(SetParams, "cuGraphExecKernelNodeSetParams_v2");
    SYM(ExecDestroy, "cuGraphExecDestroy");
    SYM(GraphDestroy, "cuGraphDestroy");
    SYM(EventCreate, "cuEventCreate");
    SYM(EventRecord, "cuEventRecord");
    SYM(EventElapsed, "cuEventElapsedTime");
    SYM(EventDestroy, "cuEventDestroy_v2");
    return 0;
}

static uint32_t rng = 12345;
static float frand(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (rng >> 8) / 16777216.0f;
}

/* The tables of the CPU renderer (deep3d_render_soft.c) for p and width w:
 * ints, floats, nb_disp each, then gain and offset (the hard renderer's). */
static void cpu_table(const Deep3DRenderParams *p, int w, int32_t *si, float *sf, double *kc)
{
    Deep3DShift sh = ff_deep3d_shift(p, w);

    for (int k = 0; k < p->nb_disp; k++) {
        double s = (p->disp_min + k) * sh.gain + sh.offset;
        double a = floor(-s);
        si[k] = (int)a;
        sf[k] = (float)(-s - a);
    }
    kc[0] = sh.gain;
    kc[1] = sh.offset;
}

/* A disparity map: a smooth ramp plus noise, some pixels beyond the range. */
static void fill_ed(float *ed, int w, int h, const Deep3DModel *m, int kind)
{
    float range = m->disp_max - m->disp_min;
    float a = frand(), b = frand();

    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float v = kind == 0 ? a * range :                       /* flat */
                      (a * x / w + b * y / h) * 0.5f * range + 0.2f * range * frand();
            if (kind == 2 && frand() < 0.02f)
                v = frand() < 0.5f ? -3.0f * range : 4.0f * range;  /* strays */
            ed[y * w + x] = m->disp_min + v;
        }
}

static void test_conv(void)
{
    CUfunction hist_k, decide_k;
    int frames = 0, table_ok = 0, report_ok = 0, runs = 0;

    if (GetFunction(&hist_k, NULL, "deep3d_conv_hist") || GetFunction(&decide_k, NULL, "deep3d_conv_decide")) {
        check(0, "the emulator has the convergence kernels");
        return;
    }
    for (int run = 0; run < 24; run++) {
        Deep3DModel m = { 0 };
        Deep3DTemporalParams tp = { 0 };
        Deep3DTemporal *t;
        int w = 40 + run * 3, h = 24 + run, npix = w * h, luma_w = 320 + 7 * run;
        int chroma_w = (luma_w + 1) / 2, D, dmin, dmax, dw;
        float *ed = malloc(npix * sizeof(*ed));
        unsigned hist[DEEP3D_CONV_HIST_BINS] = { 0 };
        double state[2] = { 0 };
        int cut_v = 0;

        m.in_w = w; m.in_h = h;
        m.disp_min = run % 3 == 0 ? -15 : -4 - run % 5;
        m.disp_max = run % 4 == 3 ? m.disp_min : m.disp_min + 16 + run;    /* a zero range too */
        m.nb_disp = D = m.disp_max - m.disp_min + 1;
        m.nb_prob = D + 1;
        m.disp_width = dw = run % 2 ? 384 : 256;
        m.input_scale = 1.0f;
        dmin = m.disp_min; dmax = m.disp_max;
        tp.smooth = 4; tp.motion = 16; tp.auto_conv = 1;
        tp.conv_percentile = 2 + run * 3.7f;
        tp.conv_smooth = run % 3 == 1 ? 0 : 3 + run;
        tp.max_popout = 0.5f + run * 0.13f;
        tp.max_depth = 1.0f + run * 0.21f;
        if (!ed || ff_deep3d_temporal_init(&t, &m, &tp) < 0) {
            check(0, "allocation");
            free(ed);
            return;
        }
        runs++;
        for (int f = 0; f < 30; f++) {
            float strength = 0.5f + (run + f) % 7 * 0.37f;
            int reset = f == 0 || frand() < 0.1f, cut = !reset && frand() < 0.1f;
            int32_t dev_t[4 * 256 + 8], cpu_t[4 * 256 + 8];
            double dev_kc[4], cpu_kc[4];
            Deep3DConvReport rep, cpu_rep;
            Deep3DConvConsts k;
            Deep3DAutoConv conv;
            Deep3DRenderParams p = ff_deep3d_render_params(&m, 1, 0, 0);
            unsigned char *tables = (unsigned char *)dev_t;
            double *kcp = dev_kc;
            Deep3DConvReport *repp = &rep;
            int *cutp = &cut_v;
            unsigned *histp = hist;
            float *edp = ed;
            void *hist_args[] = { &edp, &npix, &dmin, &k.range, &histp };
            double *statep = state;
            void *dec_args[] = { &histp, &k, &statep, &reset, &cutp, &strength, &dmin, &dmax,
                                 &dw, &D, &luma_w, &chroma_w, &tables, &kcp, &repp };

            fill_ed(ed, w, h, &m, f % 3);
            cut_v = cut;
            memset(dev_t, 0xab, sizeof(dev_t));
            ff_deep3d_temporal_conv_consts(t, strength, &k);
            Launch(hist_k, (npix + 255) / 256, 1, 1, 256, 1, 1, 0, NULL, hist_args, NULL);
            Launch(decide_k, 1, 1, 1, 256, 1, 1, 0, NULL, dec_args, NULL);
            /* the CPU path: the decision, then the render parameters it sets */
            conv = ff_deep3d_temporal_auto_conv(t, NULL, ed, reset || cut, strength);
            p.strength    = strength * conv.gain;
            p.convergence = conv.convergence;
            cpu_table(&p, luma_w, cpu_t, (float *)cpu_t + D, cpu_kc);
            cpu_table(&p, chroma_w, cpu_t + 2 * D, (float *)cpu_t + 3 * D, cpu_kc + 2);
            table_ok += !memcmp(dev_t, cpu_t, 16 * D) && !memcmp(dev_kc, cpu_kc, sizeof(cpu_kc));
            cpu_rep.conv = conv.convergence;
            cpu_rep.gain = conv.gain;
            report_ok += !memcmp(&rep.conv, &cpu_rep.conv, sizeof(double)) &&
                         !memcmp(&rep.gain, &cpu_rep.gain, sizeof(double));
            frames++;
            for (int b = 0; b < DEEP3D_CONV_HIST_BINS; b++)
                if (hist[b]) {
                    check(0, "the histogram is cleared for the next frame");
                    b = DEEP3D_CONV_HIST_BINS;
                }
        }
        ff_deep3d_temporal_free(&t);
        free(ed);
    }
    check(table_ok == frames, "convergence=auto on the device: shift tables, gain and offset "
          "bit-identical to the CPU path's in %d of %d frames (%d runs: smoothing, resets, "
          "scene cuts, strengths, zero range)", table_ok, frames, runs);
    check(report_ok == frames, "convergence=auto on the device: the reported convergence and "
          "gain are the CPU's doubles in %d of %d frames", report_ok, frames);
}

static void test_scene_unmeasured(void)
{
    CUfunction f;
    float rows[6] = { 100, 100, 100, 100, 100, 100 };
    float *rp = rows;
    int nb = 6, measure = 0, cut = 7, *cp = &cut;
    double denom = 6, dist = -42, *dp = &dist;
    float levels = 255, scenecut = 1;
    void *args[] = { &rp, &nb, &denom, &levels, &scenecut, &measure, &cp, &dp };

    if (GetFunction(&f, NULL, "deep3d_scene_decide")) {
        check(0, "the emulator has deep3d_scene_decide");
        return;
    }
    Launch(f, 1, 1, 1, 256, 1, 1, 0, NULL, args, NULL);
    check(cut == 0 && dist == -42, "scene decision on a frame not measured: no cut, distance "
          "untouched (cut %d, distance %g)", cut, dist);
    measure = 1;
    Launch(f, 1, 1, 1, 256, 1, 1, 0, NULL, args, NULL);
    check(cut == 1 && dist == 100.0 * 255, "scene decision measured: the mean row sum in "
          "levels (%g), a cut", dist);
}

/* The emulator's capture and graph rules, with a kernel of ours (the scene decision). */
static void test_capture_rules(void)
{
    CUfunction f, other;
    CUstream s;
    void *graph = NULL, *exec = NULL, *ev0, *ev1;
    void *const *deps = NULL;
    size_t nb_deps = 0;
    int status = 0, measure = 1, cut = 0, *cp = &cut, nb = 1;
    float rows[1] = { 1 }, *rp = rows, levels = 1, scenecut = 0.5f;
    double denom = 1, dist = 0, *dp = &dist;
    void *args[] = { &rp, &nb, &denom, &levels, &scenecut, &measure, &cp, &dp };
    CUresult r;
    struct { void *func; unsigned g[7]; void **params, **extra; void *kern, *ctx; } np;
    float ms;

    if (GetFunction(&f, NULL, "deep3d_scene_decide") || GetFunction(&other, NULL, "deep3d_smooth") ||
        StreamCreate(&s, 1)) {
        check(0, "capture rules: setup");
        return;
    }
    check(BeginCapture(NULL, 1) == 900, "the legacy NULL stream cannot be captured");
    /* a synchronous call while capturing: refused, the capture invalidated */
    check(BeginCapture(s, 1) == 0, "a created stream can be captured");
    check(StreamSync(s) == 900, "cuStreamSynchronize while capturing: CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED");
    check(EndCapture(s, &graph) == 901 && !graph, "the capture is then invalidated (901, no graph)");
    /* launches while capturing: recorded, not run */
    EventCreate(&ev0, 0);
    EventCreate(&ev1, 0);
    BeginCapture(s, 1);
    check(Launch(f, 1, 1, 1, 1, 1, 1, 0, s, args, NULL) == 0 && dist == 0,
          "a launch on the captured stream does not run");
    CaptureInfo(s, &status, NULL, NULL, &deps, &nb_deps);
    check(status == 1 && nb_deps == 1 && deps && deps[0], "the capture names the launch's node");
    check(Launch(f, 1, 1, 1, 1, 1, 1, 0, NULL, args, NULL) == 900,
          "work on the legacy stream while capturing is refused");
    EventRecord(ev0, s);
    check(EndCapture(s, &graph) == 901, "... and invalidates the capture");
    BeginCapture(s, 1);
    Launch(f, 1, 1, 1, 1, 1, 1, 0, s, args, NULL);
    CaptureInfo(s, &status, NULL, NULL, &deps, &nb_deps);
    {
        void *node = deps[0];
        EventRecord(ev0, s);
        EventRecord(ev1, s);
        check(EndCapture(s, &graph) == 0 && graph && Instantiate(&exec, graph, 0) == 0,
              "a clean capture ends and instantiates");
        check(EventElapsed(&ms, ev0, ev1) != 0, "events recorded in a capture have no time");
        rows[0] = 3;
        r = GraphLaunch(exec, s);
        check(r == 0 && dist == 3 && cut == 1,
              "the graph runs the captured launch with the captured arguments (distance %g)", dist);
        /* new arguments: another rows buffer */
        {
            float rows2[1] = { 0.25f }, *rp2 = rows2;
            void *args2[] = { &rp2, &nb, &denom, &levels, &scenecut, &measure, &cp, &dp };
            memset(&np, 0, sizeof(np));
            np.func = f; np.g[0] = np.g[1] = np.g[2] = np.g[3] = np.g[4] = np.g[5] = 1;
            np.params = args2;
            check(SetParams(exec, node, &np) == 0 && dist == 3,
                  "a kernel node takes new arguments (nothing runs)");
            rp2 = rows; /* the values were copied at the update */
            r = GraphLaunch(exec, s);
            check(r == 0 && dist == 0.25 && cut == 0,
                  "the replay uses the new arguments, copied when set (distance %g)", dist);
            np.func = other;
            check(SetParams(exec, node, &np) != 0, "a kernel node refuses another function");
        }
    }
    ExecDestroy(exec);
    GraphDestroy(graph);
    EventDestroy(ev0);
    EventDestroy(ev1);
    check(StreamDestroy(s) == 0, "the stream is destroyed");
}

int main(int argc, char **argv)
{
    if (argc < 2 || load(argv[1]) < 0) {
        fprintf(stderr, "usage: test_cuda_graph EMU_DIR (the host CUDA emulator's libcuda.so.1)\n");
        check(0, "the host CUDA emulator loads");
        return check_summary();
    }
    test_conv();
    test_scene_unmeasured();
    test_capture_rules();
    return check_summary();
}
