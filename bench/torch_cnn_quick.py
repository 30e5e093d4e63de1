"""PyTorch's side of bench/cnn_vs_torch.sh: the peers' fmnist_cnn_b128 workload (../shared/peers/torch_bench.py, section 4)
for its first 60 steps only, timed like Backprop.Bench's `cnn_quick`. Run with Debian's /usr/bin/python3 [threads]."""
import gzip, json, struct, sys, time
import numpy as np
import torch
from torch import nn

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
D = "/usr/share/datasets/fashion-mnist/"

def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4]); nd = magic & 0xFF
    dims = struct.unpack(">" + "I" * nd, data[4:4 + 4 * nd])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)

Xtr = torch.tensor(idx(D + "train-images-idx3-ubyte.gz").reshape(-1, 784), dtype=torch.float32) / 255
Ytr = torch.tensor(idx(D + "train-labels-idx1-ubyte.gz").astype(np.int64))
Xte = torch.tensor(idx(D + "t10k-images-idx3-ubyte.gz").reshape(-1, 784), dtype=torch.float32) / 255  # as the peer script: see the note below
torch.manual_seed(0)
cnn = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
                    nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))
opt = torch.optim.Adam(cnn.parameters(), lr=1e-3); lossf = nn.CrossEntropyLoss()
# Loading the test images as the peer script does matters: freeing their float32/255 temporary raises glibc's dynamic
# mmap threshold, after which PyTorch's per-step activations come from the heap instead of fresh mmap/munmap pages.
# Without it this workload ran at ~1,000 instead of ~2,900 samples/s on this machine (2026-12-02).
X4 = Xtr.view(-1, 1, 28, 28)
batch = 128
steps = (len(Xtr) + batch - 1) // batch if len(sys.argv) > 2 and sys.argv[2] == "epoch" else 60
perm = torch.randperm(len(Xtr)); t = time.perf_counter()
for s in range(steps):
    ix = perm[s * batch:(s + 1) * batch]; opt.zero_grad(); lossf(cnn(X4[ix]), Ytr[ix]).backward(); opt.step()
dt = time.perf_counter() - t
samples = min(steps * batch, len(Xtr))
print(json.dumps({"work": f"fmnist_cnn_b128_{steps}steps", "samples_per_s": round(samples / dt)}), flush=True)
