"""A Linear(2048, 2048) factored by truncated SVD at rank r as Linear(2048, r) then Linear(r, 2048):
parameters and FLOPs per example, exact, against the dense layer, and the rank where they break
even, r = mn/(m + n), for this layer and a few other shapes."""

import os
from fractions import Fraction

# Every snippet of this page pins the kernels of a CPU with AVX2 only (accuracy.py needs it to
# print the same on every CPU), because the page's notebook runs them in one process, where only
# a pin set before torch is first imported takes effect. The counts below need no pin.
os.environ.update(
    ATEN_CPU_CAPABILITY="avx2",
    MKL_ENABLE_INSTRUCTIONS="AVX2",
    MKL_CBWR="AVX2",
    ONEDNN_MAX_CPU_ISA="AVX2",
    FBGEMM_ENABLE_INSTRUCTIONS="AVX2",
)

import torch
from torch import nn

torch.set_num_threads(1)
torch.manual_seed(0)
M = N = 2048  # out_features, in_features
RANKS = (64, 128, 256, 512, 768, 1024, 1536, 2048)
dense = nn.Linear(N, M).eval()


def factor(layer, ranks):
    """For each rank r, Linear(n, r) then Linear(r, m), from the truncated SVD W ~ U_r S_r V_r^T:
    the first holds sqrt(S_r) V_r^T, the second U_r sqrt(S_r) and the dense layer's bias."""
    U, S, Vh = torch.linalg.svd(layer.weight.detach(), full_matrices=False)  # once for all ranks
    return {rank: truncated(layer, U, S, Vh, rank) for rank in ranks}


def truncated(layer, U, S, Vh, rank):
    root = S[:rank].sqrt()
    first = nn.Linear(layer.in_features, rank, bias=False)
    second = nn.Linear(rank, layer.out_features)
    with torch.no_grad():
        first.weight.copy_(root[:, None] * Vh[:rank])
        second.weight.copy_(U[:, :rank] * root)
        second.bias.copy_(layer.bias)
    return nn.Sequential(first, second).eval()


def cost(module):
    """Parameters, and FLOPs per example: a multiply and an add per weight, an add per bias."""
    linears = [m for m in module.modules() if isinstance(m, nn.Linear)]
    params = sum(p.numel() for m in linears for p in m.parameters())
    flops = sum(2 * m.weight.numel() + (0 if m.bias is None else m.bias.numel()) for m in linears)
    return params, flops


factored = factor(dense, RANKS)
params_d, flops_d = cost(dense)
x = torch.randn(64, N)
with torch.inference_mode():
    same = torch.allclose(factored[N](x), dense(x), rtol=1e-4, atol=1e-4)
print(f"Linear({N}, {M}): dense {params_d} parameters, {flops_d} FLOPs per example")
print(f"  {'rank':>6}{'parameters':>12}{'FLOPs':>11}{'FLOPs / dense':>15}{'rank / width':>14}")
for rank, module in factored.items():
    params, flops = cost(module)
    print(f"  {rank:>6}{params:>12}{flops:>11}{flops / flops_d:>15.3f}{rank / N:>14.3f}")
print(f"check: at full rank the factored layer gives the dense layer's outputs: {same}")
print()

# Where factoring pays: r(m + n) < mn, so r < mn / (m + n) (the bias costs the same either way).
print("break-even rank mn/(m + n): factoring saves parameters and FLOPs only below it")
for m, n, where in [
    (M, N, "this layer"),
    (512, 512, "accuracy.py's hidden layer"),
    (4096, 1024, "a 4x up-projection"),
    (512, 64, "accuracy.py's first layer"),
]:
    even = Fraction(m * n, m + n)
    exact = f"{even}" if even.denominator == 1 else f"{even} = {float(even):.1f}"
    print(
        f"  Linear({n}, {m}) ({where}): r < {exact}, "
        f"{float(even) / min(m, n):.0%} of the full rank {min(m, n)}"
    )
print()

costs = {rank: cost(module) for rank, module in factored.items()}
even = Fraction(M * N, M + N)
print(
    "claim: the factored layer's FLOPs grow linearly with its rank, 2r(m + n) plus the "
    f"bias's m: {all(f - M == 2 * r * (M + N) for r, (_, f) in costs.items())}"
)
print(
    f"claim: every rank below the full {N} makes the layer cheaper (fewer parameters and FLOPs): "
    f"{all(p < params_d and f < flops_d for r, (p, f) in costs.items() if r < N)}"
)
# "About a quarter": within 10% of it, either way.
quarter = costs[N // 4][1] / flops_d
print(
    f"claim: at a quarter of the full rank (r = {N // 4}) the layer does about a quarter of the "
    f"dense FLOPs (within 10% of 0.25; it does {quarter:.3f}): {abs(quarter - 0.25) <= 0.025}"
)
above = all(p > params_d and f > flops_d for r, (p, f) in costs.items() if r > even)
print(
    f"check: at r = mn/(m + n) = {even} parameters and FLOPs equal the dense layer's, and above "
    f"it they exceed them: {costs[int(even)] == (params_d, flops_d) and above}"
)

# The option of the page's answer prediction that this run shows (the build keys it on this line).
half = costs[N // 2][1]
if half < flops_d:
    answer = "Fewer: half the rank, about half the work"
elif half == flops_d:
    answer = "The same: two 2048 × 1024 matrices hold as many weights as one 2048 × 2048"
else:
    answer = "More: the second matmul adds work on top of the first"
print(f"answer: {answer}")
