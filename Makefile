# deep3d: build / demo / check entry points. `make help` lists them.

BUILD  ?= $(CURDIR)/_build
FFOUT   = $(BUILD)/ffmpeg-build
FFMPEG  = $(FFOUT)/ffmpeg
JOBS   ?= $(shell nproc)
export BUILD

.PHONY: all build deps sources ffmpeg check check-train check-farm demo bench bench-farm check-sanitize fuzz clean distclean help

all: build

help:
	@echo "make build   - build FFmpeg 7.1 with the deep3d filter ($(FFMPEG))"
	@echo "make demo    - convert a short real clip to 3D; results under out/"
	@echo "make check   - build if needed, run unit tests, deep3d FATE tests and FATE"
	@echo "make check-train - the slow training tests: torchrun with 2 processes, kill and resume, SIGTERM (1-3 min)"
	@echo "make check-farm - the farm tool end to end on a one-node Slurm cluster it starts (docs/farm.md)"
	@echo "make bench   - CPU benchmarks (Deep3D models, ONNX depth models, selection layer, stages); results in bench/results/"
	@echo "make bench-farm - 3-segment Slurm run against a single pass; results in bench/results/"
	@echo "make check-sanitize - the unit and deep3d FATE tests on an ASan+UBSan build"
	@echo "make fuzz    - each libFuzzer target for FUZZ_SECONDS (default 60) on that build"
	@echo "make clean   - remove the FFmpeg build tree (keeps downloads)"

deps:
	@scripts/deps.sh

sources: deps
	@scripts/fetch-sources.sh

# The tree is re-linked and configure re-checked on every build: both are
# no-ops when nothing changed, so an edit to our files rebuilds in seconds.
build ffmpeg: sources
	@scripts/prepare-tree.sh
	@scripts/configure-ffmpeg.sh
	@echo "build: make -j$(JOBS) in $(FFOUT) (log: $(FFOUT)/make.log)"
	@$(MAKE) -s -C $(FFOUT) -j$(JOBS) ffmpeg ffprobe > $(FFOUT)/make.log 2>&1 || \
		{ grep -E 'error|Error' -A3 $(FFOUT)/make.log | head -n 40; exit 1; }
	@echo "build: $(FFMPEG)"

check: build
	@tests/run-checks.sh

# tests/tools/slow_*.py: training tests that start several processes (torchrun); no build needed.
check-train:
	@/usr/bin/python3 tests/tools/run.py 'slow_*.py'
# tools/deep3d-farm end to end: starts a private one-node Slurm cluster (munge, slurmctld,
# slurmd on loopback, all under $(BUILD)/farm-test), runs it, stops it on any exit. Uses the
# binary `make build` made; about 3 minutes on 2 cores.
check-farm: build
	@timeout -k 30 900 /usr/bin/python3 tests/farm/test_farm.py

bench-farm: build
	@bench/farm.sh

demo: build
	@scripts/demo.sh

bench: build
	@bench/run.sh
	@bench/onednn_layers.sh
	@bench/onnx.sh
	@bench/render_speed.sh
	@bench/stages.sh

# A second FFmpeg build (clang) with AddressSanitizer, UndefinedBehaviorSanitizer
# and libFuzzer's coverage hooks, in its own tree; runs our unit tests and the
# deep3d FATE tests. `make fuzz` runs the fuzz targets (tests/fuzz) on it.
check-sanitize: sources
	@BUILD=$(BUILD)/sanitize scripts/sanitize-check.sh

FUZZ_SECONDS ?= 60
fuzz: sources
	@SAN_BUILD=$(BUILD)/sanitize FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

clean:
	rm -rf $(FFOUT) $(BUILD)/ffmpeg

distclean:
	rm -rf $(BUILD) out
