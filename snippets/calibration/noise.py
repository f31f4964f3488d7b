"""Random noise instead of training digits: PT2E static int8 calibrated on 1, 8, 64 or 512
images of Gaussian noise (torch.randn), with either observer, paired by seed with the default
calibration on 512 training digits."""

import contextlib
import io
import os
import runpy

# The AVX2 kernels models.py pins, set here too so that this file run alone pins them first.
os.environ.update(
    ATEN_CPU_CAPABILITY="avx2",
    MKL_ENABLE_INSTRUCTIONS="AVX2",
    MKL_CBWR="AVX2",
    ONEDNN_MAX_CPU_ISA="AVX2",
    FBGEMM_ENABLE_INSTRUCTIONS="AVX2",
)

import torch

# The trained models and helpers of models.py (run from the repository root); its lines are not reprinted.
with contextlib.redirect_stdout(io.StringIO()):
    shared = runpy.run_path("snippets/calibration/models.py")
int8, logits, accuracy, sqnr_db = (
    shared[name] for name in ("int8", "logits", "accuracy", "sqnr_db")
)

rows, input_steps = {}, {"digits": [], "noise": []}
settings = [("Histogram", None, "digits", 512), ("Histogram", None, "digits", 64)]
for observer, config in (("Histogram", None), ("MinMax", shared["minmax_config"]())):
    settings += [(observer, config, "noise", n) for n in (1, 8, 64, 512)]
for seed, model, reference in zip(
    shared["SEEDS"], shared["models"], shared["fp32_logits"], strict=True
):
    graph = shared["exported"](model)
    samples = shared["calibration_sets"](seed)
    for observer, config, source, n in settings:
        converted = int8(graph, samples[source][:n], config)
        if (observer, n) == ("Histogram", 64):  # the scale of the input's quantize op
            quantize = torch.ops.quantized_decomposed.quantize_per_tensor.default
            first = next(node for node in converted.graph.nodes if node.target == quantize)
            input_steps[source].append(first.args[1])
        output = logits(converted)
        accuracies, sqnrs = rows.setdefault(f"{observer:<10}{n:>3} {source}", ([], []))
        accuracies.append(accuracy(output))
        sqnrs.append(sqnr_db(reference, output))

REFERENCE = rows["Histogram 512 digits"][0]
print("calibration on n images of torch.randn noise, in batches of 32, eval mode;")
print("test accuracy over 5 seeds, paired by seed with the default (Histogram, 512 digits):")
shared["table"](rows, REFERENCE)
print(
    "claim: two batches of random noise (64 images) calibrate within 1 point of 512 training "
    f"digits, the interval inside ±1: {shared['within_a_point'](rows['Histogram  64 noise'][0], REFERENCE)}"
)
print(
    "check: with either observer, every amount of noise stays within 1 point of the default: "
    f"{all(shared['within_a_point'](rows[k][0], REFERENCE) for k in rows if 'noise' in k)}"
)
noisier = all(
    a < b
    for a, b in zip(rows["Histogram  64 noise"][1], rows["Histogram  64 digits"][1], strict=True)
)
print(
    "caveat: 64 noise images leave the int8 logits further from fp32 (a lower SQNR) than 64 "
    f"training digits, in every seed: {noisier}"
)
# The digits' pixels are integers 0..16 scaled to 0..1, so 1/16 apart: an input step below that
# keeps every pixel value apart after rounding, however wide the range noise made it record.
print(
    f"the input's quantization step after 64 images (largest over seeds): noise "
    f"{max(input_steps['noise']):.4f}, digits {max(input_steps['digits']):.4f}; pixel values are "
    f"{1 / 16:.4f} apart"
)
print(
    "check: after 64 noise images the input step stays below the pixels' 1/16, in every seed: "
    f"{max(input_steps['noise']) < 1 / 16}"
)
