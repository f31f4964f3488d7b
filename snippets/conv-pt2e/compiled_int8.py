"""The PT2E int8 model compiled by Inductor with freezing: the int8 convolutions and matrix
multiplies in the code it generates, whether its outputs stay near the reference graph's, and
whether its accuracy on the whole test set stays near the reference graph's. The network is pt2e.py's,
trained as its first seed is; latency_compiled.py times the same models."""

import re

import torch
import torch._inductor.config as inductor_config
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch._inductor.utils import run_and_get_code
from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
from torchao.quantization.pt2e.quantizer.x86_inductor_quantizer import (
    X86InductorQuantizer,
    get_default_x86_inductor_quantization_config,
)

# One thread: float sums then run in one order, so the results do not depend on the core count.
torch.set_num_threads(1)
torch.manual_seed(0)
# Freezing folds the weights into the compiled graph as constants. It is off by default, and
# Inductor's x86 passes that prepack int8 weights and lower the quantized patterns to oneDNN's
# int8 kernels run only with it (PyTorch's PT2E x86 tutorial turns it on too).
inductor_config.freezing = True
# Inductor otherwise compiles and loads a test program for each vector instruction set the CPU's
# flags name (about 5 s, once per machine); the flags are enough where the compiler is gcc.
inductor_config.cpp.vec_isa_ok = True
X, y = load_digits(return_X_y=True)  # ships with scikit-learn: nothing is downloaded
X_train, X_test, y_train, y_test = train_test_split(
    X / 16.0, y, test_size=0.3, random_state=0, stratify=y
)
X_train = torch.tensor(X_train, dtype=torch.float32).reshape(-1, 1, 8, 8)
X_test = torch.tensor(X_test, dtype=torch.float32).reshape(-1, 1, 8, 8)
y_train, y_test = torch.tensor(y_train), torch.tensor(y_test)
model = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1),
    nn.ReLU(),
    nn.Conv2d(16, 32, 3, padding=1),
    nn.ReLU(),
    nn.Flatten(),
    nn.Linear(32 * 8 * 8, 10),
)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for _epoch in range(4):
    for batch in torch.randperm(len(X_train)).split(64):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(X_train[batch]), y_train[batch]).backward()
        optimizer.step()
model.eval()
# Exported and calibrated as pt2e.py does, so that the reference graph is the one it measures.
exported = torch.export.export(
    model, (X_train[:32],), dynamic_shapes=({0: torch.export.Dim("batch")},)
)
quantizer = X86InductorQuantizer().set_global(get_default_x86_inductor_quantization_config())
prepared = prepare_pt2e(exported.module(), quantizer)
with torch.no_grad():
    for batch in X_train[:256].split(32):  # calibration: observers record activation ranges
        prepared(batch)
    converted = convert_pt2e(prepared)
    int8_compiled = torch.compile(converted, dynamic=False)  # for batches of 64
    x = X_test[:64]
    # Compiled afresh, never from Inductor's cache: a cached graph generates no code to count.
    with inductor_config.patch(force_disable_caches=True):
        output, code = run_and_get_code(int8_compiled, x)
    reference = converted(x)
kernels = sorted(
    {name for module in code for name in re.findall(r"onednn\.(q\w+?)(?:\.|\()", module)}
)
convolutions = sum(len(re.findall(r"onednn\.qconv\w*", module)) for module in code)
multiplies = sum(len(re.findall(r"onednn\.qlinear\w*", module)) for module in code)
print(
    f"oneDNN int8 kernels the compiled int8 code calls: {convolutions} convolutions, "
    f"{multiplies} matrix multiplies ({', '.join(kernels)})"
)
print(
    "check: the compiled int8 model runs both convolutions and the Linear layer in int8: "
    f"{convolutions == 2 and multiplies == 1}"
)
# How far the int8 kernels' outputs land from the reference graph's depends on the CPU: without
# VNNI, oneDNN's int8 convolution adds pairs of products in 16 bits, which can saturate. So the
# distance is checked against a bound, not printed.
spread = ((output - reference).abs().max() / reference.abs().max()).item()
print(
    "check: the compiled int8 model computes the reference graph's function, within a quarter "
    f"of its outputs' range: {spread < 0.25}"
)


def predicted(m):
    """Predictions on the whole test set, in batches of 64 (the compiled size): the last batch
    is padded with zeros, and the padding's predictions dropped."""
    found = []
    with torch.no_grad():
        for batch in X_test.split(64):
            padded = torch.cat([batch, batch.new_zeros(64 - len(batch), 1, 8, 8)])
            found.append(m(padded)[: len(batch)].argmax(dim=1))
    return torch.cat(found)


compiled_right, reference_right = predicted(int8_compiled) == y_test, predicted(converted) == y_test
compiled_accuracy = compiled_right.float().mean().item() * 100
reference_accuracy = reference_right.float().mean().item() * 100
# The compiled model's own accuracy, like the distance above, depends on the CPU's int8 kernels
# (a CPU with AVX-512 but no VNNI changes a few predictions): it is checked, not printed.
print(f"on the {len(y_test)} test examples, the reference graph: {reference_accuracy:.2f}%")
print(
    "check: the compiled int8 model's test accuracy is within 1 point of the reference graph's: "
    f"{abs(compiled_accuracy - reference_accuracy) < 1.0}"
)
