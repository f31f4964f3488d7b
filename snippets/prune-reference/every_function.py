"""Every public function of torch.nn.utils.prune, called once on a small layer: what each leaves behind."""

import torch
import torch.nn.utils.prune as prune
from torch import nn


def state(layer, name="weight"):
    mask = getattr(layer, f"{name}_mask", None)
    pruned = "no mask" if mask is None else f"{int((mask == 0).sum())} of {mask.numel()} masked"
    hooks = [type(h).__name__ for h in layer._forward_pre_hooks.values()]
    return f"params {list(layer._parameters)}, {pruned}, hooks {hooks}, is_pruned {prune.is_pruned(layer)}"


torch.manual_seed(0)
calls = {
    "identity": lambda layer: prune.identity(layer, "weight"),
    "random_unstructured": lambda layer: prune.random_unstructured(layer, "weight", amount=0.5),
    "l1_unstructured": lambda layer: prune.l1_unstructured(layer, "weight", amount=0.5),
    "random_structured": lambda layer: prune.random_structured(layer, "weight", amount=0.5, dim=0),
    "ln_structured": lambda layer: prune.ln_structured(layer, "weight", amount=0.5, n=1, dim=0),
    "custom_from_mask": lambda layer: prune.custom_from_mask(layer, "weight", mask=torch.eye(4, 6)),
}
for name, call in calls.items():
    layer = nn.Linear(6, 4)
    call(layer)
    print(f"{name + ':':<21}{state(layer)}")

layers = [nn.Linear(6, 4), nn.Linear(4, 2)]
prune.global_unstructured([(layer, "weight") for layer in layers], prune.L1Unstructured, amount=0.5)
print(
    f"{'global_unstructured:':<21}"
    + "; ".join(
        f"{int((layer.weight_mask == 0).sum())} of {layer.weight.numel()} masked"
        for layer in layers
    )
)

layer = nn.Linear(6, 4)
print(f"{'is_pruned, fresh:':<21}{prune.is_pruned(layer)}")
prune.l1_unstructured(layer, "weight", amount=0.5)
prune.remove(layer, "weight")
print(f"{'remove:':<21}{state(layer)}, zeros kept {int((layer.weight == 0).sum())}")
