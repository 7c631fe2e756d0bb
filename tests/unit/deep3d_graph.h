/*
 * The test graph the C tests and the fuzzer share: buffer -> deep3d ->
 * buffersink, configured.
 */
#ifndef DEEP3D_TESTS_GRAPH_H
#define DEEP3D_TESTS_GRAPH_H

#include "libavfilter/avfilter.h"

/* Build and configure buffer (src_args) -> deep3d (deep3d_args) -> buffersink
 * in graph; *src and *sink receive the ends. */
static int deep3d_graph_build(AVFilterGraph *graph, AVFilterContext **src, AVFilterContext **sink,
                              const char *src_args, const char *deep3d_args)
{
    AVFilterContext *deep3d;
    int ret;

    if ((ret = avfilter_graph_create_filter(src, avfilter_get_by_name("buffer"), "in",
                                            src_args, NULL, graph)) < 0 ||
        (ret = avfilter_graph_create_filter(&deep3d, avfilter_get_by_name("deep3d"), "deep3d",
                                            deep3d_args, NULL, graph)) < 0 ||
        (ret = avfilter_graph_create_filter(sink, avfilter_get_by_name("buffersink"), "out",
                                            NULL, NULL, graph)) < 0 ||
        (ret = avfilter_link(*src, 0, deep3d, 0)) < 0 ||
        (ret = avfilter_link(deep3d, 0, *sink, 0)) < 0)
        return ret;
    return avfilter_graph_config(graph, NULL);
}

#endif /* DEEP3D_TESTS_GRAPH_H */
