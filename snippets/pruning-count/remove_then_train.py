"""prune.remove makes zeros permanent only until the next optimizer step: remove after fine-tuning."""

import torch
import torch.nn.utils.prune as prune
from torch import nn

torch.manual_seed(0)
x, target = torch.randn(256, 10), torch.randn(256, 5)  # generated data: nothing is downloaded


def fine_tune(fc, steps=20):
    optimizer = torch.optim.SGD(fc.parameters(), lr=0.1)
    for _ in range(steps):
        optimizer.zero_grad()
        nn.functional.mse_loss(fc(x), target).backward()
        optimizer.step()


torch.manual_seed(1)
early = nn.Linear(10, 5)
prune.l1_unstructured(early, name="weight", amount=0.4)
prune.remove(early, "weight")  # removed first ...
fine_tune(early)  # ... then trained: the optimizer updates every weight again
print("remove, then fine-tune: zeros left", int((early.weight == 0).sum()), "of 50")

torch.manual_seed(1)
late = nn.Linear(10, 5)
prune.l1_unstructured(late, name="weight", amount=0.4)
fine_tune(late)  # trained with the mask in place: the pruned entries stay zero
prune.remove(late, "weight")
print("fine-tune, then remove: zeros left", int((late.weight == 0).sum()), "of 50")
print(
    "check: training after prune.remove regrows the zeros, training before it keeps them: "
    f"{int((early.weight == 0).sum()) < 20 and int((late.weight == 0).sum()) == 20}"
)
