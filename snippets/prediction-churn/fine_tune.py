"""Fine-tuning the pruned models (the mask kept) wins back their accuracy: does it win back
fp32's predictions? With a control: the fp32 models trained for the same extra epochs."""

import contextlib
import copy
import io
import os
import runpy
import statistics

# The same pin as churn.py, whose models this snippet reuses and trains further: AVX2 kernels on
# every x86-64 CPU, set before torch is imported.
os.environ.update(
    ATEN_CPU_CAPABILITY="avx2",
    MKL_ENABLE_INSTRUCTIONS="AVX2",
    MKL_CBWR="AVX2",
    ONEDNN_MAX_CPU_ISA="AVX2",
    FBGEMM_ENABLE_INSTRUCTIONS="AVX2",
)

import torch
from scipy import stats
from torch import nn

# The trained models of churn.py (run from the repository root); its table is not reprinted.
with contextlib.redirect_stdout(io.StringIO()):
    run = runpy.run_path("snippets/prediction-churn/churn.py")
fp32, base, pruned, predict = run["fp32"], run["base"], run["pruned"], run["predict"]
X_train, y_train, y_test, MARGIN = run["X_train"], run["y_train"], run["y_test"], run["MARGIN"]
EXTRA = 3


def train_more(model, seed):
    """EXTRA more epochs of Adam; a pruned model keeps its mask, so its zeros stay zero."""
    torch.manual_seed(seed + 100)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for _epoch in range(EXTRA):
        for batch in torch.randperm(len(X_train)).split(64):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(X_train[batch]), y_train[batch]).backward()
            optimizer.step()
    return model.eval()


def accuracy(p):
    return (p == y_test).float().mean().item() * 100


rows = {
    "50% pruned, no fine-tuning": [],
    f"50% pruned, {EXTRA} epochs": [],
    f"fp32, {EXTRA} more epochs": [],
}
for seed, (model, b) in enumerate(zip(fp32, base, strict=True)):
    variants = (
        pruned(model),
        train_more(pruned(model), seed),
        train_more(copy.deepcopy(model), seed),
    )
    for name, variant in zip(rows, variants, strict=True):
        p = predict(variant)
        rows[name].append((accuracy(p) - accuracy(b), int((p != b).sum())))

print(f"against each seed's original fp32 model, over {len(fp32)} seeds:")
print(f"{'':<29}{'accuracy change (points)':>26}{'changed predictions (mean)':>29}")
interval = {}
for name, values in rows.items():
    change = [c for c, _ in values]
    mean, sd = statistics.mean(change), statistics.stdev(change)
    half = stats.t.ppf(0.975, len(change) - 1) * sd / len(change) ** 0.5
    interval[name] = (mean - half, mean + half)
    changed = ", ".join(str(n) for _, n in values)
    churn = statistics.mean(n for _, n in values)
    print(
        f"  {name:<27}{mean:+6.2f} [{mean - half:+.2f}, {mean + half:+.2f}]{changed:>23} ({churn:.1f})"
    )

tuned, control = rows[f"50% pruned, {EXTRA} epochs"], rows[f"fp32, {EXTRA} more epochs"]
low, high = interval[f"50% pruned, {EXTRA} epochs"]
# Fine-tuned against pruning alone, paired by seed: "fewer" only where the interval lies below 0.
drop = [t - p for (_, t), (_, p) in zip(tuned, rows["50% pruned, no fine-tuning"], strict=True)]
drop_half = stats.t.ppf(0.975, len(drop) - 1) * statistics.stdev(drop) / len(drop) ** 0.5
drop_low, drop_high = statistics.mean(drop) - drop_half, statistics.mean(drop) + drop_half
# What pruning adds to the churn once fine-tuned: paired by seed, the fine-tuned pruned model's
# changed predictions minus the control's, against the page's margin in predictions (1 point of
# the test split).
extra = [t - c for (_, t), (_, c) in zip(tuned, control, strict=True)]
mean, sd = statistics.mean(extra), statistics.stdev(extra)
half = stats.t.ppf(0.975, len(extra) - 1) * sd / len(extra) ** 0.5
margin = MARGIN / 100 * len(y_test)
print()
print(
    f"changed predictions, fine-tuned pruned minus pruned alone: {statistics.mean(drop):+.1f}"
    f" ± {statistics.stdev(drop):.1f}\n  95% interval [{drop_low:+.2f}, {drop_high:+.2f}]: "
    + ("fewer" if drop_high < 0 else "more" if drop_low > 0 else "no difference shown")
)
print(f"changed predictions, fine-tuned pruned minus fp32 control: {mean:+.1f} ± {sd:.1f}")
print(f"  95% interval [{mean - half:+.2f}, {mean + half:+.2f}]; margin ±{margin:.1f} (1 point)")
print()
print(
    f"check: fine-tuned, the pruned model's interval lies within ±{MARGIN:g} point: {-MARGIN < low < high < MARGIN}"
)
print(
    f"check: it changes fewer predictions than pruning alone, its paired interval below 0: {drop_high < 0}"
)
print(
    f"check: it still changes some of fp32's predictions in every seed: {all(n for _, n in tuned)}"
)
print(
    f"check: so does the fp32 control, trained as long, in every seed: {all(n for _, n in control)}"
)
print(
    "check: fine-tuned, pruning changes as many predictions as the control, within the margin:"
    f" {-margin < mean - half < mean + half < margin}"
)
print(
    "check: at 95%, it changes fewer than 2 predictions more than the control does:"
    f" {mean + half < 2}"
)
