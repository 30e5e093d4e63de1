#!/usr/bin/python3
"""Writes PyTorch's numbers for Backprop's recurrent and attention tests (seq.json).

Run with Debian's PyTorch (apt-get install python3-torch):  /usr/bin/python3 tests/reference/make_seq_reference.py
Every case is in float64. Modules are PyTorch's own (nn.RNN/LSTM/GRU, the cells, nn.MultiheadAttention) and their
state dicts are written under PyTorch's names, so the tests load them with LoadStateDict. Variable-length cases go
through pack_padded_sequence(enforce_sorted=False) / pad_packed_sequence(total_length=T). Each case records a random
upstream gradient per output and the gradients autograd gives for loss = sum(output_i * upstream_i).

PyTorch 1.13 has no F.scaled_dot_product_attention (added in 2.0), so its references are computed here with the
formula PyTorch 2 documents: softmax(Q K^T * scale + mask) V, a boolean mask True = take part, a float mask added.
"""
import json
import math
import os
import sys

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

HERE = os.path.dirname(os.path.abspath(__file__))
g = torch.Generator().manual_seed(16)
torch.manual_seed(16)


def rnd(*shape):
    return torch.randn(*shape, generator=g, dtype=torch.float64)


def T(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.detach().reshape(-1).tolist()]}


def finish(entry, outputs, leaves, module=None):
    """outputs: dict name -> tensor; leaves: dict name -> leaf tensor that requires grad."""
    loss = 0
    for k, out in outputs.items():
        up = rnd(*out.shape)
        entry["out_" + k] = T(out)
        entry["up_" + k] = T(up)
        loss = loss + (out * up).sum()
    loss.backward()
    for k, v in leaves.items():
        entry[k] = T(v)
        entry["grad_" + k] = T(v.grad)
    if module is not None:
        entry["state"] = {k: T(v) for k, v in module.state_dict().items()}
        entry["grad_state"] = {k: T(p.grad) for k, p in module.named_parameters()}
    return entry


cases = []

# --- layers ---------------------------------------------------------------------------------------------------------
layers = [
    dict(kind="rnn", nonlinearity="tanh", layers=1, bidirectional=False, batch_first=False, bias=True, h0=False, lengths=None),
    dict(kind="rnn", nonlinearity="relu", layers=2, bidirectional=True, batch_first=True, bias=True, h0=True, lengths=None),
    dict(kind="rnn", nonlinearity="tanh", layers=1, bidirectional=True, batch_first=False, bias=False, h0=True, lengths=[5, 2, 4]),
    dict(kind="lstm", layers=1, bidirectional=False, batch_first=False, bias=True, h0=True, lengths=None),
    dict(kind="lstm", layers=2, bidirectional=True, batch_first=True, bias=True, h0=False, lengths=None),
    dict(kind="lstm", layers=2, bidirectional=True, batch_first=False, bias=True, h0=True, lengths=[3, 5, 1]),
    dict(kind="lstm", layers=1, bidirectional=False, batch_first=True, bias=False, h0=False, lengths=[2, 5, 4]),
    dict(kind="gru", layers=1, bidirectional=False, batch_first=True, bias=True, h0=True, lengths=None),
    dict(kind="gru", layers=2, bidirectional=False, batch_first=False, bias=True, h0=False, lengths=None),
    dict(kind="gru", layers=2, bidirectional=True, batch_first=True, bias=True, h0=True, lengths=[4, 5, 2]),
]
IN, H, N, STEPS = 3, 4, 3, 5
for i, c in enumerate(layers):
    kw = dict(num_layers=c["layers"], bidirectional=c["bidirectional"], batch_first=c["batch_first"], bias=c["bias"])
    if c["kind"] == "rnn":
        m = nn.RNN(IN, H, nonlinearity=c["nonlinearity"], **kw)
    else:
        m = (nn.LSTM if c["kind"] == "lstm" else nn.GRU)(IN, H, **kw)
    m = m.double()
    dirs = 2 if c["bidirectional"] else 1
    leaves = {"x": rnd(*((N, STEPS, IN) if c["batch_first"] else (STEPS, N, IN))).requires_grad_(True)}
    if c["h0"]:
        leaves["h0"] = rnd(c["layers"] * dirs, N, H).requires_grad_(True)
        if c["kind"] == "lstm":
            leaves["c0"] = rnd(c["layers"] * dirs, N, H).requires_grad_(True)
    state = None
    if c["h0"]:
        state = (leaves["h0"], leaves["c0"]) if c["kind"] == "lstm" else leaves["h0"]
    x = leaves["x"]
    if c["lengths"] is not None:
        packed = pack_padded_sequence(x, torch.tensor(c["lengths"]), batch_first=c["batch_first"], enforce_sorted=False)
        out, hn = m(packed, state)
        out, _ = pad_packed_sequence(out, batch_first=c["batch_first"], total_length=STEPS)
    else:
        out, hn = m(x, state)
    outputs = {"output": out}
    if c["kind"] == "lstm":
        outputs["h_n"], outputs["c_n"] = hn
    else:
        outputs["h_n"] = hn
    entry = {"name": f"{c['kind']}_{i}", "group": "layer", "args": dict(c, input_size=IN, hidden_size=H)}
    cases.append(finish(entry, outputs, leaves, m))

# --- cells ----------------------------------------------------------------------------------------------------------
cells = [
    dict(kind="rnn_cell", nonlinearity="tanh", bias=True, hx=True),
    dict(kind="rnn_cell", nonlinearity="relu", bias=False, hx=True),
    dict(kind="lstm_cell", bias=True, hx=True),
    dict(kind="lstm_cell", bias=True, hx=False),
    dict(kind="gru_cell", bias=True, hx=True),
    dict(kind="gru_cell", bias=False, hx=False),
]
for i, c in enumerate(cells):
    if c["kind"] == "rnn_cell":
        m = nn.RNNCell(IN, H, bias=c["bias"], nonlinearity=c["nonlinearity"])
    else:
        m = (nn.LSTMCell if c["kind"] == "lstm_cell" else nn.GRUCell)(IN, H, bias=c["bias"])
    m = m.double()
    leaves = {"x": rnd(N, IN).requires_grad_(True)}
    if c["hx"]:
        leaves["h0"] = rnd(N, H).requires_grad_(True)
        if c["kind"] == "lstm_cell":
            leaves["c0"] = rnd(N, H).requires_grad_(True)
    if c["kind"] == "lstm_cell":
        h, cc = m(leaves["x"], (leaves["h0"], leaves["c0"]) if c["hx"] else None)
        outputs = {"h": h, "c": cc}
    else:
        outputs = {"h": m(leaves["x"], leaves.get("h0"))}
    entry = {"name": f"{c['kind']}_{i}", "group": "cell", "args": dict(c, input_size=IN, hidden_size=H)}
    cases.append(finish(entry, outputs, leaves, m))


# --- scaled dot-product attention (PyTorch 2's documented formula) --------------------------------------------------
def sdpa(q, k, v, mask=None, is_causal=False, scale=None):
    L, S = q.shape[-2], k.shape[-2]
    scores = q @ k.transpose(-2, -1) * (scale if scale is not None else 1 / math.sqrt(q.shape[-1]))
    if is_causal:
        mask = torch.ones(L, S, dtype=torch.bool).tril(diagonal=0)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool else scores + mask
    return torch.softmax(scores, dim=-1) @ v


def bool_mask(*shape):
    m = torch.rand(*shape, generator=g) > 0.4
    m[..., 0] = True  # every query keeps at least one key
    return m


sdpa_cases = [
    dict(q=(2, 2, 4, 3), k=(2, 2, 6, 3), v=(2, 2, 6, 5), mask=None, is_causal=False, scale=None),
    dict(q=(2, 3, 4), k=(2, 5, 4), v=(2, 5, 4), mask="bool", mask_shape=(3, 5), is_causal=False, scale=None),
    dict(q=(1, 2, 3, 4), k=(1, 2, 3, 4), v=(1, 2, 3, 2), mask="float", mask_shape=(1, 2, 3, 3), is_causal=False, scale=0.7),
    dict(q=(2, 5, 3), k=(2, 5, 3), v=(2, 5, 3), mask=None, is_causal=True, scale=None),
    dict(q=(1, 2, 3, 4), k=(1, 2, 5, 4), v=(1, 2, 5, 4), mask=None, is_causal=True, scale=None),
]
for i, c in enumerate(sdpa_cases):
    leaves = {n: rnd(*c[n]).requires_grad_(True) for n in ("q", "k", "v")}
    mask = None
    if c["mask"] == "bool":
        mask = bool_mask(*c["mask_shape"])
    elif c["mask"] == "float":
        mask = rnd(*c["mask_shape"])
    out = sdpa(leaves["q"], leaves["k"], leaves["v"], mask, c["is_causal"], c["scale"])
    entry = {"name": f"sdpa_{i}", "group": "sdpa", "args": {k: c[k] for k in ("is_causal", "scale", "mask")}}
    if mask is not None:
        entry["mask"] = T(mask.long() if mask.dtype == torch.bool else mask)
    cases.append(finish(entry, {"output": out}, leaves))

# --- nn.MultiheadAttention ------------------------------------------------------------------------------------------
E, HEADS, L, S, NB = 6, 2, 4, 5, 2
mha_cases = [
    dict(batch_first=False, bias=True, self_attn=True, key_padding=False, attn_mask=None, average=True),
    dict(batch_first=True, bias=True, self_attn=False, key_padding=True, attn_mask="bool", average=True),
    dict(batch_first=False, bias=False, self_attn=False, key_padding=False, attn_mask="float3d", average=False),
    dict(batch_first=True, bias=True, self_attn=False, key_padding=True, attn_mask="float", average=False),
]
for i, c in enumerate(mha_cases):
    m = nn.MultiheadAttention(E, HEADS, bias=c["bias"], batch_first=c["batch_first"]).double()
    with torch.no_grad():  # random biases too, so their gradients and placement are tested
        for p in m.parameters():
            p.copy_(rnd(*p.shape) * 0.5)
    shape = (lambda t: (NB, t, E)) if c["batch_first"] else (lambda t: (t, NB, E))
    if c["self_attn"]:
        leaves = {"q": rnd(*shape(L)).requires_grad_(True)}
        q = k = v = leaves["q"]
        s = L
    else:
        leaves = {"q": rnd(*shape(L)).requires_grad_(True), "k": rnd(*shape(S)).requires_grad_(True), "v": rnd(*shape(S)).requires_grad_(True)}
        q, k, v = leaves["q"], leaves["k"], leaves["v"]
        s = S
    entry = {"name": f"mha_{i}", "group": "mha", "args": dict(c, embed_dim=E, num_heads=HEADS)}
    kpm = None
    if c["key_padding"]:
        kpm = torch.zeros(NB, s, dtype=torch.bool)
        kpm[0, s - 2:] = True  # True = ignore this key
        kpm[1, s - 1] = True
        entry["key_padding_mask"] = T(kpm.long())
    am = None
    if c["attn_mask"] == "bool":
        am = ~bool_mask(L, s)  # True = not allowed to attend
    elif c["attn_mask"] == "float":
        am = rnd(L, s)
    elif c["attn_mask"] == "float3d":
        am = rnd(NB * HEADS, L, s)
    if am is not None:
        entry["attn_mask"] = T(am.long() if am.dtype == torch.bool else am)
    out, w = m(q, k, v, key_padding_mask=kpm, need_weights=True, attn_mask=am, average_attn_weights=c["average"])
    cases.append(finish(entry, {"output": out, "weights": w}, leaves, m))

# --- a float32 PyTorch LSTM's weights as safetensors (the interop spec writer of make_interop.py) -------------------
sys.path.insert(0, HERE)
from make_interop import write  # noqa: E402

lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True, batch_first=True)
x = torch.randn(2, 4, 3, generator=g)
with torch.no_grad():
    out, (hn, cn) = lstm(x)
write(os.path.join(HERE, "interop", "lstm.safetensors"), dict(lstm.state_dict()))
write(os.path.join(HERE, "interop", "lstm_io.safetensors"), {"x": x, "output": out, "h_n": hn, "c_n": cn})

with open(os.path.join(HERE, "seq.json"), "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f)
print(f"wrote {len(cases)} cases to seq.json")
