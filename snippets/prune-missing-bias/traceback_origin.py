"""Where the exception comes from: the innermost frames of its traceback, inside torch.

Each frame is printed as file, function and source line, without its line number: a torch
release that only moves code around changes nothing here."""

import traceback
from pathlib import Path

import torch
import torch.nn.utils.prune as prune
from torch import nn

conv = nn.Conv2d(3, 16, 3, bias=False)
print("conv.bias is", conv.bias)
try:
    prune.l1_unstructured(conv, name="bias", amount=0.3)
except TypeError as error:
    torch_root = Path(torch.__file__).parent.parent
    for frame in traceback.extract_tb(error.__traceback__)[1:]:
        print(f"{Path(frame.filename).relative_to(torch_root)} in {frame.name}")
        print(f"    {frame.line}")
    print(f"{type(error).__name__}: {error}")
