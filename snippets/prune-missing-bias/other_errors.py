"""The errors prune raises for other bad arguments, and what each failure leaves on a fresh Conv2d."""

import torch.nn.utils.prune as prune
from torch import nn

for name, amount in [
    ("bias", 0.3),
    ("bais", 0.3),
    ("weight", 1.3),
    ("weight", -1),
    ("weight", 500),
]:
    conv = nn.Conv2d(3, 16, 3, bias=False)
    try:
        prune.l1_unstructured(conv, name=name, amount=amount)
        outcome = "pruned"
    except Exception as error:  # noqa: BLE001 - which exception it is, is the finding
        outcome = f"{type(error).__name__}: {error}"
    print(f"name={name!r}, amount={amount}: {outcome}")
    print(f"    parameters left: {list(conv._parameters)}")
