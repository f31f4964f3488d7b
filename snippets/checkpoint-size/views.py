"""torch.save writes a view's whole storage: a layer cut to half its rows by slicing saves as the
full layer until its tensors are cloned."""

import io
import zlib

import torch
from torch import nn


def saved(obj):
    buffer = io.BytesIO()  # in memory: nothing is written to disk
    torch.save(obj, buffer)
    return buffer.getvalue()


torch.manual_seed(0)
matrix = torch.randn(1024, 1024)
row = matrix[0]  # a view: 1,024 floats of a 1,048,576-float storage
print(f"one row of a 1024 x 1024 tensor: {row.numel() * row.element_size():,} bytes of data")
print(
    f"  saved as the view: {len(saved(row)):,} bytes; saved as row.clone(): {len(saved(row.clone())):,}"
)
print(f"  row.untyped_storage().nbytes(): {row.untyped_storage().nbytes():,}")

# Structured pruning done by hand: keep the first half of a layer's output rows, by slicing.
layer = nn.Linear(1024, 2048)
full = len(saved(layer.state_dict()))


def half_layer(copy_with):
    half = nn.Linear(1024, 1024)
    half.weight = nn.Parameter(copy_with(layer.weight.detach()[:1024]))
    half.bias = nn.Parameter(copy_with(layer.bias.detach()[:1024]))
    return half


print()
# zlib as a ratio to 2 decimals: its exact bytes depend on the zlib build (zlib, zlib-ng).
print(f"{'Linear(1024, 2048) cut to 1024 rows':<38}{'saved':>11}{'ratio':>7}{'zlib ratio':>12}")
print(f"{'(predicted: 1/2 of the full layer)':<38}{round(full / 2):>11,}{0.5:>7.3f}")
ratios = {}
for name, copy_with in [
    ("full layer", lambda t: t),
    ("sliced, weight[:1024]", lambda t: t),
    ("sliced, then .contiguous()", lambda t: t.contiguous()),
    ("sliced, then .clone()", lambda t: t.clone()),
]:
    module = layer if name == "full layer" else half_layer(copy_with)
    data = saved(module.state_dict())
    zipped = len(zlib.compress(data))
    ratios[name] = len(data) / full
    print(f"{name:<38}{len(data):>11,}{len(data) / full:>7.3f}{zipped / full:>12.2f}")


def near_half(name):
    return abs(ratios[name] / 0.5 - 1) <= 0.05


print()
print(
    "check: a layer cut to half its rows by slicing saves at the full layer's size: "
    f"{ratios['sliced, weight[:1024]'] == 1}"
)
print(
    "check: .contiguous() keeps the view (its rows are already contiguous), .clone() halves it: "
    f"{not near_half('sliced, then .contiguous()') and near_half('sliced, then .clone()')}"
)
