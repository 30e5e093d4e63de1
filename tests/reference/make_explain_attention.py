#!/usr/bin/python3
"""Writes PyTorch's numbers for `backprop explain --attention` (explain_attention.json).

Run with Debian's PyTorch (apt-get install python3-torch):  /usr/bin/python3 tests/reference/make_explain_attention.py
The example is the one the command states: three tokens X of two features, one head with weights W_Q, W_K, W_V
(Q = X @ W_Q, ...), scores S = Q @ K^T / sqrt(2) (with -inf above the diagonal when causal), A = softmax(S, dim=-1),
O = A @ V and L = 0.5 * sum((O - T)^2). Every gradient comes from PyTorch's autograd (retain_grad on the
intermediates), in float64. -inf is written as the string "-inf" (JSON has no infinities).
"""
import json
import math
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
t = lambda rows: torch.tensor(rows, dtype=torch.float64)
X = t([[1, 0], [0, 1], [1, 1]])
WQ = t([[1.0, -0.5], [0.5, 2.0]])
WK = t([[1.5, 0.5], [-1.0, 1.0]])
WV = t([[1.0, 0.0], [0.5, -1.0]])
T = t([[0, 1], [1, 0], [1, 1]])


def rows(m):
    return [[float(v) if math.isfinite(v) else str(float(v)) for v in r] for r in m.detach().tolist()]


def case(causal):
    wq, wk, wv = (w.clone().requires_grad_() for w in (WQ, WK, WV))
    q, k, v = X @ wq, X @ wk, X @ wv
    s = q @ k.T / math.sqrt(2)
    if causal:
        s = s.masked_fill(torch.ones(3, 3, dtype=torch.bool).triu(1), float("-inf"))
    a = torch.softmax(s, dim=-1)
    o = a @ v
    loss = 0.5 * ((o - T) ** 2).sum()
    for x in (q, k, v, s, a, o):
        x.retain_grad()
    loss.backward()
    return {
        "X": rows(X), "W_Q": rows(WQ), "W_K": rows(WK), "W_V": rows(WV), "T": rows(T),
        "Q": rows(q), "K": rows(k), "V": rows(v), "S": rows(s), "A": rows(a), "O": rows(o), "loss": float(loss),
        "dO": rows(o.grad), "dA": rows(a.grad), "dS": rows(s.grad), "dQ": rows(q.grad), "dK": rows(k.grad), "dV": rows(v.grad),
        "dW_Q": rows(wq.grad), "dW_K": rows(wk.grad), "dW_V": rows(wv.grad),
    }


out = {"torch": torch.__version__, "plain": case(False), "causal": case(True)}
with open(os.path.join(HERE, "explain_attention.json"), "w") as f:
    json.dump(out, f)
    f.write("\n")
