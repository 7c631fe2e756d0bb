/*
 * deep3d: IEEE 754 half precision conversions in portable C
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

#ifndef AVFILTER_DEEP3D_HALF_H
#define AVFILTER_DEEP3D_HALF_H

/*
 * The fp16 GPU network converts its weights on the host with these, and the
 * host CUDA emulator (tests/cuda-emu) uses them where the GPU kernels use
 * PTX cvt.rn.f16.f32 / cvt.f32.f16: the same results, round to nearest
 * even, overflow to infinity, subnormals kept. Plain C (also compiled as
 * C++ by the emulator), no dependency beyond the C library.
 *
 * Not libavutil's float2half.h / half2float.h: in FFmpeg 7.1 its float to
 * half truncates toward zero (the tables of ff_init_float2half_tables), so
 * it would not match cvt.rn (about 8% of all floats differ, e.g. 2^-25 +
 * 5 ulp gives 0 instead of the smallest subnormal); and neither is part of
 * libavutil's objects nor exported (ff_ symbols, compiled into libavcodec by
 * its own half2float.c / float2half.c for the EXR and PHM codecs only).
 */

#include <stdint.h>
#include <string.h>

/** The largest finite half. */
#define DEEP3D_HALF_MAX 65504.0f

/** float to half, rounded to nearest even; beyond the range: infinity. */
static inline uint16_t ff_deep3d_float_to_half(float f)
{
    uint32_t x, abs, sign, h, rem;

    memcpy(&x, &f, sizeof(x));
    sign = (x >> 16) & 0x8000;
    abs  = x & 0x7fffffff;
    if (abs >= 0x7f800000)                  /* inf, or NaN kept quiet */
        return sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 | ((abs >> 13) & 0x3ff) : 0);
    if (abs >= 0x477ff000)                  /* 65520 and up round past 65504 */
        return sign | 0x7c00;
    if (abs < 0x38800000) {                 /* below 2^-14: a subnormal half, or 0 */
        uint32_t e = abs >> 23, mant = (abs & 0x7fffff) | 0x800000, shift;
        if (abs < 0x33000000)               /* below 2^-25: rounds to 0 */
            return sign;
        /* the value in units of 2^-24 is mant * 2^(e - 126), e in 102..112 */
        shift = 126 - e;
        h   = mant >> shift;
        rem = mant & ((1u << shift) - 1);
        if (rem > 1u << (shift - 1) || (rem == 1u << (shift - 1) && (h & 1)))
            h++;                            /* may carry into the smallest normal: right */
        return sign | h;
    }
    h   = (abs - 0x38000000) >> 13;         /* exponent rebiased from 127 to 15 */
    rem = abs & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
        h++;                                /* a carry into the exponent is right too */
    return sign | h;
}

/** half to float: exact. */
static inline float ff_deep3d_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff, x;
    float f;

    if (e == 0x1f)
        x = sign | 0x7f800000 | (m << 13);
    else if (e)
        x = sign | ((e + 112) << 23) | (m << 13);
    else {
        f = (float)m * (1.0f / 16777216.0f); /* m * 2^-24, exact */
        return sign ? -f : f;
    }
    memcpy(&f, &x, sizeof(f));
    return f;
}

#endif /* AVFILTER_DEEP3D_HALF_H */
