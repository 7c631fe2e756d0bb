/*
 * deep3d: a small strict JSON reader for safetensors headers
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

#ifndef AVFILTER_DEEP3D_JSON_H
#define AVFILTER_DEEP3D_JSON_H

#include <stddef.h>
#include <stdint.h>

enum Deep3DJSONType {
    DEEP3D_JSON_NULL,
    DEEP3D_JSON_BOOL,
    DEEP3D_JSON_INT,        ///< a number written without fraction or exponent
    DEEP3D_JSON_NUMBER,     ///< any other number (kept as text; not needed here)
    DEEP3D_JSON_STRING,
    DEEP3D_JSON_ARRAY,
    DEEP3D_JSON_OBJECT,
};

typedef struct Deep3DJSON Deep3DJSON;

struct Deep3DJSON {
    enum Deep3DJSONType type;
    int64_t i;              ///< DEEP3D_JSON_INT and DEEP3D_JSON_BOOL
    char *str;              ///< DEEP3D_JSON_STRING, NUL-terminated, UTF-8
    char **keys;            ///< DEEP3D_JSON_OBJECT: one key per item, unique
    Deep3DJSON *items;      ///< DEEP3D_JSON_ARRAY and DEEP3D_JSON_OBJECT
    int nb_items;
};

/**
 * Parse len bytes of JSON into a tree. Strict: one value, optional white
 * space around it, no duplicate object keys, valid escapes and UTF-8, nesting
 * at most 16 deep, integers within int64. On failure returns
 * AVERROR_INVALIDDATA and writes a short reason with its byte offset to err.
 */
int ff_deep3d_json_parse(Deep3DJSON **root, const char *buf, size_t len,
                         char *err, size_t err_size);

void ff_deep3d_json_free(Deep3DJSON **root);

/** Object member by key, or NULL. */
const Deep3DJSON *ff_deep3d_json_get(const Deep3DJSON *obj, const char *key);

#endif /* AVFILTER_DEEP3D_JSON_H */
