"""Do the accuracy drops of pruning and of weight quantization add up? L1 pruning (global over both
Linear layers) × int8/int4 weights, in both orders, no fine-tuning, 5 seeds, paired by seed."""

import copy
import os
import statistics

# The kernels of a CPU with AVX2 only, on every x86-64 CPU, so that the accuracies below match
# the page to the last digit: ATen, MKL, oneDNN and fbgemm each pick their instruction paths by
# the CPU, and a few epochs of training turn a last-bit difference into another prediction.
# They read these once, when torch first computes: set before it is imported.
os.environ.update(
    ATEN_CPU_CAPABILITY="avx2",
    MKL_ENABLE_INSTRUCTIONS="AVX2",
    MKL_CBWR="AVX2",
    ONEDNN_MAX_CPU_ISA="AVX2",
    FBGEMM_ENABLE_INSTRUCTIONS="AVX2",
)

import torch
import torch.nn.utils.prune as prune
from scipy import stats
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

# One thread: float sums then run in one order, so the results do not depend on the core count.
torch.set_num_threads(1)
X, y = load_digits(return_X_y=True)  # ships with scikit-learn: nothing is downloaded
X_rest, X_test, y_rest, y_test = train_test_split(
    X / 16.0, y, test_size=0.3, random_state=0, stratify=y
)
# A validation split is held out of training, as on the pruning-budget page: the same five models.
X_train, X_val, y_train, y_val = train_test_split(
    X_rest, y_rest, test_size=0.2, random_state=0, stratify=y_rest
)
X_train, X_val, X_test = (torch.tensor(a, dtype=torch.float32) for a in (X_train, X_val, X_test))
y_train, y_val, y_test = torch.tensor(y_train), torch.tensor(y_val), torch.tensor(y_test)
SEEDS, MARGIN = range(5), 1.0  # "additive" means within 1 point of the sum, shown by the interval
AMOUNTS, BITS = [0.0, 0.2, 0.4, 0.6, 0.8], {"fp32": None, "int8": 8, "int4": 4}
ORDERS = {"PQ": "prune, then quantize", "QP": "quantize, then prune"}


def train(seed, epochs=20):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _epoch in range(epochs):
        for batch in torch.randperm(len(X_train)).split(64):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(X_train[batch]), y_train[batch]).backward()
            optimizer.step()
    return model.eval()


def accuracy(m, X=X_test, y=y_test):
    with torch.inference_mode():
        return (m(X).argmax(dim=1) == y).float().mean().item() * 100


def fake_quantize(w, bits):
    """Symmetric, one scale per output channel (row), rounded to the nearest level and back to
    float: elementwise IEEE arithmetic, the same bits on every CPU. Zero maps to zero exactly."""
    levels = 2 ** (bits - 1) - 1  # 127 for int8, 7 for int4
    scale = w.abs().amax(dim=1, keepdim=True) / levels
    scale = torch.where(scale == 0, 1.0, scale)  # a row pruned to all zeros stays zero
    return (w / scale).round().clamp(-levels, levels) * scale


def compress(model, amount, bits, order):
    m = copy.deepcopy(model)
    layers = [layer for layer in m if isinstance(layer, nn.Linear)]
    steps = ["prune", "quantize"] if order == "PQ" else ["quantize", "prune"]
    for step in steps:
        if step == "prune" and amount > 0:
            # L1 magnitude across both layers at once; in QP the magnitudes are the quantized ones.
            prune.global_unstructured(
                [(layer, "weight") for layer in layers], prune.L1Unstructured, amount=amount
            )
            for layer in layers:
                prune.remove(layer, "weight")  # fold the mask in: weight holds its zeros
        if step == "quantize" and bits is not None:
            with torch.no_grad():
                for layer in layers:
                    layer.weight.copy_(fake_quantize(layer.weight, bits))
    return m


models = [train(seed) for seed in SEEDS]
made, acc = {}, {}  # made[order, amount, bits]: the 5 compressed models; acc: their test accuracies
for key in [(o, a, n) for o in ORDERS for a in AMOUNTS for n in BITS]:
    made[key] = [compress(m, key[1], BITS[key[2]], key[0]) for m in models]
    acc[key] = [accuracy(m) for m in made[key]]


def paired(differences):
    """Mean of per-seed differences and its 95% t interval: every cell uses the same 5 models."""
    half = stats.t.ppf(0.975, len(differences) - 1) * statistics.stdev(differences)
    middle, half = statistics.mean(differences), half / len(differences) ** 0.5
    return middle, middle - half, middle + half


def drops(order, amount, name):
    """Per seed: the measured drop, and the additive prediction (pruning's drop + quantization's)."""
    base, both = acc[order, 0.0, "fp32"], acc[order, amount, name]
    pruned, quantized = acc[order, amount, "fp32"], acc[order, 0.0, name]
    predicted = [2 * b - p - q for b, p, q in zip(base, pruned, quantized, strict=True)]
    return [b - j for b, j in zip(base, both, strict=True)], predicted


def within(cell):
    return cell[1] > -MARGIN and cell[2] < MARGIN


def show(cell):
    return f"{cell[0]:+.2f} [{cell[1]:+.2f}, {cell[2]:+.2f}]"


QUANTS = ("int8", "int4")
heads = [(name, order) for name in QUANTS for order in ORDERS]
print(
    f"test set {len(y_test)} digits, one prediction {100 / len(y_test):.2f} points; no fine-tuning"
)
print(f"test accuracy %, mean ± sd over {len(SEEDS)} seeds; PQ: {ORDERS['PQ']}, QP: {ORDERS['QP']}")
print(f"{'pruned':>6}{'fp32':>14}" + "".join(f"{n + ' ' + o:>14}" for n, o in heads))
for amount in AMOUNTS:
    row = [acc["PQ", amount, "fp32"]] + [acc[o, amount, n] for n, o in heads]
    print(
        f"{amount:>6.0%}"
        + "".join(f"{statistics.mean(v):>7.2f} ± {statistics.stdev(v):.2f}" for v in row)
    )

print()
print("drops in points, means over seeds; measured minus predicted, paired by seed, 95% interval")
print(
    f"{'cell':<12}{'measured':>9}{'predicted':>10}   {'measured - predicted':<24}within ±{MARGIN:g}"
)
gap = {}
for (name, order), amount in [(h, a) for h in heads for a in AMOUNTS[1:]]:
    measured, predicted = drops(order, amount, name)
    gap[order, amount, name] = paired([m - p for m, p in zip(measured, predicted, strict=True)])
    print(
        f"{amount:>3.0%} {name} {order}{statistics.mean(measured):>+9.2f}{statistics.mean(predicted):>+10.2f}"
        f"   {show(gap[order, amount, name]):<24}{within(gap[order, amount, name])}"
    )

# Symmetric quantization maps 0 to 0: the weights pruning zeroed are zero in the quantized model.
zeros_kept = all(
    bool((q[i].weight[p[i].weight == 0] == 0).all())
    for a, n in [(a, n) for a in AMOUNTS[1:] for n in QUANTS]
    for p, q in zip(made["PQ", a, "fp32"], made["PQ", a, n], strict=True)
    for i in (0, 2)
)
alone = [paired(drops("PQ", 0.0, n)[0]) for n in QUANTS]
print()
print(
    "quantization alone, drop: "
    + ", ".join(f"{n} {show(c)}" for n, c in zip(QUANTS, alone, strict=True))
)
print(f"check: quantizing after pruning keeps every pruned weight at zero: {zeros_kept}")
print(
    f"check: int8 and int4 alone cost under 1 point, both intervals inside ±1: {all(map(within, alone))}"
)
additive = {o: all(within(gap[o, a, n]) for a in AMOUNTS[1:] for n in QUANTS) for o in ORDERS}
print(
    f"claim: prune then quantize, int8 and int4, adds up: every interval inside ±{MARGIN:g}: {additive['PQ']}"
)
print(
    f"caveat: quantize then prune does not show it: some interval reaches past ±{MARGIN:g}: {not additive['QP']}"
)

# The option of the page's answer prediction that this run shows (the build keys it on this line).
pq = [gap["PQ", a, n] for a in AMOUNTS[1:] for n in QUANTS]
if all(map(within, pq)):
    answer = "Within a point of the sum, at every amount"
elif any(low > MARGIN for _, low, _ in pq):
    answer = "More than the sum: the two errors compound"
elif any(high < -MARGIN for _, _, high in pq):
    answer = "Less than the sum: the two errors overlap"
else:
    answer = "Five seeds cannot tell"
print(f"answer: {answer}")
