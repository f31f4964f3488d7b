"""Does the order matter? Quantize-then-prune ranks the weights by their quantized magnitudes,
which are coarse, so it prunes other weights than prune-then-quantize."""

import contextlib
import io
import os
import runpy
import statistics

# The kernels of a CPU with AVX2 only, as grid.py sets them, before torch is first imported (in a
# notebook that runs this snippet alone too): a pin set after torch computed has no effect.
os.environ.update(
    ATEN_CPU_CAPABILITY="avx2",
    MKL_ENABLE_INSTRUCTIONS="AVX2",
    MKL_CBWR="AVX2",
    ONEDNN_MAX_CPU_ISA="AVX2",
    FBGEMM_ENABLE_INSTRUCTIONS="AVX2",
)

import torch

# The models, compressed models and helpers of grid.py (run from the repository root); its
# tables are not reprinted.
with contextlib.redirect_stdout(io.StringIO()):
    grid = runpy.run_path("snippets/prune-and-quantize/grid.py")
acc, made, models, paired, show = (grid[k] for k in ("acc", "made", "models", "paired", "show"))
AMOUNTS, QUANTS, MARGIN = grid["AMOUNTS"][1:], grid["QUANTS"], grid["MARGIN"]


def judged(cell):
    if cell[1] > -MARGIN and cell[2] < MARGIN:
        return "same"  # the whole interval inside the margin
    return "apart" if cell[1] > 0 or cell[2] < 0 else "neither"


def zeros(model):
    return torch.cat([model[i].weight.flatten() == 0 for i in (0, 2)])


print(
    f"QP minus PQ, test accuracy paired by seed, points, 95% interval: same (within ±{MARGIN:g}),"
)
print("apart (the interval excludes 0) or neither")
gap = {}
for amount in AMOUNTS:
    line = f"{amount:>4.0%}"
    for name in QUANTS:
        pq, qp = acc["PQ", amount, name], acc["QP", amount, name]
        gap[amount, name] = paired([q - p for p, q in zip(pq, qp, strict=True)])
        line += f"   {name} {show(gap[amount, name])} {judged(gap[amount, name]):<7}"
    print(line.rstrip())

print()
print("weights zero in one order and not in the other, % of all weights, mean over seeds")
print(f"{'pruned':>6}" + "".join(f"{name:>8}" for name in QUANTS))
differ = {}
for amount in AMOUNTS:
    for name in QUANTS:
        pairs = zip(made["PQ", amount, name], made["QP", amount, name], strict=True)
        differ[amount, name] = statistics.mean(
            float((zeros(p) ^ zeros(q)).float().mean()) * 100 for p, q in pairs
        )
    print(f"{amount:>6.0%}" + "".join(f"{differ[amount, name]:>8.2f}" for name in QUANTS))

# Why: one scale per row, so a row's int4 weights keep at most 8 magnitudes (0 to 7 steps).
weights = [torch.cat([m[i].weight.detach().flatten() for i in (0, 2)]) for m in models]
int4 = [[grid["fake_quantize"](m[i].weight.detach(), 4) for i in (0, 2)] for m in models]
per_row = max(int(row.abs().unique().numel()) for layers in int4 for w in layers for row in w)
int4 = [torch.cat([w.flatten() for w in layers]) for layers in int4]
distinct = [statistics.mean(w.abs().unique().numel() for w in ws) for ws in (weights, int4)]
print()
print(
    f"distinct weight magnitudes of {weights[0].numel():,}, mean over seeds: fp32 {distinct[0]:,.0f}, "
    f"int4 {distinct[1]:,.0f}; most in one row at int4: {per_row}"
)
# A few weights share the magnitude at the cut; which of them go is torch.topk's choice.
tied = max(
    int((w.abs() == w.abs().sort().values[round(a * w.numel()) - 1]).sum())
    for w in int4
    for a in AMOUNTS
)
print(f"int4 weights sharing the magnitude at the cut, most over seeds and amounts: {tied}")
per_seed = {}
for order in ("PQ", "QP"):
    measured, predicted = grid["drops"](order, 0.8, "int4")
    per_seed[order] = [m - p for m, p in zip(measured, predicted, strict=True)]
    print(
        f"80% int4 {order}, measured minus predicted drop, seed by seed: "
        + ", ".join(f"{d:+.2f}" for d in per_seed[order])
    )

none_apart = all(judged(c) != "apart" for c in gap.values())
not_same = judged(gap[0.8, "int4"]) != "same"
over = min(differ[a, "int4"] for a in AMOUNTS) > 1
print()
print(f"check: no cell shows the two orders apart, every interval holds 0: {none_apart}")
print(f"check: at 80% int4 the order interval reaches past ±1, not shown the same: {not_same}")
print(f"check: at int4 the two orders zero other weights, over 1% of all at every amount: {over}")
print(f"check: int4 leaves each row at most 8 magnitudes: {per_row <= 8}")
print(
    "check: over 99% of the fp32 magnitudes are distinct, under a fifth of the int4 ones: "
    f"{distinct[0] > 0.99 * weights[0].numel() and distinct[1] < 0.2 * weights[0].numel()}"
)
spread = {a: statistics.stdev(acc["PQ", a, "fp32"]) for a in grid["AMOUNTS"]}
print(
    f"check: the pruned fp32 models' spread over seeds is largest at 80%: {max(spread, key=spread.get) == 0.8}"
)
print(
    f"check: at 80% int4, prune then quantize is within 1 point of the sum for every seed: "
    f"{all(abs(d) < 1 for d in per_seed['PQ'])}"
)
print(
    "check: at 80% int4, quantize then prune misses the sum by over 1 point for some seed, both ways: "
    f"{min(per_seed['QP']) < -1 and max(per_seed['QP']) > 1}"
)
