"""The failed call is not rolled back: the module is left without a usable bias attribute."""

import contextlib

import torch
import torch.nn.utils.prune as prune
from torch import nn

torch.manual_seed(0)
conv = nn.Conv2d(3, 16, 3, bias=False)
print("before: parameters", list(conv._parameters))
with contextlib.suppress(TypeError):  # the error the question shows; what matters is what it leaves
    prune.l1_unstructured(conv, name="bias", amount=0.3)
print(
    "after:  parameters",
    list(conv._parameters),
    "buffers",
    list(conv._buffers),
    "hooks",
    len(conv._forward_pre_hooks),
)
print("bias_orig is", conv.bias_orig)
for label, attempt in [
    ("conv.bias", lambda: conv.bias),
    ("conv(x)", lambda: conv(torch.randn(1, 3, 8, 8))),
]:
    try:
        attempt()
        print(f"{label}: works")
    except Exception as error:  # noqa: BLE001 - which exception it is, is the finding
        print(f"{label}: {type(error).__name__}: {error}")
