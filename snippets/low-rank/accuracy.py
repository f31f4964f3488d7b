"""A digits MLP (64-512-512-10) with its 512 x 512 hidden layer factored by truncated SVD at
several ranks: test accuracy before and after a short fine-tune, against the unfactored model
fine-tuned as long, over 5 seeds, paired by seed and by test digit (McNemar). The rank is chosen
on a validation split, never on test."""

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
from scipy import stats
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

# One thread: float sums then run in one order, so the results do not depend on the core count.
torch.set_num_threads(1)
X, y = load_digits(return_X_y=True)  # ships with scikit-learn: nothing is downloaded
# 60% train, 20% validation (to choose the rank), 20% test (only to report).
X_rest, X_test, y_rest, y_test = train_test_split(
    X / 16.0, y, test_size=0.2, random_state=0, stratify=y
)
X_train, X_val, y_train, y_val = train_test_split(
    X_rest, y_rest, test_size=0.25, random_state=0, stratify=y_rest
)
X_train, X_val, X_test = (torch.tensor(a, dtype=torch.float32) for a in (X_train, X_val, X_test))
y_train, y_val, y_test = (torch.tensor(a) for a in (y_train, y_val, y_test))
SEEDS, EPOCHS, FINE_TUNE = range(5), 12, 2  # the fine-tune's epochs are the same for every model
WIDTH, RANKS = 512, (2, 4, 8, 16, 32, 64)
CLOSE = 0.5  # the rank chosen: the smallest within this many points of the control on validation


def train(model, epochs, seed):
    torch.manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for _epoch in range(epochs):
        for batch in torch.randperm(len(X_train)).split(128):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(X_train[batch]), y_train[batch]).backward()
            optimizer.step()
    return model.eval()


def right(model, X, y):
    """Which examples the model classifies correctly."""
    with torch.inference_mode():
        return model(X).argmax(dim=1) == y


def accuracy(model, X, y):
    return right(model, X, y).float().mean().item() * 100


def factored(model, rank):
    """The model with its hidden Linear(512, 512) replaced by Linear(512, r) then Linear(r, 512),
    from the truncated SVD W ~ U_r S_r V_r^T (each factor takes the square root of S_r)."""
    model = copy.deepcopy(model)
    layer = model[2]
    U, S, Vh = torch.linalg.svd(layer.weight.detach(), full_matrices=False)
    root = S[:rank].sqrt()
    first = nn.Linear(layer.in_features, rank, bias=False)
    second = nn.Linear(rank, layer.out_features)
    with torch.no_grad():
        first.weight.copy_(root[:, None] * Vh[:rank])
        second.weight.copy_(U[:, :rank] * root)
        second.bias.copy_(layer.bias)
    model[2] = nn.Sequential(first, second)
    return model


def cost(layer):
    """Parameters, and FLOPs per example: a multiply and an add per weight, an add per bias."""
    linears = [m for m in layer.modules() if isinstance(m, nn.Linear)]
    params = sum(p.numel() for m in linears for p in m.parameters())
    flops = sum(
        2 * m.weight.numel() + (m.bias.numel() if m.bias is not None else 0) for m in linears
    )
    return params, flops


val, test = {}, {}  # model -> per-seed accuracies
correct = {}  # model -> per-seed test digits it gets right, after the fine-tune (for McNemar)
for seed in SEEDS:
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Linear(64, WIDTH), nn.ReLU(), nn.Linear(WIDTH, WIDTH), nn.ReLU(), nn.Linear(WIDTH, 10)
    )
    train(model, EPOCHS, seed)
    models = {"dense": model, "control": copy.deepcopy(model)}
    models |= {f"rank {rank}": factored(model, rank) for rank in RANKS}
    for name, m in models.items():
        if name != "dense":  # the same fine-tune (epochs, batches, seed) for each model
            test.setdefault(f"{name} before", []).append(accuracy(m, X_test, y_test))
            train(m, FINE_TUNE, seed + 100)
        val.setdefault(name, []).append(accuracy(m, X_val, y_val))
        test.setdefault(name, []).append(accuracy(m, X_test, y_test))
        correct.setdefault(name, []).append(right(m, X_test, y_test))
    costs = {rank: cost(models[f"rank {rank}"][2]) for rank in RANKS} | {WIDTH: cost(model[2])}


def paired(a, b, scores):
    """Mean of the per-seed differences a - b, and its 95% t interval: the seeds are shared."""
    differences = [x - z for x, z in zip(scores[a], scores[b], strict=True)]
    middle = statistics.mean(differences)
    half = stats.t.ppf(0.975, len(differences) - 1) * statistics.stdev(differences)
    half /= len(differences) ** 0.5
    return middle, middle - half, middle + half


def shown(values):
    return f"{statistics.mean(values):6.2f} ± {statistics.stdev(values):4.2f}"


print(
    f"test set: {len(y_test)} digits, one prediction = {100 / len(y_test):.2f} points; "
    f"validation: {len(y_val)}; fine-tune: {FINE_TUNE} epochs for every model"
)
print(
    "the hidden layer's parameters and FLOPs per example; test accuracy %, mean ± sd over "
    f"{len(SEEDS)} seeds, before and after the fine-tune; paired: after minus the control, "
    "mean [95% interval over the seeds, on this one test set]"
)
print(f"  {'hidden layer':<14}{'params':>8}{'FLOPs':>9}   {'before':<15}{'after':<15}paired")
print(
    f"  {'dense':<14}{costs[WIDTH][0]:>8}{costs[WIDTH][1]:>9}   {shown(test['dense']):<15}"
    f"{shown(test['control']):<15}(the control)"
)
for rank in RANKS:
    name = f"rank {rank}"
    middle, low, high = paired(name, "control", test)
    print(
        f"  {name:<14}{costs[rank][0]:>8}{costs[rank][1]:>9}   {shown(test[name + ' before']):<15}"
        f"{shown(test[name]):<15}{middle:+.2f} [{low:+.2f}, {high:+.2f}]"
    )
# The control against the dense model it started from: what the fine-tune does by itself.
middle, low, high = paired("control", "dense", test)
print(f"the fine-tune alone, control minus dense: {middle:+.2f} [{low:+.2f}, {high:+.2f}] points")
print(f"check: the fine-tune alone lowers the dense model's mean test accuracy: {middle < 0}")

# The rank is chosen on validation only: the smallest whose fine-tuned accuracy, averaged over
# the seeds, is within CLOSE points of the control's.
on_val = {r: paired(f"rank {r}", "control", val)[0] for r in RANKS}
chosen = min((r for r in RANKS if on_val[r] >= -CLOSE), default=max(RANKS))
middle, low, high = paired(f"rank {chosen}", "control", test)
print()
print(
    f"chosen on validation (smallest rank within {CLOSE} points of the control): rank {chosen}, "
    f"{costs[chosen][1] / costs[WIDTH][1]:.3f} of the dense layer's FLOPs"
)
print(f"  on test, paired with the control: {middle:+.2f} [{low:+.2f}, {high:+.2f}] points")
print(
    f"check: at the chosen rank, the fine-tuned model is within 1 point of the control on test "
    f"(its paired interval inside ±1): {low > -1 and high < 1}"
)
# The interval above varies the seed, not the test digits. McNemar's exact test looks at the
# digits themselves: only those one model gets right and the other wrong count.
mcnemar = []
for a, b in zip(correct[f"rank {chosen}"], correct["control"], strict=True):
    only_rank, only_control = int((a & ~b).sum()), int((b & ~a).sum())
    n = only_rank + only_control
    mcnemar.append((only_rank, only_control, stats.binomtest(only_rank, n).pvalue if n else 1.0))
print(
    "  McNemar, per seed (digits only this rank gets right / only the control, exact p): "
    + ", ".join(f"{a}/{b} p={p:.3f}" for a, b, p in mcnemar)
)
print(
    f"check: McNemar's exact test finds a difference at 5% in none of the {len(SEEDS)} seeds: "
    f"{all(p > 0.05 for _, _, p in mcnemar)}"
)
loss = statistics.mean(test["control before"]) - statistics.mean(test["rank 4 before"])
regained = statistics.mean(test["rank 4"]) - statistics.mean(test["rank 4 before"])
print(f"check: before fine-tuning, rank 4 loses more than 10 points: {loss > 10}")
print(
    f"check: the short fine-tune wins back more than half of rank 4's loss: {regained > loss / 2}"
)
print(
    f"check: rank 2 stays more than 10 points below the control after fine-tuning: "
    f"{paired('rank 2', 'control', test)[0] < -10}"
)
