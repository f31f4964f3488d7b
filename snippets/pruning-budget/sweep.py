"""Accuracy of a digits classifier as more of its weights are pruned, with no fine-tuning."""
import copy

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


baseline = accuracy(model)
amounts = [0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]
methods = {"l1": "L1 per layer", "global": "L1 global", "random": "random per layer"}
accuracies = {how: [] for how in methods}
print(f"baseline accuracy: {baseline:.2f}%  (test set of {len(y_test)} digits)")
print("each cell: test accuracy % after pruning (drop in points)")
print()
print(f"{'amount':>6}" + "".join(f"{label:>18}" for label in methods.values()))
for amount in amounts:
    row = f"{amount:>6.2f}"
    for how in methods:
        acc = accuracy(pruned(amount, how))
        accuracies[how].append(acc)
        row += f"{acc:>10.2f} ({baseline - acc:+6.2f})"
    print(row)

print()
for how, label in methods.items():
    first_over = next((a for a, acc in zip(amounts, accuracies[how]) if baseline - acc >= 2.0), None)
    safe = [a for a in amounts if first_over is None or a < first_over]
    print(f"{label}: amounts up to {safe[-1]:.2f} lose under 2 points; {first_over:.2f} is the first to lose more")
