"""What the two dynamic int8 paths do to a convolution, and where the deprecation warning sends you."""

import copy
import warnings

import torch
from torch import nn
from torchao.quantization import Int8DynamicActivationInt8WeightConfig, quantize_

torch.manual_seed(0)
model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 6 * 6, 10)).eval()

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    classic = torch.ao.quantization.quantize_dynamic(
        copy.deepcopy(model), {nn.Conv2d, nn.Linear}, dtype=torch.qint8
    )
torchao_model = copy.deepcopy(model)
quantize_(torchao_model, Int8DynamicActivationInt8WeightConfig())

print("quantize_dynamic(model, {nn.Conv2d, nn.Linear}):")
for index in (0, 3):
    print(f"  [{index}] {type(classic[index]).__module__}.{type(classic[index]).__name__}")
print("torchao quantize_(model, Int8DynamicActivationInt8WeightConfig()):")
for index in (0, 3):
    print(
        f"  [{index}] {type(torchao_model[index]).__name__}, weight stored as "
        f"{type(torchao_model[index].weight).__name__}"
    )
conv_kept = type(classic[0]) is nn.Conv2d and type(torchao_model[0].weight) is nn.Parameter
print(
    f"caveat: neither dynamic int8 path quantizes the convolution, so its weights stay fp32: {conv_kept}"
)

print()
print("the migration advice in quantize_dynamic's DeprecationWarning:")
message = next(str(w.message) for w in caught if w.category is DeprecationWarning)
for line in message.splitlines():
    if line.strip()[:2] in {"1.", "2.", "3."}:
        print(f"  {line.strip()}")
