"""Fine-tuning after pruning: a few epochs on the training data, with the pruning masks still applied."""
import contextlib
import io
import runpy

import torch
from torch import nn

# The trained model, data and helpers of sweep.py (run from the repository root); its table is not reprinted.
with contextlib.redirect_stdout(io.StringIO()):
    sweep = runpy.run_path("snippets/pruning-budget/sweep.py")
X_train, y_train = sweep["X_train"], sweep["y_train"]



def zero_weights(model):
    return sum(int((layer.weight == 0).sum()) for layer in model if isinstance(layer, nn.Linear))


torch.manual_seed(1)
print(f"baseline accuracy: {sweep['baseline']:.2f}%")
print(f"{'amount':>6}{'pruned':>10}{'fine-tuned':>12}{'drop now':>10}{'zeros kept':>12}")
for amount in [0.6, 0.7, 0.8, 0.9]:
    model = sweep["pruned"](amount, "l1")
    before = sweep["accuracy"](model)
    zeros_before = zero_weights(model)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)  # updates weight_orig; the mask keeps zeros
    for epoch in range(5):
        for batch in torch.randperm(len(X_train)).split(64):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(X_train[batch]), y_train[batch]).backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        model(X_train[:1])  # the pre-hook recomputes weight = weight_orig * weight_mask
    zeros_after = zero_weights(model)
    after = sweep["accuracy"](model)
    drop = sweep["baseline"] - after
    print(f"{amount:>6.2f}{before:>9.2f}%{after:>11.2f}%{drop:>+10.2f}{str(zeros_after == zeros_before):>12}")
