"""W8A8 int8 on the four projections of one transformer layer, with and without outlier channels
planted in its layer-norm outputs: the SQNR of each projection's output against the fp32 layer,
activations quantized per tensor, per token, or after a SmoothQuant rescale, weights int8 per
output channel in every case. The quantization is simulated: quantize-dequantize with round and
clamp, the int8 products summed exactly (as integers in float64), then rescaled."""

import math

import numpy as np
import torch

# One thread: float sums then run in one order, so the results do not depend on the core count.
torch.set_num_threads(1)
D_MODEL, D_FF, HEADS, SEQUENCES, TOKENS = 256, 1024, 4, 4, 128
# Six hidden dimensions, each this many times the ordinary channels' standard deviation (1) in
# magnitude, in every token.
FACTORS = (20, 30, 45, 60, 80, 100)
ONE_BIT = 20 * math.log10(2)  # 6.02 dB: what one more bit buys a uniform quantizer
# numpy's generators draw the same numbers on every CPU; each tensor has a seed of its own.
OUTLIERS = np.random.default_rng(0).choice(D_MODEL, size=len(FACTORS), replace=False)
SIGNS = np.random.default_rng(1).choice([-1.0, 1.0], size=len(FACTORS))
ORDINARY = np.setdiff1d(np.arange(D_MODEL), OUTLIERS)


def randn(seed, *shape, scale=1.0):
    values = np.random.default_rng(seed).standard_normal(shape) * scale
    return torch.tensor(values, dtype=torch.float32)


# Random fp32 weights, each row of norm about 1: a stand-in for a trained layer's weights.
W = {
    "qkv": randn(10, 3 * D_MODEL, D_MODEL, scale=D_MODEL**-0.5),
    "out": randn(11, D_MODEL, D_MODEL, scale=D_MODEL**-0.5),
    "fc1": randn(12, D_FF, D_MODEL, scale=D_MODEL**-0.5),
    "fc2": randn(13, D_MODEL, D_FF, scale=D_FF**-0.5),
}


def layer_norm_output(seed, factors):
    """Generated layer-norm outputs (tokens x d_model), standard normal; factors: the planted
    channels' magnitudes, each channel of one sign and of about that magnitude in every token."""
    x = randn(seed, SEQUENCES * TOKENS, D_MODEL)
    if factors:
        jitter = randn(seed + 1000, SEQUENCES * TOKENS, len(factors), scale=0.1)
        magnitudes = torch.tensor(np.array(factors) * SIGNS, dtype=torch.float32)
        x[:, OUTLIERS] = magnitudes * (1 + jitter)
    return x


def projection_inputs(seed, factors):
    """Each projection's input in the fp32 layer (computed in float64, stored as fp32)."""
    attention_in, mlp_in = layer_norm_output(seed, factors), layer_norm_output(seed + 1, factors)
    q, k, v = (attention_in.double() @ W["qkv"].double().T).chunk(3, dim=1)

    def heads(t):  # (sequences, heads, tokens, head size)
        return t.reshape(SEQUENCES, TOKENS, HEADS, -1).transpose(1, 2)

    scores = heads(q) @ heads(k).transpose(-1, -2) / math.sqrt(D_MODEL // HEADS)
    causal = torch.ones(TOKENS, TOKENS, dtype=torch.bool).tril()
    weights = scores.masked_fill(~causal, -math.inf).softmax(dim=-1)
    attended = (weights @ heads(v)).transpose(1, 2).reshape(SEQUENCES * TOKENS, D_MODEL)
    hidden = torch.nn.functional.gelu(mlp_in.double() @ W["fc1"].double().T)
    return {"qkv": attention_in, "out": attended.float(), "fc1": mlp_in, "fc2": hidden.float()}


def quantized(t, dim, top=127.0):
    """Symmetric int8 round-to-nearest: the integers (as floats) and their scales, one per slice
    along dim (None: one for the whole tensor); the largest magnitude maps to top."""
    peak = t.abs().max() if dim is None else t.abs().amax(dim=dim, keepdim=True)
    scale = peak / top
    return (t / scale).round().clamp(-128, 127), scale


def w8a8(x, w, per_token, top=127.0):
    qx, sx = quantized(x, 1 if per_token else None, top)
    qw, sw = quantized(w, 1, top)  # one scale per output channel (row)
    # The int8 products summed exactly, as an int32 accumulator would: every partial sum is an
    # integer far below 2**53, so float64 holds it exactly in any order.
    return (qx.double() @ qw.double().T) * sx.double() * sw.double().T


def smoothing(x_calibration, w):
    """SmoothQuant's factor per input channel j, alpha 0.5: sqrt(max|X_j| / max|W_j|)."""
    ratio = x_calibration.abs().amax(dim=0).double() / w.abs().amax(dim=0).double()
    return ratio.sqrt().float()  # a square root is correctly rounded: the same bits on any CPU


def sqnr_db(reference, approximation):
    error = (reference - approximation).double().pow(2).sum().item()
    return 10 * math.log10(reference.double().pow(2).sum().item() / error)


def measure(factors):
    """SQNR (dB) of each projection's output against the fp32 layer, for each scheme."""
    # SmoothQuant calibrates its factors on other generated tokens than those it is scored on.
    inputs, calibration = projection_inputs(20, factors), projection_inputs(30, factors)
    sqnr = {}
    for name, w in W.items():
        x = inputs[name]
        reference = x.double() @ w.double().T  # the fp32 layer's output
        qw, sw = quantized(w, 1)
        sqnr[name, "weights only"] = sqnr_db(reference, x.double() @ (qw * sw).double().T)
        for scheme, per_token, scale in schemes(name, calibration[name], w):
            sqnr[name, scheme] = sqnr_db(reference, w8a8(x / scale, w * scale, per_token))
    return sqnr


def schemes(name, x_calibration, w):
    """(scheme, per token, the factors X is divided by and W's columns multiplied by)."""
    # SmoothQuant folds 1/s into the layer norm before qkv and fc1 and s into their weights;
    # out and fc2 have no layer norm in front of them, and are left as they are.
    ones = torch.ones(w.shape[1])
    s = smoothing(x_calibration, w) if name in ("qkv", "fc1") else ones
    return [
        ("per tensor", False, ones),
        ("per token", True, ones),
        ("SQ + tensor", False, s),
        ("SQ + token", True, s),
    ]


SCHEMES = ["weights only", "per tensor", "per token", "SQ + tensor", "SQ + token"]
if __name__ == "__main__":
    clean, planted = measure(()), measure(FACTORS)
    print(f"outlier channels {sorted(OUTLIERS.tolist())} of {D_MODEL}, magnitudes x{FACTORS}")
    print(f"{SEQUENCES} sequences x {TOKENS} tokens; SQNR of each projection's output (dB):")
    print(f"{'':<9}{'projection':<11}" + "".join(f"{s:>13}" for s in SCHEMES))
    for label, sqnr in [("none", clean), ("outliers", planted)]:
        for n in W:
            print(f"{label:<9}{n:<11}" + "".join(f"{sqnr[n, s]:>13.1f}" for s in SCHEMES))
    print("SQ: SmoothQuant, alpha 0.5 (out and fc2 are not smoothed: the same as without)")
    print()

    def within_one_bit(scheme, names=tuple(W)):
        """The scheme's SQNR with outliers within 6.02 dB of its SQNR without, on every one."""
        return all(planted[n, scheme] > clean[n, scheme] - ONE_BIT for n in names)

    def gain(sqnr, names):  # in bits, per token over per tensor
        return [(sqnr[n, "per token"] - sqnr[n, "per tensor"]) / ONE_BIT for n in names]

    # Per token helps where magnitudes differ from token to token: each token's largest
    # magnitude, the largest token's over the median token's, without outliers.
    spans = {
        n: (x.abs().amax(dim=1).max() / x.abs().amax(dim=1).median()).item()
        for n, x in projection_inputs(20, ()).items()
    }
    smoothed = within_one_bit("SQ + tensor") and within_one_bit("SQ + token")
    print(
        "claim: per-tensor W8A8 keeps every projection within one bit (6.02 dB) of its SQNR "
        f"without outliers: {within_one_bit('per tensor')}"
    )
    print(
        "claim: per-token W8A8 keeps every projection within one bit of its SQNR without "
        f"outliers: {within_one_bit('per token')}"
    )
    print(
        "check: by the output's SQNR, after the SmoothQuant rescale, per-tensor and per-token W8A8 "
        f"keep every projection within one bit: {smoothed}"
    )
    print(
        "check: after the SmoothQuant rescale, qkv and fc1 have a higher output SQNR with outliers "
        "than without, per tensor and per token: "
        f"{all(planted[n, s] > clean[n, s] for n in ('qkv', 'fc1') for s in SCHEMES[3:])}"
    )
    print(
        "check: out and fc2, whose inputs hold no planted channel, have a higher SQNR with outliers "
        "than without in every activation scheme: "
        f"{all(planted[n, s] > clean[n, s] for n in ('out', 'fc2') for s in SCHEMES[1:])}"
    )
    # The planted channels reach out and fc2 as an offset that is nearly the same in every token:
    # the part of each output's power that its mean over the tokens carries.
    offset = {}
    for label, factors in [("none", ()), ("outliers", FACTORS)]:
        for n, x in projection_inputs(20, factors).items():
            y = x.double() @ W[n].double().T
            offset[label, n] = (y.mean(dim=0).pow(2).sum() * len(y) / y.pow(2).sum()).item()
    print(
        "check: with outliers, the mean over the tokens carries over 90% of out's and fc2's output "
        "power, under 25% without: "
        f"{all(offset['outliers', n] > 0.9 and offset['none', n] < 0.25 for n in ('out', 'fc2'))}"
    )
    print(
        "check: with outliers, per token gains less than one bit over per tensor on qkv and fc1: "
        f"{all(g < 1 for g in gain(planted, ('qkv', 'fc1')))}"
    )
    print(
        "check: without outliers, per token gains more than one bit over per tensor on out: "
        f"{gain(clean, ['out'])[0] > 1}"
    )
    print(
        "check: without outliers, the largest token of the attention output (out's input) is over "
        "4x the median token's largest magnitude, under 2x in the other inputs: "
        f"{spans['out'] > 4 and all(spans[n] < 2 for n in ('qkv', 'fc1', 'fc2'))}"
    )
    # Each token of a causal attention output averages the values of the tokens up to it.
    first = projection_inputs(20, ())["out"].abs().amax(dim=1).reshape(SEQUENCES, TOKENS)
    print(
        "check: without outliers, that largest token is the first of every sequence: "
        f"{bool((first.argmax(dim=1) == 0).all())}"
    )
