"""The PT2E int8 model compiled by Inductor as `torch.compile` compiles by default, with freezing
off: the oneDNN int8 kernels the generated code calls. compiled_int8.py counts them with
freezing on. The network is pt2e.py's, with random weights: which kernels the compiler picks
does not depend on what the weights learned."""

import re

import torch
import torch._inductor.config as inductor_config
from torch import nn
from torch._inductor.utils import run_and_get_code
from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
from torchao.quantization.pt2e.quantizer.x86_inductor_quantizer import (
    X86InductorQuantizer,
    get_default_x86_inductor_quantization_config,
)

torch.set_num_threads(1)
torch.manual_seed(0)
model = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1),
    nn.ReLU(),
    nn.Conv2d(16, 32, 3, padding=1),
    nn.ReLU(),
    nn.Flatten(),
    nn.Linear(32 * 8 * 8, 10),
).eval()
# Inductor otherwise compiles and loads a test program for each vector instruction set the CPU's
# flags name (about 5 s, once per machine); the flags are enough where the compiler is gcc.
inductor_config.cpp.vec_isa_ok = True
x = torch.rand(64, 1, 8, 8)  # digits scaled to [0, 1], as pt2e.py feeds them
quantizer = X86InductorQuantizer().set_global(get_default_x86_inductor_quantization_config())
prepared = prepare_pt2e(torch.export.export(model, (x,)).module(), quantizer)
with torch.no_grad():
    for batch in torch.rand(256, 1, 8, 8).split(64):  # calibration, at the exported batch size
        prepared(batch)
    converted = convert_pt2e(prepared)
    # Compiled afresh, never from Inductor's cache: a cached graph generates no code to read.
    with inductor_config.patch(freezing=False, force_disable_caches=True):
        _, code = run_and_get_code(torch.compile(converted, dynamic=False), x)
convolutions = sum(len(re.findall(r"onednn\.qconv\w*", module)) for module in code)
multiplies = sum(len(re.findall(r"onednn\.qlinear\w*", module)) for module in code)
print(f"Inductor's freezing, as torch.compile leaves it: {inductor_config.freezing}")
print(
    f"with freezing off, oneDNN int8 kernels the compiled int8 code calls: {convolutions} "
    f"convolutions, {multiplies} matrix multiplies"
)
print(
    "check: without freezing, the compiled int8 model calls no oneDNN int8 kernel: "
    f"{convolutions + multiplies == 0}"
)
