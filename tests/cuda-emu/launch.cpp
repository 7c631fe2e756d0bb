/*
 * The emulated cuLaunchKernel: a kernel run over its grid, block after block.
 *
 * Kernels registered as cooperative run the threads of a block as fibers
 * (ucontext): each runs until it reaches __syncthreads or returns; when every
 * thread is at the barrier, all go on to the next one. The order in which
 * the threads run between two barriers is the schedule: forward (thread 0
 * first) or, with D3EMU_SCHEDULE=reverse, the last thread first, so a kernel
 * that reads shared memory another thread writes without a barrier between
 * gets a different (or poisoned) value under one of the two. Misuse aborts
 * with a message naming the kernel, block and thread: a barrier some threads
 * of a block skip by returning (divergent __syncthreads), or __syncthreads in
 * a kernel not registered as cooperative. (Which __syncthreads call each
 * thread waits at is not compared: since sm_70 any call meets any other, and
 * an optimising compiler duplicates calls.) Other kernels run one thread at a time, as before.
 *
 * Dynamic shared memory: `shared` bytes per block, freshly allocated (an
 * out-of-bounds access shows under ASan) and filled with 0xff bytes (NaN as
 * floats), freed at the end of the block.
 */
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <sys/mman.h>
#include <ucontext.h>

#include "host_cuda.h"
#include "launch.h"

#if defined(__SANITIZE_ADDRESS__)
#define D3EMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define D3EMU_ASAN 1
#endif
#endif
#ifdef D3EMU_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

thread_local d3emu_dim3 d3emu_block_idx, d3emu_block_dim, d3emu_thread_idx, d3emu_grid_dim;

namespace {

/* Each fiber's stack, above a guard page (an overflow faults instead of
 * writing into a neighbour). The kernels' frames are small; ASan's are
 * larger, and its swapcontext clears the shadow of the whole stack on every
 * switch, so it is kept to what they need. */
#ifdef D3EMU_ASAN
const size_t STACK = 256 << 10;
#else
const size_t STACK = 128 << 10;
#endif
const size_t GUARD = 4096;

struct Fiber {
    ucontext_t ctx;
    void *stack = nullptr;
    d3emu_dim3 tid;
    int done;                       /* returned from the kernel */
    int waiting;                    /* at a barrier */
    void *fake_stack;               /* ASan's, while switched out */
};

/* The block being run on this host thread. */
struct Block {
    const D3EmuKernel *k;
    void **args;
    std::vector<Fiber> fibers;
    Fiber *cur;
    ucontext_t sched;
    void *sched_fake;               /* ASan: the scheduler's, while switched out */
    const void *sched_bottom;       /* ASan: the scheduler's stack */
    size_t sched_size;
};

/* Fiber stacks, kept from launch to launch on this host thread (mapping and
 * unmapping 256 of them per launch dominated the run time, under ASan most). */
struct StackPool {
    std::vector<void *> stacks;
    ~StackPool()
    {
        for (void *s : stacks)
            munmap((char *)s - GUARD, GUARD + STACK);
    }
    void *get(size_t i)
    {
        while (stacks.size() <= i) {
            char *s = (char *)mmap(nullptr, GUARD + STACK, PROT_READ | PROT_WRITE,
                                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
            if (s == MAP_FAILED || mprotect(s, GUARD, PROT_NONE)) {
                fprintf(stderr, "d3emu: no memory for the fibers' stacks\n");
                abort();
            }
            stacks.push_back(s + GUARD);
        }
        return stacks[i];
    }
};
thread_local StackPool stack_pool;

thread_local Block *blk;            /* a cooperative block being run, else null */
thread_local const D3EmuKernel *running;
thread_local void *block_shared;

[[noreturn]] void misuse(const char *what)
{
    fprintf(stderr, "d3emu: kernel %s, block (%u,%u,%u), thread (%u,%u,%u): %s\n",
            running ? running->name : "?", d3emu_block_idx.x, d3emu_block_idx.y,
            d3emu_block_idx.z, d3emu_thread_idx.x, d3emu_thread_idx.y, d3emu_thread_idx.z,
            what);
    fflush(stderr);
    abort();
}

/* ASan follows the stack switches (fiber annotations); nothing otherwise */
inline void asan_start(void **save, const void *bottom, size_t size)
{
#ifdef D3EMU_ASAN
    __sanitizer_start_switch_fiber(save, bottom, size);
#endif
}

inline void asan_finish(void *save, const void **bottom, size_t *size)
{
#ifdef D3EMU_ASAN
    __sanitizer_finish_switch_fiber(save, bottom, size);
#endif
}

void fiber_main()
{
    Block *b = blk;
    asan_finish(nullptr, &b->sched_bottom, &b->sched_size);
    b->k->run(b->args);
    b->cur->done = 1;
    /* back to the scheduler through uc_link; this fiber's fake stack goes */
    asan_start(nullptr, b->sched_bottom, b->sched_size);
}

int reverse_schedule()
{
    const char *s = getenv("D3EMU_SCHEDULE");
    if (!s || !*s || !strcmp(s, "forward"))
        return 0;
    if (!strcmp(s, "reverse"))
        return 1;
    fprintf(stderr, "d3emu: D3EMU_SCHEDULE=%s: use forward or reverse\n", s);
    abort();
}

void run_block_coop(Block &b, int reverse)
{
    size_t n = b.fibers.size();

    for (size_t i = 0; i < n; i++) {
        Fiber &f = b.fibers[i];
        f.done = f.waiting = 0;
        getcontext(&f.ctx);
        f.ctx.uc_stack.ss_sp   = f.stack;
        f.ctx.uc_stack.ss_size = STACK;
        f.ctx.uc_link = &b.sched;
        makecontext(&f.ctx, fiber_main, 0);
    }
    for (;;) {
        size_t done = 0, waiting = 0;
        const Fiber *first_wait = nullptr, *first_done = nullptr;

        for (size_t j = 0; j < n; j++) {
            Fiber &f = b.fibers[reverse ? n - 1 - j : j];
            if (f.done)
                continue;
            f.waiting = 0;
            b.cur = &f;
            d3emu_thread_idx = f.tid;
            asan_start(&b.sched_fake, f.stack, STACK);
            swapcontext(&b.sched, &f.ctx);
            asan_finish(b.sched_fake, nullptr, nullptr);
        }
        for (size_t i = 0; i < n; i++) {
            const Fiber &f = b.fibers[i];
            if (f.done) {
                done++;
                first_done = first_done ? first_done : &f;
            } else {
                waiting++;
                first_wait = first_wait ? first_wait : &f;
            }
        }
        if (!waiting)
            return;
        if (done) {
            char msg[256];
            snprintf(msg, sizeof(msg), "divergent __syncthreads: %zu threads of the block wait "
                     "at a barrier that %zu returned without reaching, thread (%u,%u,%u) among "
                     "them", waiting, done, first_done->tid.x, first_done->tid.y,
                     first_done->tid.z);
            d3emu_thread_idx = first_wait->tid;
            misuse(msg);
        }
    }
}

} // namespace

void d3emu_syncthreads(void)
{
    Block *b = blk;
    if (!b)
        misuse("__syncthreads in a kernel not registered as cooperative "
               "(D3EMU_KERNEL_COOP in tests/cuda-emu/kernels.cpp)");
    b->cur->waiting = 1;
    {
        Fiber *f = b->cur;
        asan_start(&f->fake_stack, b->sched_bottom, b->sched_size);
        swapcontext(&f->ctx, &b->sched);
        asan_finish(f->fake_stack, &b->sched_bottom, &b->sched_size);
    }
    /* resumed by the scheduler: every thread has arrived */
}

void *d3emu_shared(void)
{
    if (!block_shared)
        misuse("dynamic shared memory used, but the launch gave none (sharedMemBytes 0)");
    return block_shared;
}

int d3emu_run(const D3EmuKernel *k, unsigned gx, unsigned gy, unsigned gz,
              unsigned bx, unsigned by, unsigned bz, unsigned shared, void **args)
{
    unsigned long long threads = (unsigned long long)bx * by * bz;
    int reverse = reverse_schedule();
    Block b;

    if (!threads || threads > 1024 || !gx || !gy || !gz) {
        fprintf(stderr, "d3emu: kernel %s: invalid launch, grid %ux%ux%u, block %ux%ux%u\n",
                k->name, gx, gy, gz, bx, by, bz);
        return -1;
    }
    running = k;
    d3emu_grid_dim  = { gx, gy, gz };
    d3emu_block_dim = { bx, by, bz };
    b.k = k;
    b.args = args;
    b.sched_fake = nullptr;
    b.sched_bottom = nullptr;
    b.sched_size = 0;
    if (k->cooperative) {
        b.fibers.resize(threads);
        for (unsigned tz = 0, i = 0; tz < bz; tz++)
            for (unsigned ty = 0; ty < by; ty++)
                for (unsigned tx = 0; tx < bx; tx++, i++) {
                    Fiber &f = b.fibers[i];
                    f.tid = { tx, ty, tz };
                    f.stack = stack_pool.get(i);
                }
    }
    for (unsigned z = 0; z < gz; z++)
        for (unsigned y = 0; y < gy; y++)
            for (unsigned x = 0; x < gx; x++) {
                d3emu_block_idx = { x, y, z };
                block_shared = nullptr;
                if (shared) {
                    if (!(block_shared = malloc(shared)))
                        abort();
                    memset(block_shared, 0xff, shared);
                }
                if (k->cooperative) {
                    blk = &b;
                    run_block_coop(b, reverse);
                    blk = nullptr;
                } else {
                    for (unsigned tz = 0; tz < bz; tz++)
                        for (unsigned ty = 0; ty < by; ty++)
                            for (unsigned tx = 0; tx < bx; tx++) {
                                d3emu_thread_idx = { tx, ty, tz };
                                k->run(args);
                            }
                }
                free(block_shared);
                block_shared = nullptr;
            }
    running = nullptr;
    return 0;
}
