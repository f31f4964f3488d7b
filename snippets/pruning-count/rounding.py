"""How many weights a fractional amount prunes: round(amount * n), and how repeated calls compound."""

import torch
import torch.nn.utils.prune as prune
from torch import nn

torch.manual_seed(0)
print(f"{'amount':>7}{'amount * 50':>20}{'zeros':>7}")
for amount in [0.01, 0.02, 0.33, 0.35, 0.4, 0.45, 0.5]:
    fc = nn.Linear(10, 5)
    prune.l1_unstructured(fc, name="weight", amount=amount)
    print(f"{amount:>7}{amount * 50!r:>20}{int((fc.weight == 0).sum()):>7}")

# prune computes round(amount * n); Python's round() sends an exact half to the even neighbour.
print()
for amount in [0.01, 0.33, 0.35, 0.45]:
    print(f"round({amount} * 50) = round({amount * 50!r}) = {round(amount * 50)}")

# A second call prunes a fraction of what is still unpruned, not of the whole tensor.
print()
fc = nn.Linear(10, 5)
for step in range(1, 4):
    prune.l1_unstructured(fc, name="weight", amount=0.4)
    print(f"after call {step} with amount=0.4: {int((fc.weight == 0).sum())} zeros of 50")
print("hook:", type(next(iter(fc._forward_pre_hooks.values()))).__name__)
