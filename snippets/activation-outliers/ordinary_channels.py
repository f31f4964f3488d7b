"""What the output's SQNR hides: the int8 input activations of qkv and fc1 in projections.py,
compared with fp32 over the ordinary channels only, the 250 that hold no planted outlier."""

import runpy

import torch

# The layer, its schemes and its quantizers from projections.py (run from the repository
# root); run as a module, not as __main__, so its table is not printed again.
layer = runpy.run_path("snippets/activation-outliers/projections.py")
projection_inputs, schemes, quantized, sqnr_db, measure = (
    layer[name] for name in ("projection_inputs", "schemes", "quantized", "sqnr_db", "measure")
)
W, ORDINARY, ONE_BIT = layer["W"], layer["ORDINARY"], layer["ONE_BIT"]
torch.set_num_threads(1)

SCHEMES = ["per tensor", "per token", "SQ + tensor", "SQ + token"]
ordinary = {}
for label, factors in [("none", ()), ("outliers", layer["FACTORS"])]:
    inputs, calibration = projection_inputs(20, factors), projection_inputs(30, factors)
    for name in ("qkv", "fc1"):
        x = inputs[name]
        for scheme, per_token, scale in schemes(name, calibration[name], W[name]):
            qx, sx = quantized(x / scale, 1 if per_token else None)
            kept = qx * sx * scale  # what the int8 matmul sees, in the fp32 layer's units
            ordinary[label, name, scheme] = sqnr_db(x[:, ORDINARY], kept[:, ORDINARY])

print("SQNR of the int8 input activations over the ordinary channels only (dB):")
print(f"{'':<9}{'projection':<11}" + "".join(f"{s:>13}" for s in SCHEMES))
for label in ("none", "outliers"):
    for name in ("qkv", "fc1"):
        print(
            f"{label:<9}{name:<11}" + "".join(f"{ordinary[label, name, s]:>13.1f}" for s in SCHEMES)
        )
print()


def lost_bits(scheme, name):
    return (ordinary["none", name, scheme] - ordinary["outliers", name, scheme]) / ONE_BIT


planted = measure(layer["FACTORS"])
print(
    "check: per tensor and per token, the ordinary channels of qkv and fc1 lose about five bits "
    f"(4.5 to 5.5): {all(4.5 < lost_bits(s, n) < 5.5 for s in SCHEMES[:2] for n in ('qkv', 'fc1'))}"
)
# SmoothQuant's loss over the loss of the same activation scales without it.
PAIRS = [("SQ + tensor", "per tensor"), ("SQ + token", "per token")]
half = all(
    lost_bits(sq, n) > 2 and 0.4 < lost_bits(sq, n) / lost_bits(plain, n) < 0.6
    for sq, plain in PAIRS
    for n in ("qkv", "fc1")
)
print(
    "check: after the SmoothQuant rescale, they still lose more than two bits, about half of "
    f"what they lose without it (40% to 60%): {half}"
)
print(
    "check: with outliers, per-tensor W8A8 still stays above 20 dB on every projection's output: "
    f"{all(planted[n, 'per tensor'] > 20 for n in W)}"
)


def keeps(scheme):
    """Within one bit, on the ordinary channels of qkv and fc1, of the same scheme without them."""
    return all(lost_bits(scheme, n) < 1 for n in ("qkv", "fc1"))


# The option of the page's answer prediction that this run shows (the build keys it on it).
if keeps("per tensor"):
    answer = "Per-tensor activation scales already do"
elif keeps("per token"):
    answer = "Per-token activation scales"
elif keeps("SQ + tensor") or keeps("SQ + token"):
    answer = "A SmoothQuant rescale folded into the weights"
else:
    answer = "None of these three"
print(f"answer: {answer}")
