#!/usr/bin/python3
"""Writes PyTorch's numbers for the tensor ops, layers and losses added by issue #11 (tests/reference/ops.json).

Run with Debian's PyTorch (apt-get install python3-torch):  /usr/bin/python3 tests/reference/make_ops_reference.py
Each case stores its inputs, PyTorch's output and the gradients of sum(output * weight) for a fixed random weight,
so the C# tests recompute everything from the same inputs. The JSON is committed; CI only reads it.
"""
import json
import os

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)
G = torch.Generator().manual_seed(11)


def randn(*shape, dtype=torch.float64):
    return torch.randn(tuple(shape), generator=G, dtype=torch.float64).to(dtype)


def enc(t):
    t = t.detach()
    dt = {torch.float64: "float64", torch.float32: "float32", torch.int64: "int64", torch.bool: "bool"}[t.dtype]
    data = t.reshape(-1).tolist()
    data = [float(v) if dt != "int64" else int(v) for v in data]
    data = [("nan" if v != v else "inf" if v == float("inf") else "-inf" if v == -float("inf") else v) for v in data]
    return {"shape": list(t.shape), "dtype": dt, "data": data}


CASES = []


def case(name, fn, *inputs, grad=True, no_grad_inputs=()):
    xs = [t.clone().requires_grad_(grad and t.is_floating_point() and i not in no_grad_inputs) for i, t in enumerate(inputs)]
    out = fn(*xs)
    extra = None
    if isinstance(out, tuple):
        out, extra = out[0], out[1]
    entry = {"name": name, "inputs": [enc(t) for t in inputs], "output": enc(out)}
    if extra is not None:
        entry["indices"] = enc(extra)
    if grad and out.is_floating_point() and out.requires_grad:
        w = randn(*out.shape, dtype=out.dtype)
        (out * w).sum().backward()
        entry["weight"] = enc(w)
        entry["grads"] = [enc(x.grad) if x.grad is not None else (enc(torch.zeros_like(x)) if x.requires_grad else None) for x in xs]
    CASES.append(entry)


# ---------------------------------------------------------------- elementwise math
pos = randn(3, 5).abs() + 0.1
small = torch.tensor([1e-10, -1e-12, 3e-8, 0.25, -0.5, 2.0, 40.0], dtype=torch.float64)
case("log1p", torch.log1p, torch.cat([small.abs() * 0.5, pos.reshape(-1)]))
case("expm1", torch.expm1, torch.cat([small, randn(6)]))
case("sin", torch.sin, randn(4, 3) * 3)
case("cos", torch.cos, randn(4, 3) * 3)
halves = torch.tensor([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999999999999994, 3.7, -3.2, 1e15 + 0.5], dtype=torch.float64)
case("floor", torch.floor, halves)
case("ceil", torch.ceil, halves)
case("round", torch.round, halves)
case("round_float32", torch.round, halves.float())
case("reciprocal", torch.reciprocal, randn(3, 4) + 3)
case("rsqrt", torch.rsqrt, pos)
case("rsqrt_float32", torch.rsqrt, pos.float())
case("pow_tensor", torch.pow, pos, randn(3, 5))
case("pow_tensor_broadcast", torch.pow, pos, randn(5))
case("pow_negative_base_int_exponent", torch.pow, -pos, torch.tensor([1., 2., 3., 0., -2.], dtype=torch.float64))
case("pow_int64", torch.pow, torch.tensor([2, -3, 5, 0], dtype=torch.int64), torch.tensor([10, 3, 0, 4], dtype=torch.int64))
case("pow_scalar_base", lambda e: torch.pow(2.5, e), randn(3, 4))
case("clamp_tensor", lambda x, lo, hi: torch.clamp(x, lo, hi), randn(4, 5), randn(5) - 0.5, randn(4, 1) + 0.5)
case("clamp_tensor_min_only", lambda x, lo: torch.clamp(x, min=lo), randn(4, 5), randn(4, 5))

# ---------------------------------------------------------------- scans and products
case("cumsum_dim0", lambda x: torch.cumsum(x, 0), randn(4, 3))
case("cumsum_dim1", lambda x: torch.cumsum(x, -1), randn(2, 3, 5))
case("cumsum_int64", lambda x: torch.cumsum(x, 0), torch.tensor([3, -1, 4, 1, 5], dtype=torch.int64))
case("prod_dim1", lambda x: torch.prod(x, 1), randn(3, 4))
case("prod_dim0_keepdim", lambda x: torch.prod(x, 0, keepdim=True), randn(3, 4))
case("prod_all", torch.prod, randn(2, 3))
case("prod_one_zero", lambda x: torch.prod(x, 1), torch.tensor([[1.5, 0., -2., 3.], [0.5, 2., 1., -1.]], dtype=torch.float64))
case("prod_two_zeros", lambda x: torch.prod(x, 1), torch.tensor([[0., 2., 0., 3.], [1., 0., 2., 0.5]], dtype=torch.float64))
case("prod_int64", lambda x: torch.prod(x, 1), torch.tensor([[2, 3, -4], [5, 0, 7]], dtype=torch.int64))

# ---------------------------------------------------------------- norms and multi-dim statistics
m = randn(3, 4, 5)
case("norm_p2_all", lambda x: torch.norm(x), m)
case("norm_p1_dim", lambda x: torch.norm(x, p=1, dim=1), m)
case("norm_p2_dims_keepdim", lambda x: torch.norm(x, p=2, dim=(0, 2), keepdim=True), m)
case("norm_inf_dim", lambda x: torch.norm(x, p=float("inf"), dim=2), m)
case("norm_inf_ties", lambda x: torch.norm(x, p=float("inf"), dim=1), torch.tensor([[1., -3., 3.], [2., 0.5, -1.]], dtype=torch.float64))
case("norm_fro_dims", lambda x: torch.norm(x, p="fro", dim=(1, 2)), m)
case("norm_p3_dim", lambda x: torch.norm(x, p=3, dim=0), m)
case("norm_p2_zero_row", lambda x: torch.norm(x, p=2, dim=1), torch.tensor([[0., 0., 0.], [1., 2., -2.]], dtype=torch.float64))
case("mean_dims", lambda x: torch.mean(x, dim=(0, 2)), m)
case("mean_dims_keepdim", lambda x: torch.mean(x, dim=(1, 2), keepdim=True), m)
case("var_dims", lambda x: torch.var(x, dim=(0, 2)), m)
case("var_dims_biased_keepdim", lambda x: torch.var(x, dim=(0, 1), unbiased=False, keepdim=True), m)
case("std_dims", lambda x: torch.std(x, dim=(1, 2)), m)
case("std_dims_correction0", lambda x: torch.std(x, dim=(0, 2), unbiased=False), m)

# ---------------------------------------------------------------- masks, sorting, reordering
x45 = randn(4, 5)
case("masked_fill", lambda x, mk: x.masked_fill(mk != 0, -2.5), x45, (randn(4, 5) > 0).to(torch.float64))
case("masked_fill_broadcast", lambda x, mk: x.masked_fill(mk != 0, 7.0), x45, torch.tensor([1., 0., 0., 1., 0.], dtype=torch.float64))
ties = torch.tensor([[3., 1., 2., 1., 3., 0.], [5., 5., -1., 2., 5., -1.]], dtype=torch.float64)
case("sort_ascending_ties", lambda x: torch.sort(x, dim=1, stable=True), ties)
case("sort_descending_ties", lambda x: torch.sort(x, dim=1, descending=True, stable=True), ties)
case("sort_dim0", lambda x: torch.sort(x, dim=0, stable=True), randn(5, 3))
case("sort_int64", lambda x: torch.sort(x, dim=0, stable=True), torch.tensor([4, -2, 7, 0, -2], dtype=torch.int64))
case("argsort_descending", lambda x: torch.argsort(x, dim=-1, descending=True), randn(3, 6), grad=False)
case("topk_largest", lambda x: torch.topk(x, 3, dim=1), randn(4, 7))
case("topk_smallest_dim0", lambda x: torch.topk(x, 2, dim=0, largest=False), randn(5, 3))
case("max_dim_with_indices", lambda x: torch.max(x, 1), torch.tensor([[1., 4., 4., 0.], [2., -1., 2., 3.]], dtype=torch.float64))
case("min_dim_keepdim_with_indices", lambda x: torch.min(x, 0, keepdim=True), randn(3, 4))
case("repeat", lambda x: x.repeat(2, 3), randn(2, 3))
case("repeat_new_dims", lambda x: x.repeat(2, 1, 2), randn(3, 2))
case("flip", lambda x: torch.flip(x, [0, 2]), randn(2, 3, 4))
case("roll_dim", lambda x: torch.roll(x, 2, 1), randn(3, 5))
case("roll_negative_dims", lambda x: torch.roll(x, (-1, 3), (0, 1)), randn(3, 5))
case("roll_flat", lambda x: torch.roll(x, 4), randn(3, 5))
case("tril", lambda x: torch.tril(x), randn(4, 5))
case("tril_diag_minus1_batched", lambda x: torch.tril(x, -1), randn(2, 4, 3))
case("triu_diag1", lambda x: torch.triu(x, 1), randn(4, 5))
case("one_hot", lambda t: F.one_hot(t, 5), torch.tensor([[0, 3], [4, 1]], dtype=torch.int64))
case("one_hot_inferred", lambda t: F.one_hot(t), torch.tensor([2, 0, 1], dtype=torch.int64))

# ---------------------------------------------------------------- padding and resampling
img = randn(2, 3, 4, 5)
case("pad_constant_last", lambda x: F.pad(x, (1, 2), value=0.5), img)
case("pad_constant_two_dims", lambda x: F.pad(x, (2, 0, 1, 3)), img)
case("pad_constant_negative", lambda x: F.pad(x, (-1, 2, 1, -2), value=-1.0), img)
case("pad_reflect", lambda x: F.pad(x, (2, 3, 3, 1), mode="reflect"), img)
case("pad_replicate", lambda x: F.pad(x, (3, 1, 0, 2), mode="replicate"), img)
case("pad_reflect_1d", lambda x: F.pad(x, (2, 1), mode="reflect"), randn(2, 3, 4))
case("upsample_scale2", lambda x: F.interpolate(x, scale_factor=2, mode="nearest"), randn(1, 2, 3, 4))
case("upsample_size", lambda x: F.interpolate(x, size=(5, 7), mode="nearest"), randn(2, 1, 3, 4))
case("upsample_scale_1_5", lambda x: F.interpolate(x, scale_factor=1.5, mode="nearest"), randn(1, 2, 3, 4))
case("upsample_1d_size", lambda x: F.interpolate(x, size=7, mode="nearest"), randn(1, 2, 3))

# ---------------------------------------------------------------- activations
act = torch.cat([randn(12) * 3, torch.tensor([25.0, -30.0], dtype=torch.float64)])
case("silu", F.silu, act)
case("mish", F.mish, act)
case("hardtanh", lambda x: F.hardtanh(x, -0.5, 1.2), act)
case("softsign", F.softsign, act)
case("prelu_single", lambda x, w: F.prelu(x, w), randn(3, 4), torch.tensor([0.25], dtype=torch.float64))
case("prelu_channels", lambda x, w: F.prelu(x, w), randn(2, 3, 4), torch.tensor([0.25, -0.1, 0.6], dtype=torch.float64))

# ---------------------------------------------------------------- normalization (functional)
case("layer_norm", lambda x, w, b: F.layer_norm(x, [4, 5], w, b), randn(3, 4, 5), randn(4, 5), randn(4, 5))
case("layer_norm_no_affine_eps", lambda x: F.layer_norm(x, [7], eps=1e-3), randn(2, 3, 7))
case("group_norm", lambda x, w, b: F.group_norm(x, 2, w, b), randn(2, 6, 3, 3), randn(6), randn(6))
case("group_norm_batch1_no_affine", lambda x: F.group_norm(x, 3, eps=1e-4), randn(1, 3, 5))
case("embedding_padding", lambda w, i: F.embedding(i, w, padding_idx=2), randn(5, 3), torch.tensor([[0, 2, 4], [2, 1, 1]], dtype=torch.int64))
case("embedding", lambda w, i: F.embedding(i, w), randn(4, 2), torch.tensor([3, 0, 3, 1], dtype=torch.int64))

# ---------------------------------------------------------------- losses
logp = F.log_softmax(randn(4, 5), 1)
probs = F.softmax(randn(4, 5), 1)
probs0 = probs.clone(); probs0[0, 1] = 0.0
for red in ["mean", "sum", "none", "batchmean"]:
    # The target holds a 0, where PyTorch's target gradient is NaN; only the input's gradient is compared.
    case("kl_div_" + red, lambda x, t, red=red: F.kl_div(x, t, reduction=red), logp, probs0, no_grad_inputs=(1,))
case("kl_div_target_grad", lambda x, t: F.kl_div(x, t, reduction="batchmean"), logp, probs)
case("kl_div_log_target", lambda x, t: F.kl_div(x, t, reduction="sum", log_target=True), logp, F.log_softmax(randn(4, 5), 1))
a, b = randn(5, 4), randn(5, 4)
y = torch.tensor([1., -1., 1., -1., -1.], dtype=torch.float64)
case("cosine_embedding_mean", lambda a, b, y: F.cosine_embedding_loss(a, b, y, margin=0.2), a, b, y)
case("cosine_embedding_none", lambda a, b, y: F.cosine_embedding_loss(a, b, y, reduction="none"), a, b, y)
case("margin_ranking_mean", lambda a, b, y: F.margin_ranking_loss(a, b, y, margin=0.3), randn(6), randn(6), torch.tensor([1., -1., 1., 1., -1., -1.], dtype=torch.float64))
case("margin_ranking_sum", lambda a, b, y: F.margin_ranking_loss(a, b, y, reduction="sum"), randn(6), randn(6), torch.tensor([1., -1., 1., 1., -1., -1.], dtype=torch.float64))
case("cosine_similarity", lambda a, b: F.cosine_similarity(a, b, dim=1), randn(4, 6), randn(4, 6))
case("cosine_similarity_broadcast_tiny", lambda a, b: F.cosine_similarity(a, b, dim=-1), torch.cat([randn(1, 3) * 1e-10, randn(2, 3)]), randn(3))


# ---------------------------------------------------------------- Float32 (the default dtype)
f32 = randn(3, 5, dtype=torch.float32)
case("log1p_float32", torch.log1p, pos.float())
case("expm1_float32", torch.expm1, f32)
case("sin_float32", torch.sin, f32)
case("cumsum_float32", lambda x: torch.cumsum(x, 1), f32)
case("prod_float32", lambda x: torch.prod(x, 0), f32)
case("sort_float32", lambda x: torch.sort(x, dim=1, descending=True, stable=True), f32)
case("norm_float32", lambda x: torch.norm(x, dim=1), f32)
case("layer_norm_float32", lambda x, w, b: F.layer_norm(x, [5], w, b), f32, randn(5, dtype=torch.float32), randn(5, dtype=torch.float32))
case("pad_reflect_float32", lambda x: F.pad(x, (2, 2), mode="reflect"), f32)


# ---------------------------------------------------------------- BatchNorm modules over several steps
def batchnorm_run(name, module, shape, steps=3):
    module = module.double()
    with torch.no_grad():
        if module.affine:
            module.weight.copy_(randn(*module.weight.shape))
            module.bias.copy_(randn(*module.bias.shape))
    init = {k: enc(v) for k, v in module.state_dict().items()}
    trail = []
    for s in range(steps):
        x = (randn(*shape) * (1 + s) + s).requires_grad_()
        module.train()
        out = module(x)
        w = randn(*out.shape)
        (out * w).sum().backward()
        step = {"input": enc(x), "output": enc(out), "weight": enc(w), "input_grad": enc(x.grad),
                "state": {k: enc(v) for k, v in module.state_dict().items()}}
        if module.affine:
            step["weight_grad"] = enc(module.weight.grad); step["bias_grad"] = enc(module.bias.grad)
            module.weight.grad = None; module.bias.grad = None
        trail.append(step)
    module.eval()
    xe = randn(*shape)
    return {"name": name, "init": init, "steps": trail, "eval_input": enc(xe), "eval_output": enc(module(xe))}


BATCHNORM = [
    batchnorm_run("bn2d", torch.nn.BatchNorm2d(3), (4, 3, 3, 2)),
    batchnorm_run("bn2d_momentum_none", torch.nn.BatchNorm2d(2, momentum=None), (3, 2, 2, 3)),
    batchnorm_run("bn1d_2d_input", torch.nn.BatchNorm1d(4, momentum=0.3, eps=1e-3), (5, 4)),
    batchnorm_run("bn1d_3d_input_no_affine", torch.nn.BatchNorm1d(2, affine=False), (3, 2, 4)),
    batchnorm_run("bn2d_no_tracking", torch.nn.BatchNorm2d(2, track_running_stats=False), (2, 2, 3, 3), steps=2),
]

def line(obj):
    return json.dumps(obj, separators=(",", ":"))


with open(os.path.join(HERE, "ops.json"), "w") as f:  # one case per line, so a regenerated file diffs case by case
    f.write('{"torch":%s,\n"cases":[\n' % line(torch.__version__))
    f.write(",\n".join(line(c) for c in CASES))
    f.write('],\n"batchnorm":[\n')
    f.write(",\n".join(line(b) for b in BATCHNORM))
    f.write("]}\n")
print("wrote ops.json:", len(CASES), "cases,", len(BATCHNORM), "batchnorm runs")
