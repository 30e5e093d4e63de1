#!/usr/bin/env bash
# The CUDA backend's GPU check (docs/ARCHITECTURE.md, "The CUDA backend").
#
#   bench/gpu_check.sh publish   here (with .NET): publish bench/Backprop.DeviceCheck self-contained and trimmed into
#                                out/devicecheck (ignored by git), with Fashion-MNIST's four .gz files beside it when this
#                                machine has them (the GPU machine may not); about 51 MB: with the 5 MB tree, under the
#                                64 MiB a device run may carry
#   bench/gpu_check.sh run       on the GPU machine (no .NET needed): compile every kernel printing all NVRTC logs, run
#                                each parity group in a child process, print the SGEMM figures, compare ops' forward and
#                                backward through the public API with the CPU, train the MLP and the CNN
#                                a few hundred steps on the CPU and on CUDA and compare, then the speed figures as the
#                                peer's JSON lines (../shared/peers/torch_gpu_bench.py); the log also goes to
#                                $OUT/gpu_check.log when $OUT is set, its JSON lines to $OUT/gpu_figures.jsonl. Exit 0
#                                only when every step passed. About 3-6 min on an H200 (each speed workload stops after
#                                40 s); give the device run timeout_s 480.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=out/devicecheck
case "${1:-}" in
  publish)
    rm -rf "$dir"
    dotnet publish bench/Backprop.DeviceCheck -c Release -r linux-x64 --self-contained -p:PublishTrimmed=true -o "$dir" -v q
    rm -f "$dir"/libmscordbi.so "$dir"/libmscordaccore.so "$dir"/createdump "$dir"/*.pdb # debugger support only: 4 MB
    data=${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
    if [ -f "$data/train-images-idx3-ubyte.gz" ]; then
      mkdir -p "$dir/fashion-mnist" && cp "$data"/*-ubyte.gz "$dir/fashion-mnist/"
    else
      echo "Fashion-MNIST not found in $data: the speed step will train on random images (no accuracy)" >&2
    fi
    du -sh "$dir"
    ;;
  run)
    # NVRTC and cuBLAS 13 live here on the GPU machine (CUDA 13.0); the driver's libcuda.so.1 is on the loader's path.
    export BACKPROP_CUDA_LIBRARY_PATH="${BACKPROP_CUDA_LIBRARY_PATH:-/usr/local/cuda/targets/x86_64-linux/lib}"
    export LD_LIBRARY_PATH="$BACKPROP_CUDA_LIBRARY_PATH${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    # Not under $OUT: a device run brings back at most 8 files from there, and the log must be one of them.
    export BACKPROP_CUDA_CACHE_DIR="${BACKPROP_CUDA_CACHE_DIR:-/tmp/backprop-kernel-cache}"
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
    chmod +x "$dir/Backprop.DeviceCheck"
    if [ -n "${OUT:-}" ]; then
      "$dir/Backprop.DeviceCheck" 2>&1 | tee "$OUT/gpu_check.log"; code="${PIPESTATUS[0]}"
      grep '^{' "$OUT/gpu_check.log" > "$OUT/gpu_figures.jsonl" || true # every JSON line: figures and parity
      exit "$code"
    else
      "$dir/Backprop.DeviceCheck"
    fi
    ;;
  *) echo "usage: bench/gpu_check.sh publish | run" >&2; exit 2 ;;
esac
