"""ln_structured zeroes whole rows under a mask: the shape, the file and the bias stay as they were."""

import io

import torch
import torch.nn.utils.prune as prune
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(8, 6), nn.ReLU(), nn.Linear(6, 3)).eval()
x = torch.randn(4, 8)


def saved_bytes(module):
    buffer = io.BytesIO()
    torch.save(module.state_dict(), buffer)
    return buffer.tell()


bytes_before = saved_bytes(model)
prune.ln_structured(
    model[0], name="weight", amount=0.5, n=2, dim=0
)  # half the output rows, by L2 norm
prune.remove(model[0], "weight")
dropped = (model[0].weight == 0).all(dim=1)
print(
    f"weight shape after ln_structured + remove: {list(model[0].weight.shape)}; rows all zero: "
    f"{dropped.nonzero().flatten().tolist()}"
)
print(f"saved bytes: {bytes_before} before, {saved_bytes(model)} after")
print(
    "check: ln_structured keeps the weight's shape and the file's size: "
    f"{list(model[0].weight.shape) == [6, 8] and saved_bytes(model) == bytes_before}"
)
with torch.no_grad():
    hidden = model[0](x)
print(
    "check: the zeroed rows still output their bias: "
    f"{torch.allclose(hidden[:, dropped], model[0].bias[dropped].expand(4, -1))}"
)

# Removing the structure for real: a smaller layer with the kept rows, and the next layer's
# inputs shrunk to match. A zeroed row's bias passes through ReLU, so fold it into the next bias.
kept = ~dropped
first = nn.Linear(8, int(kept.sum()))
second = nn.Linear(int(kept.sum()), 3)
with torch.no_grad():
    first.weight.copy_(model[0].weight[kept])
    first.bias.copy_(model[0].bias[kept])
    second.weight.copy_(model[2].weight[:, kept])
    second.bias.copy_(
        model[2].bias + model[2].weight[:, dropped] @ torch.relu(model[0].bias[dropped])
    )
smaller = nn.Sequential(first, nn.ReLU(), second).eval()
with torch.no_grad():
    same = torch.allclose(smaller(x), model(x), atol=1e-6)
print(
    f"smaller model: {list(first.weight.shape)} and {list(second.weight.shape)}, saved bytes {saved_bytes(smaller)}"
)
print(f"check: the smaller model gives the same outputs: {same}")
