/*
 * The host CUDA emulator's own test (launch.cpp): cooperative blocks meet at
 * every __syncthreads in both schedules, shared memory is per block and
 * poisoned, a race shows as a difference between the schedules, and each
 * misuse stops the process with its message. Built by build.sh as
 * d3emu-selftest, run by tests/unit/test_cuda_kernels.sh; prints TAP lines
 * and "N passed, M failed".
 */
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

#include "host_cuda.h"
#include "launch.h"

/* a tree sum over the block in shared memory: log2(n) barriers */
__global__ void st_block_sum(const int *in, int *out)
{
    int *s = D3_SMEM(int);
    unsigned t = threadIdx.x, n = blockDim.x;
    s[t] = in[blockIdx.x * n + t];
    __syncthreads();
    for (unsigned half = n / 2; half > 0; half /= 2) {
        if (t < half)
            s[t] += s[t + half];
        __syncthreads();
    }
    if (!t)
        out[blockIdx.x] = s[0];
}

/* each thread reads its neighbour's slot: with or without the barrier between */
__global__ void st_neighbour(int *out, int barrier)
{
    int *s = D3_SMEM(int);
    unsigned t = threadIdx.x, n = blockDim.x;
    s[t] = (int)t;
    if (barrier)
        __syncthreads();
    out[blockIdx.x * n + t] = s[(t + 1) % n];
}

/* odd threads return before the barrier */
__global__ void st_divergent(int *out)
{
    if (threadIdx.x & 1)
        return;
    __syncthreads();
    out[threadIdx.x] = 1;
}

/* a barrier in a kernel registered as not cooperative */
__global__ void st_sync_plain(int *out)
{
    __syncthreads();
    out[threadIdx.x] = 1;
}

/* the thread coordinates the kernel sees, after a barrier too */
__global__ void st_coords(int *out)
{
    unsigned i = (blockIdx.y * gridDim.x + blockIdx.x) * blockDim.x * blockDim.y +
                 threadIdx.y * blockDim.x + threadIdx.x;
    __syncthreads();
    out[i] = (int)((threadIdx.y * blockDim.x + threadIdx.x) |
                   ((blockIdx.y * gridDim.x + blockIdx.x) << 16));
}

static const D3EmuKernel k_sum = D3EMU_KERNEL_COOP(st_block_sum);
static const D3EmuKernel k_neighbour = D3EMU_KERNEL_COOP(st_neighbour);
static const D3EmuKernel k_divergent = D3EMU_KERNEL_COOP(st_divergent);
static const D3EmuKernel k_sync_plain = D3EMU_KERNEL(st_sync_plain);
static const D3EmuKernel k_coords = D3EMU_KERNEL_COOP(st_coords);

static int passed, failed;

static void check(int ok, const std::string &what)
{
    printf("%s - %s\n", ok ? "ok" : "not ok", what.c_str());
    (ok ? passed : failed)++;
}

/* Run k in a child process: whether it died (abort) with `want` on stderr. */
static int dies_with(const D3EmuKernel *k, unsigned threads, const char *want)
{
    int fd[2], status;
    char buf[1024] = "";
    ssize_t n, len = 0;
    pid_t pid;

    if (pipe(fd))
        return 0;
    fflush(stdout);
    if (!(pid = fork())) {
        /* (out, barrier = 1): the kernels here take the first or both */
        int out[1024], one = 1;
        int *p = out;
        void *args[] = { &p, &one };
        dup2(fd[1], 2);
        close(fd[0]);
        d3emu_run(k, 1, 1, 1, threads, 1, 1, 0, args);
        _exit(0);
    }
    close(fd[1]);
    while ((n = read(fd[0], buf + len, sizeof(buf) - 1 - len)) > 0)
        len += n;
    buf[len] = 0;
    close(fd[0]);
    waitpid(pid, &status, 0);
    if (!strstr(buf, want))
        fprintf(stdout, "# stderr: %s\n", buf);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT && strstr(buf, want);
}

static void schedule(const char *s)
{
    setenv("D3EMU_SCHEDULE", s, 1);
}

int main(void)
{
    enum { B = 3, N = 128 };
    static int in[B * N], out[B * N];

    for (const char *sched : { "forward", "reverse" }) {
        std::string tag = std::string(" (") + sched + " schedule)";
        int *pi = in, *po = out, ok = 1, barrier = 1;
        void *sum_args[] = { &pi, &po };
        void *nb_args[] = { &po, &barrier };

        schedule(sched);
        for (int i = 0; i < B * N; i++)
            in[i] = i * 7 - 300;
        d3emu_run(&k_sum, B, 1, 1, N, 1, 1, N * sizeof(int), sum_args);
        for (int b = 0; b < B; b++) {
            long long want = 0;
            for (int t = 0; t < N; t++)
                want += in[b * N + t];
            ok &= out[b] == want;
        }
        check(ok, "a tree sum in shared memory over 3 blocks of 128 threads, 7 barriers" + tag);

        memset(out, 0, sizeof(out));
        d3emu_run(&k_neighbour, B, 1, 1, N, 1, 1, N * sizeof(int), nb_args);
        ok = 1;
        for (int i = 0; i < B * N; i++)
            ok &= out[i] == (i % N + 1) % N;
        check(ok, "each thread reads its neighbour's shared slot after a barrier" + tag);

        barrier = 0;
        d3emu_run(&k_neighbour, B, 1, 1, N, 1, 1, N * sizeof(int), nb_args);
        ok = 1;
        for (int i = 0; i < B * N; i++)
            ok &= out[i] == (i % N + 1) % N;
        /* forward: thread t runs before t + 1 writes and reads the poison (-1),
         * but for the last; reverse: the last thread reads thread 0's unwritten slot */
        {
            int fwd = !strcmp(sched, "forward"), as_scheduled = 1;
            for (int i = 0; i < B * N; i++) {
                int t = i % N, want = (t + 1) % N;
                as_scheduled &= fwd ? out[i] == (t == N - 1 ? 0 : -1) :
                                      out[i] == (t == N - 1 ? -1 : want);
            }
            check(!ok && as_scheduled, "without the barrier the read is a race: the schedule "
                  "reads the poison of unwritten shared memory" + tag);
        }

        {
            enum { W = 8, H = 4, GX = 3, GY = 2 };
            static int c[W * H * GX * GY];
            int *pc = c, good = 1;
            void *args[] = { &pc };
            d3emu_run(&k_coords, GX, GY, 1, W, H, 1, 0, args);
            for (int i = 0; i < W * H * GX * GY; i++)
                good &= c[i] == ((i % (W * H)) | ((i / (W * H)) << 16));
            check(good, "blockIdx, threadIdx, blockDim, gridDim as the kernel sees them "
                  "after a barrier, 2D grid of 2D blocks" + tag);
        }

        check(dies_with(&k_divergent, 64, "divergent __syncthreads"),
              "a barrier the odd threads return before: stops with 'divergent __syncthreads'" + tag);
    }
    schedule("forward");
    check(dies_with(&k_sync_plain, 32, "not registered as cooperative"),
          "__syncthreads in a kernel not registered as cooperative: stops, naming it");
    {
        int *po = out, barrier = 1;
        void *nb_args[] = { &po, &barrier };
        check(dies_with(&k_neighbour, 32, "dynamic shared memory used, but the launch gave none"),
              "shared memory without sharedMemBytes: stops, naming it");
        check(d3emu_run(&k_neighbour, 1, 1, 1, 1025, 1, 1, 4, nb_args) == -1,
              "a block of 1025 threads is refused");
    }
    schedule("sideways");
    check(dies_with(&k_sum, 32, "D3EMU_SCHEDULE=sideways"), "an unknown D3EMU_SCHEDULE stops, naming it");
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
