/*
 * Compile-time check of libavfilter/deep3d_cudnn.h against the real cuDNN 9
 * headers: every constant has cuDNN's value, every function type is exactly
 * the type of cuDNN's function, and the perf result structs have the layout
 * deep3d_cudnn.c asserts for its own declaration. Compiled (-fsyntax-only,
 * never linked to cuDNN) by tests/unit/test_cuda.sh when cudnn.h is there.
 */
#include <stddef.h>

#include <cudnn.h>

#include "libavfilter/deep3d_cudnn.h"

#define SAME_VALUE(name, value) _Static_assert(name == value, #name " differs from cudnn.h");
DEEP3D_CUDNN_CONSTANTS(SAME_VALUE)

#define SAME_TYPE(name, required) \
    _Static_assert(__builtin_types_compatible_p(t##name, __typeof__(name)), \
                   "t" #name " is not the type of cudnn.h's " #name);
DEEP3D_CUDNN_FUNCTIONS(SAME_TYPE)

_Static_assert(sizeof(cudnnConvolutionFwdAlgoPerf_t) == 48 &&
               offsetof(cudnnConvolutionFwdAlgoPerf_t, memory) == 16 &&
               offsetof(cudnnConvolutionFwdAlgoPerf_t, mathType) == 28 &&
               sizeof(cudnnConvolutionBwdDataAlgoPerf_t) == 48, "perf result layout");
