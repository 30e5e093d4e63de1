#!/usr/bin/python3
"""Writes PyTorch's numbers for Backprop's optimizer, scheduler and loss tests.

Run with Debian's PyTorch (apt-get install python3-torch):  /usr/bin/python3 tests/reference/make_reference.py
The JSON files it writes next to this script are committed; CI only reads them.
"""
import json
import math
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def dump(name, obj):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(obj, f, indent=1)
    print("wrote", name)


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


# ---------------------------------------------------------------- optimizers
def optimizer_problem(dtype):
    g = torch.Generator().manual_seed(0)
    X = torch.randn(8, 4, generator=g, dtype=torch.float64)
    Y = torch.randn(8, 3, generator=g, dtype=torch.float64)
    W = torch.randn(3, 4, generator=g, dtype=torch.float64) * 0.5
    b = torch.randn(3, generator=g, dtype=torch.float64) * 0.1
    return X.to(dtype), Y.to(dtype), W.to(dtype), b.to(dtype)


def loss_fn(X, Y, W, b):
    return (((X @ W.T + b).tanh() - Y) ** 2).mean()


OPTIMIZER_CASES = [
    ("sgd", {"lr": 0.1}),
    ("sgd", {"lr": 0.1, "momentum": 0.9}),
    ("sgd", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    ("sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("sgd", {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.1}),
    ("sgd", {"lr": 0.1, "maximize": True}),
    ("adagrad", {"lr": 0.1}),
    ("adagrad", {"lr": 0.1, "lr_decay": 0.05}),
    ("adagrad", {"lr": 0.1, "weight_decay": 0.1, "initial_accumulator_value": 0.2}),
    ("adagrad", {"lr": 0.1, "eps": 1e-3, "maximize": True}),
    ("rmsprop", {"lr": 0.01}),
    ("rmsprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-4}),
    ("rmsprop", {"lr": 0.01, "centered": True}),
    ("rmsprop", {"lr": 0.01, "momentum": 0.5}),
    ("rmsprop", {"lr": 0.01, "momentum": 0.5, "centered": True, "weight_decay": 0.1}),
    ("rmsprop", {"lr": 0.01, "maximize": True}),
    ("adam", {"lr": 0.01}),
    ("adam", {"lr": 0.01, "betas": [0.8, 0.95]}),
    ("adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("adam", {"lr": 0.01, "amsgrad": True}),
    ("adam", {"lr": 0.01, "eps": 1e-3, "maximize": True}),
    ("adamw", {"lr": 0.01}),
    ("adamw", {"lr": 0.01, "weight_decay": 0.5}),
    ("adamw", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True, "betas": [0.85, 0.99]}),
]
OPTIMIZERS = {"sgd": torch.optim.SGD, "adagrad": torch.optim.Adagrad, "rmsprop": torch.optim.RMSprop,
              "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}
STEPS = 25


def run_case(name, options, dtype, groups=None):
    X, Y, W0, b0 = optimizer_problem(dtype)
    W = W0.clone().requires_grad_()
    b = b0.clone().requires_grad_()
    kwargs = dict(options)
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    if groups is None:
        opt = OPTIMIZERS[name]([W, b], **kwargs)
    else:
        opt = OPTIMIZERS[name]([{"params": [W], **groups[0]}, {"params": [b], **groups[1]}], **kwargs)
    trajectory = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss_fn(X, Y, W, b).backward()
        opt.step()
        trajectory.append(flat(W) + flat(b))
    return trajectory


def optimizers():
    out = {"steps": STEPS, "problem": {}, "cases": []}
    X, Y, W, b = optimizer_problem(torch.float64)
    out["problem"] = {"X": flat(X), "Y": flat(Y), "W": flat(W), "b": flat(b)}
    for dtype, dname in [(torch.float64, "float64"), (torch.float32, "float32")]:
        for name, options in OPTIMIZER_CASES:
            out["cases"].append({"optimizer": name, "options": options, "dtype": dname,
                                 "trajectory": run_case(name, options, dtype)})
        groups = [{"lr": 0.05}, {"lr": 0.2, "momentum": 0.0}]
        out["cases"].append({"optimizer": "sgd", "options": {"lr": 0.1, "momentum": 0.9}, "dtype": dname,
                             "groups": groups, "trajectory": run_case("sgd", {"lr": 0.1, "momentum": 0.9}, dtype, groups)})
    dump("optimizers.json", out)


# ---------------------------------------------------------------- schedulers
def schedulers():
    S = torch.optim.lr_scheduler
    cases = []

    def record(name, make, epochs=30, metrics=None):
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=0.1)
        sched = make(opt)
        lrs = [opt.param_groups[0]["lr"]]
        for e in range(epochs):
            opt.step()
            if metrics is None:
                sched.step()
            else:
                sched.step(metrics[e])
            lrs.append(opt.param_groups[0]["lr"])
        case = {"name": name, "lrs": lrs}
        if metrics is not None:
            case["metrics"] = metrics
        cases.append(case)

    record("step", lambda o: S.StepLR(o, step_size=7, gamma=0.5))
    record("multistep", lambda o: S.MultiStepLR(o, milestones=[3, 10, 10, 20], gamma=0.3))
    record("exponential", lambda o: S.ExponentialLR(o, gamma=0.9))
    record("cosine", lambda o: S.CosineAnnealingLR(o, T_max=12, eta_min=0.001))
    record("linear", lambda o: S.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=8))
    record("lambda", lambda o: S.LambdaLR(o, lr_lambda=lambda e: 1.0 / (1 + e)))
    record("sequential", lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=5),
                                                       S.CosineAnnealingLR(o, T_max=20)], milestones=[5]))
    # Hugging Face's get_cosine_schedule_with_warmup lambda (transformers is not installed; this is its formula)
    def warmup_cosine(warmup, total, cycles=0.5):
        def f(step):
            if step < warmup:
                return step / max(1, warmup)
            progress = (step - warmup) / max(1, total - warmup)
            return max(0.0, 0.5 * (1.0 + math.cos(math.pi * cycles * 2.0 * progress)))
        return f
    record("warmup_cosine", lambda o: S.LambdaLR(o, lr_lambda=warmup_cosine(4, 24)))
    record("warmup_cosine_cycles", lambda o: S.LambdaLR(o, lr_lambda=warmup_cosine(3, 20, cycles=1.5)))
    metrics = [1.0, 0.9, 0.8, 0.8, 0.8, 0.8, 0.79995, 0.8, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.65,
               0.65, 0.65, 0.65, 0.65, 0.65, 0.65, 0.65, 0.65, 0.65, 0.65, 0.65, 0.65, 0.65, 0.65, 0.65]
    record("plateau", lambda o: S.ReduceLROnPlateau(o, factor=0.5, patience=2, cooldown=1, min_lr=0.01), metrics=metrics)
    record("plateau_max_abs", lambda o: S.ReduceLROnPlateau(o, mode="max", patience=1, threshold=0.05, threshold_mode="abs"),
           metrics=[0.1, 0.2, 0.22, 0.23, 0.3, 0.31, 0.32, 0.33, 0.5, 0.5] * 3)
    dump("schedulers.json", {"cases": cases})


# ---------------------------------------------------------------- losses
def losses():
    g = torch.Generator().manual_seed(1)
    F = torch.nn.functional
    logits = torch.randn(6, 4, generator=g, dtype=torch.float64) * 2
    classes = torch.tensor([0, 3, 1, 1, 2, 3])
    classes_ignored = torch.tensor([0, 3, -100, 1, 2, 3])
    classes_ignore2 = torch.tensor([0, 3, 2, 1, 2, 3])
    probs_target = torch.softmax(torch.randn(6, 4, generator=g, dtype=torch.float64), 1)
    cw = torch.tensor([0.2, 1.0, 2.0, 0.5], dtype=torch.float64)
    logits3d = torch.randn(2, 4, 3, generator=g, dtype=torch.float64)
    classes3d = torch.tensor([[0, 1, 3], [2, 2, 0]])
    reg_in = torch.randn(5, 3, generator=g, dtype=torch.float64)
    reg_tg = torch.randn(5, 3, generator=g, dtype=torch.float64)
    prob_in = torch.rand(5, 3, generator=g, dtype=torch.float64) * 0.9 + 0.05
    bin_tg = (torch.rand(5, 3, generator=g, dtype=torch.float64) > 0.5).double()
    bin_logits = torch.randn(5, 3, generator=g, dtype=torch.float64) * 3
    elem_w = torch.rand(5, 3, generator=g, dtype=torch.float64)
    pos_w = torch.tensor([0.5, 2.0, 3.0], dtype=torch.float64)

    tensors = {"logits": logits, "classes": classes, "classes_ignored": classes_ignored, "classes_ignore2": classes_ignore2,
               "probs_target": probs_target, "class_weight": cw, "logits3d": logits3d, "classes3d": classes3d,
               "reg_in": reg_in, "reg_tg": reg_tg, "prob_in": prob_in, "bin_tg": bin_tg, "bin_logits": bin_logits,
               "elem_w": elem_w, "pos_w": pos_w}
    cases = []

    def case(name, fn, input_name, args):
        x = tensors[input_name].clone().requires_grad_()
        out = fn(x)
        grad = torch.autograd.grad(out.sum(), x)[0]
        cases.append({"name": name, "input": input_name, "args": args, "shape": list(out.shape), "value": flat(out), "grad": flat(grad)})

    for red in ["mean", "sum", "none"]:
        case(f"mse_{red}", lambda x: F.mse_loss(x, reg_tg, reduction=red), "reg_in", {"target": "reg_tg", "reduction": red})
        case(f"l1_{red}", lambda x: F.l1_loss(x, reg_tg, reduction=red), "reg_in", {"target": "reg_tg", "reduction": red})
        case(f"huber_{red}", lambda x: F.huber_loss(x, reg_tg, reduction=red, delta=0.7), "reg_in", {"target": "reg_tg", "reduction": red, "delta": 0.7})
        case(f"smoothl1_{red}", lambda x: F.smooth_l1_loss(x, reg_tg, reduction=red, beta=0.5), "reg_in", {"target": "reg_tg", "reduction": red, "beta": 0.5})
        case(f"bce_{red}", lambda x: F.binary_cross_entropy(x, bin_tg, reduction=red), "prob_in", {"target": "bin_tg", "reduction": red})
        case(f"bce_weight_{red}", lambda x: F.binary_cross_entropy(x, bin_tg, weight=elem_w, reduction=red), "prob_in", {"target": "bin_tg", "weight": "elem_w", "reduction": red})
        case(f"bcelogits_{red}", lambda x: F.binary_cross_entropy_with_logits(x, bin_tg, reduction=red), "bin_logits", {"target": "bin_tg", "reduction": red})
        case(f"bcelogits_posweight_{red}", lambda x: F.binary_cross_entropy_with_logits(x, bin_tg, weight=elem_w, pos_weight=pos_w, reduction=red),
             "bin_logits", {"target": "bin_tg", "weight": "elem_w", "pos_weight": "pos_w", "reduction": red})
        case(f"ce_{red}", lambda x: F.cross_entropy(x, classes, reduction=red), "logits", {"target": "classes", "reduction": red})
        case(f"ce_weight_{red}", lambda x: F.cross_entropy(x, classes, weight=cw, reduction=red), "logits", {"target": "classes", "weight": "class_weight", "reduction": red})
        case(f"ce_ignore_{red}", lambda x: F.cross_entropy(x, classes_ignored, reduction=red), "logits", {"target": "classes_ignored", "reduction": red})
        case(f"ce_ignore2_weight_{red}", lambda x: F.cross_entropy(x, classes_ignore2, weight=cw, ignore_index=2, reduction=red), "logits",
             {"target": "classes_ignore2", "weight": "class_weight", "ignore_index": 2, "reduction": red})
        case(f"ce_smooth_{red}", lambda x: F.cross_entropy(x, classes, label_smoothing=0.2, reduction=red), "logits", {"target": "classes", "label_smoothing": 0.2, "reduction": red})
        case(f"ce_smooth_weight_ignore_{red}", lambda x: F.cross_entropy(x, classes_ignored, weight=cw, label_smoothing=0.1, reduction=red), "logits",
             {"target": "classes_ignored", "weight": "class_weight", "label_smoothing": 0.1, "reduction": red})
        case(f"ce_probs_{red}", lambda x: F.cross_entropy(x, probs_target, reduction=red), "logits", {"target": "probs_target", "reduction": red})
        case(f"ce_probs_weight_smooth_{red}", lambda x: F.cross_entropy(x, probs_target, weight=cw, label_smoothing=0.3, reduction=red), "logits",
             {"target": "probs_target", "weight": "class_weight", "label_smoothing": 0.3, "reduction": red})
        case(f"ce_3d_{red}", lambda x: F.cross_entropy(x, classes3d, reduction=red), "logits3d", {"target": "classes3d", "reduction": red})
        case(f"nll_{red}", lambda x: F.nll_loss(torch.log_softmax(x, 1), classes_ignored, weight=cw, reduction=red), "logits",
             {"target": "classes_ignored", "weight": "class_weight", "reduction": red, "log_softmax_first": True})
    big = torch.tensor([[1000.0, -1000.0, 0.0], [-5000.0, 5000.0, 1.0]], dtype=torch.float64)
    tensors["big_logits"] = big
    tensors["big_classes"] = torch.tensor([1, 0])
    case("ce_large_logits_mean", lambda x: F.cross_entropy(x, tensors["big_classes"]), "big_logits", {"target": "big_classes", "reduction": "mean"})
    case("bcelogits_large_mean", lambda x: F.binary_cross_entropy_with_logits(x, torch.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]], dtype=torch.float64)),
         "big_logits", {"target": "big_binary", "reduction": "mean"})
    tensors["big_binary"] = torch.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]], dtype=torch.float64)

    serial = {k: {"shape": list(v.shape), "dtype": "int64" if v.dtype == torch.int64 else "float64", "data": flat(v)} for k, v in tensors.items()}
    dump("losses.json", {"tensors": serial, "cases": cases})


# ---------------------------------------------------------------- saturated binary cross-entropy
def bce_saturated():
    # Float32 sigmoid rounds to exactly 1 at z = 20: PyTorch's dedicated backward (x - y) / max(x(1 - x), 1e-12)
    # gives a finite gradient where the composed chain rule through log gives NaN.
    z = torch.tensor([20.0, -2.0], dtype=torch.float32, requires_grad=True)
    target = torch.tensor([1.0, 0.0], dtype=torch.float32)
    loss = torch.nn.functional.binary_cross_entropy(torch.sigmoid(z), target)
    loss.backward()
    dump("bce_saturated.json", {"logits": flat(z), "target": flat(target), "loss": float(loss), "grad": flat(z.grad)})


if __name__ == "__main__":
    import sys
    print("torch", torch.__version__)
    # With arguments, only the named sections run (e.g. `make_reference.py bce_saturated`).
    for section in sys.argv[1:] or ["optimizers", "schedulers", "losses", "bce_saturated"]:
        globals()[section]()
