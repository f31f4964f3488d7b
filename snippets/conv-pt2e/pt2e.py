"""Static int8 post-training quantization of a small convolutional network through PT2E: export,
prepare_pt2e with the x86 Inductor quantizer, calibrate, convert_pt2e."""

import copy
import io
import statistics
import warnings

import torch
from scipy.stats import binomtest
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
SEEDS = range(5)  # training seeds; the first one's model is shown in full
X, y = load_digits(return_X_y=True)  # ships with scikit-learn: nothing is downloaded
X_train, X_test, y_train, y_test = train_test_split(
    X / 16.0, y, test_size=0.3, random_state=0, stratify=y
)
X_train = torch.tensor(X_train, dtype=torch.float32).reshape(-1, 1, 8, 8)
X_test = torch.tensor(X_test, dtype=torch.float32).reshape(-1, 1, 8, 8)
y_train, y_test = torch.tensor(y_train), torch.tensor(y_test)


def trained(seed):
    torch.manual_seed(seed)
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
    return model.eval()


def static_int8(model):
    """PT2E: export, prepare with the x86 Inductor quantizer, calibrate, convert."""
    batch_size = torch.export.Dim("batch")  # any batch size, not only the example's
    exported = torch.export.export(model, (X_train[:32],), dynamic_shapes=({0: batch_size},))
    quantizer = X86InductorQuantizer()
    quantizer.set_global(
        get_default_x86_inductor_quantization_config()
    )  # static int8, weights per channel
    prepared = prepare_pt2e(exported.module(), quantizer)
    with torch.no_grad():
        for batch in X_train[:256].split(32):  # calibration: observers record activation ranges
            prepared(batch)
    return convert_pt2e(prepared)


models = [trained(seed) for seed in SEEDS]
model = models[0]

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

converted = static_int8(model)
# The converted graph quantizes and dequantizes around each op: a reference, computed in fp32.
kinds = sorted(
    {
        str(node.target).split(".")[1]
        for node in converted.graph.nodes
        if "quantized_decomposed" in str(node.target)
    }
)
print("quantize/dequantize operators in the converted graph:", ", ".join(kinds))


def predictions(m):
    with torch.no_grad():
        return m(X_test).argmax(dim=1)


def accuracy(m):
    return (predictions(m) == y_test).float().mean().item() * 100


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
# Each seed's model is calibrated and converted on its own: one model's drop is not the method's.
n = len(y_test)
print()
print(f"each training seed, fp32 minus static int8 on the same {n} examples:")
drops, uppers = [], []
for seed, trained_model in zip(SEEDS, models, strict=True):
    fp32_right = predictions(trained_model) == y_test
    int8_right = predictions(static_int8(trained_model)) == y_test
    only_fp32, only_int8 = (
        int((fp32_right & ~int8_right).sum()),
        int((~fp32_right & int8_right).sum()),
    )
    drops.append((only_fp32 - only_int8) * 100 / n)
    # The drop is at most the share only fp32 gets right: its exact 95% upper bound.
    uppers.append(binomtest(only_fp32, n).proportion_ci(0.95, method="exact").high * 100)
    print(
        f"  seed {seed}: fp32 {fp32_right.float().mean().item() * 100:.2f}%, drop {drops[-1]:+.2f} "
        f"points ({only_fp32} right only in fp32, {only_int8} only in int8), upper bound {uppers[-1]:.2f}"
    )
print(
    f"  over the {len(SEEDS)} seeds: drop {statistics.mean(drops):+.2f} ± {statistics.stdev(drops):.2f} "
    f"points (mean ± sd); the largest upper bound {max(uppers):.2f} points"
)
print(
    "check: PT2E static int8, with quantize and dequantize operators in its graph, stays within "
    f"1 point of fp32 in every seed: {bool(kinds) and max(drops) < 1.0}"
)

# The option of the page's answer prediction that this run shows (the build keys it on this line).
if not any(type(m) is nn.Conv2d for m in dynamic):
    answer = "quantize_dynamic(model, {nn.Conv2d, nn.Linear})"
elif kinds:
    answer = "PT2E static quantization: export, prepare_pt2e, calibrate, convert_pt2e"
else:
    answer = "Neither of these: the convolutions stay fp32"
print(f"answer: {answer}")
