"""torchao's int8 weights of the rescaled model's first layer, one scale per tensor against one per row."""

import contextlib
import copy
import io
import runpy

import torch
from torchao.quantization import Int8DynamicActivationInt8WeightConfig, PerRow, PerTensor, quantize_

# The trained and rescaled models of rescaled.py (run from the repository root); its table is not reprinted.
with contextlib.redirect_stdout(io.StringIO()):
    run = runpy.run_path("snippets/granularity/rescaled.py")
rescaled, accuracy, sqnr_db = run["rescaled"], run["accuracy"], run["sqnr_db"]

# The weights are compared as torchao stores them, dequantized into an fp32 copy: the int8
# matmul itself depends on the CPU's instruction set (see the post-training quantization page).
print(f"{'granularity':<12}{'scale shape':>12}{'accuracy':>10}{'SQNR layer 1':>14}")
measured = {}
for granularity in (PerTensor(), PerRow()):
    quantized = copy.deepcopy(rescaled)
    quantize_(
        quantized,
        Int8DynamicActivationInt8WeightConfig(granularity=granularity),
        filter_fn=lambda _, name: name == "0",
    )
    weight = quantized[0].weight
    dequantized = copy.deepcopy(rescaled)
    with torch.no_grad():
        dequantized[0].weight.copy_(weight.dequantize())
        snr = sqnr_db(rescaled[0](run["X_test"]), dequantized[0](run["X_test"]))
    measured[type(granularity).__name__] = (accuracy(dequantized), snr)
    print(
        f"{type(granularity).__name__:<12}{str(list(weight.scale.shape)):>12}"
        f"{accuracy(dequantized):>9.2f}%{snr:>11.1f} dB"
    )
per_tensor, per_row = measured["PerTensor"], measured["PerRow"]
print(
    f"check: per-row scales keep at least the accuracy and the SQNR of one per-tensor scale: "
    f"{per_row[0] >= per_tensor[0] and per_row[1] > per_tensor[1]}"
)
