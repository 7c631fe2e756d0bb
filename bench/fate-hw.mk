# The GPU tests of tests/fate/deep3d.mak (FATE_HW) as shell commands, for a
# machine that has the ffmpeg binary but no configured FFmpeg build tree
# (bench/gpu.sh). The commands are exactly those FATE runs.
#
#   make -s -f bench/fate-hw.mk SRC_PATH=DIR TARGET_PATH=DIR list
#   make -s -f bench/fate-hw.mk SRC_PATH=DIR TARGET_PATH=DIR fate-deep3d-cuda-nv12-sbsl
#
# SRC_PATH holds tests/fate (this repository's) and tests/deep3d (tests/data);
# TARGET_PATH holds ffmpeg.

ALLYES           = yes
CONFIG_CUDA_LLVM = yes
include $(SRC_PATH)/tests/fate/deep3d.mak

.PHONY: list
list:
	@echo $(FATE_DEEP3D_CUDA-yes)

$(FATE_DEEP3D_CUDA-yes):
	@echo '$(CMD)'
