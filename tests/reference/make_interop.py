#!/usr/bin/python3
"""Writes PyTorch models' weights, inputs and outputs as safetensors files for Backprop's interop tests.

Run with Debian's PyTorch (apt-get install python3-torch):  /usr/bin/python3 tests/reference/make_interop.py
The files it writes under tests/reference/interop/ are committed; CI only reads them.

The safetensors format is written and read here with the standard library and numpy only, to the public spec
(https://huggingface.co/docs/safetensors: u64 little-endian header length, a JSON header of
{name: {dtype, shape, data_offsets}} plus optional "__metadata__" of strings, then the raw little-endian bytes),
so the test does not depend on the safetensors package being Backprop's only other reader.

    make_interop.py --check FILE   reads a file Backprop wrote (e.g. SafeTensors.Save of the MLP's weights, in F32, F16
                                   or BF16) into the MLP built here and checks its outputs against the committed ones.
The C# tests check that Backprop writes byte for byte the files this script writes, so this reader reads them.
"""
import json
import os
import struct
import sys

import numpy as np
import torch

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "interop")

# safetensors dtype name -> numpy dtype of its little-endian bytes (BF16 kept as raw 16-bit words)
NP = {"F16": "<f2", "BF16": "<u2", "F32": "<f4", "F64": "<f8", "I8": "i1", "I16": "<i2",
      "I32": "<i4", "I64": "<i8", "U8": "u1", "BOOL": "u1"}


def to_bytes(t):
    """(dtype name, numpy array of the stored bytes) for a torch tensor."""
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        return "BF16", t.view(torch.int16).numpy().astype("<i2").view("<u2")
    name = {torch.float16: "F16", torch.float32: "F32", torch.float64: "F64", torch.int8: "I8", torch.int16: "I16",
            torch.int32: "I32", torch.int64: "I64", torch.uint8: "U8", torch.bool: "BOOL"}[t.dtype]
    return name, t.numpy().astype(NP[name])


def write(path, tensors, metadata=None):
    """Writes the file as Backprop does: compact JSON, metadata first, tensors sorted by name, padded to 8 bytes with spaces."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = dict(sorted(metadata.items()))
    for name in sorted(tensors):
        dtype, arr = to_bytes(tensors[name])
        data = arr.tobytes()
        header[name] = {"dtype": dtype, "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    js = json.dumps(header, separators=(",", ":")).encode()
    js += b" " * (-len(js) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for b in blobs:
            f.write(b)
    os.replace(path + ".tmp", path)
    print("wrote", os.path.relpath(path))


def read(path):
    """Reads any safetensors file to {name: torch tensor} (BF16 -> torch.bfloat16) and the metadata."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    out = {}
    for name, e in header.items():
        a, b = e["data_offsets"]
        arr = np.frombuffer(raw[8 + n + a:8 + n + b], dtype=NP[e["dtype"]]).reshape(e["shape"])
        if e["dtype"] == "BF16":
            t = torch.from_numpy(arr.astype(np.int16)).view(torch.bfloat16)
        elif e["dtype"] == "BOOL":
            t = torch.from_numpy(arr.copy()).bool()
        else:
            t = torch.from_numpy(arr.astype(arr.dtype.newbyteorder("=")))
        out[name] = t
    return out, meta


def mlp():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 12), torch.nn.GELU(), torch.nn.Dropout(0.2),
        torch.nn.Linear(12, 12), torch.nn.Tanh(), torch.nn.Linear(12, 4), torch.nn.Softmax(dim=-1)).eval()


def cnn():
    torch.manual_seed(3)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 6, 3, padding=1), torch.nn.ReLU(), torch.nn.AvgPool2d(2), torch.nn.Flatten(), torch.nn.Linear(24, 5))


def cnn_files():
    """A small CNN with BatchNorm: a few training-mode passes move its running statistics, then its eval outputs."""
    model = cnn()
    g = torch.Generator().manual_seed(4)
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(8, 1, 10, 10, generator=g))
    model.eval()
    x = torch.randn(5, 1, 10, 10, generator=g)
    with torch.no_grad():
        y = model(x)
    write(os.path.join(HERE, "cnn.safetensors"), dict(model.state_dict()), {"format": "pt"})
    write(os.path.join(HERE, "cnn_io.safetensors"), {"x": x, "y": y})


def main():
    os.makedirs(HERE, exist_ok=True)
    model = mlp()
    state = {k: v for k, v in model.state_dict().items()}
    x = torch.randn(6, 8, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        y = model(x)
    write(os.path.join(HERE, "mlp.safetensors"), state, {"format": "pt"})
    write(os.path.join(HERE, "mlp_f16.safetensors"), {k: v.half() for k, v in state.items()}, {"format": "pt"})
    write(os.path.join(HERE, "mlp_bf16.safetensors"), {k: v.bfloat16() for k, v in state.items()}, {"format": "pt"})
    outputs = {"x": x, "y": y}
    for kind, dt in (("f16", torch.float16), ("bf16", torch.bfloat16)):
        m = mlp()
        m.load_state_dict({k: v.to(dt).float() for k, v in state.items()})  # the half weights, computed in float32
        with torch.no_grad():
            outputs["y_" + kind] = m(x)
    write(os.path.join(HERE, "mlp_io.safetensors"), outputs)

    g = torch.Generator().manual_seed(2)
    f = torch.randn(2, 5, generator=g, dtype=torch.float64) * 100
    f[0, 0], f[0, 1], f[0, 2] = 1e-6, 65504.0, float("inf")
    ints = torch.tensor([[-2147483648, -1, 0], [1, 123456789, 2147483647]], dtype=torch.int64)
    dtypes = {
        "f16": f.half(), "bf16": f.bfloat16(), "f64": f, "i32": ints.int(), "u8": torch.tensor([0, 1, 200, 255], dtype=torch.uint8),
        "i8": torch.tensor([-128, -1, 0, 127], dtype=torch.int8), "i16": torch.tensor([-32768, 7, 32767], dtype=torch.int16),
        "bool": torch.tensor([[True, False], [False, True]]),
    }
    expected = {"expected/f16": f.half().float(), "expected/bf16": f.bfloat16().float(), "expected/i32": ints,
                "expected/u8": dtypes["u8"].long(), "expected/i8": dtypes["i8"].long(), "expected/i16": dtypes["i16"].long(),
                "expected/bool": dtypes["bool"].long(), "expected/f64_as_f16": f.half().float(),
                "expected/f64_as_bf16": f.bfloat16().float()}
    write(os.path.join(HERE, "dtypes.safetensors"), {**dtypes, **expected})
    # Round trip: read back every file with this script's reader.
    for name in ("mlp", "mlp_f16", "mlp_bf16"):
        back, meta = read(os.path.join(HERE, name + ".safetensors"))
        assert meta == {"format": "pt"} and set(back) == set(state), name
    cnn_files()
    print("read back every file")


def check(path):
    """Loads a file written by Backprop into the PyTorch MLP and compares its outputs with the committed ones."""
    tensors, meta = read(path)
    model = mlp()
    model.load_state_dict({k: v.float() for k, v in tensors.items()})
    io, _ = read(os.path.join(HERE, "mlp_io.safetensors"))
    kind = {torch.float16: "y_f16", torch.bfloat16: "y_bf16"}.get(next(iter(tensors.values())).dtype, "y")
    with torch.no_grad():
        diff = (model(io["x"]) - io[kind]).abs().max().item()
    print(f"{path}: {len(tensors)} tensors, metadata {meta}, max |output difference| from {kind} {diff:.3g}")
    if diff > 1e-5:
        sys.exit(1)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
    else:
        main()
