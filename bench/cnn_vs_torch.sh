#!/usr/bin/env bash
# The fmnist_cnn_b128 workload, Backprop (Backprop.Bench) and PyTorch 1.13 (bench/torch_cnn_quick.py) alternating for
# ROUNDS rounds at THREADS threads: its first 60 steps (`quick`, Backprop's `cnn_quick`) or the whole epoch (`epoch`,
# Backprop's `fmnist_cnn_b128`, as the peers measure it); prints each pair and the ratios' median.
# With TORCHSHARP_RUN set to a TorchSharp peer's run.sh (../shared/peers/torchsharp, copied somewhere writable; in
# epoch mode only) each round also runs it, and the ratio is Backprop ÷ the better peer of that round.
# Usage: bench/cnn_vs_torch.sh [rounds=5] [threads=2] [quick|epoch] [Backprop.Bench.dll]   (build the bench in Release first)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}; threads=${2:-2}; span=${3:-quick}; dll=${4:-bench/Backprop.Bench/bin/Release/net10.0/Backprop.Bench.dll}
if [ "$span" = epoch ]; then work=fmnist_cnn_b128; torch_span=epoch; else work=cnn_quick; torch_span=quick; fi
ratios=()
for ((r = 1; r <= rounds; r++)); do
  ours=$(dotnet "$dll" "$threads" "$work" | sed -n 's/.*"samples_per_s": \([0-9.]*\).*/\1/p')
  theirs=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/torch_cnn_quick.py "$threads" "$torch_span" | sed -n 's/.*"samples_per_s": \([0-9.]*\).*/\1/p')
  sharp=""
  if [ -n "${TORCHSHARP_RUN:-}" ] && [ "$span" = epoch ]; then
    sharp=$(bash "$TORCHSHARP_RUN" "$threads" | sed -n 's/.*"fmnist_cnn_b128", "samples_per_s": \([0-9.]*\).*/\1/p')
  fi
  better=$theirs
  if [ -n "$sharp" ] && [ "$(echo "$sharp > $theirs" | bc)" -eq 1 ]; then better=$sharp; fi
  ratio=$(echo "scale=3; $ours / $better" | bc)
  ratios+=("$ratio")
  echo "round $r: backprop $ours samples/s, pytorch $theirs${sharp:+, torchsharp $sharp} samples/s, ratio to the better peer $ratio (load $(cut -d' ' -f1 /proc/loadavg))"
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR] = $1} END {print "median ratio " a[int((NR + 1) / 2)] " of " NR " rounds"}'
