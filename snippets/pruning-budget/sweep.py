"""Accuracy of a digits classifier as more of its weights are pruned, with no fine-tuning, over 5 seeds."""

import copy
import os
import statistics

# The kernels of a CPU with AVX2 only, on every x86-64 CPU, so that the accuracies below match
# the page to the last digit: ATen, MKL, oneDNN and fbgemm each pick their instruction paths by
# the CPU, and a few epochs of training (or an int8 rounding) turn a last-bit difference into
# another prediction. They read these once, when torch first computes: set before it is imported.
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
# The amount is chosen on a validation split; the test set only reports.
X_train, X_val, y_train, y_val = train_test_split(
    X_rest, y_rest, test_size=0.2, random_state=0, stratify=y_rest
)
X_train, X_val, X_test = (torch.tensor(a, dtype=torch.float32) for a in (X_train, X_val, X_test))
y_train, y_val, y_test = torch.tensor(y_train), torch.tensor(y_val), torch.tensor(y_test)
SEEDS = range(5)
RANDOM_MASKS = 10
amounts = [0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
methods = {"l1": "L1 per layer", "global": "L1 global", "random": "random"}


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


def accuracy(m, X, y):
    with torch.inference_mode():
        return (m(X).argmax(dim=1) == y).float().mean().item() * 100


def pruned(model, amount, how):
    m = copy.deepcopy(model)
    layers = [layer for layer in m if isinstance(layer, nn.Linear)]
    if how == "global":
        prune.global_unstructured(
            [(layer, "weight") for layer in layers], prune.L1Unstructured, amount=amount
        )
    for layer in layers:
        if how == "l1":
            prune.l1_unstructured(layer, name="weight", amount=amount)
        elif how == "random":
            prune.random_unstructured(layer, name="weight", amount=amount)
    return m


models = [train(seed) for seed in SEEDS]
baseline = {
    split: [accuracy(m, X, y) for m in models]
    for split, (X, y) in {"val": (X_val, y_val), "test": (X_test, y_test)}.items()
}
# drops[split][how][amount]: accuracy lost, one value per seed (random: the mean over its masks)
drops = {split: {how: {} for how in methods} for split in baseline}
for how in methods:
    for amount in amounts:
        for split, (X, y) in {"val": (X_val, y_val), "test": (X_test, y_test)}.items():
            per_seed = []
            for seed, model in zip(SEEDS, models, strict=True):
                if how == "random":
                    torch.manual_seed(seed)
                    lost = statistics.mean(
                        accuracy(pruned(model, amount, how), X, y) for _ in range(RANDOM_MASKS)
                    )
                else:
                    lost = accuracy(pruned(model, amount, how), X, y)
                per_seed.append(baseline[split][seed] - lost)
            drops[split][how][amount] = per_seed


def cell(values):
    return f"{statistics.mean(values):+.2f} ± {statistics.stdev(values):.2f}"


print(f"{len(SEEDS)} training seeds; random pruning averaged over {RANDOM_MASKS} masks per seed")
print(
    f"train {len(y_train)}, validation {len(y_val)}, test {len(y_test)} digits; one test "
    f"prediction is worth {100 / len(y_test):.2f} points"
)
print(f"unpruned test accuracy: {cell(baseline['test']).lstrip('+')} %")
print("each cell: test accuracy lost in points, mean ± sd over seeds")
print()
print(f"{'amount':>6}" + "".join(f"{label:>16}" for label in methods.values()))
for amount in amounts:
    print(f"{amount:>6.2f}" + "".join(f"{cell(drops['test'][how][amount]):>16}" for how in methods))

# The largest amount whose mean validation drop stays under 2 points, and every smaller one too.
chosen = {}
for how in methods:
    within = [a for a in amounts if statistics.mean(drops["val"][how][a]) < 2.0]
    chosen[how] = max(a for a in within if all(b in within for b in amounts if b <= a))
print()
over_budget = {}
for how, label in methods.items():
    per_seed = drops["test"][how][chosen[how]]
    over_budget[how] = sum(lost >= 2.0 for lost in per_seed)
    print(
        f"{label}: chosen on validation {chosen[how]:.2f}; on the test set it loses "
        f"{cell(per_seed)} points; per seed {', '.join(f'{lost:.2f}' for lost in per_seed)}: "
        f"{over_budget[how]} of {len(per_seed)} seeds at 2 points or more"
    )


def paired(a, b, amount):
    """Mean of the per-seed differences a - b in test loss, and its 95% t interval."""
    differences = [
        x - y for x, y in zip(drops["test"][a][amount], drops["test"][b][amount], strict=True)
    ]
    middle = statistics.mean(differences)
    half = stats.t.ppf(0.975, len(differences) - 1) * statistics.stdev(differences)
    half /= len(differences) ** 0.5
    return middle, middle - half, middle + half


def loss_interval(how, amount):
    """The test loss's mean over the seeds and its 95% t interval: each seed's model pruned
    against the same model unpruned, so each loss is already a paired difference."""
    losses = drops["test"][how][amount]
    half = stats.t.ppf(0.975, len(losses) - 1) * statistics.stdev(losses) / len(losses) ** 0.5
    return statistics.mean(losses) - half, statistics.mean(losses) + half


shown_within = {
    how: max((a for a in amounts if loss_interval(how, a)[1] < 2.0), default=None)
    for how in methods
}
print()
print(
    "largest amount whose test loss has its whole 95% interval under 2 points: "
    + ", ".join(f"{methods[how]} {at:.2f}" for how, at in shown_within.items())
)
print()
print("L1 global minus L1 per layer, test loss paired by seed, mean and 95% interval (points):")
for amount in (0.5, 0.6, 0.7, 0.8):
    middle, low, high = paired("global", "l1", amount)
    verdict = (
        "global loses less"
        if high < 0
        else "global loses more"
        if low > 0
        else "no difference shown"
    )
    print(f"  {amount:.2f}  {middle:+6.2f}  [{low:+.2f}, {high:+.2f}]  {verdict}")

layer_sparsity = [[] for _ in range(2)]
for model in models:
    m = pruned(model, chosen["global"], "global")
    for index, layer in enumerate(layer for layer in m if isinstance(layer, nn.Linear)):
        layer_sparsity[index].append(float((layer.weight == 0).float().mean()) * 100)
print(
    f"L1 global at {chosen['global']:.2f}: layer 1 (64x128) {statistics.mean(layer_sparsity[0]):.1f}% pruned, "
    f"layer 2 (128x10) {statistics.mean(layer_sparsity[1]):.1f}% pruned (means over seeds)"
)

print()
print(
    "claim: 5% with L1 per layer loses under 2 points on the test set, its whole interval: "
    f"{loss_interval('l1', 0.05)[1] < 2.0}"
)
random_more = all(paired("random", "l1", a)[1] > 0 for a in amounts if a >= 0.1)
print(
    "claim: random pruning loses more than L1 per layer at every amount from 10% (paired "
    f"interval above 0): {random_more}"
)
print(
    "caveat: L1 per layer stays within the budget, its whole interval under 2 points, up to at "
    f"least 4 times the 5%: {shown_within['l1'] is not None and shown_within['l1'] >= 0.2}"
)
print(
    "caveat: at the amount chosen on validation, some seed's test loss reaches the budget: "
    f"{over_budget['l1'] > 0}"
)
spread = {a: statistics.stdev(drops["test"]["l1"][a]) for a in amounts}
print(
    "check: past the knee the seeds disagree more (L1 per layer, sd at 0.80 over sd at 0.20): "
    f"{spread[0.8] > spread[0.2]}"
)

# The option of the page's answer prediction that this run shows (the build keys it on this line).
if shown_within["l1"] is None or shown_within["l1"] < 0.2:
    answer = "About 5%: more than that risks the 2-point budget"
elif shown_within["l1"] < 0.9:
    answer = "Far more than 5%: L1 pruning stays within 2 points past 20% of the weights"
else:
    answer = "Any amount: pruning never costs 2 points"
print(f"answer: {answer}")
