"""A second pruning call that fails is rolled back only in part: the layer is left pruned in name only."""

import torch
import torch.nn.utils.prune as prune
from torch import nn

torch.manual_seed(0)
fc = nn.Linear(4, 3)
prune.l1_unstructured(fc, name="weight", amount=0.5)
print(
    "after a first call:  parameters",
    list(fc._parameters),
    "buffers",
    list(fc._buffers),
    "hooks",
    len(fc._forward_pre_hooks),
)
try:
    prune.l1_unstructured(
        fc, name="weight", amount=500
    )  # an integer amount larger than the 12 weights
except ValueError as error:
    print(f"second call: {type(error).__name__}: {error}")
print(
    "after the failed one: parameters",
    list(fc._parameters),
    "buffers",
    list(fc._buffers),
    "hooks",
    len(fc._forward_pre_hooks),
)

# With no hook left, `weight` is no longer recomputed from weight_orig: it is a stale tensor.
x = torch.randn(2, 4)
before = fc(x)
with torch.no_grad():
    fc.weight_orig.add_(1.0)  # what an optimizer step on weight_orig would do
print(f"check: changing weight_orig no longer changes the output: {torch.equal(fc(x), before)}")
print(
    "check: the layer is left pruned in name only (weight_orig and weight_mask kept, no hook): "
    f"{hasattr(fc, 'weight_mask') and not fc._forward_pre_hooks}"
)

# Two training steps on the layer as it is: the stale `weight` still carries the graph of the
# step that computed it, so the first backward reaches weight_orig through it, and the second
# finds that graph freed.
optimizer = torch.optim.SGD(fc.parameters(), lr=0.1)
stale = fc.weight.detach().clone()
for step in (1, 2):
    optimizer.zero_grad()
    try:
        fc(x).sum().backward()
        optimizer.step()
        changed = not torch.equal(fc.weight, stale)
        print(f"training step {step}: ran; the weight the layer multiplies by changed: {changed}")
    except RuntimeError as error:
        print(f"training step {step}: RuntimeError: {str(error).split('.')[0]}")
