"""What l1_unstructured leaves on the module, and what prune.remove makes permanent."""

import io

import torch
import torch.nn.utils.prune as prune
from torch import nn

torch.manual_seed(0)
fc = nn.Linear(10, 5)
prune.l1_unstructured(fc, name="weight", amount=0.4)

print("parameters:", [name for name, _ in fc.named_parameters()])
print("buffers:   ", [name for name, _ in fc.named_buffers()])
print("weight is a parameter:", isinstance(fc.weight, nn.Parameter))
print("forward pre-hooks:", [type(hook).__name__ for hook in fc._forward_pre_hooks.values()])
print("zeros in weight_mask:", int((fc.weight_mask == 0).sum()), "of", fc.weight_mask.numel())
print("zeros in weight_orig:", int((fc.weight_orig == 0).sum()), "(the original values are kept)")
pruned_away = fc.weight_orig[fc.weight_mask == 0].abs().max().item()
kept = fc.weight_orig[fc.weight_mask == 1].abs().min().item()
print(f"largest |w| pruned {pruned_away:.4f} < smallest |w| kept {kept:.4f}: {pruned_away < kept}")


def saved_bytes(module):
    buffer = io.BytesIO()
    torch.save(module.state_dict(), buffer)
    return buffer.tell()


print()
print("state_dict bytes, unpruned Linear(10, 5):", saved_bytes(nn.Linear(10, 5)))
print("state_dict bytes, while pruned:          ", saved_bytes(fc))
prune.remove(fc, "weight")
print("after prune.remove, parameters:", [name for name, _ in fc.named_parameters()])
print("after prune.remove, buffers:   ", [name for name, _ in fc.named_buffers()])
print("zeros in weight:", int((fc.weight == 0).sum()))
print("state_dict bytes, after prune.remove:    ", saved_bytes(fc))
