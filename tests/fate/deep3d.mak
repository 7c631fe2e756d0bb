# FATE tests of the deep3d filter (included from tests/Makefile by the deep3d patch).
# CPU tests go in FATE_FFMPEG, GPU tests in FATE_HW (run by `make fate-hw` only).

DEEP3D_SRC = testsrc2=s=96x64:r=5:d=1

# Every layout, 8-bit 4:2:0.
DEEP3D_LAYOUTS = sbsl sbsr sbs2l sbs2r abl abr ab2l ab2r ml mr
define FATE_DEEP3D_LAYOUT_TEST
FATE_DEEP3D-$(call FILTERFRAMECRC, TESTSRC2 FORMAT DEEP3D) += fate-deep3d-layout-$(1)
fate-deep3d-layout-$(1): CMD = framecrc -lavfi $(DEEP3D_SRC),format=yuv420p,deep3d=mode=$(1)
endef
$(foreach L,$(DEEP3D_LAYOUTS),$(eval $(call FATE_DEEP3D_LAYOUT_TEST,$(L))))

# Every pixel format, in a full and a squeezed layout of each packing axis.
DEEP3D_FORMATS = gray yuv422p yuv444p yuvj420p nv12 rgb24 bgr24 rgba bgra gbrp \
                 yuv420p10le yuv422p10le yuv444p10le p010le
define FATE_DEEP3D_FORMAT_TEST
FATE_DEEP3D-$(call FILTERFRAMECRC, TESTSRC2 FORMAT DEEP3D) += fate-deep3d-format-$(1)-$(2)
fate-deep3d-format-$(1)-$(2): CMD = framecrc -lavfi $(DEEP3D_SRC),format=$(1),deep3d=mode=$(2)
endef
$(foreach F,$(DEEP3D_FORMATS),$(foreach L,sbsl sbs2r ab2l,$(eval $(call FATE_DEEP3D_FORMAT_TEST,$(F),$(L)))))

# Aliases give the same frames as the layouts they name.
fate-deep3d-alias-sbs:  REF = $(SRC_PATH)/tests/ref/fate/deep3d-layout-sbsl
fate-deep3d-alias-hsbs: REF = $(SRC_PATH)/tests/ref/fate/deep3d-layout-sbs2l
fate-deep3d-alias-tb:   REF = $(SRC_PATH)/tests/ref/fate/deep3d-layout-abl
fate-deep3d-alias-htb:  REF = $(SRC_PATH)/tests/ref/fate/deep3d-layout-ab2l
define FATE_DEEP3D_ALIAS_TEST
FATE_DEEP3D-$(call FILTERFRAMECRC, TESTSRC2 FORMAT DEEP3D) += fate-deep3d-alias-$(1)
fate-deep3d-alias-$(1): CMD = framecrc -lavfi $(DEEP3D_SRC),format=yuv420p,deep3d=mode=$(1)
endef
$(foreach A,sbs hsbs tb htb,$(eval $(call FATE_DEEP3D_ALIAS_TEST,$(A))))

# Default mode is sbs: the same frames as sbsl.
FATE_DEEP3D-$(call FILTERFRAMECRC, TESTSRC2 FORMAT DEEP3D) += fate-deep3d-default
fate-deep3d-default: CMD = framecrc -lavfi $(DEEP3D_SRC),format=yuv420p,deep3d
fate-deep3d-default: REF = $(SRC_PATH)/tests/ref/fate/deep3d-layout-sbsl

# Odd sizes: a squeezed layout drops the unpaired column / row; full layouts
# of axes without chroma subsampling take any size.
FATE_DEEP3D-$(call FILTERFRAMECRC, TESTSRC2 FORMAT DEEP3D) += fate-deep3d-odd-sbs2l
fate-deep3d-odd-sbs2l: CMD = framecrc -lavfi testsrc2=s=99x33:r=5:d=1,format=yuv420p,deep3d=mode=sbs2l
FATE_DEEP3D-$(call FILTERFRAMECRC, TESTSRC2 FORMAT DEEP3D) += fate-deep3d-odd-abl-gray
fate-deep3d-odd-abl-gray: CMD = framecrc -lavfi testsrc2=s=99x33:r=5:d=1,format=gray,deep3d=mode=abl

# The stereo 3D side data reaches the container: Matroska StereoMode and the
# stream's Stereo 3D side data, as a player sees them (ffv1 is deterministic).
DEEP3D_PROBE = -bitexact -show_entries stream=width,height,sample_aspect_ratio:stream_tags=stereo_mode:stream_side_data=side_data_type,type,inverted,view
define FATE_DEEP3D_MKV_TEST
FATE_DEEP3D_MKV-$(call ALLYES, TESTSRC2_FILTER FORMAT_FILTER DEEP3D_FILTER FFV1_ENCODER MATROSKA_MUXER MATROSKA_DEMUXER PIPE_PROTOCOL) += fate-deep3d-mkv-$(1)
fate-deep3d-mkv-$(1): CMD = ffmpeg -lavfi testsrc2=s=32x16:r=5:d=0.4,format=yuv420p,deep3d=mode=$(1) \
    -c:v ffv1 -bitexact -f matroska pipe: | run ffprobe$(PROGSSUF)$(EXESUF) $(DEEP3D_PROBE) -i pipe:0
endef
$(foreach L,sbsl sbsr sbs2l sbs2r abl abr ab2l ab2r ml mr,$(eval $(call FATE_DEEP3D_MKV_TEST,$(L))))

FATE_FFMPEG += $(FATE_DEEP3D-yes)
FATE_FFMPEG_FFPROBE += $(FATE_DEEP3D_MKV-yes)
fate-deep3d: $(FATE_DEEP3D-yes) $(FATE_DEEP3D_MKV-yes)
