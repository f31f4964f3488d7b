"""Saved size of a pruned 512x512 weight, dense and in sparse formats, across sparsities: where each
format pays off. Each format is saved compactly: its own tensors, cloned out of any larger buffer."""

import io
import zlib

import numpy as np
import torch
import torch.nn.utils.prune as prune
from torch import nn


def saved_bytes(tensors):
    buffer = io.BytesIO()
    torch.save(tensors, buffer)
    return buffer.getvalue()


def formats(weight):
    """Each storage format's tensors, compact: torch.save writes a view's whole buffer, and
    to_sparse_csr's column indices are a view into one twice their length."""
    coo, csr, kept = weight.to_sparse(), weight.to_sparse_csr(), weight != 0
    return {
        "dense": weight,
        "COO": {"indices": coo.indices().clone(), "values": coo.values().clone()},
        "CSR": {
            "rows": csr.crow_indices().clone(),
            "columns": csr.col_indices().clone(),
            "values": csr.values().clone(),
        },
        "CSR int32": {
            "rows": csr.crow_indices().to(torch.int32),
            "columns": csr.col_indices().to(torch.int32),
            "values": csr.values().clone(),
        },
        "bitmask": {
            "mask": torch.from_numpy(np.packbits(kept.numpy().ravel())),
            "values": weight[kept].clone(),
        },
    }


sparsities = [0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9]
names = ["dense", "COO", "CSR", "CSR int32", "bitmask"]
print(f"{'sparsity':>8}" + "".join(f"{n:>11}" for n in names) + f"{'dense, zlib':>13}   (MB)")
smallest = dict.fromkeys(names[1:])
for sparsity in sparsities:
    torch.manual_seed(0)
    fc = nn.Linear(512, 512)
    prune.l1_unstructured(fc, name="weight", amount=sparsity)
    prune.remove(fc, "weight")
    weight = fc.weight.detach()
    sizes = {name: len(saved_bytes(tensors)) for name, tensors in formats(weight).items()}
    zipped = len(zlib.compress(saved_bytes(weight)))
    print(
        f"{sparsity:>8.0%}"
        + "".join(f"{sizes[n] / 1e6:>11.2f}" for n in names)
        + f"{zipped / 1e6:>13.2f}"
    )
    for name in smallest:
        if smallest[name] is None and sizes[name] < sizes["dense"]:
            smallest[name] = sparsity
    if sparsity == 0.4:
        as_returned = weight.to_sparse_csr()  # saved as it is: a view's whole buffer goes too
        uncompacted = len(saved_bytes(as_returned))
        buffered = as_returned.col_indices().untyped_storage().nbytes() // 8
        values = as_returned.values().numel()


def first(at):
    """Where a format starts to pay, as far as this sweep can say."""
    if at is None:
        return "none"
    return f"{at:.0%} or less" if at == sparsities[0] else f"{at:.0%}"


print(
    "first sparsity where each format is smaller than dense: "
    + ", ".join(f"{name} {first(at)}" for name, at in smallest.items())
)
print(
    f"at 40%, to_sparse_csr() saved as it is: {uncompacted / 1e6:.2f} MB, its column indices' "
    f"buffer holding {buffered:,} entries for {values:,} values"
)
print(
    "check: COO and CSR are larger than dense at the question's 40%: "
    f"{all(smallest[n] is None or smallest[n] > 0.4 for n in ('COO', 'CSR', 'CSR int32'))}"
)
print(
    f"check: a bitmask with the kept values is smaller than dense at 40%: {smallest['bitmask'] == 0.4}"
)
