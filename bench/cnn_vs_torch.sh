#!/usr/bin/env bash
# The fmnist_cnn_b128 workload, Backprop (Backprop.Bench) and PyTorch 1.13 (bench/torch_cnn_quick.py) alternating for
# ROUNDS rounds at THREADS threads: its first 60 steps (`quick`, Backprop's `cnn_quick`) or the whole epoch (`epoch`,
# Backprop's `fmnist_cnn_b128`, as the peers measure it); prints each pair and the ratios' median.
# Usage: bench/cnn_vs_torch.sh [rounds=5] [threads=2] [quick|epoch] [Backprop.Bench.dll]   (build the bench in Release first)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}; threads=${2:-2}; span=${3:-quick}; dll=${4:-bench/Backprop.Bench/bin/Release/net10.0/Backprop.Bench.dll}
if [ "$span" = epoch ]; then work=fmnist_cnn_b128; torch_span=epoch; else work=cnn_quick; torch_span=quick; fi
ratios=()
for ((r = 1; r <= rounds; r++)); do
  ours=$(dotnet "$dll" "$threads" "$work" | sed -n 's/.*"samples_per_s": \([0-9.]*\).*/\1/p')
  theirs=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/torch_cnn_quick.py "$threads" "$torch_span" | sed -n 's/.*"samples_per_s": \([0-9.]*\).*/\1/p')
  ratio=$(echo "scale=3; $ours / $theirs" | bc)
  ratios+=("$ratio")
  echo "round $r: backprop $ours samples/s, pytorch $theirs samples/s, ratio $ratio (load $(cut -d' ' -f1 /proc/loadavg))"
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR] = $1} END {print "median ratio " a[int((NR + 1) / 2)] " of " NR " rounds"}'
