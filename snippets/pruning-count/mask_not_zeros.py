"""`weight == 0` counts zeros, not pruned weights: the mask is the count of what was pruned."""

import torch
import torch.nn.utils.prune as prune
from torch import nn

# A layer that already holds exact zeros, as after an earlier prune.remove or weights set to zero by hand.
torch.manual_seed(0)
fc = nn.Linear(10, 5)
with torch.no_grad():
    fc.weight[:, :5] = 0.0  # 25 of the 50 weights
prune.random_unstructured(fc, name="weight", amount=0.4)
print("layer with 25 exact zeros, random_unstructured(amount=0.4):")
print(f"  pruned (zeros in weight_mask): {int((fc.weight_mask == 0).sum())}")
print(
    f"  weight == 0:                   {int((fc.weight == 0).sum())}  (also counts kept weights that are zero)"
)

# The question's own layer: freshly initialised weights are almost never exactly zero.
overcounted = 0
for seed in range(100):
    torch.manual_seed(seed)
    fc = nn.Linear(10, 5)
    prune.l1_unstructured(fc, name="weight", amount=0.4)
    overcounted += int((fc.weight == 0).sum()) != int((fc.weight_mask == 0).sum())
print(
    f"caveat: in the question's layer, weight == 0 counted more than the pruned weights (seeds 0-99): {overcounted > 0}"
)
