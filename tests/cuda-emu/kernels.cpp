/*
 * The deep3d CUDA kernels built for the host, by name, for the emulated
 * cuModuleGetFunction / cuLaunchKernel (cuda_emu.c, launch.cpp): every
 * parameter is read from args[i] with the size and type of the kernel's own
 * parameter i (a struct by value included), so a launch whose arguments do
 * not match the kernel's signature goes wrong here as it would on a GPU.
 * Kernels that use __syncthreads are registered with D3EMU_KERNEL_COOP.
 */
#include <cstring>

#include "host_cuda.h"
#include "launch.h"

#include "deep3d_cuda.cu"
#include "deep3d_cuda_net.cu"
#include "deep3d_onnx.cu"

static const D3EmuKernel kernels[] = {
    D3EMU_KERNEL(deep3d_input_8),  D3EMU_KERNEL(deep3d_input_16),
    D3EMU_KERNEL(deep3d_select_8), D3EMU_KERNEL(deep3d_select_16),
    D3EMU_KERNEL_COOP(deep3d_render_pack_8), D3EMU_KERNEL_COOP(deep3d_render_pack_16),
    D3EMU_KERNEL(deep3d_pack_8),   D3EMU_KERNEL(deep3d_pack_16),
    D3EMU_KERNEL(deep3d_interleave_8), D3EMU_KERNEL(deep3d_interleave_16),
    D3EMU_KERNEL(deep3d_depth_8),  D3EMU_KERNEL(deep3d_depth_16),
    D3EMU_KERNEL(deep3d_anaglyph_8), D3EMU_KERNEL(deep3d_anaglyph_16),
    D3EMU_KERNEL(deep3d_anaglyph_chroma_8), D3EMU_KERNEL(deep3d_anaglyph_chroma_16),
    D3EMU_KERNEL(deep3d_scene_rows), D3EMU_KERNEL(deep3d_scene_decide),
    D3EMU_KERNEL(deep3d_conv_hist), D3EMU_KERNEL(deep3d_conv_decide),
    D3EMU_KERNEL(deep3d_smooth), D3EMU_KERNEL(deep3d_expected),
    D3EMU_KERNEL(deep3d_dilate),   D3EMU_KERNEL(deep3d_hard_8),   D3EMU_KERNEL(deep3d_hard_16),
    D3EMU_KERNEL(deep3d_bias_act), D3EMU_KERNEL(deep3d_pool_bn), D3EMU_KERNEL(deep3d_bias_softmax),
    D3EMU_KERNEL(deep3d_to_half),  D3EMU_KERNEL(deep3d_bias_act_h), D3EMU_KERNEL(deep3d_pool_bn_h),
    D3EMU_KERNEL(deep3d_bias_softmax_h), D3EMU_KERNEL(deep3d_deconv_sum),
    D3EMU_KERNEL(deep3d_deconv_sum_h),
    D3EMU_KERNEL(deep3d_onnx_input_8), D3EMU_KERNEL(deep3d_onnx_input_16),
    D3EMU_KERNEL(deep3d_onnx_widen), D3EMU_KERNEL(deep3d_onnx_reset),
    D3EMU_KERNEL(deep3d_onnx_hist), D3EMU_KERNEL(deep3d_onnx_hist_sum),
    D3EMU_KERNEL(deep3d_onnx_select), D3EMU_KERNEL(deep3d_onnx_probs),
};

extern "C" const void *d3emu_kernel(const char *name)
{
    for (const D3EmuKernel &k : kernels)
        if (!strcmp(k.name, name))
            return &k;
    return nullptr;
}

/* The number of parameters of a kernel and their sizes, as a launch reads them. */
extern "C" int d3emu_kernel_args(const void *kernel, const std::size_t **sizes)
{
    const D3EmuKernel *k = static_cast<const D3EmuKernel *>(kernel);
    *sizes = k->size;
    return k->nb_args;
}

extern "C" int d3emu_launch(const void *kernel, unsigned gx, unsigned gy, unsigned gz,
                            unsigned bx, unsigned by, unsigned bz, unsigned shared, void **args)
{
    return d3emu_run(static_cast<const D3EmuKernel *>(kernel), gx, gy, gz, bx, by, bz,
                     shared, args);
}
