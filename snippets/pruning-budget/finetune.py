"""Fine-tuning after pruning, with the masks in place, against an unpruned control trained as long."""

import contextlib
import copy
import io
import runpy
import statistics

import torch
from scipy import stats
from torch import nn

# The trained models, data and helpers of sweep.py (run from the repository root); its table is not reprinted.
with contextlib.redirect_stdout(io.StringIO()):
    sweep = runpy.run_path("snippets/pruning-budget/sweep.py")
X_train, y_train, X_test, y_test = (
    sweep["X_train"],
    sweep["y_train"],
    sweep["X_test"],
    sweep["y_test"],
)
EPOCHS = 5


def zero_weights(model):
    return sum(int((layer.weight == 0).sum()) for layer in model if isinstance(layer, nn.Linear))


def train_more(model, seed):
    torch.manual_seed(seed)
    model.train()
    optimizer = torch.optim.Adam(
        model.parameters(), lr=1e-3
    )  # updates weight_orig; the mask keeps zeros
    for _epoch in range(EPOCHS):
        for batch in torch.randperm(len(X_train)).split(64):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(X_train[batch]), y_train[batch]).backward()
            optimizer.step()
    return model.eval()


def cell(values):
    return f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}"


def interval(differences):
    """The 95% t interval of the mean of per-seed differences (paired: the seeds are shared)."""
    half = stats.t.ppf(0.975, len(differences) - 1) * statistics.stdev(differences)
    half /= len(differences) ** 0.5
    return (
        f"[{statistics.mean(differences) - half:+.2f}, {statistics.mean(differences) + half:+.2f}]"
    )


# The control: each unpruned model trained for the same extra epochs, so that what fine-tuning
# recovers is not credited to training longer.
controls = [
    sweep["accuracy"](train_more(copy.deepcopy(m), seed), X_test, y_test)
    for seed, m in zip(sweep["SEEDS"], sweep["models"], strict=True)
]
# The amounts past the one chosen on validation for L1 per layer: where pruning alone broke the budget.
amounts = [a for a in sweep["amounts"] if a > sweep["chosen"]["l1"]][:3]
print(
    f"L1 per layer, then {EPOCHS} epochs with the masks in place; test accuracy %, mean ± sd over {len(controls)} seeds"
)
print(f"control, unpruned and trained {EPOCHS} more epochs: {cell(controls)}")
print(
    "lost vs control: each seed's control minus its fine-tuned model, mean ± sd and paired 95% interval"
)
print(
    f"{'amount':>6}{'pruned':>15}{'fine-tuned':>15}{'lost vs control':>17}{'95% interval':>18}{'zeros kept':>12}"
)
all_kept = True
for amount in amounts:
    before, after, kept = [], [], True
    for seed, model in zip(sweep["SEEDS"], sweep["models"], strict=True):
        m = sweep["pruned"](model, amount, "l1")
        before.append(sweep["accuracy"](m, X_test, y_test))
        zeros = zero_weights(m)
        train_more(m, seed)
        with torch.no_grad():
            m(X_train[:1])  # the pre-hook recomputes weight = weight_orig * weight_mask
        kept = kept and zero_weights(m) == zeros
        after.append(sweep["accuracy"](m, X_test, y_test))
    lost = [control - a for control, a in zip(controls, after, strict=True)]
    print(
        f"{amount:>6.2f}{cell(before):>15}{cell(after):>15}{cell(lost):>17}{interval(lost):>18}{str(kept):>12}"
    )
    all_kept = all_kept and kept
print(f"check: training with the masks in place revived no pruned weight: {all_kept}")
