"""What 90% pruning does to a 2048-wide MLP's saved size and forward-pass FLOPs: unstructured, structured,
and a smaller model."""

import copy
import io
import zlib

import torch
import torch.nn.utils.prune as prune
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

torch.set_num_threads(1)
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(2048, 2048), nn.ReLU(), nn.Linear(2048, 2048)).eval()


def saved(m):
    buffer = io.BytesIO()
    torch.save(m.state_dict(), buffer)
    return buffer.getvalue()


def saved_tensors(tensors):
    buffer = io.BytesIO()
    torch.save(tensors, buffer)
    return buffer.getvalue()


def mb(size):
    return f"{size / 1e6:6.2f} MB"


unstructured = copy.deepcopy(model)
for layer in (unstructured[0], unstructured[2]):  # 90% of every weight
    prune.l1_unstructured(layer, name="weight", amount=0.9)
    prune.remove(layer, "weight")
structured = copy.deepcopy(model)
prune.ln_structured(structured[0], name="weight", amount=0.9, n=2, dim=0)  # 90% of the hidden units
prune.remove(structured[0], "weight")

# The structure removed for real: the kept rows in a smaller layer, the next layer's inputs to
# match, and the pruned units' bias (which still passes through ReLU) folded into the next bias.
kept = structured[0].weight.abs().sum(dim=1) != 0
smaller = nn.Sequential(
    nn.Linear(2048, int(kept.sum())), nn.ReLU(), nn.Linear(int(kept.sum()), 2048)
).eval()
with torch.no_grad():
    smaller[0].weight.copy_(structured[0].weight[kept])
    smaller[0].bias.copy_(structured[0].bias[kept])
    smaller[2].weight.copy_(structured[2].weight[:, kept])
    smaller[2].bias.copy_(
        structured[2].bias + structured[2].weight[:, ~kept] @ torch.relu(structured[0].bias[~kept])
    )

x = torch.randn(64, 2048)
with torch.inference_mode():
    same = torch.allclose(smaller(x), structured(x), rtol=1e-4, atol=1e-4)
print(
    f"first layer's weight shape: dense {list(model[0].weight.shape)}, unstructured "
    f"{list(unstructured[0].weight.shape)}, "
    f"ln_structured {list(structured[0].weight.shape)}, smaller model {list(smaller[0].weight.shape)}"
)
print(f"check: the smaller model gives the ln_structured model's outputs: {same}")


def flops(m):
    """A forward pass's FLOPs as the dense kernels run it: counted from the shapes, zeros included."""
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        m(x)
    return counter.get_total_flops()


dense_flops = flops(model)
counts = {
    name: flops(m)
    for name, m in [
        ("l1_unstructured", unstructured),
        ("ln_structured", structured),
        ("smaller model", smaller),
    ]
}
print(
    f"FLOPs of one forward pass at batch {len(x)} (FlopCounterMode): dense {dense_flops / 1e9:.2f} G; "
    + ", ".join(f"{name} {count / dense_flops:.0%} of it" for name, count in counts.items())
)
print(
    "check: the pruned models do the dense model's FLOPs, the zeros multiplied: "
    f"{counts['l1_unstructured'] == counts['ln_structured'] == dense_flops}"
)
print()
print("saved state_dict (torch.save), and the same bytes compressed with zlib:")
for name, m in [
    ("dense", model),
    ("90% l1_unstructured + remove", unstructured),
    ("90% ln_structured + remove", structured),
    ("smaller model", smaller),
]:
    data = saved(m)
    print(f"  {name:<30}{mb(len(data))}  zlib {mb(len(zlib.compress(data)))}")
# The first layer's weight alone in sparse formats, each saved compactly (its tensors cloned:
# to_sparse_csr's column indices are a view into a buffer twice their length).
weight = unstructured[0].weight.detach()
csr = weight.to_sparse_csr()
print(f"  {'first weight alone, dense':<30}{mb(len(saved_tensors(weight)))}")
for index_type in (torch.int64, torch.int32):
    parts = [csr.crow_indices().to(index_type), csr.col_indices().to(index_type), csr.values()]
    label = f"first weight, CSR ({str(index_type)[6:]})"
    print(f"  {label:<30}{mb(len(saved_tensors([part.clone() for part in parts])))}")
print()
print(
    f"claim: 90% unstructured pruning makes the saved model smaller: {len(saved(unstructured)) < len(saved(model))}"
)
print(
    f"check: removing the structure for real makes it smaller: {len(saved(smaller)) < len(saved(model)) / 1.5}"
)

# The option of the page's answer prediction that this run shows (the build keys it on this line).
if counts["l1_unstructured"] < dense_flops:  # fewer FLOPs: a speed-up a dense kernel could show
    answer = "About 10 times smaller and faster"
elif len(saved(unstructured)) < len(saved(model)):
    answer = "Smaller on disk, but not faster: the multiplications stay"
else:
    answer = "Neither, as it stands: the pruned weights are zeros, still stored and multiplied"
print(f"answer: {answer}")
