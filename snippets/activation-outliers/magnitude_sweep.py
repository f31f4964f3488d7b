"""How the loss grows with the outliers: the qkv projection of projections.py, its six planted
channels scaled together so that the largest is 1 to 400 times the ordinary channels' standard
deviation; the output's SQNR and that of its int8 input over the ordinary channels."""

import math
import runpy

import torch

# The layer, the quantizers and the SQNR of projections.py (run from the repository root); run
# as a module, not as __main__, so its table is not printed again.
layer = runpy.run_path("snippets/activation-outliers/projections.py")
quantized, w8a8, smoothing, sqnr_db = (
    layer[name] for name in ("quantized", "w8a8", "smoothing", "sqnr_db")
)
layer_norm_output, FACTORS, ORDINARY = (
    layer[name] for name in ("layer_norm_output", "FACTORS", "ORDINARY")
)
ONE_BIT, OUTLIERS, w = layer["ONE_BIT"], layer["OUTLIERS"], layer["W"]["qkv"]
torch.set_num_threads(1)

SCHEMES = {"per tensor": False, "per token": True}
LARGEST = (1, 2, 5, 10, 20, 50, 100, 200, 400)
rows = {}
for largest in LARGEST:
    factors = tuple(f * largest / max(FACTORS) for f in FACTORS)
    x, calibration = layer_norm_output(20, factors), layer_norm_output(30, factors)
    reference = x.double() @ w.double().T
    s = smoothing(calibration, w)
    row = {}
    for name, per_token in SCHEMES.items():
        row[name] = sqnr_db(reference, w8a8(x, w, per_token))
        qx, sx = quantized(x, 1 if per_token else None)
        row[name, "ordinary"] = sqnr_db(x[:, ORDINARY], (qx * sx)[:, ORDINARY])
        row["SQ + " + name] = sqnr_db(reference, w8a8(x / s, w * s, per_token))
    qx, sx = quantized(x / s, None)
    row["SQ + per tensor", "ordinary"] = sqnr_db(x[:, ORDINARY], (qx * sx * s)[:, ORDINARY])
    # How much of the output's power the planted channels carry on their own.
    planted_part = x[:, OUTLIERS].double() @ w[:, OUTLIERS].double().T
    row["share"] = planted_part.pow(2).sum().item() / reference.pow(2).sum().item()
    rows[largest] = row

print("qkv projection, W8A8, weights int8 per output channel; SQNR in dB")
print(
    f"{'largest':>8}{'share':>7}{'per tensor':>12}{'per token':>11}{'SQ + tensor':>13}"
    f"{'SQ + token':>12}{'ordinary: tensor':>18}{'token':>7}{'SQ + tensor':>13}"
)
for largest, row in rows.items():
    print(
        f"{largest:>7}x{row['share']:>7.1%}{row['per tensor']:>12.1f}{row['per token']:>11.1f}"
        f"{row['SQ + per tensor']:>13.1f}{row['SQ + per token']:>12.1f}"
        f"{row['per tensor', 'ordinary']:>18.1f}{row['per token', 'ordinary']:>7.1f}"
        f"{row['SQ + per tensor', 'ordinary']:>13.1f}"
    )
print("largest: the largest planted channel's magnitude, in ordinary channels' standard deviations")
print("share: the part of the fp32 output's power that the planted channels carry")
print()

base = rows[1]
for name in SCHEMES:
    kept = [n for n in LARGEST if rows[n][name] > base[name] - ONE_BIT]
    print(f"{name}: within one bit of the 1x layer up to {max(kept)}x")


def per_doubling(scheme):
    """dB the ordinary channels lose per doubling of the largest outlier, step by step."""
    steps = [(10, 20), (50, 100), (100, 200)]
    return [
        (rows[a][scheme, "ordinary"] - rows[b][scheme, "ordinary"]) / math.log2(b / a)
        for a, b in steps
    ]


ordinary = [rows[n]["per tensor", "ordinary"] for n in LARGEST if n >= 5]
print(
    "check: per tensor, the ordinary channels' SQNR falls at every step from 5x on: "
    f"{all(a > b for a, b in zip(ordinary, ordinary[1:], strict=False))}"
)
print(
    "check: from 10x to 200x, each doubling costs them about one bit (5 to 7 dB), per tensor: "
    f"{all(5 < d < 7 for d in per_doubling('per tensor'))}"
)
print(
    "check: after the SmoothQuant rescale, about half a bit (2 to 4 dB): "
    f"{all(2 < d < 4 for d in per_doubling('SQ + per tensor'))}"
)
plateau = [rows[n]["per tensor"] for n in (50, 100, 200, 400)]
fall = rows[50]["per tensor", "ordinary"] - rows[400]["per tensor", "ordinary"]
print(
    "check: per tensor, from 50x to 400x the output's SQNR never falls more than 0.5 dB below its "
    "50x value and ends above it, while the ordinary channels' falls by more than 15 dB: "
    f"{min(plateau) > plateau[0] - 0.5 and plateau[-1] > plateau[0] and fall > 15}"
)


def rising(values):
    return all(a < b for a, b in zip(values, values[1:], strict=False))


smoothed = [rows[n]["SQ + per tensor"] for n in LARGEST if n >= 10]
smoothed_ordinary = [rows[n]["SQ + per tensor", "ordinary"] for n in LARGEST if n >= 10]
print(
    "check: after the SmoothQuant rescale, per tensor, from 10x to 400x the output's SQNR rises at "
    "every step while the ordinary channels' falls at every step: "
    f"{rising(smoothed) and rising(smoothed_ordinary[::-1])}"
)
