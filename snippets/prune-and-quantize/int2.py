"""Where quantization alone costs points: int2 weights (levels -1, 0, +1 times each row's scale),
pruned in both orders. Rounding to int2 zeroes small weights itself, so the two overlap."""

import contextlib
import io
import runpy
import statistics

import torch

# The models and helpers of grid.py (run from the repository root); its tables are not reprinted.
with contextlib.redirect_stdout(io.StringIO()):
    grid = runpy.run_path("snippets/prune-and-quantize/grid.py")
acc, models, paired, show, MARGIN = (grid[k] for k in ("acc", "models", "paired", "show", "MARGIN"))
AMOUNTS, ORDERS = grid["AMOUNTS"], grid["ORDERS"]

made = {}
for order in ORDERS:
    for amount in AMOUNTS:
        made[order, amount] = [grid["compress"](m, amount, 2, order) for m in models]
        acc[order, amount, "int2"] = [grid["accuracy"](m) for m in made[order, amount]]


def zero_share(ms):
    return statistics.mean(
        float(
            sum((m[i].weight == 0).sum() for i in (0, 2)) / sum(m[i].weight.numel() for i in (0, 2))
        )
        * 100
        for m in ms
    )


alone = paired(grid["drops"]("PQ", 0.0, "int2")[0])
print(f"int2 alone: test accuracy drop {show(alone)} points, 95% interval; no fine-tuning")
print("test accuracy % mean ± sd; zero weights %; measured minus predicted drop, 95% interval")
print(f"{'pruned':>6}{'int2 PQ':>14}{'int2 QP':>14}{'zero PQ':>9}{'zero QP':>9}   {'PQ':<24}QP")
gap = {}
for amount in AMOUNTS:
    line = f"{amount:>6.0%}"
    line += "".join(
        f"{statistics.mean(acc[o, amount, 'int2']):>7.2f} ± {statistics.stdev(acc[o, amount, 'int2']):.2f}"
        for o in ORDERS
    )
    line += "".join(f"{zero_share(made[o, amount]):>9.1f}" for o in ORDERS) + "   "
    if amount > 0:
        for order in ORDERS:
            measured, predicted = grid["drops"](order, amount, "int2")
            gap[order, amount] = paired([m - p for m, p in zip(measured, predicted, strict=True)])
            line += f"{show(gap[order, amount]):<24}"
    print(line.rstrip())

# Magnitude pruning takes the zeros first: after int2, pruning less than int2 zeroed changes nothing.
unchanged = all(
    torch.equal(p[i].weight, q[i].weight)
    for amount in (0.2, 0.4, 0.6)
    for p, q in zip(made["QP", amount], made["QP", 0.0], strict=True)
    for i in (0, 2)
)
print()
print(f"check: int2 alone costs more than 1 point, its interval above 1: {alone[1] > MARGIN}")
print(
    f"check: int2 alone zeroes more weights than pruning 60% does: {zero_share(made['PQ', 0.0]) > 60}"
)
print(
    f"check: int2, then pruning up to 60%, leaves every weight of the int2 model as it was: {unchanged}"
)
less = any(cell[2] < -MARGIN for cell in gap.values())
more = any(cell[1] > MARGIN for cell in gap.values())
print(
    f"caveat: where quantization alone costs points, the drops add to less than their sum "
    f"(some interval below -{MARGIN:g}): {less}"
)
print(f"check: no int2 cell loses more than the sum, no interval above +{MARGIN:g}: {not more}")
beats = statistics.mean(acc["PQ", 0.8, "int2"]) > statistics.mean(acc["PQ", 0.0, "int2"])
print(f"check: at 80%, pruning first then int2 scores above int2 alone on average: {beats}")
# Prune first, at every bit width of this page: does any cell lose over a point beyond the sum?
prune_first = [c for (o, _, _), c in grid["gap"].items() if o == "PQ"]
prune_first += [c for (o, _), c in gap.items() if o == "PQ"]
bounded = all(c[2] < MARGIN for c in prune_first)
print(
    "check: pruned first (int8, int4, int2), no cell's interval reaches a point above the sum: "
    f"{bounded}"
)
