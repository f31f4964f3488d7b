"""The pruning sweep as an SVG plot: test accuracy against the fraction of weights pruned."""
import copy
import io

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt
import torch
import torch.nn.utils.prune as prune
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

torch.manual_seed(0)
X, y = load_digits(return_X_y=True)  # ships with scikit-learn: nothing is downloaded
X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.3, random_state=0, stratify=y)
X_train, X_test = torch.tensor(X_train, dtype=torch.float32), torch.tensor(X_test, dtype=torch.float32)
y_train, y_test = torch.tensor(y_train), torch.tensor(y_test)

model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(20):
    for batch in torch.randperm(len(X_train)).split(64):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(X_train[batch]), y_train[batch]).backward()
        optimizer.step()
model.eval()


def accuracy(m):
    with torch.inference_mode():
        return (m(X_test).argmax(dim=1) == y_test).float().mean().item() * 100


def pruned(amount, how):
    m = copy.deepcopy(model)
    layers = [layer for layer in m if isinstance(layer, nn.Linear)]
    if how == "global":
        prune.global_unstructured([(layer, "weight") for layer in layers], prune.L1Unstructured, amount=amount)
    for layer in layers:
        if how == "l1":
            prune.l1_unstructured(layer, name="weight", amount=amount)
        elif how == "random":
            prune.random_unstructured(layer, name="weight", amount=amount)
    return m


# Same amounts and order as sweep.py, so random pruning draws the same masks.
baseline = accuracy(model)
amounts = [0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]
methods = {"l1": "L1 per layer", "global": "L1 global", "random": "random per layer"}
curves = {how: [] for how in methods}
for amount in amounts:
    for how in methods:
        curves[how].append(accuracy(pruned(amount, how)))

fig, ax = plt.subplots(figsize=(7, 4))
ax.axhspan(baseline - 2, baseline, color="tab:green", alpha=0.2, label="within 2 points of unpruned")
for how, label in methods.items():
    ax.plot([a * 100 for a in amounts], curves[how], marker="o", label=label)
ax.set_xlabel("weights pruned (%)")
ax.set_ylabel("test accuracy (%)")
ax.set_title("Pruning a digits MLP without fine-tuning")
ax.grid(alpha=0.3)
ax.legend()
fig.tight_layout()

plt.rcParams["svg.hashsalt"] = "pruning-budget"  # stable element ids, so the SVG is the same on every run
svg = io.StringIO()
fig.savefig(svg, format="svg", metadata={"Date": None})
print(svg.getvalue()[svg.getvalue().index("<svg"):])
