#!/usr/bin/env bash
# The GPU check of issue 16 in one command, in two halves:
#   - where dotnet exists: publish the self-contained device runner into publish/device-runner (git-ignored) and
#     print the call to make on the GPU machine;
#   - where it does not (the GPU machine, which has no .NET and no network), or with --run: register the NVIDIA
#     OpenCL driver if needed and run the published runner (devices, conformance, gemm, steps).
# Arguments after --run go to the runner (e.g. `scripts/gpu-check.sh --run gemm --sizes 1024`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RUNNER_DIR=publish/device-runner
RUNNER="$RUNNER_DIR/dotgrad-device-runner"

if command -v dotnet >/dev/null 2>&1 && [ "${1:-}" != "--run" ]; then
    dotnet publish Benchmarks/DeviceRunner -c Release -r linux-x64 -o "$RUNNER_DIR" -v quiet -nologo
    # The GPU machine may lack the OpenCL ICD loader (libOpenCL.so.1): bring ours (tens of KiB) to use there
    # only when the system has none.
    loader=$({ ldconfig -p || true; } 2>/dev/null | awk '/libOpenCL\.so\.1 .*x86-64/ { found = $NF } END { print found }')
    if [ -n "$loader" ]; then
        mkdir -p "$RUNNER_DIR/ocl-loader" && cp -L "$loader" "$RUNNER_DIR/ocl-loader/libOpenCL.so.1"
    fi
    echo "published $RUNNER ($(du -sh "$RUNNER_DIR" | cut -f1); the carry limit is 64 MiB)"
    echo "on the GPU machine, run from the repository root:"
    echo "  command: scripts/gpu-check.sh"
    echo "  carry:   [\"$RUNNER_DIR\"]"
    exit 0
fi
[ "${1:-}" = "--run" ] && shift

if [ ! -x "$RUNNER" ]; then
    echo "gpu-check: $RUNNER is missing: run scripts/gpu-check.sh where dotnet exists, then carry $RUNNER_DIR" >&2
    exit 2
fi

# True when the dynamic loader can find library $1: in its cache (ldconfig may sit outside a user's PATH) or in a
# directory of LD_LIBRARY_PATH, where driver containers often put the NVIDIA libraries.
has_lib() {
    local cache dir dirs
    # Read the whole cache first: grep -q quitting early would fail the pipeline (pipefail) with SIGPIPE.
    cache=$({ ldconfig -p || /sbin/ldconfig -p; } 2>/dev/null || true)
    grep -qF "$1 " <<< "$cache" && return 0
    IFS=: read -ra dirs <<< "${LD_LIBRARY_PATH:-}"
    for dir in "${dirs[@]}"; do [ -e "$dir/$1" ] && return 0; done
    return 1
}

# No system ICD loader: use the one published beside the runner.
if ! has_lib libOpenCL.so.1 && [ -e "$RUNNER_DIR/ocl-loader/libOpenCL.so.1" ]; then
    export LD_LIBRARY_PATH="$PWD/$RUNNER_DIR/ocl-loader${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

# A driver container often has the NVIDIA OpenCL library but no ICD file naming it, and the loader finds drivers
# only through those files: write one (into /etc, or else into a temp dir the loader is pointed at).
vendors=/etc/OpenCL/vendors
if [ ! -e "$vendors/nvidia.icd" ] && has_lib libnvidia-opencl.so.1; then
    if mkdir -p "$vendors" 2>/dev/null && echo libnvidia-opencl.so.1 > "$vendors/nvidia.icd" 2>/dev/null; then
        echo "gpu-check: registered $vendors/nvidia.icd"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo mkdir -p "$vendors" && echo libnvidia-opencl.so.1 | sudo tee "$vendors/nvidia.icd" >/dev/null
        echo "gpu-check: registered $vendors/nvidia.icd (sudo)"
    else
        # OCL_ICD_VENDORS replaces the system directory, so keep its other drivers too.
        icd_dir=$(mktemp -d)
        cp "$vendors"/*.icd "$icd_dir"/ 2>/dev/null || true
        echo libnvidia-opencl.so.1 > "$icd_dir/nvidia.icd"
        export OCL_ICD_VENDORS="$icd_dir"
        echo "gpu-check: OCL_ICD_VENDORS=$icd_dir (no write access to $vendors)"
    fi
fi

results="${OUT:+$OUT/gpu-check.txt}"
status=0
if [ -n "$results" ]; then
    mkdir -p "$OUT"
    # With pipefail the pipeline fails with the runner's status, not tee's.
    "$RUNNER" "$@" 2>&1 | tee "$results" || status=$?
    echo "gpu-check: results in $results"
else
    "$RUNNER" "$@" || status=$?
fi
exit "$status"
