/*
 * libFuzzer target: the model loader on arbitrary bytes.
 *
 * ff_deep3d_model_parse() must refuse any defect with an error and never read
 * outside the buffer, leak, or allocate more than the file can justify. A
 * model that passes the loader then goes through the load-time size check
 * and, if that passes too, the CPU network's setup (buffers, deconvolution
 * phase weights), whose allocations follow from the hyperparameters.
 *
 * Seeds: tests/fuzz/corpus/model/ (the tiny test models and small edits).
 */

#include <stddef.h>
#include <stdint.h>

#include "libavfilter/deep3d_model.h"
#include "libavfilter/deep3d_net.h"
#include "libavutil/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Deep3DModel *m = NULL;
    Deep3DNet *net = NULL;

    av_log_set_level(AV_LOG_QUIET);
    if (ff_deep3d_model_parse(&m, NULL, data, size) < 0) {
        if (m)
            __builtin_trap();   /* a refused file must not hand out a model */
        return 0;
    }
    if (ff_deep3d_net_check(NULL, m) >= 0 && ff_deep3d_net_init(&net, NULL, m, 1) >= 0)
        ff_deep3d_net_free(&net);
    ff_deep3d_model_free(&m);
    return 0;
}
