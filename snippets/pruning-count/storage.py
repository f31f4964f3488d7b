"""Saved size of a pruned 512x512 weight, dense and sparse, across sparsities: where sparse pays off."""

import io
import zlib

import torch
import torch.nn.utils.prune as prune
from torch import nn


def saved_bytes(tensor):
    buffer = io.BytesIO()
    torch.save(tensor, buffer)
    return buffer.getvalue()


sparsities = [0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9]
print(f"{'sparsity':>8}{'dense':>10}{'COO':>10}{'CSR':>10}{'dense, zlib':>13}   (MB, torch.save)")
smallest_csr = smallest_coo = None
for sparsity in sparsities:
    torch.manual_seed(0)
    fc = nn.Linear(512, 512)
    prune.l1_unstructured(fc, name="weight", amount=sparsity)
    prune.remove(fc, "weight")
    weight = fc.weight.detach()
    dense = saved_bytes(weight)
    sizes = [
        len(dense),
        len(saved_bytes(weight.to_sparse())),
        len(saved_bytes(weight.to_sparse_csr())),
        len(zlib.compress(dense)),
    ]
    print(
        f"{sparsity:>8.0%}"
        + "".join(f"{size / 1e6:>10.2f}" for size in sizes[:3])
        + f"{sizes[3] / 1e6:>13.2f}"
    )
    if smallest_coo is None and sizes[1] < sizes[0]:
        smallest_coo = sparsity
    if smallest_csr is None and sizes[2] < sizes[0]:
        smallest_csr = sparsity
print(
    f"first sparsity where COO is smaller than dense: {smallest_coo:.0%}; CSR: {smallest_csr:.0%}"
)
print(
    f"check: sparse storage is larger than dense at the question's 40%: {smallest_coo > 0.4 and smallest_csr > 0.4}"
)
