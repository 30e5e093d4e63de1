"""Runs charlm_lstm and charlm_transformer in Backprop (Backprop.Bench) and PyTorch 1.13 (bench/torch_charlm.py),
interleaved, for several rounds, and prints each run, the medians, the ratios per round and the loss curves.
Build first: dotnet build -c Release bench/Backprop.Bench
Usage: python3 bench/charlm_compare.py [rounds=3] [threads=2] [workload...]"""
import json, os, statistics, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
THREADS = sys.argv[2] if len(sys.argv) > 2 else "2"
WORKS = sys.argv[3:] or ["charlm_lstm", "charlm_transformer"]
DLL = os.path.join(HERE, "Backprop.Bench", "bin", "Release", "net10.0", "Backprop.Bench.dll")
ENV = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
RUNNERS = {
    "backprop": ["dotnet", DLL, THREADS],
    "pytorch": ["/usr/bin/python3", os.path.join(HERE, "torch_charlm.py"), THREADS],
}

def run(lib, work):
    out = subprocess.run(RUNNERS[lib] + [work], cwd=ROOT, env=ENV, capture_output=True, text=True, check=True).stdout
    line = next(json.loads(l) for l in out.splitlines() if l.startswith("{") and f'"{work}"' in l)
    with open("/proc/loadavg") as f:
        line["load"] = float(f.read().split()[0])
    print(lib, json.dumps(line), flush=True)
    return line

results = {(lib, w): [] for lib in RUNNERS for w in WORKS}
for r in range(ROUNDS):
    for w in WORKS:
        order = ["backprop", "pytorch"] if r % 2 == 0 else ["pytorch", "backprop"]
        for lib in order:
            results[(lib, w)].append(run(lib, w))

print("\nworkload, tokens/s per round (Backprop | PyTorch), ratio per round, median ratio")
for w in WORKS:
    b = [x["tokens_per_s"] for x in results[("backprop", w)]]
    p = [x["tokens_per_s"] for x in results[("pytorch", w)]]
    ratios = [round(x / y, 2) for x, y in zip(b, p)]
    print(f"{w}: {b} | {p}; ratios {ratios}; median Backprop {statistics.median(b)}, PyTorch {statistics.median(p)}, "
          f"median ratio {statistics.median(ratios)} (min {min(ratios)}, max {max(ratios)})")
    print(f"  losses Backprop {results[('backprop', w)][-1]['losses']}")
    print(f"  losses PyTorch  {results[('pytorch', w)][-1]['losses']}")
