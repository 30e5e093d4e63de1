#!/usr/bin/env bash
# Issue 18's many-core check (docs/PERFORMANCE.md, "Threads"): Backprop's benchmark beside PyTorch's peer script at
# 1, 2, 4, 8 and 16 threads, for a machine with more cores and no .NET (the GPU machine's 16-core Xeon).
#
#   bench/cpu_scaling.sh publish   here (with .NET): the benchmark self-contained and trimmed into out/bench (ignored by
#                                  git), with ../shared/peers/torch_bench.py cut to its SGEMM and MLP parts, and the
#                                  Fashion-MNIST files (about 55 MB in all, under the 64 MiB a device run may carry)
#   bench/cpu_scaling.sh run       there: for each thread count, Backprop then PyTorch (python3 with torch), JSON lines
#                                  tagged {"framework", "threads"}; also into $OUT/cpu_scaling.jsonl when $OUT is set.
# THREADS (default "1 2 4 8 16"), WORKLOADS (Backprop's workload prefixes, default "sgemm fmnist_mlp") and PYTHON (the
# interpreter with torch; here Debian's /usr/bin/python3) override.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=out/bench
data=/usr/share/datasets/fashion-mnist
case "${1:-}" in
  publish)
    rm -rf "$dir"
    dotnet publish bench/Backprop.Bench -c Release -r linux-x64 --self-contained -p:PublishTrimmed=true -o "$dir" -v q
    rm -f "$dir"/*.pdb "$dir"/*.dbg "$dir"/*.xml "$dir"/libmscordaccore.so "$dir"/libmscordbi.so # debugger libraries, docs
    # The peer's SGEMM, tiny-step and MLP sections (everything before its CNN), as the peers run them.
    sed '/^# 4\. Fashion-MNIST CNN/,$d' ../shared/peers/torch_bench.py > "$dir/torch_bench_mlp.py"
    mkdir -p "$dir/fashion-mnist" && cp "$data"/*.gz "$dir/fashion-mnist/"
    du -sh "$dir"
    ;;
  run)
    # Both benchmarks read Fashion-MNIST from Debian's path; put the carried copy there when the machine lacks it.
    if [ ! -f "$data/train-images-idx3-ubyte.gz" ]; then mkdir -p "$data" && cp "$dir"/fashion-mnist/*.gz "$data/"; fi
    chmod +x "$dir/Backprop.Bench"
    log=${OUT:+$OUT/cpu_scaling.jsonl}
    nproc; lscpu | grep -E "Model name|^CPU\(s\)" || true
    for t in ${THREADS:-1 2 4 8 16}; do
      # shellcheck disable=SC2086
      "$dir/Backprop.Bench" "$t" ${WORKLOADS:-sgemm fmnist_mlp} | sed "s/^{/{\"framework\": \"backprop\", \"threads\": $t, /" | tee -a "${log:-/dev/null}"
      "${PYTHON:-python3}" "$dir/torch_bench_mlp.py" "$t" | sed "s/^{/{\"framework\": \"pytorch\", \"threads\": $t, /" | tee -a "${log:-/dev/null}"
    done
    ;;
  *) echo "usage: bench/cpu_scaling.sh publish | run" >&2; exit 2 ;;
esac
