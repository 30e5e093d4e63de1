#!/usr/bin/python3
"""Writes PyTorch's numbers for Backprop's Transformer-layer tests (transformer.json).

Run with Debian's PyTorch (apt-get install python3-torch):  /usr/bin/python3 tests/reference/make_transformer_reference.py
Every case is float64 with dropout=0 and the module in training mode: PyTorch 1.13's TransformerEncoderLayer takes a
"fast path" (torch._transformer_encoder_layer_fwd) in eval mode without grad; training mode runs the documented
composed math. Every parameter (LayerNorm weights and biases included) is set to random values so that misplaced
weights show, and the state dict is written under PyTorch's names for LoadStateDict. Masks: src/tgt/memory masks are
float (additive, e.g. generate_square_subsequent_mask) or bool (True = not allowed, written as Int64 1); key padding
masks are bool (True = padding). "causal": the mask given is generate_square_subsequent_mask, so the C# test also runs
isCausal=true without it. Each case records a random upstream gradient and the gradients of sum(output * upstream).
"""
import json
import os

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
g = torch.Generator().manual_seed(1616)
torch.manual_seed(1616)


def rnd(*shape):
    return torch.randn(*shape, generator=g, dtype=torch.float64)


def num(v):
    v = float(v)
    return v if v == v and abs(v) != float("inf") else str(v)  # JSON has no infinities: "-inf" as a string


def T(t):
    return {"shape": list(t.shape), "data": [num(v) for v in t.detach().reshape(-1).tolist()]}


def randomise(m):
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(rnd(*p.shape) * 0.4)


def key_padding(n, s):
    kpm = torch.zeros(n, s, dtype=torch.bool)
    kpm[0, s - 2:] = True
    if n > 1:
        kpm[1, s - 1] = True
    return kpm


def src_mask(kind, l, s, n, heads):
    if kind == "causal":
        return nn.Transformer.generate_square_subsequent_mask(l).double()
    if kind == "bool":
        m = torch.rand(l, s, generator=g) > 0.6
        m[:, 0] = False  # every query keeps a key
        return m
    if kind == "float3d":
        return rnd(n * heads, l, s)
    return None


def mask_json(m):
    return T(m.long() if m.dtype == torch.bool else m)


E, HEADS, FF, N, L, S = 6, 2, 10, 2, 5, 4
cases = []

enc_cases = [
    dict(norm_first=False, activation="relu", batch_first=False, mask=None, key_padding=False, layers=0),
    dict(norm_first=True, activation="gelu", batch_first=True, mask="causal", key_padding=True, layers=0),
    dict(norm_first=False, activation="gelu", batch_first=False, mask="bool", key_padding=True, layers=0),
    dict(norm_first=True, activation="relu", batch_first=False, mask="float3d", key_padding=False, layers=0),
    dict(norm_first=False, activation="relu", batch_first=True, mask="causal", key_padding=True, layers=2, final_norm=True),
    dict(norm_first=True, activation="gelu", batch_first=False, mask=None, key_padding=True, layers=2, final_norm=False),
]
for i, c in enumerate(enc_cases):
    layer = nn.TransformerEncoderLayer(E, HEADS, FF, dropout=0.0, activation=c["activation"], batch_first=c["batch_first"],
                                       norm_first=c["norm_first"]).double()
    if c["layers"]:
        m = nn.TransformerEncoder(layer, c["layers"], norm=nn.LayerNorm(E).double() if c["final_norm"] else None).double()
    else:
        m = layer
    randomise(m)
    m.train()
    x = rnd(*((N, L, E) if c["batch_first"] else (L, N, E))).requires_grad_(True)
    mask = src_mask(c["mask"], L, L, N, HEADS)
    kpm = key_padding(N, L) if c["key_padding"] else None
    entry = {"name": f"encoder_{i}", "group": "encoder", "args": dict(c, d_model=E, nhead=HEADS, dim_feedforward=FF)}
    if mask is not None:
        entry["mask"] = mask_json(mask)
    if kpm is not None:
        entry["key_padding_mask"] = mask_json(kpm)
    if c["layers"]:
        out = m(x, mask=mask, src_key_padding_mask=kpm)
    else:
        out = m(x, src_mask=mask, src_key_padding_mask=kpm)
    up = rnd(*out.shape)
    (out * up).sum().backward()
    entry.update(x=T(x), out=T(out), up=T(up), grad_x=T(x.grad),
                 state={k: T(v) for k, v in m.state_dict().items()},
                 grad_state={k: T(p.grad) for k, p in m.named_parameters()})
    cases.append(entry)

dec_cases = [
    dict(norm_first=False, activation="relu", batch_first=False, tgt_mask="causal", memory_mask=None, tgt_kp=False, mem_kp=True, layers=0),
    dict(norm_first=True, activation="gelu", batch_first=True, tgt_mask="bool", memory_mask="float", tgt_kp=True, mem_kp=False, layers=0),
    dict(norm_first=False, activation="gelu", batch_first=True, tgt_mask="causal", memory_mask=None, tgt_kp=True, mem_kp=True, layers=2, final_norm=True),
]
for i, c in enumerate(dec_cases):
    layer = nn.TransformerDecoderLayer(E, HEADS, FF, dropout=0.0, activation=c["activation"], batch_first=c["batch_first"],
                                       norm_first=c["norm_first"]).double()
    if c["layers"]:
        m = nn.TransformerDecoder(layer, c["layers"], norm=nn.LayerNorm(E).double() if c["final_norm"] else None).double()
    else:
        m = layer
    randomise(m)
    m.train()
    tgt = rnd(*((N, L, E) if c["batch_first"] else (L, N, E))).requires_grad_(True)
    mem = rnd(*((N, S, E) if c["batch_first"] else (S, N, E))).requires_grad_(True)
    tm = src_mask(c["tgt_mask"], L, L, N, HEADS)
    mm = rnd(L, S) if c["memory_mask"] == "float" else None
    tkp = key_padding(N, L) if c["tgt_kp"] else None
    mkp = key_padding(N, S) if c["mem_kp"] else None
    entry = {"name": f"decoder_{i}", "group": "decoder", "args": dict(c, d_model=E, nhead=HEADS, dim_feedforward=FF)}
    for k, v in (("tgt_mask", tm), ("memory_mask", mm), ("tgt_key_padding_mask", tkp), ("memory_key_padding_mask", mkp)):
        if v is not None:
            entry[k] = mask_json(v)
    out = m(tgt, mem, tgt_mask=tm, memory_mask=mm, tgt_key_padding_mask=tkp, memory_key_padding_mask=mkp)
    up = rnd(*out.shape)
    (out * up).sum().backward()
    entry.update(x=T(tgt), memory=T(mem), out=T(out), up=T(up), grad_x=T(tgt.grad), grad_memory=T(mem.grad),
                 state={k: T(v) for k, v in m.state_dict().items()},
                 grad_state={k: T(p.grad) for k, p in m.named_parameters()})
    cases.append(entry)

# generate_square_subsequent_mask itself
cases.append({"name": "square_subsequent_mask", "group": "mask",
              "out": T(nn.Transformer.generate_square_subsequent_mask(4).double())})

with open(os.path.join(HERE, "transformer.json"), "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, allow_nan=False)
print(f"wrote {len(cases)} cases to transformer.json")
