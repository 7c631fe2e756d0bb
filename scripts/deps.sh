#!/usr/bin/env bash
# Install the Debian packages the build and the tests need, idempotently:
# packages already present are left alone, and the script says what it installs.
set -euo pipefail

PKGS=(
    make gcc clang nasm pkg-config dpkg-dev xz-utils ca-certificates  # toolchain, CUDA via clang
    g++                                                              # the host CUDA emulator (tests)
    libclang-rt-14-dev                                               # ASan/UBSan/libFuzzer runtimes (make check-sanitize, make fuzz)
    zlib1g-dev                                                       # the only linked system lib
    libx264-dev                                                      # ships libx264.a (linked statically)
    libopenblas-dev                                                  # CBLAS; ships libopenblas.a (linked statically)
    libdnnl-dev                                                      # oneDNN 2.6 headers (the .so is loaded at run time; no static archive)
    python3 python3-numpy                                            # unit tests of the tools
    python3-hypothesis                                               # property tests of the .params reader
    python3-torch                                                    # training pipeline tests (CPU build)
    python3-onnx                                                     # the tiny ONNX test models (tools/make_onnx_model.py)
    python3-pip                                                      # pip download of the pinned onnxruntime wheel (scripts/fetch-ort.sh)
    slurmctld slurmd slurm-client munge parallel                     # make check-farm: a one-node Slurm cluster, GNU parallel
)

missing=()
for p in "${PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep 'install ok installed' >/dev/null; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all build dependencies already installed"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing packages: ${missing[*]}" >&2
    echo "deps: run 'sudo $0' or install them yourself" >&2
    exit 1
fi

echo "deps: installing ${missing[*]}"
# Another apt process may hold the dpkg lock for a while (seen here): wait for it.
apt_get() {
    local try
    for try in 1 2 3 4 5 6; do
        if apt-get -o DPkg::Lock::Timeout=120 "$@"; then return 0; fi
        echo "deps: apt-get $1 failed (try $try), retrying in 10 s" >&2
        sleep 10
    done
    return 1
}
apt_get update -q
DEBIAN_FRONTEND=noninteractive apt_get install -y -q --no-install-recommends "${missing[@]}"
