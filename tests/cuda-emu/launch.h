/*
 * The emulated kernel launch (launch.cpp), shared by the deep3d kernels'
 * table (kernels.cpp) and the emulator's self-test (selftest.cu).
 */
#ifndef DEEP3D_EMU_LAUNCH_H
#define DEEP3D_EMU_LAUNCH_H

#include <cstddef>
#include <utility>

/* Up to this many parameters per kernel (the anaglyph's 26 are the most). */
#define D3EMU_MAX_ARGS 40

struct D3EmuKernel {
    const char *name;
    void (*run)(void **args);
    /* 1: the threads of a block run as fibers that meet at __syncthreads;
     * 0: one after the other, and a __syncthreads is an error */
    int cooperative;
    int nb_args;
    std::size_t size[D3EMU_MAX_ARGS];   /* of each parameter: what a graph node copies */
};

/* Run k over its grid as cuLaunchKernel does, with `shared` bytes of dynamic
 * shared memory per block. 0, or -1 with a message on stderr for a launch
 * the driver would refuse (a block of more than 1024 threads). */
int d3emu_run(const D3EmuKernel *k, unsigned gx, unsigned gy, unsigned gz,
              unsigned bx, unsigned by, unsigned bz, unsigned shared, void **args);

/* args[i] read with the type of the kernel's own parameter i */
template<typename... A, std::size_t... I>
static void d3emu_invoke(void (*k)(A...), void **args, std::index_sequence<I...>)
{
    k(*static_cast<A *>(args[I])...);
}

template<typename... A>
static void d3emu_call(void (*k)(A...), void **args)
{
    d3emu_invoke(k, args, std::index_sequence_for<A...>{});
}

template<typename... A>
static D3EmuKernel d3emu_make(const char *name, void (*)(A...), void (*run)(void **), int coop)
{
    static_assert(sizeof...(A) <= D3EMU_MAX_ARGS, "too many kernel parameters");
    return { name, run, coop, (int)sizeof...(A), { sizeof(A)... } };
}

#define D3EMU_KERNEL(n)      d3emu_make(#n, n, [](void **a) { d3emu_call(n, a); }, 0)
#define D3EMU_KERNEL_COOP(n) d3emu_make(#n, n, [](void **a) { d3emu_call(n, a); }, 1)

#endif
