"""The per-token schemes as torchao stores them: Int8DynamicActivationInt8WeightConfig (int8
weights per row, activations per token at run time) and the SmoothQuantConfig prototype on top
of it, on the qkv projection of projections.py. The int8 products are summed exactly here, from
torchao's own integers and scales, not by its int8 matmul, whose result depends on the CPU."""

import copy
import runpy

import torch
from torch import nn
from torchao.prototype.smoothquant import SmoothQuantConfig
from torchao.quantization import Int8DynamicActivationInt8WeightConfig, Int8Tensor, quantize_

# The layer, its inputs and its quantizers from projections.py (run from the repository root);
# run as a module, not as __main__, so its table is not printed again.
layer = runpy.run_path("snippets/activation-outliers/projections.py")
layer_norm_output, smoothing, w8a8, sqnr_db = (
    layer[name] for name in ("layer_norm_output", "smoothing", "w8a8", "sqnr_db")
)
torch.set_num_threads(1)
w = layer["W"]["qkv"]
# In a container: quantize_ swaps child modules, and SmoothQuant replaces the Linear itself.
model = nn.Sequential(nn.Linear(256, 768, bias=False))
with torch.no_grad():
    model[0].weight.copy_(w)


def exact_output(quantized_model, x):
    """What the quantized Linear computes, its int8 matmul summed exactly: SmoothQuant's 1/s if
    present, torchao's own activation quantizer, the stored int8 weight, then both scales."""
    weight = quantized_model[0].weight
    if getattr(weight, "act_pre_scale", None) is not None:
        x = x * weight.act_pre_scale  # 1/s, applied at run time
    kwargs = weight.act_quant_kwargs
    qx = Int8Tensor.from_hp(x, kwargs.granularity, mapping_type=kwargs.mapping_type)
    total = qx.qdata.double() @ weight.qdata.double().T  # integers far below 2**53: exact
    return total * qx.scale.double().reshape(-1, 1) * weight.scale.double().reshape(1, -1)


base = Int8DynamicActivationInt8WeightConfig()
rows = {}
for label, factors in [("none", ()), ("outliers", layer["FACTORS"])]:
    x, calibration = layer_norm_output(20, factors), layer_norm_output(30, factors)
    reference = x.double() @ w.double().T
    per_token = copy.deepcopy(model)
    quantize_(per_token, base)
    smoothed = copy.deepcopy(model)
    quantize_(smoothed, SmoothQuantConfig(base_config=base, step="prepare", alpha=0.5))
    with torch.inference_mode():
        smoothed(calibration)  # its observer records each input channel's largest magnitude
    quantize_(smoothed, SmoothQuantConfig(base_config=base, step="convert", alpha=0.5))
    s = smoothing(calibration, w)
    for scheme, quantized_model, scale in [
        ("per token", per_token, torch.ones(256)),
        ("SQ + token", smoothed, s),
    ]:
        rows[label, scheme] = [
            sqnr_db(reference, exact_output(quantized_model, x)),
            sqnr_db(reference, w8a8(x / scale, w * scale, True)),  # projections.py: top 127
            sqnr_db(reference, w8a8(x / scale, w * scale, True, top=127.5)),
        ]

weight, kwargs = per_token[0].weight, per_token[0].weight.act_quant_kwargs
print(
    f"Int8DynamicActivationInt8WeightConfig(): weight {type(weight).__name__}, scale shape "
    f"{list(weight.scale.shape)} (one per row); activations {kwargs.granularity} (per token), "
    f"{kwargs.mapping_type}"
)
print(
    f"SmoothQuantConfig(alpha=0.5): act_pre_scale shape {list(smoothed[0].weight.act_pre_scale.shape)}"
)
print()
print("qkv projection, SQNR of the output (dB)")
print(f"{'':<20}{'torchao':>9}{'simulated, top 127':>20}{'top 127.5':>11}")
for (label, scheme), values in rows.items():
    print(
        f"{label:<9}{scheme:<11}"
        + "".join(f"{v:>{n}.1f}" for v, n in zip(values, (9, 20, 11), strict=True))
    )
print("top: the integer the largest magnitude maps to before rounding (127 in projections.py)")
print()
# torchao's symmetric mapping: scale = largest magnitude / 127.5 (quant_primitives.py).
top = (w.abs().amax(dim=1) / weight.scale.flatten()).double()
print(
    "check: torchao maps each row's largest weight magnitude to 127.5, not 127, and matches the "
    "simulation that does the same within 0.05 dB: "
    f"{bool(((top - 127.5).abs() < 1e-3).all()) and all(abs(v[0] - v[2]) < 0.05 for v in rows.values())}"
)
print(
    "check: by the output's SQNR, which the planted channels dominate, torchao's per-token W8A8 "
    "loses more than one bit on qkv with outliers, and its SmoothQuant stays within one bit: "
    + str(
        rows["none", "per token"][0] - rows["outliers", "per token"][0] > layer["ONE_BIT"]
        and rows["none", "SQ + token"][0] - rows["outliers", "SQ + token"][0] < layer["ONE_BIT"]
    )
)
