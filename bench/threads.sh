#!/usr/bin/env bash
# Thread-scaling benchmark for docs/PERFORMANCE.md ("Threads" section): the full benchmark at several thread
# counts, the pool under true oversubscription (BACKPROP_DYNAMIC=0), .NET's Parallel.For instead of our pool
# (BACKPROP_POOL=dotnet), an optional baseline build, and two processes at once against one.
# Usage: bench/threads.sh [ROUNDS] [BASELINE_BENCH_DLL]   (writes JSON lines tagged with the configuration to stdout)
# The workloads are the MLP-era benchmark (sgemm128..2048, tiny_step, fmnist_mlp_b64/b256); WORKLOADS overrides them.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
baseline=${2:-}
dotnet build -c Release bench/Backprop.Bench > /dev/null
dotnet build -c Release src/Backprop.Cli > /dev/null
dotnet build-server shutdown > /dev/null 2>&1 || true
bench=bench/Backprop.Bench/bin/Release/net10.0/Backprop.Bench.dll
cli=src/Backprop.Cli/bin/Release/net10.0/Backprop.Cli.dll
read -r -a work <<< "${WORKLOADS:-sgemm tiny_step fmnist_mlp}"
tag() { sed "s/^{/{\"config\": \"$1\", \"round\": $2, /"; }
seconds() { local s; s=$(date +%s.%N); "$@" > /dev/null; echo "$(date +%s.%N) - $s" | bc; }

for r in $(seq 1 "$rounds"); do
  for t in 1 2 3 8; do dotnet "$bench" "$t" "${work[@]}" | tag "threads=$t" "$r"; done
  for t in 3 8; do BACKPROP_DYNAMIC=0 dotnet "$bench" "$t" "${work[@]}" | tag "threads=$t,dynamic=0" "$r"; done
  BACKPROP_POOL=dotnet dotnet "$bench" 2 "${work[@]}" | tag "threads=2,pool=dotnet" "$r"
  if [ -n "$baseline" ]; then dotnet "$baseline" 2 "${work[@]}" | tag "threads=2,baseline" "$r"; fi
  # Two processes at once against one: the benchmark's MLP and a CLI training run.
  for what in bench train; do
    if [ "$what" = bench ]; then run=(dotnet "$bench" 2 fmnist_mlp_b64); else run=(dotnet "$cli" train --dataset fashion-mnist --epochs 1 --out "$(mktemp -d)"); fi
    one=$(seconds "${run[@]}")
    start=$(date +%s.%N); "${run[@]}" > /dev/null & p1=$!; "${run[@]}" > /dev/null & p2=$!; wait $p1 $p2
    two=$(echo "$(date +%s.%N) - $start" | bc)
    echo "{\"config\": \"two_processes_$what\", \"round\": $r, \"one_s\": $one, \"two_at_once_s\": $two, \"ratio\": $(echo "scale=2; $two / $one" | bc)}"
  done
done
