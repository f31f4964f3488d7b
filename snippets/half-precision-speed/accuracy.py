"""What casting to bf16 or fp16 does to the outputs: a 2048-wide Linear against fp32, and a digits
MLP trained in fp32 over 5 seeds, then evaluated in fp32, bf16 and fp16 (the model and its input
cast with .to(dtype))."""

import copy
import os
import statistics

# The kernels of a CPU with AVX2 only, on every x86-64 CPU, so that the figures below match the
# page to the last digit: ATen, MKL, oneDNN and fbgemm each pick their instruction paths by the
# CPU, and training turns a last-bit difference into another prediction. They read these once,
# when torch first computes: set before it is imported.
os.environ.update(
    ATEN_CPU_CAPABILITY="avx2",
    MKL_ENABLE_INSTRUCTIONS="AVX2",
    MKL_CBWR="AVX2",
    ONEDNN_MAX_CPU_ISA="AVX2",
    FBGEMM_ENABLE_INSTRUCTIONS="AVX2",
)

import torch
from scipy import stats
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

torch.set_num_threads(1)  # float sums in one order, whatever the machine's core count
HALVES = {"bf16": torch.bfloat16, "fp16": torch.float16}

# 1. One 2048-wide Linear at batch 64: how far each cast moves its outputs from fp32, and whether
# its kernel sums in fp32: the same half-precision numbers multiplied and summed in fp32, rounded
# once at the end, against a running sum kept in the half type itself (first 4 rows).
torch.manual_seed(0)
layer, x = nn.Linear(2048, 2048), torch.randn(64, 2048)
print("2048-wide Linear, batch 64; differences as a share of the largest output:")
with torch.inference_mode():
    exact = layer(x)
    scale = exact.abs().max()
    for name, dtype in HALVES.items():
        half = nn.Linear(2048, 2048).to(dtype)
        half.load_state_dict(layer.state_dict())  # the fp32 weights, rounded to the half type
        xh, wh, bh = x.to(dtype), half.weight, half.bias
        out = half(xh).float()
        in_fp32 = (xh.float() @ wh.float().T + bh.float()).to(dtype).float()
        in_half = bh.expand(4, -1).clone()
        for k in range(2048):
            in_half += xh[:4, k : k + 1] * wh[:, k]
        error = (out - exact).abs().max() / scale
        apart = (out - in_fp32).abs().max() / scale
        apart_half = (in_half.float() - in_fp32[:4]).abs().max() / scale
        equal = (out == in_fp32).sum().item()
        print(
            f"  {name}: the weight takes {wh.nbytes} bytes ({layer.weight.nbytes} in fp32); "
            f"the outputs move from fp32 by at most {error:.3%}"
        )
        print(
            f"  {name}: {equal} of {out.numel()} outputs equal the fp32 sum of the same {name} "
            f"numbers, rounded once;\n        the rest differ by at most {apart:.3%} "
            f"(a running sum in {name}: {apart_half:.3%})"
        )
        eps = torch.finfo(dtype).eps  # the step just above 1: 2**-7 in bf16, 2**-10 in fp16
        print(
            f"check: the {name} Linear sums in fp32 (it stays within {name}'s epsilon of that "
            f"rounded sum, relative to the largest output; a running sum in {name} does not): "
            f"{apart <= eps < apart_half}"
        )

# 2. A digits MLP trained in fp32, evaluated after each cast, over 5 seeds.
X, y = load_digits(return_X_y=True)  # ships with scikit-learn: nothing is downloaded
X_train, X_test, y_train, y_test = train_test_split(
    X / 16.0, y, test_size=0.3, random_state=0, stratify=y
)
X_train, X_test = (torch.tensor(a, dtype=torch.float32) for a in (X_train, X_test))
y_train, y_test = torch.tensor(y_train), torch.tensor(y_test)
SEEDS = range(5)
accuracy = {"fp32": [], "bf16": [], "fp16": []}
changed = {"bf16": 0, "fp16": 0}  # test predictions that differ from the fp32 model's
for seed in SEEDS:
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _epoch in range(20):
        for batch in torch.randperm(len(X_train)).split(64):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(X_train[batch]), y_train[batch]).backward()
            optimizer.step()
    with torch.inference_mode():
        predicted = {"fp32": model(X_test).argmax(dim=1)}
        for name, dtype in HALVES.items():
            cast = copy.deepcopy(model).to(dtype)  # .to() casts a module in place: cast a copy
            predicted[name] = cast(X_test.to(dtype)).argmax(dim=1)
    for name, p in predicted.items():
        accuracy[name].append((p == y_test).float().mean().item() * 100)
    for name in HALVES:
        changed[name] += (predicted[name] != predicted["fp32"]).sum().item()


# Where a cast changes few or no predictions, a t interval over 5 seeds has little or no width: bound
# the rate of changed predictions instead, with the exact (Clopper-Pearson) 95% interval. A changed
# prediction moves the accuracy by one prediction at most, so the bound holds for the accuracy too.
print(f"digits MLP, test set of {len(y_test)}; accuracy %, mean ± sd over {len(SEEDS)} seeds:")
for name, values in accuracy.items():
    print(f"  {name}  {statistics.mean(values):6.2f} ± {statistics.stdev(values):.2f}")
total = len(y_test) * len(SEEDS)
print(
    f"test predictions that differ from the fp32 model's, over the {len(SEEDS)} seeds' test sets "
    "together,\nwith the upper end of the exact 95% interval for the rate:"
)
bound = {}
for name in HALVES:
    bound[name] = stats.binomtest(changed[name], total).proportion_ci(method="exact").high
    print(f"  {name}: {changed[name]} of {total} (rate at most {bound[name]:.2%})")
print(f"check: no test prediction changes under either cast: {sum(changed.values()) == 0}")
for name in HALVES:
    print(
        f"check: {name} changes fewer than 1% of test predictions, so the accuracy by less than 1 "
        f"point (the upper end of the 95% interval lies below 1%): {bound[name] < 0.01}"
    )
