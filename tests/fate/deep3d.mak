# FATE tests of the deep3d filter (included from tests/Makefile by the deep3d patch).
# CPU tests go in FATE_FFMPEG, GPU tests in FATE_HW (run by `make fate-hw` or
# `make fate-deep3d-cuda` only).
#
# The models are tiny random-weight networks made by tools/make_model.py
# (tests/data/README.md). The network runs in float through BLAS, so these
# checksums hold for one BLAS kernel family and threads=1 (the x86-64 machines
# this project builds on); tests/unit/test_engine checks the maths itself
# against the Python reference with tolerances, on any machine.

DEEP3D_SRC   = testsrc2=s=96x64:r=5:d=1
# device=cpu: these checksums are the CPU path's, also on a machine with a GPU
# (deep3d-cuda-psnr.sh sets the device after these options for its GPU branch);
# cpu_engine=blas: the OpenBLAS engine's, whatever auto picks (tests/unit/test_onednn
# holds the oneDNN engine to them within tolerances)
DEEP3D_FCN   = model=$(SRC_PATH)/tests/deep3d/deep3d-tiny-fcn.safetensors:threads=1:device=cpu:cpu_engine=blas
DEEP3D_ORIG  = model=$(SRC_PATH)/tests/deep3d/deep3d-tiny-original.safetensors:threads=1:device=cpu:cpu_engine=blas
DEEP3D_CRC   = $(call FILTERFRAMECRC, TESTSRC2 FORMAT DEEP3D)

# Every layout and anaglyph, 8-bit 4:2:0, rendered by the network (al and ar:
# 10 frames of 5, at pts 0, 1, 2, ... in a time base of 1/10, duration 1).
DEEP3D_WEAVES    = icl icr chl chr
DEEP3D_ANAGLYPHS = agmg agmh agmc agmd aybg aybh aybc aybd argg arbg
DEEP3D_LAYOUTS = sbsl sbsr sbs2l sbs2r abl abr ab2l ab2r ml mr irl irr arcg arch arcc arcd \
                 $(DEEP3D_WEAVES) al ar $(DEEP3D_ANAGLYPHS)
define FATE_DEEP3D_LAYOUT_TEST
FATE_DEEP3D-$(DEEP3D_CRC) += fate-deep3d-layout-$(1)
fate-deep3d-layout-$(1): CMD = framecrc -lavfi $(DEEP3D_SRC),format=yuv420p,deep3d=$(DEEP3D_FCN):mode=$(1)
endef
$(foreach L,$(DEEP3D_LAYOUTS),$(eval $(call FATE_DEEP3D_LAYOUT_TEST,$(L))))

# strength=0 with renormalize gives exactly the input in both eyes: the same
# frames as plain packing (references made before the network existed).
define FATE_DEEP3D_FLAT_TEST
FATE_DEEP3D-$(DEEP3D_CRC) += fate-deep3d-flat-$(1)
fate-deep3d-flat-$(1): CMD = framecrc -lavfi $(DEEP3D_SRC),format=yuv420p,deep3d=$(DEEP3D_FCN):mode=$(1):strength=0:renormalize=1
endef
$(foreach L,$(DEEP3D_LAYOUTS),$(eval $(call FATE_DEEP3D_FLAT_TEST,$(L))))

# Every pixel format, in a full and a squeezed layout of each packing axis.
DEEP3D_FORMATS = gray yuv420p yuv422p yuv444p yuvj420p nv12 rgb24 bgr24 rgba bgra gbrp \
                 yuv420p10le yuv422p10le yuv444p10le p010le
define FATE_DEEP3D_FORMAT_TEST
FATE_DEEP3D-$(DEEP3D_CRC) += fate-deep3d-format-$(1)-$(2)
fate-deep3d-format-$(1)-$(2): CMD = framecrc -lavfi $(DEEP3D_SRC),format=$(1),deep3d=$(DEEP3D_FCN):mode=$(2)
endef
$(foreach F,$(DEEP3D_FORMATS),$(foreach L,sbsl sbs2r ab2l,$(eval $(call FATE_DEEP3D_FORMAT_TEST,$(F),$(L)))))

# Modes that mix or alternate the eyes, with eyes that differ independently of
# the network: strength=0 and a convergence of 12.5% shift the right eye by
# exactly 12 luma (6 chroma) samples, so these frames hold on any BLAS.
# Interleaved rows in every pixel format, the Dubois anaglyph in every colour
# format (gray input needs a conversion to colour, which FATE does not insert).
DEEP3D_SHIFT = $(DEEP3D_FCN):strength=0:renormalize=1:convergence=12.5
define FATE_DEEP3D_SHIFT_TEST
FATE_DEEP3D-$(DEEP3D_CRC) += fate-deep3d-shift-$(1)-$(2)
fate-deep3d-shift-$(1)-$(2): CMD = framecrc -lavfi $(DEEP3D_SRC),format=$(1),deep3d=$(DEEP3D_SHIFT):mode=$(2)
endef
$(foreach F,$(DEEP3D_FORMATS),$(eval $(call FATE_DEEP3D_SHIFT_TEST,$(F),irr)))
$(foreach F,$(filter-out gray,$(DEEP3D_FORMATS)),$(eval $(call FATE_DEEP3D_SHIFT_TEST,$(F),arcd)))
$(foreach L,irl arcg arch arcc,$(eval $(call FATE_DEEP3D_SHIFT_TEST,yuv420p,$(L))))
$(foreach F,rgb24 yuv420p10le,$(eval $(call FATE_DEEP3D_SHIFT_TEST,$(F),irl)))
# columns and checkerboard like rows; alternating frames; the other anaglyph
# families in 4:2:0 (through RGB) and rgb24 (mixed directly, exactly)
$(foreach F,$(DEEP3D_FORMATS),$(foreach L,icr chl,$(eval $(call FATE_DEEP3D_SHIFT_TEST,$(F),$(L)))))
$(foreach L,icl chr al ar $(DEEP3D_ANAGLYPHS),$(eval $(call FATE_DEEP3D_SHIFT_TEST,yuv420p,$(L))))
$(foreach F,nv12 p010le rgba,$(eval $(call FATE_DEEP3D_SHIFT_TEST,$(F),al)))
$(foreach L,$(DEEP3D_ANAGLYPHS),$(eval $(call FATE_DEEP3D_SHIFT_TEST,rgb24,$(L))))
# swap=1 with every new mode: the interleaved and alternating ones give the
# other order's frames (same-frames tests below), the anaglyphs their own
define FATE_DEEP3D_SHIFT_SWAP_TEST
FATE_DEEP3D-$(DEEP3D_CRC) += fate-deep3d-shift-swap-$(1)
fate-deep3d-shift-swap-$(1): CMD = framecrc -lavfi $(DEEP3D_SRC),format=yuv420p,deep3d=$(DEEP3D_SHIFT):mode=$(1):swap=1
endef
$(foreach L,$(DEEP3D_ANAGLYPHS),$(eval $(call FATE_DEEP3D_SHIFT_SWAP_TEST,$(L))))
# odd sizes: interleaved eyes and alternating frames take any size (the chroma
# of an edge covering one eye takes that eye's; the second frame of al / ar is
# stacked on its own chroma row); shift 10 of 25 columns (convergence 40)
define FATE_DEEP3D_ODD_TEST
FATE_DEEP3D-$(DEEP3D_CRC) += fate-deep3d-odd-$(1)-$(2)
fate-deep3d-odd-$(1)-$(2): CMD = framecrc -lavfi testsrc2=s=25x9:r=5:d=1,format=$(1),deep3d=$(DEEP3D_FCN):strength=0:renormalize=1:convergence=40:mode=$(2)
endef
$(foreach L,icl chr irr al ar,$(eval $(call FATE_DEEP3D_ODD_TEST,yuv420p,$(L))))
$(foreach L,icr chl,$(eval $(call FATE_DEEP3D_ODD_TEST,nv12,$(L))))

# Names that must give the same frames as another test.
define FATE_DEEP3D_SAME_TEST
FATE_DEEP3D-$(DEEP3D_CRC) += fate-deep3d-$(1)
fate-deep3d-$(1): CMD = framecrc -lavfi $(DEEP3D_SRC),format=yuv420p,deep3d=$(DEEP3D_FCN)$(2)
fate-deep3d-$(1): REF = $(SRC_PATH)/tests/ref/fate/deep3d-layout-$(3)
endef
$(eval $(call FATE_DEEP3D_SAME_TEST,default,,sbsl))
$(eval $(call FATE_DEEP3D_SAME_TEST,alias-sbs,:mode=sbs,sbsl))
$(eval $(call FATE_DEEP3D_SAME_TEST,alias-hsbs,:mode=hsbs,sbs2l))
$(eval $(call FATE_DEEP3D_SAME_TEST,alias-tb,:mode=tb,abl))
$(eval $(call FATE_DEEP3D_SAME_TEST,alias-htb,:mode=htb,ab2l))
$(eval $(call FATE_DEEP3D_SAME_TEST,alias-right,:mode=right,mr))
$(eval $(call FATE_DEEP3D_SAME_TEST,swap-sbsl,:mode=sbsl:swap=1,sbsr))
$(eval $(call FATE_DEEP3D_SAME_TEST,swap-ab2r,:mode=ab2r:swap=1,ab2l))
$(eval $(call FATE_DEEP3D_SAME_TEST,swap-icl,:mode=icl:swap=1,icr))
$(eval $(call FATE_DEEP3D_SAME_TEST,swap-icr,:mode=icr:swap=1,icl))
$(eval $(call FATE_DEEP3D_SAME_TEST,swap-chl,:mode=chl:swap=1,chr))
$(eval $(call FATE_DEEP3D_SAME_TEST,swap-chr,:mode=chr:swap=1,chl))
$(eval $(call FATE_DEEP3D_SAME_TEST,swap-al,:mode=al:swap=1,ar))
$(eval $(call FATE_DEEP3D_SAME_TEST,swap-ar,:mode=ar:swap=1,al))
# the output does not depend on how the work is split between threads
$(eval $(call FATE_DEEP3D_SAME_TEST,threads-3,:threads=3,sbsl))

# The built-in default model (no model option) gives the frames of the file it is made from.
FATE_DEEP3D-$(DEEP3D_CRC) += fate-deep3d-builtin-model
fate-deep3d-builtin-model: CMD = framecrc -lavfi $(DEEP3D_SRC),format=yuv420p,deep3d=threads=1:device=cpu:cpu_engine=blas:mode=sbs2l
FATE_DEEP3D-$(DEEP3D_CRC) += fate-deep3d-builtin-model-file
fate-deep3d-builtin-model-file: CMD = framecrc -lavfi $(DEEP3D_SRC),format=yuv420p,deep3d=model=$(SRC_PATH)/tests/deep3d/deep3d-default.safetensors:threads=1:device=cpu:cpu_engine=blas:mode=sbs2l
fate-deep3d-builtin-model-file: REF = $(SRC_PATH)/tests/ref/fate/deep3d-builtin-model

# Options that change the rendering, the original topology, the depth picture.
define FATE_DEEP3D_OPTION_TEST
FATE_DEEP3D-$(DEEP3D_CRC) += fate-deep3d-$(1)
fate-deep3d-$(1): CMD = framecrc -lavfi $(DEEP3D_SRC),format=yuv420p,deep3d=$(2)
endef
$(eval $(call FATE_DEEP3D_OPTION_TEST,strength-2.5,$(DEEP3D_FCN):strength=2.5))
$(eval $(call FATE_DEEP3D_OPTION_TEST,convergence,$(DEEP3D_FCN):convergence=-3))
$(eval $(call FATE_DEEP3D_OPTION_TEST,renormalize,$(DEEP3D_FCN):renormalize=1))
$(eval $(call FATE_DEEP3D_OPTION_TEST,depth,$(DEEP3D_FCN):mode=depth))
$(eval $(call FATE_DEEP3D_OPTION_TEST,original-sbsl,$(DEEP3D_ORIG)))
$(eval $(call FATE_DEEP3D_OPTION_TEST,original-ab2r,$(DEEP3D_ORIG):mode=ab2r))

# Temporal smoothing, scene-cut reset, dilation, automatic convergence and the
# hard renderer (issue 7). testsrc2 moves, so smoothing and its motion weight
# change the frames; each option has its own test.
$(eval $(call FATE_DEEP3D_OPTION_TEST,smooth,$(DEEP3D_FCN):smooth=4))
$(eval $(call FATE_DEEP3D_OPTION_TEST,smooth-motion,$(DEEP3D_FCN):smooth=4:motion=2))
$(eval $(call FATE_DEEP3D_OPTION_TEST,smooth-depth,$(DEEP3D_FCN):smooth=4:mode=depth))
$(eval $(call FATE_DEEP3D_OPTION_TEST,dilate,$(DEEP3D_FCN):dilate=2))
$(eval $(call FATE_DEEP3D_OPTION_TEST,dilate-depth,$(DEEP3D_FCN):dilate=2:mode=depth))
$(eval $(call FATE_DEEP3D_OPTION_TEST,render-hard,$(DEEP3D_FCN):render=hard))
$(eval $(call FATE_DEEP3D_OPTION_TEST,conv-auto,$(DEEP3D_FCN):convergence=auto))
$(eval $(call FATE_DEEP3D_OPTION_TEST,conv-auto-limits,$(DEEP3D_FCN):convergence=auto:conv_smooth=0:conv_percentile=50:max_popout=0.2:max_depth=0.3))
$(eval $(call FATE_DEEP3D_OPTION_TEST,temporal-all,$(DEEP3D_FCN):smooth=8:dilate=1:render=hard:convergence=auto:mode=sbs2l))
# the temporal path is single-threaded and in a fixed order: threads change nothing
define FATE_DEEP3D_SAME_OPT_TEST
FATE_DEEP3D-$(DEEP3D_CRC) += fate-deep3d-$(1)
fate-deep3d-$(1): CMD = framecrc -lavfi $(DEEP3D_SRC),format=$(4),deep3d=$(DEEP3D_FCN)$(2)
fate-deep3d-$(1): REF = $(SRC_PATH)/tests/ref/fate/deep3d-$(3)
endef
$(eval $(call FATE_DEEP3D_SAME_OPT_TEST,smooth-threads-3,:smooth=4:threads=3,smooth,yuv420p))
$(eval $(call FATE_DEEP3D_SAME_OPT_TEST,temporal-all-threads-2,:smooth=8:dilate=1:render=hard:convergence=auto:mode=sbs2l:threads=2,temporal-all,yuv420p))
# with a network-independent shift (strength 0, 12 whole samples) the hard
# renderer gives exactly the soft renderer's frames
$(eval $(call FATE_DEEP3D_SAME_OPT_TEST,hard-shift-irr,:strength=0:renormalize=1:convergence=12.5:render=hard:mode=irr,shift-yuv420p-irr,yuv420p))
# smooth=0 is the per-frame filter (the default smooths: smooth=8); with the
# reset options set it is the same, and so is a scenecut of 1 level on moving
# testsrc2 (every frame resets the state)
$(eval $(call FATE_DEEP3D_OPTION_TEST,smooth-0,$(DEEP3D_FCN):smooth=0))
$(eval $(call FATE_DEEP3D_SAME_OPT_TEST,smooth-0-resets,:smooth=0:scenecut=5:motion=3,smooth-0,yuv420p))
$(eval $(call FATE_DEEP3D_SAME_OPT_TEST,smooth-scenecut,:smooth=4:scenecut=1,smooth-0,yuv420p))
$(eval $(call FATE_DEEP3D_SAME_OPT_TEST,smooth-default,:smooth=8,layout-sbsl,yuv420p))

# A hard cut between two real pictures (tests/data/README.md) resets the
# state on the cut frame, and a timestamp gap resets it (deep3d-reset.sh).
FATE_DEEP3D-$(call ALLYES, IMAGE2_DEMUXER PNG_DECODER CROP_FILTER SELECT_FILTER FORMAT_FILTER DEEP3D_FILTER FRAMEMD5_MUXER) += fate-deep3d-reset
fate-deep3d-reset: CMD = $(SRC_PATH)/tests/fate/deep3d-reset.sh $(TARGET_PATH)/ffmpeg$(PROGSSUF)$(EXESUF) \
    $(SRC_PATH)/tests/deep3d/cut-astronaut-coffee.png $(DEEP3D_FCN):smooth=8

# Odd sizes: a squeezed layout drops the unpaired column / row; full layouts
# of axes without chroma subsampling take any size.
FATE_DEEP3D-$(DEEP3D_CRC) += fate-deep3d-odd-sbs2l
fate-deep3d-odd-sbs2l: CMD = framecrc -lavfi testsrc2=s=99x33:r=5:d=1,format=yuv444p,deep3d=$(DEEP3D_FCN):mode=sbs2l
# 4K: one frame of 3840x2160 to 7680x2160
FATE_DEEP3D-$(DEEP3D_CRC) += fate-deep3d-4k
fate-deep3d-4k: CMD = framecrc -lavfi testsrc2=s=3840x2160:r=5:d=0.2,format=yuv420p,deep3d=$(DEEP3D_FCN)
FATE_DEEP3D-$(DEEP3D_CRC) += fate-deep3d-odd-abl-gray
fate-deep3d-odd-abl-gray: CMD = framecrc -lavfi testsrc2=s=99x33:r=5:d=1,format=gray,deep3d=$(DEEP3D_FCN):mode=abl

# The stereo 3D side data reaches the container: Matroska StereoMode and the
# stream's Stereo 3D side data, as a player sees them (ffv1 is deterministic).
# Anaglyphs carry none: they are ordinary pictures, not frame-packed stereo.
DEEP3D_PROBE = -bitexact -show_entries stream=width,height,sample_aspect_ratio:stream_tags=stereo_mode:stream_side_data=side_data_type,type,inverted,view
define FATE_DEEP3D_MKV_TEST
FATE_DEEP3D_MKV-$(call ALLYES, TESTSRC2_FILTER FORMAT_FILTER DEEP3D_FILTER FFV1_ENCODER MATROSKA_MUXER MATROSKA_DEMUXER PIPE_PROTOCOL) += fate-deep3d-mkv-$(1)
fate-deep3d-mkv-$(1): CMD = ffmpeg -lavfi testsrc2=s=32x16:r=5:d=0.4,format=yuv420p,deep3d=$(DEEP3D_FCN):mode=$(1) \
    -c:v ffv1 -bitexact -f matroska pipe: | run ffprobe$(PROGSSUF)$(EXESUF) $(DEEP3D_PROBE) -i pipe:0
endef
$(foreach L,sbsl sbsr sbs2l sbs2r abl abr ab2l ab2r ml mr irl irr arcd,$(eval $(call FATE_DEEP3D_MKV_TEST,$(L))))
$(foreach L,icl icr chl chr al ar agmd aybd,$(eval $(call FATE_DEEP3D_MKV_TEST,$(L))))

# VR180 (docs/vr180.md): deep3d side by side, then v360 maps each eye from a
# flat 90 x 58.7 degree view onto a half-equirectangular (180 x 180 degree)
# eye of 64x64 (v360's w and h are one eye's: 128x64 out); the frames (eyes
# independent of the network: DEEP3D_SHIFT), and the stereo side data
# reaching Matroska through v360 (StereoMode left_right).
DEEP3D_VR180 = v360=input=flat:output=hequirect:in_stereo=sbs:out_stereo=sbs:ih_fov=90:iv_fov=58.7:w=64:h=64
FATE_DEEP3D-$(call FILTERFRAMECRC, TESTSRC2 FORMAT DEEP3D V360) += fate-deep3d-vr180
fate-deep3d-vr180: CMD = framecrc -lavfi $(DEEP3D_SRC),format=yuv420p,deep3d=$(DEEP3D_SHIFT):mode=sbsl,$(DEEP3D_VR180)
FATE_DEEP3D_MKV-$(call ALLYES, TESTSRC2_FILTER FORMAT_FILTER DEEP3D_FILTER V360_FILTER FFV1_ENCODER MATROSKA_MUXER MATROSKA_DEMUXER PIPE_PROTOCOL) += fate-deep3d-vr180-mkv
fate-deep3d-vr180-mkv: CMD = ffmpeg -lavfi testsrc2=s=32x18:r=5:d=0.4,format=yuv420p,deep3d=$(DEEP3D_FCN):mode=sbsl,$(DEEP3D_VR180) \
    -c:v ffv1 -bitexact -f matroska pipe: | run ffprobe$(PROGSSUF)$(EXESUF) $(DEEP3D_PROBE) -i pipe:0

# The device option on software frames: auto and cpu both run the CPU path
# (cuDNN is never loaded for software frames, so a bad cudnn path is harmless).
$(eval $(call FATE_DEEP3D_SAME_TEST,device-cpu,:device=cpu,sbsl))
$(eval $(call FATE_DEEP3D_SAME_TEST,device-auto,:device=auto:cudnn=/nonexistent/libcudnn.so.9,sbsl))

# ONNX depth models (docs/onnx.md), run by the CPU ONNX Runtime of scripts/fetch-ort.sh
# (linked as tests/deep3d/libonnxruntime.so by scripts/prepare-tree.sh). The rowramp model
# outputs the row index whatever the picture, so these frames do not depend on ONNX
# Runtime's arithmetic: the renderers, layouts and formats on a depth map from an ONNX file.
DEEP3D_ONNX = model=$(SRC_PATH)/tests/deep3d/deep3d-onnx-rowramp.onnx:ort=$(SRC_PATH)/tests/deep3d/libonnxruntime.so:threads=1:device=cpu
define FATE_DEEP3D_ONNX_TEST
FATE_DEEP3D-$(DEEP3D_CRC) += fate-deep3d-onnx-$(1)
fate-deep3d-onnx-$(1): CMD = framecrc -lavfi $(DEEP3D_SRC),format=$(2),deep3d=$(DEEP3D_ONNX)$(3)
endef
$(foreach L,sbsl ab2l irr arcd depth,$(eval $(call FATE_DEEP3D_ONNX_TEST,$(L),yuv420p,:mode=$(L))))
$(foreach F,rgb24 p010le gray,$(eval $(call FATE_DEEP3D_ONNX_TEST,$(F),$(F),:mode=sbs2l)))
$(eval $(call FATE_DEEP3D_ONNX_TEST,hard,yuv420p,:render=hard))
$(eval $(call FATE_DEEP3D_ONNX_TEST,smooth-conv-auto,yuv420p,:smooth=4:convergence=auto:mode=sbs2r))
$(eval $(call FATE_DEEP3D_ONNX_TEST,strength-2,nv12,:strength=2:dilate=1))
# strength and convergence changed at run time (sendcmd at 0.4 s: frames 2-4);
# test_multi checks that the frames after a command equal those of a graph
# started with the new values.
DEEP3D_CMDS = sendcmd=f=$(SRC_PATH)/tests/deep3d/deep3d-commands.cmd
FATE_DEEP3D-$(call ALLYES, TESTSRC2_FILTER FORMAT_FILTER SENDCMD_FILTER DEEP3D_FILTER FRAMECRC_MUXER) += fate-deep3d-command
fate-deep3d-command: CMD = framecrc -lavfi $(DEEP3D_SRC),format=yuv420p,$(DEEP3D_CMDS),deep3d=$(DEEP3D_FCN)

# GPU tests (FATE_HW: `make fate-hw` or `make fate-deep3d-cuda`, on a machine
# with an NVIDIA GPU and cuDNN 9; $DEEP3D_CUDNN may name the library).
# Each renders testsrc2 on the CPU and, uploaded, on the GPU (CUDA frames in
# and out), downloads the GPU frames and compares the two with the psnr
# filter: every plane of every frame must reach the given PSNR (inf: equal).
# tests/fate/deep3d-cuda-psnr.sh does the comparison.
DEEP3D_PSNR = $(SRC_PATH)/tests/fate/deep3d-cuda-psnr.sh $(TARGET_PATH)/ffmpeg$(PROGSSUF)$(EXESUF)
DEEP3D_HW   = $(call ALLYES, TESTSRC2_FILTER FORMAT_FILTER SPLIT_FILTER DEEP3D_FILTER \
                  HWUPLOAD_FILTER HWDOWNLOAD_FILTER PSNR_FILTER NULL_MUXER SENDCMD_FILTER CUDA FFNVCODEC)
ifneq ($(CONFIG_CUDA_LLVM)$(CONFIG_CUDA_NVCC),)
# every layout of the GPU path in every sw_format it takes, fp32: 50 dB
define FATE_DEEP3D_CUDA_TEST
FATE_DEEP3D_CUDA-$(DEEP3D_HW) += fate-deep3d-cuda-$(1)-$(2)
fate-deep3d-cuda-$(1)-$(2): CMD = $(DEEP3D_PSNR) 50 96x64 $(1) $(DEEP3D_FCN):precision=fp32:mode=$(2)
endef
$(foreach F,nv12 p010le yuv420p yuv444p,$(foreach L,sbsl sbsr sbs2l sbs2r abl abr ab2l ab2r ml mr irl irr depth arcg arch arcc arcd,$(eval $(call FATE_DEEP3D_CUDA_TEST,$(F),$(L)))))
# the layouts added since (issue 14): interleaved and alternating ones in every
# sw_format, each anaglyph in one (the anaglyph kernels are shared: the matrix
# is the only difference)
$(foreach F,nv12 p010le yuv420p yuv444p,$(foreach L,$(DEEP3D_WEAVES) al ar,$(eval $(call FATE_DEEP3D_CUDA_TEST,$(F),$(L)))))
$(foreach L,agmg agmd aybh argg,$(eval $(call FATE_DEEP3D_CUDA_TEST,nv12,$(L))))
$(foreach L,agmh aybg aybd,$(eval $(call FATE_DEEP3D_CUDA_TEST,yuv420p,$(L))))
$(foreach L,agmc aybc,$(eval $(call FATE_DEEP3D_CUDA_TEST,yuv444p,$(L))))
$(foreach L,arbg,$(eval $(call FATE_DEEP3D_CUDA_TEST,p010le,$(L))))

# these name their precision (the default, auto, is fp16 on GPUs with tensor cores)
define FATE_DEEP3D_CUDA_OPTION_TEST
FATE_DEEP3D_CUDA-$(DEEP3D_HW) += fate-deep3d-cuda-$(1)
fate-deep3d-cuda-$(1): CMD = $(DEEP3D_PSNR) $(2) $(3) $(4) $(5) $(6) $(7) $(8)
endef
DEEP3D_FCN32  = $(DEEP3D_FCN):precision=fp32
DEEP3D_ORIG32 = $(DEEP3D_ORIG):precision=fp32
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,flat,inf,96x64,nv12,$(DEEP3D_FCN32):strength=0:renormalize=1))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,swap,50,96x64,nv12,$(DEEP3D_FCN32):swap=1:mode=sbs2l))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,strength-2.5,50,96x64,yuv420p,$(DEEP3D_FCN32):strength=2.5))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,convergence,50,96x64,p010le,$(DEEP3D_FCN32):convergence=-3))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,renormalize,50,96x64,nv12,$(DEEP3D_FCN32):renormalize=1))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,original,50,96x64,nv12,$(DEEP3D_ORIG32)))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,original-ab2r,50,96x64,yuv444p,$(DEEP3D_ORIG32):mode=ab2r))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,odd-sbs2l,50,99x33,yuv444p,$(DEEP3D_FCN32):mode=sbs2l))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,odd-ab2l,50,98x34,nv12,$(DEEP3D_FCN32):mode=ab2l))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,720p,50,1280x720,nv12,$(DEEP3D_FCN32)))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,720p-p010,50,1280x720,p010le,$(DEEP3D_ORIG32):mode=sbs2r))
# commands at run time: the GPU path rewrites its shift tables (both branches see them)
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,command,50,96x64,nv12,$(DEEP3D_FCN32),frames,-,sendcmd=f=$(SRC_PATH)/tests/deep3d/deep3d-commands-2.cmd))
# software frames on the GPU: the filter uploads and downloads them itself
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,upload-nv12,50,96x64,nv12,$(DEEP3D_FCN32),upload))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,upload-yuv420p-ab2l,50,99x34,yuv420p,$(DEEP3D_FCN32):mode=ab2l,upload))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,upload-p010-sbs2r,50,96x64,p010le,$(DEEP3D_ORIG32):mode=sbs2r,upload))
# the temporal steps, dilation, auto convergence and render=hard on the GPU
# (docs/temporal.md): every frame of the clip, CPU against GPU
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,smooth,50,96x64,nv12,$(DEEP3D_FCN32):smooth=4))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,smooth-motion,50,96x64,yuv420p,$(DEEP3D_FCN32):smooth=4:motion=2))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,smooth-scenecut,50,96x64,p010le,$(DEEP3D_FCN32):smooth=4:scenecut=1))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,dilate,50,96x64,nv12,$(DEEP3D_FCN32):dilate=2))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,render-hard,50,96x64,yuv444p,$(DEEP3D_FCN32):render=hard))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,render-hard-p010,50,98x34,p010le,$(DEEP3D_FCN32):render=hard:mode=sbs2r))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,render-hard-shift,inf,96x64,nv12,$(DEEP3D_FCN32):strength=0:renormalize=1:convergence=12.5:render=hard))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,conv-auto,50,96x64,nv12,$(DEEP3D_FCN32):convergence=auto))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,conv-auto-limits,50,96x64,yuv420p,$(DEEP3D_FCN32):convergence=auto:conv_smooth=0:conv_percentile=50:max_popout=0.2:max_depth=0.3))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,temporal-all,50,96x64,nv12,$(DEEP3D_FCN32):smooth=8:dilate=1:render=hard:convergence=auto:mode=sbs2l))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,temporal-720p,50,1280x720,nv12,$(DEEP3D_FCN32):smooth=8:dilate=2:convergence=auto))
# the depth picture with the temporal steps acting on its probabilities, swap
# (which changes nothing in it) and render=hard (which does not apply to it);
# interleaved rows with swap and with odd heights (hwupload and hwdownload copy
# floor(H/2) chroma rows, so the last chroma row of 4:2:0, which covers one
# luma row, is not compared here)
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,depth-smooth-dilate,50,96x64,nv12,$(DEEP3D_FCN32):mode=depth:smooth=4:dilate=1))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,depth-swap-hard,50,96x64,p010le,$(DEEP3D_FCN32):mode=depth:swap=1:render=hard))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,depth-upload,50,98x34,yuv420p,$(DEEP3D_FCN32):mode=depth,upload))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,irl-swap,50,96x64,nv12,$(DEEP3D_FCN32):mode=irl:swap=1))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,irr-odd,50,98x35,yuv420p,$(DEEP3D_FCN32):mode=irr))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,irl-odd-p010-hard,50,96x35,p010le,$(DEEP3D_FCN32):mode=irl:render=hard))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,irr-upload-smooth,50,96x64,nv12,$(DEEP3D_FCN32):mode=irr:smooth=4,upload))
# columns, checkerboard and alternating frames with swap, odd sizes, upload and
# render=hard; the swapped anaglyphs
$(foreach L,icl icr chl chr al ar,$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,$(L)-swap,50,96x64,nv12,$(DEEP3D_FCN32):mode=$(L):swap=1)))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,icl-odd,50,99x35,yuv420p,$(DEEP3D_FCN32):mode=icl))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,chr-odd,50,99x35,yuv444p,$(DEEP3D_FCN32):mode=chr))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,chl-odd-p010-hard,50,98x35,p010le,$(DEEP3D_FCN32):mode=chl:render=hard))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,al-odd,50,98x35,nv12,$(DEEP3D_FCN32):mode=al))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,ar-upload,50,98x35,yuv420p,$(DEEP3D_FCN32):mode=ar,upload))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,icr-upload,50,96x64,p010le,$(DEEP3D_FCN32):mode=icr,upload))
$(foreach L,agmd aybd argg,$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,$(L)-swap,50,96x64,nv12,$(DEEP3D_FCN32):mode=$(L):swap=1)))
# anaglyphs: YUV -> RGB -> mix -> YUV in float on the GPU, through 16-bit RGB
# with libswscale on the CPU; not bit-exact, 53 dB and more here (8-bit)
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,arcd-swap,50,96x64,nv12,$(DEEP3D_FCN32):mode=arcd:swap=1))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,arcc-odd,50,98x35,yuv420p,$(DEEP3D_FCN32):mode=arcc))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,arch-odd-444,50,99x33,yuv444p,$(DEEP3D_FCN32):mode=arch))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,arcg-upload-p010,50,96x64,p010le,$(DEEP3D_FCN32):mode=arcg,upload))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,arcd-720p,50,1280x720,nv12,$(DEEP3D_FCN32):mode=arcd:smooth=4))
# the frame's matrix and range (scale tags them): full-range BT.709, BT.2020
define FATE_DEEP3D_CUDA_COLOUR_TEST
FATE_DEEP3D_CUDA-$(DEEP3D_HW_SCALE) += fate-deep3d-cuda-$(1)
fate-deep3d-cuda-$(1): CMD = $(DEEP3D_PSNR) 50 96x64 $(2) $(DEEP3D_FCN32):mode=$(3) frames $(4)
endef
DEEP3D_HW_SCALE = $(if $(DEEP3D_HW),$(call ALLYES, SCALE_FILTER))
$(eval $(call FATE_DEEP3D_CUDA_COLOUR_TEST,arcd-bt709-full,nv12,arcd,out_range=full:out_color_matrix=bt709))
$(eval $(call FATE_DEEP3D_CUDA_COLOUR_TEST,arcc-bt2020-p010,p010le,arcc,out_range=limited:out_color_matrix=bt2020))
$(eval $(call FATE_DEEP3D_CUDA_COLOUR_TEST,arch-full-444,yuv444p,arch,out_range=full))

# fp16 (half NHWC network, tensor-core algorithms allowed): 38 dB against the
# CPU path, in every sw_format, a full and a squeezed layout of each axis and a
# mono one, and both topologies (the original's FC head is reordered for NHWC)
DEEP3D_FCN16  = $(DEEP3D_FCN):precision=fp16
DEEP3D_ORIG16 = $(DEEP3D_ORIG):precision=fp16
define FATE_DEEP3D_CUDA_FP16_TEST
FATE_DEEP3D_CUDA-$(DEEP3D_HW) += fate-deep3d-cuda-fp16-$(1)-$(2)
fate-deep3d-cuda-fp16-$(1)-$(2): CMD = $(DEEP3D_PSNR) 38 96x64 $(1) $(DEEP3D_FCN16):mode=$(2)
endef
$(foreach F,nv12 p010le yuv420p yuv444p,$(foreach L,sbsl sbs2r abr ab2l mr,$(eval $(call FATE_DEEP3D_CUDA_FP16_TEST,$(F),$(L)))))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,fp16-original,38,96x64,nv12,$(DEEP3D_ORIG16)))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,fp16-original-ab2r,38,96x64,yuv444p,$(DEEP3D_ORIG16):mode=ab2r))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,fp16-strength-2.5,38,96x64,yuv420p,$(DEEP3D_FCN16):strength=2.5))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,fp16-odd-ab2l,38,98x34,nv12,$(DEEP3D_FCN16):mode=ab2l))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,fp16-720p,38,1280x720,nv12,$(DEEP3D_FCN16)))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,fp16-upload-p010-sbs2r,38,96x64,p010le,$(DEEP3D_ORIG16):mode=sbs2r,upload))
# the default: fp16 on a GPU with tensor cores, fp32 elsewhere; 38 dB holds for both
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,auto,38,96x64,nv12,$(DEEP3D_FCN):precision=auto:mode=sbs2l))

# batch: 5 frames, so batch=4 and batch=3 end with a partial batch flushed at
# the end of the input (and batch=32 is only that); against the CPU path, and
# ("batch1") against the GPU path at batch=1, which they must equal
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,batch-4,50,96x64,nv12,$(DEEP3D_FCN32):batch=4))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,batch-3-original-p010,50,96x64,p010le,$(DEEP3D_ORIG32):batch=3:mode=sbs2r))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,fp16-batch-3,38,96x64,yuv420p,$(DEEP3D_FCN16):batch=3:mode=ab2l))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,batch-3-upload,50,98x34,yuv420p,$(DEEP3D_FCN32):batch=3,upload))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,batch-4-smooth,50,96x64,nv12,$(DEEP3D_FCN32):batch=4:smooth=4:dilate=1:convergence=auto))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,batch-4-same,inf,96x64,nv12,$(DEEP3D_FCN32):batch=4:smooth=4:scenecut=1:convergence=auto,batch1))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,batch-3-same-fp16-arcd,inf,96x64,yuv444p,$(DEEP3D_FCN16):batch=3:mode=arcd,batch1))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,batch-32-same-original-depth,inf,98x34,nv12,$(DEEP3D_ORIG32):batch=32:mode=depth,batch1))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,batch-2-same-irl-hard,inf,96x64,p010le,$(DEEP3D_FCN32):batch=2:mode=irl:render=hard,batch1))
# alternating frames held in batches: all 10 frames, as at batch=1 and as on the CPU
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,batch-3-same-al,inf,96x64,nv12,$(DEEP3D_FCN32):batch=3:mode=al,batch1))
$(eval $(call FATE_DEEP3D_CUDA_OPTION_TEST,batch-4-ar-upload,50,96x64,yuv420p,$(DEEP3D_FCN32):batch=4:mode=ar,upload))
endif
$(FATE_DEEP3D_CUDA-yes): CMP = null

FATE_FFMPEG += $(FATE_DEEP3D-yes)
FATE_FFMPEG_FFPROBE += $(FATE_DEEP3D_MKV-yes)
FATE_HW-yes += $(FATE_DEEP3D_CUDA-yes)
fate-deep3d: $(FATE_DEEP3D-yes) $(FATE_DEEP3D_MKV-yes)
fate-deep3d-cuda: $(FATE_DEEP3D_CUDA-yes)
