/*
 * deep3d: model file (safetensors) loading and validation
 *
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

#ifndef AVFILTER_DEEP3D_MODEL_H
#define AVFILTER_DEEP3D_MODEL_H

#include <stddef.h>
#include <stdint.h>

/* The format and the network it describes: docs/model-format.md. */

#define DEEP3D_STAGES       5
#define DEEP3D_MAX_CONVS    8
#define DEEP3D_MAX_CHANNELS 4096
#define DEEP3D_MAX_INPUT    4096
#define DEEP3D_MAX_DISP     256
#define DEEP3D_MAX_HEADER   (16 << 20)

enum Deep3DArch {
    DEEP3D_ARCH_ORIGINAL,   ///< released Deep3D: FC head on pool5
    DEEP3D_ARCH_FCN,        ///< fully convolutional: a fifth conv branch on pool5
};

typedef struct Deep3DModel {
    enum Deep3DArch arch;
    int in_w, in_h;                         ///< network input size
    int stage_channels[DEEP3D_STAGES];
    int stage_convs[DEEP3D_STAGES];
    int fc_channels;                        ///< original only
    int disp_min, disp_max;                 ///< shifts of planes 1..D at disp_width
    int nb_disp;                            ///< D
    int nb_prob;                            ///< K = D + 1 (plane 0 renders nothing)
    int disp_width;
    int bgr;                                ///< input channel order is B, G, R
    float input_scale;
    float input_mean[3];
    int nb_branches;                        ///< conv branches: 4 (original) or 5 (fcn)

    /* Weights, float32, C order, shapes as in the format document. */
    const float *conv_w[DEEP3D_STAGES][DEEP3D_MAX_CONVS], *conv_b[DEEP3D_STAGES][DEEP3D_MAX_CONVS];
    const float *bn_gamma[DEEP3D_STAGES], *bn_beta[DEEP3D_STAGES];
    const float *bn_mean[DEEP3D_STAGES], *bn_inv_std[DEEP3D_STAGES];
    const float *pred_w[DEEP3D_STAGES], *pred_b[DEEP3D_STAGES];
    const float *deconv_w[DEEP3D_STAGES], *deconv_b[DEEP3D_STAGES];
    int deconv_k[DEEP3D_STAGES], deconv_s[DEEP3D_STAGES], deconv_p[DEEP3D_STAGES];
    const float *fc6_w, *fc6_b, *fc7_w, *fc7_b, *pred5_w, *pred5_b;
    const float *up_w, *up_b;               ///< deconv_predup
    const float *final_w, *final_b;         ///< convolution0

    float *storage;                         ///< owns every weight above; NULL once freed
    size_t nb_params;
} Deep3DModel;

/**
 * Parse and validate a model from memory (a whole safetensors file). Every
 * failure logs one error naming the field or tensor and returns
 * AVERROR_INVALIDDATA (or AVERROR(ENOMEM)).
 */
int ff_deep3d_model_parse(Deep3DModel **model, void *log_ctx, const uint8_t *buf, size_t size);

/** Read a model file and parse it. */
int ff_deep3d_model_load(Deep3DModel **model, void *log_ctx, const char *path);

/**
 * Free the weights, keeping the hyperparameters (an engine that holds its own
 * copy, so the process holds them once); every weight pointer becomes NULL.
 */
void ff_deep3d_model_free_weights(Deep3DModel *m);

void ff_deep3d_model_free(Deep3DModel **model);

/** The architecture's name in the model file: "original" or "fcn". */
const char *ff_deep3d_model_arch_name(const Deep3DModel *m);

#endif /* AVFILTER_DEEP3D_MODEL_H */
