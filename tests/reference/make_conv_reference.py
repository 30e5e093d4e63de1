#!/usr/bin/python3
"""Writes PyTorch's numbers for Backprop's convolution, unfold/fold and pooling tests (conv.json).

Run with Debian's PyTorch (apt-get install python3-torch):  /usr/bin/python3 tests/reference/make_conv_reference.py
Every case is in float64: inputs, parameters, a random upstream gradient, the output and the gradients PyTorch's
autograd gives for loss = sum(output * upstream). The JSON is committed; CI only reads it.
"""
import json
import os

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
g = torch.Generator().manual_seed(11)


def rnd(*shape):
    return torch.randn(*shape, generator=g, dtype=torch.float64)


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def case(name, fn, inputs, **args):
    """inputs: dict name -> tensor (all get gradients); fn(**inputs) -> output."""
    leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    out = fn(**leaves)
    upstream = rnd(*out.shape)
    (out * upstream).sum().backward()
    entry = {"name": name, "args": args, "out_shape": list(out.shape), "out": flat(out), "upstream": flat(upstream)}
    for k, v in leaves.items():
        entry[k + "_shape"] = list(v.shape)
        entry[k] = flat(v)
        entry["grad_" + k] = flat(v.grad)
    return entry


cases = []

conv2d = [
    dict(stride=1, padding=0, dilation=1, groups=1, bias=True, x=(2, 3, 7, 6), w=(4, 3, 3, 3)),
    dict(stride=2, padding=1, dilation=1, groups=1, bias=True, x=(2, 3, 8, 7), w=(5, 3, 3, 2)),
    dict(stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=1, bias=False, x=(1, 2, 9, 8), w=(3, 2, 3, 3)),
    dict(stride=1, padding="same", dilation=1, groups=1, bias=True, x=(2, 2, 5, 6), w=(3, 2, 4, 3)),
    dict(stride=1, padding="same", dilation=2, groups=1, bias=True, x=(1, 2, 6, 5), w=(2, 2, 2, 3)),
    dict(stride=1, padding="valid", dilation=1, groups=2, bias=True, x=(2, 4, 5, 5), w=(6, 2, 2, 2)),
    dict(stride=2, padding=1, dilation=1, groups=3, bias=True, x=(1, 6, 7, 7), w=(3, 2, 3, 3)),
    # few column-matrix rows, many channels (a first layer): the weight gradient's transposed GEMM
    dict(stride=1, padding=1, dilation=1, groups=1, bias=True, x=(2, 1, 6, 5), w=(20, 1, 3, 3)),
    dict(stride=1, padding=0, dilation=1, groups=2, bias=False, x=(1, 4, 5, 5), w=(40, 2, 2, 2)),
]
for i, c in enumerate(conv2d):
    inputs = {"x": rnd(*c["x"]), "w": rnd(*c["w"])}
    if c["bias"]:
        inputs["b"] = rnd(c["w"][0])
    st, pd, dl, gr = c["stride"], c["padding"], c["dilation"], c["groups"]
    cases.append(case(f"conv2d_{i}", lambda x, w, b=None: F.conv2d(x, w, b, st, pd, dl, gr), inputs,
                      op="conv2d", stride=st, padding=pd, dilation=dl, groups=gr))

conv1d = [
    dict(stride=1, padding=1, dilation=1, groups=1, x=(2, 3, 9), w=(4, 3, 3)),
    dict(stride=2, padding=0, dilation=2, groups=1, x=(1, 2, 11), w=(3, 2, 3)),
    dict(stride=1, padding="same", dilation=1, groups=2, x=(2, 4, 7), w=(2, 2, 4)),
]
for i, c in enumerate(conv1d):
    inputs = {"x": rnd(*c["x"]), "w": rnd(*c["w"]), "b": rnd(c["w"][0])}
    st, pd, dl, gr = c["stride"], c["padding"], c["dilation"], c["groups"]
    cases.append(case(f"conv1d_{i}", lambda x, w, b: F.conv1d(x, w, b, st, pd, dl, gr), inputs,
                      op="conv1d", stride=st, padding=pd, dilation=dl, groups=gr))

convt = [
    dict(stride=1, padding=0, output_padding=0, groups=1, dilation=1, x=(2, 3, 4, 5), w=(3, 2, 3, 3)),
    dict(stride=2, padding=1, output_padding=1, groups=1, dilation=1, x=(1, 2, 4, 3), w=(2, 3, 3, 3)),
    dict(stride=(2, 3), padding=(0, 1), output_padding=(1, 0), groups=2, dilation=(1, 2), x=(2, 4, 3, 3), w=(4, 1, 2, 3)),
]
for i, c in enumerate(convt):
    inputs = {"x": rnd(*c["x"]), "w": rnd(*c["w"]), "b": rnd(c["w"][1] * c["groups"])}
    st, pd, op_, gr, dl = c["stride"], c["padding"], c["output_padding"], c["groups"], c["dilation"]
    cases.append(case(f"conv_transpose2d_{i}", lambda x, w, b: F.conv_transpose2d(x, w, b, st, pd, op_, gr, dl), inputs,
                      op="conv_transpose2d", stride=st, padding=pd, output_padding=op_, groups=gr, dilation=dl))

maxpool = [
    dict(k=2, s=None, p=0, d=1, ceil=False, x=(2, 3, 6, 6)),
    dict(k=3, s=2, p=1, d=1, ceil=False, x=(1, 2, 7, 8)),
    dict(k=3, s=2, p=1, d=1, ceil=True, x=(1, 2, 8, 8)),
    dict(k=(2, 3), s=(2, 1), p=(1, 1), d=(2, 1), ceil=True, x=(2, 1, 7, 6)),
    dict(k=2, s=2, p=0, d=1, ceil=True, x=(1, 2, 5, 7)),
]
for i, c in enumerate(maxpool):
    k, s, p, d, ceil = c["k"], c["s"], c["p"], c["d"], c["ceil"]
    cases.append(case(f"max_pool2d_{i}", lambda x: F.max_pool2d(x, k, s, p, d, ceil), {"x": rnd(*c["x"])},
                      op="max_pool2d", kernel=k, stride=s, padding=p, dilation=d, ceil_mode=ceil))

avgpool = [
    dict(k=2, s=None, p=0, ceil=False, inc=True, div=None, x=(2, 3, 6, 6)),
    dict(k=3, s=2, p=1, ceil=False, inc=True, div=None, x=(1, 2, 7, 8)),
    dict(k=3, s=2, p=1, ceil=False, inc=False, div=None, x=(1, 2, 7, 8)),
    dict(k=3, s=2, p=1, ceil=True, inc=True, div=None, x=(1, 2, 8, 8)),
    dict(k=3, s=2, p=1, ceil=True, inc=False, div=None, x=(1, 2, 8, 8)),
    dict(k=(2, 3), s=(1, 2), p=(1, 0), ceil=False, inc=True, div=5, x=(2, 1, 5, 7)),
]
for i, c in enumerate(avgpool):
    k, s, p, ceil, inc, div = c["k"], c["s"], c["p"], c["ceil"], c["inc"], c["div"]
    cases.append(case(f"avg_pool2d_{i}", lambda x: F.avg_pool2d(x, k, s, p, ceil, inc, div), {"x": rnd(*c["x"])},
                      op="avg_pool2d", kernel=k, stride=s, padding=p, ceil_mode=ceil, count_include_pad=inc, divisor_override=div))

for i, (x, o) in enumerate([((2, 3, 7, 9), (3, 5)), ((1, 2, 6, 6), (3, 2)), ((2, 2, 5, 4), (1, 1)), ((1, 1, 4, 5), (4, 7))]):
    cases.append(case(f"adaptive_avg_pool2d_{i}", lambda x: F.adaptive_avg_pool2d(x, o), {"x": rnd(*x)}, op="adaptive_avg_pool2d", output_size=o))

cases.append(case("max_pool1d_0", lambda x: F.max_pool1d(x, 3, 2, 1, 1, True), {"x": rnd(2, 3, 10)},
                  op="max_pool1d", kernel=3, stride=2, padding=1, dilation=1, ceil_mode=True))
cases.append(case("avg_pool1d_0", lambda x: F.avg_pool1d(x, 3, 2, 1, False, False), {"x": rnd(2, 3, 10)},
                  op="avg_pool1d", kernel=3, stride=2, padding=1, ceil_mode=False, count_include_pad=False))

cases.append(case("unfold_0", lambda x: F.unfold(x, (2, 3), (1, 2), (1, 0), (2, 1)), {"x": rnd(2, 3, 6, 7)},
                  op="unfold", kernel=(2, 3), dilation=(1, 2), padding=(1, 0), stride=(2, 1)))
cases.append(case("fold_0", lambda x: F.fold(x, (5, 6), (2, 3), 1, (1, 1), (2, 2)), {"x": rnd(2, 2 * 6, 9)},
                  op="fold", output_size=(5, 6), kernel=(2, 3), dilation=1, padding=(1, 1), stride=(2, 2)))

with open(os.path.join(HERE, "conv.json"), "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, indent=0)
print("wrote conv.json with", len(cases), "cases")
