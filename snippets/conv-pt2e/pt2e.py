"""Static int8 post-training quantization of a small convolutional network through PT2E: export,
prepare_pt2e with the x86 Inductor quantizer, calibrate, convert_pt2e."""

import copy
import io
import warnings

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.ao.quantization.quantization_mappings import get_default_dynamic_quant_module_mappings
from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
from torchao.quantization.pt2e.quantizer.x86_inductor_quantizer import (
    X86InductorQuantizer,
    get_default_x86_inductor_quantization_config,
)

# One thread: float sums then run in one order, so the results do not depend on the core count.
torch.set_num_threads(1)
torch.manual_seed(0)
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

with warnings.catch_warnings():
    warnings.simplefilter(
        "ignore"
    )  # the classic API's deprecation warning is shown on the PTQ page
    dynamic = torch.ao.quantization.quantize_dynamic(
        copy.deepcopy(model), {nn.Conv2d, nn.Linear}, dtype=torch.qint8
    )
print(
    "quantize_dynamic(model, {nn.Conv2d, nn.Linear}) leaves:",
    [type(m).__name__ for m in dynamic if not isinstance(m, (nn.ReLU, nn.Flatten))],
)
# What it replaces when no mapping is given; a dynamic Conv2d exists, and a mapping can name it.
default_mapping = get_default_dynamic_quant_module_mappings()
print(
    "quantize_dynamic's default mapping replaces:",
    ", ".join(sorted({module.__name__ for module in default_mapping})),
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    mapped = torch.ao.quantization.quantize_dynamic(
        copy.deepcopy(model), {nn.Conv2d}, mapping={nn.Conv2d: torch.ao.nn.quantized.dynamic.Conv2d}
    )
mapped_conv = type(mapped[0])
print(
    "with the mapping {nn.Conv2d: torch.ao.nn.quantized.dynamic.Conv2d}, the first layer is:",
    f"{mapped_conv.__module__}.{mapped_conv.__name__}",
)
print(
    "check: a dynamic int8 Conv2d exists, outside the default mapping: "
    f"{mapped_conv is torch.ao.nn.quantized.dynamic.Conv2d and nn.Conv2d not in default_mapping}"
)

batch_size = torch.export.Dim("batch")  # any batch size, not only the example's
exported = torch.export.export(model, (X_train[:32],), dynamic_shapes=({0: batch_size},)).module()
quantizer = X86InductorQuantizer()
quantizer.set_global(
    get_default_x86_inductor_quantization_config()
)  # static int8, weights per channel
prepared = prepare_pt2e(exported, quantizer)
with torch.no_grad():
    for batch in X_train[:256].split(32):  # calibration: observers record activation ranges
        prepared(batch)
converted = convert_pt2e(prepared)
# The converted graph quantizes and dequantizes around each op: a reference, computed in fp32.
kinds = sorted(
    {
        str(node.target).split(".")[1]
        for node in converted.graph.nodes
        if "quantized_decomposed" in str(node.target)
    }
)
print("quantize/dequantize operators in the converted graph:", ", ".join(kinds))


def accuracy(m):
    with torch.no_grad():
        return (m(X_test).argmax(dim=1) == y_test).float().mean().item() * 100


def saved_bytes(m):
    buffer = io.BytesIO()
    torch.save(m.state_dict(), buffer)
    return buffer.tell()


state = converted.state_dict()
by_dtype = {}
for tensor in state.values():
    by_dtype[str(tensor.dtype)] = (
        by_dtype.get(str(tensor.dtype), 0) + tensor.numel() * tensor.element_size()
    )
print()
print(
    f"test set: {len(y_test)} digits; one test prediction is worth {100 / len(y_test):.2f} points"
)
print(
    f"fp32 accuracy {accuracy(model):.2f}%, static int8 (PT2E) accuracy {accuracy(converted):.2f}%"
)
print(
    f"saved state_dict: fp32 model {saved_bytes(model)} bytes, converted model {saved_bytes(converted)} bytes"
)
print(
    "  the converted model's tensors, bytes by dtype:",
    ", ".join(f"{k} {v}" for k, v in sorted(by_dtype.items())),
)
fp32_kept = all(torch.equal(state[name], tensor) for name, tensor in model.state_dict().items())
int8_kept = by_dtype.get("torch.int8", 0) > 0
print(
    "check: the converted module still holds the fp32 weights beside the int8 ones: "
    f"{fp32_kept and int8_kept}"
)
print()
print(
    "claim: quantize_dynamic, called as usual (its default mapping), quantizes the convolutions: "
    f"{not any(type(m) is nn.Conv2d for m in dynamic)}"
)
print(
    "check: PT2E static int8, with quantize and dequantize operators in its graph, stays within "
    f"1 point of fp32: {bool(kinds) and accuracy(model) - accuracy(converted) < 1.0}"
)

# The option of the page's answer prediction that this run shows (the build keys it on this line).
if not any(type(m) is nn.Conv2d for m in dynamic):
    answer = "quantize_dynamic(model, {nn.Conv2d, nn.Linear})"
elif kinds:
    answer = "PT2E static quantization: export, prepare_pt2e, calibrate, convert_pt2e"
else:
    answer = "Neither of these: the convolutions stay fp32"
print(f"answer: {answer}")
