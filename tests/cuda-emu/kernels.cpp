/*
 * The deep3d CUDA kernels built for the host, and a launcher that runs a
 * kernel over its grid the way cuLaunchKernel does: every parameter is read
 * from args[i] with the size and type of the kernel's own parameter i, so a
 * launch whose arguments do not match the kernel's signature goes wrong here
 * as it would on a GPU.
 */
#include <cstring>
#include <utility>

#include "host_cuda.h"

thread_local d3emu_dim3 d3emu_block_idx, d3emu_block_dim, d3emu_thread_idx;

#include "deep3d_cuda.cu"
#include "deep3d_cuda_net.cu"
#include "deep3d_onnx.cu"

template<typename... A, std::size_t... I>
static void invoke(void (*k)(A...), void **args, std::index_sequence<I...>)
{
    k(*static_cast<A *>(args[I])...);
}

template<typename... A>
static void call(void (*k)(A...), void **args)
{
    invoke(k, args, std::index_sequence_for<A...>{});
}

/* Up to this many parameters per kernel (the anaglyph's 26 are the most). */
#define MAX_ARGS 40

struct Kernel {
    const char *name;
    void (*run)(void **args);
    int nb_args;
    std::size_t size[MAX_ARGS];     /* of each parameter: what a graph node copies */
};

template<typename... A>
static Kernel make(const char *name, void (*)(A...), void (*run)(void **))
{
    static_assert(sizeof...(A) <= MAX_ARGS, "too many kernel parameters");
    return { name, run, (int)sizeof...(A), { sizeof(A)... } };
}

#define KERNEL(n) make(#n, n, [](void **a) { call(n, a); })
static const Kernel kernels[] = {
    KERNEL(deep3d_input_8),  KERNEL(deep3d_input_16),
    KERNEL(deep3d_select_8), KERNEL(deep3d_select_16),
    KERNEL(deep3d_pack_8),   KERNEL(deep3d_pack_16),
    KERNEL(deep3d_interleave_8), KERNEL(deep3d_interleave_16),
    KERNEL(deep3d_depth_8),  KERNEL(deep3d_depth_16),
    KERNEL(deep3d_anaglyph_8), KERNEL(deep3d_anaglyph_16),
    KERNEL(deep3d_anaglyph_chroma_8), KERNEL(deep3d_anaglyph_chroma_16),
    KERNEL(deep3d_scene_rows), KERNEL(deep3d_scene_decide),
    KERNEL(deep3d_conv_hist), KERNEL(deep3d_conv_decide),
    KERNEL(deep3d_smooth), KERNEL(deep3d_expected),
    KERNEL(deep3d_dilate),   KERNEL(deep3d_hard_8),   KERNEL(deep3d_hard_16),
    KERNEL(deep3d_bias_act), KERNEL(deep3d_pool_bn), KERNEL(deep3d_bias_softmax),
    KERNEL(deep3d_to_half),  KERNEL(deep3d_bias_act_h), KERNEL(deep3d_pool_bn_h),
    KERNEL(deep3d_bias_softmax_h), KERNEL(deep3d_deconv_sum), KERNEL(deep3d_deconv_sum_h),
    KERNEL(deep3d_onnx_input_8), KERNEL(deep3d_onnx_input_16), KERNEL(deep3d_onnx_widen),
    KERNEL(deep3d_onnx_reset), KERNEL(deep3d_onnx_hist), KERNEL(deep3d_onnx_hist_sum),
    KERNEL(deep3d_onnx_select), KERNEL(deep3d_onnx_probs),
};

extern "C" const void *d3emu_kernel(const char *name)
{
    for (const Kernel &k : kernels)
        if (!strcmp(k.name, name))
            return &k;
    return nullptr;
}

/* The number of parameters of a kernel and their sizes, as a launch reads them. */
extern "C" int d3emu_kernel_args(const void *kernel, const std::size_t **sizes)
{
    const Kernel *k = static_cast<const Kernel *>(kernel);
    *sizes = k->size;
    return k->nb_args;
}

extern "C" void d3emu_launch(const void *kernel, unsigned gx, unsigned gy, unsigned gz,
                             unsigned bx, unsigned by, unsigned bz, void **args)
{
    const Kernel *k = static_cast<const Kernel *>(kernel);
    d3emu_block_dim = { bx, by, bz };
    for (unsigned z = 0; z < gz; z++)
        for (unsigned y = 0; y < gy; y++)
            for (unsigned x = 0; x < gx; x++)
                for (unsigned tz = 0; tz < bz; tz++)
                    for (unsigned ty = 0; ty < by; ty++)
                        for (unsigned tx = 0; tx < bx; tx++) {
                            d3emu_block_idx  = { x, y, z };
                            d3emu_thread_idx = { tx, ty, tz };
                            k->run(args);
                        }
}
