"""PyTorch peer of Backprop.Bench's charlm_lstm and charlm_transformer (bench/Backprop.Bench/CharLm.cs), same
configuration, same batches (the same 64-bit LCG picks the windows). Prints one JSON line per workload.
Run with Debian's PyTorch 1.13 and OpenBLAS (apt: python3-torch libopenblas0-pthread):
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/torch_charlm.py [threads] [workload...]"""
import json, os, sys, time
import torch
from torch import nn

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
ONLY = sys.argv[2:]
HERE = os.path.dirname(os.path.abspath(__file__))
TEXT = os.environ.get("BENCH_CHARLM_TEXT", os.path.join(os.path.dirname(HERE), "src", "Backprop", "Data", "Embedded", "coriolanus.txt"))

BATCH, CONTEXT, LR = 32, 64, 2e-3
LSTM_EMBED, LSTM_HIDDEN, LSTM_LAYERS = 64, 256, 2
TF_MODEL, TF_HEADS, TF_FF, TF_LAYERS = 128, 4, 512, 2
WARMUP, TIMED = 3, int(os.environ.get("BENCH_CHARLM_STEPS", "15"))
MASK64 = (1 << 64) - 1

def emit(**kw):
    print(json.dumps(kw), flush=True)

with open(TEXT, encoding="utf-8", newline="") as f:  # newline="": characters as C# reads them
    text = f.read()
chars = sorted(set(text))
ids = torch.tensor([chars.index(c) for c in text], dtype=torch.int64)
VOCAB = len(chars)

def batches():
    """Window starts (s >> 33) mod (n - T - 1), s <- s*6364136223846793005 + 1442695040888963407 mod 2^64 (as CharLm.cs)."""
    s = 12345
    while True:
        xs, ys = [], []
        for _ in range(BATCH):
            s = (s * 6364136223846793005 + 1442695040888963407) & MASK64
            start = (s >> 33) % (len(ids) - CONTEXT - 1)
            xs.append(ids[start:start + CONTEXT]); ys.append(ids[start + 1:start + CONTEXT + 1])
        yield torch.stack(xs), torch.stack(ys)

class LstmLm(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, LSTM_EMBED)
        self.lstm = nn.LSTM(LSTM_EMBED, LSTM_HIDDEN, LSTM_LAYERS, batch_first=True)
        self.head = nn.Linear(LSTM_HIDDEN, VOCAB)
    def forward(self, x):
        return self.head(self.lstm(self.embed(x))[0])

class TransformerLm(nn.Module):
    def __init__(self):
        super().__init__()
        self.tokens = nn.Embedding(VOCAB, TF_MODEL)
        self.positions = nn.Embedding(CONTEXT, TF_MODEL)
        layer = nn.TransformerEncoderLayer(TF_MODEL, TF_HEADS, TF_FF, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
        self.layers = nn.TransformerEncoder(layer, TF_LAYERS, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(TF_MODEL)
        self.head = nn.Linear(TF_MODEL, VOCAB)
        self.register_buffer("causal", torch.triu(torch.full((CONTEXT, CONTEXT), float("-inf")), 1))
        self.register_buffer("pos", torch.arange(CONTEXT).unsqueeze(0))
    def forward(self, x):
        h = self.tokens(x) + self.positions(self.pos)
        return self.head(self.norm(self.layers(h, mask=self.causal)))

def train(model, work):
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    lossf = nn.CrossEntropyLoss()
    losses = []; data = batches(); t = 0.0
    for step in range(WARMUP + TIMED):
        if step == WARMUP: t = time.perf_counter()
        x, y = next(data)
        opt.zero_grad()
        loss = lossf(model(x).reshape(BATCH * CONTEXT, VOCAB), y.reshape(-1))
        loss.backward(); opt.step()
        losses.append(loss.item())
    dt = time.perf_counter() - t
    tps = TIMED * BATCH * CONTEXT / dt
    emit(work=work, tokens_per_s=round(tps), ms_per_step=round(BATCH * CONTEXT * 1000 / tps, 1), vocab=VOCAB, steps=len(losses),
         losses=[round(l, 4) for i, l in enumerate(losses) if i % 5 == 0 or i == len(losses) - 1])

for work, make in (("charlm_lstm", LstmLm), ("charlm_transformer", TransformerLm)):
    if ONLY and not any(work.startswith(o) for o in ONLY): continue
    torch.manual_seed(0)
    train(make(), work)
