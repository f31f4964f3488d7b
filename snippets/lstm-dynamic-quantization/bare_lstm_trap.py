"""quantize_dynamic replaces child modules only: a bare nn.LSTM passed as the root comes back unquantized."""

import warnings

import torch
from torch import nn

torch.manual_seed(0)
bare = nn.LSTM(input_size=8, hidden_size=16)
wrapped = nn.Sequential(nn.LSTM(input_size=8, hidden_size=16))

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    quantized_bare = torch.ao.quantization.quantize_dynamic(bare, {nn.LSTM}, dtype=torch.qint8)
print(
    "warnings raised by quantize_dynamic on the bare LSTM:",
    sorted({w.category.__name__ for w in caught}),
)
print(
    "check: the call warns, and no warning says the root module was skipped: "
    f"{bool(caught) and not any('root' in str(w.message) for w in caught)}"
)
with warnings.catch_warnings():
    warnings.simplefilter(
        "ignore"
    )  # the deprecation warnings are shown on the post-training quantization page
    quantized_wrapped = torch.ao.quantization.quantize_dynamic(
        wrapped, {nn.LSTM}, dtype=torch.qint8
    )

for label, module in [
    ("bare nn.LSTM as root", quantized_bare),
    ("nn.LSTM inside a container", quantized_wrapped[0]),
]:
    print(f"{label}: {type(module).__module__}.{type(module).__name__}")
# inplace=False (the default) deep-copies the model first, so even the skipped root is a new object.
print("bare root returned as the same object:", quantized_bare is bare)
print(
    "bare root weights equal the original's:",
    torch.equal(quantized_bare.weight_ih_l0, bare.weight_ih_l0),
)
print("bare root weight dtype:", quantized_bare.weight_ih_l0.dtype)
print(
    f"caveat: quantize_dynamic returns a bare nn.LSTM unquantized: {type(quantized_bare) is nn.LSTM}"
)
