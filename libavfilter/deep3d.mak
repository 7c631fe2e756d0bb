# deep3d's objects, included by libavfilter/Makefile (patches/0001-register-deep3d.patch):
# a file added here needs no change to the patch.
OBJS-$(CONFIG_DEEP3D_FILTER)                 += vf_deep3d.o deep3d_input.o deep3d_json.o \
                                                deep3d_model.o deep3d_layers.o deep3d_net.o deep3d_net_onednn.o deep3d_cpu_precision.o deep3d_pack.o \
                                                deep3d_render_soft.o deep3d_render_soft_x86.o deep3d_anaglyph.o \
                                                deep3d_temporal.o deep3d_render_hard.o \
                                                deep3d_source.o deep3d_source_deep3d.o \
                                                deep3d_render.o deep3d_cpu.o deep3d_filter_cuda.o \
                                                deep3d_filter_output.o deep3d_stats.o
# the ONNX depth source: ONNX Runtime is loaded at run time (dlopen), nothing is linked
OBJS-$(CONFIG_DEEP3D_FILTER)                 += deep3d_source_onnx.o deep3d_ort.o deep3d_depthmap.o
# deep3d's CUDA path, with ffnvcodec and a CUDA compiler (cuda-llvm or nvcc):
# the condition of DEEP3D_HAVE_CUDA in deep3d_cuda.h
ifeq ($(CONFIG_CUDA)$(CONFIG_FFNVCODEC),yesyes)
ifneq ($(CONFIG_CUDA_LLVM)$(CONFIG_CUDA_NVCC),)
OBJS-$(CONFIG_DEEP3D_FILTER)                 += deep3d_cuda.o deep3d_cuda_net.o deep3d_cudnn.o \
                                                deep3d_upload.o deep3d_source_deep3d_cuda.o deep3d_cuda_mem.o \
                                                deep3d_cuda_driver.o deep3d_cuda_timers.o deep3d_cuda_graph.o \
                                                deep3d_cuda_tables.o \
                                                deep3d_cuda.ptx.o deep3d_cuda_net.ptx.o \
                                                deep3d_source_onnx_cuda.o deep3d_onnx.ptx.o \
                                                cuda/load_helper.o
endif
endif
$(SUBDIR)deep3d_cuda.ptx $(SUBDIR)deep3d_cuda_net.ptx $(SUBDIR)deep3d_onnx.ptx: $(SRC_PATH)/libavfilter/deep3d_cuda.cuh
# the ONNX source's kernels: its own module, on the input kernel's resampling
$(SUBDIR)deep3d_onnx.ptx: $(SRC_PATH)/libavfilter/deep3d_input.cuh
$(SUBDIR)deep3d_cuda_net.ptx: $(SRC_PATH)/libavfilter/deep3d_cuda_deconv.h
# the frame kernels: one header per concern (cuda/), one module
$(SUBDIR)deep3d_cuda.ptx: $(addprefix $(SRC_PATH)/libavfilter/deep3d_, anaglyph.cuh conv.cuh autoconv.h input.cuh \
                          pack.cuh render_hard.cuh render_soft.cuh temporal.cuh render_pack.cuh \
                          cuda_frame.h)
# the built-in model: deep3d_default_model.inc is written by scripts/prepare-tree.sh
OBJS-$(CONFIG_DEEP3D_FILTER)                 += deep3d_default_model.o
