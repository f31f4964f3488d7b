"""Which test examples compression changes: a yardstick (two fp32 seeds), fp32's confidence on the
changed examples, and the examples on which the compressed models' majority vote moves."""

import contextlib
import io
import itertools
import os
import runpy
import statistics

# The same pin as churn.py, whose models this snippet reuses: AVX2 kernels on every x86-64 CPU,
# set before torch is imported (the training in churn.py turns a last-bit difference into
# another prediction).
os.environ.update(
    ATEN_CPU_CAPABILITY="avx2",
    MKL_ENABLE_INSTRUCTIONS="AVX2",
    MKL_CBWR="AVX2",
    ONEDNN_MAX_CPU_ISA="AVX2",
    FBGEMM_ENABLE_INSTRUCTIONS="AVX2",
)

import torch
from scipy import stats

# The trained models and predictions of churn.py (run from the repository root); its table is
# not reprinted.
with contextlib.redirect_stdout(io.StringIO()):
    run = runpy.run_path("snippets/prediction-churn/churn.py")
fp32, base, predicted = run["fp32"], run["base"], run["predicted"]
X_test, y_test = run["X_test"], run["y_test"]
n = len(y_test)

# A yardstick: two fp32 models trained alike from different seeds also have about the same accuracy.
seeds = statistics.mean(int((a != b).sum()) for a, b in itertools.combinations(base, 2))
churn = {
    name: statistics.mean(int((p != b).sum()) for p, b in zip(runs, base, strict=True))
    for name, runs in predicted.items()
}
print("test predictions that differ from fp32's, mean over the seeds:")
for name, value in [*churn.items(), ("another fp32 seed (10 pairs)", seeds)]:
    print(f"  {name:<30}{value:6.1f}  ({value / n:.1%})")

# Paired by seed: each seed's fp32 model against its compressed model, and against the other four
# fp32 models (the mean of their disagreements with it). Those yardsticks share pairs of models,
# so the seeds' differences are not independent: read the interval as a guide, not an exact test.
yardstick = [
    statistics.mean(int((b != other).sum()) for j, other in enumerate(base) if j != i)
    for i, b in enumerate(base)
]
print()
print("changed predictions minus another fp32 seed's, paired by seed, mean and 95% interval:")
paired = {}
for name in ("int4 weights", "50% pruned"):
    d = [int((p != b).sum()) - y for p, b, y in zip(predicted[name], base, yardstick, strict=True)]
    half = stats.t.ppf(0.975, len(d) - 1) * statistics.stdev(d) / len(d) ** 0.5
    paired[name] = low, high = statistics.mean(d) - half, statistics.mean(d) + half
    word = "fewer" if high < 0 else "more" if low > 0 else "no difference shown"
    print(f"  {name:<14}{statistics.mean(d):+6.1f}  [{low:+.1f}, {high:+.1f}]  {word}")

# fp32's own confidence: the gap between its two most probable classes, on changed and kept examples.
with torch.inference_mode():
    top2 = [torch.softmax(m(X_test), dim=1).topk(2).values for m in fp32]
gap = [t[:, 0] - t[:, 1] for t in top2]
print()
print("fp32's gap between its top two class probabilities, median over the 5 seeds' test examples:")
medians = {}
for name in ("int4 weights", "50% pruned"):
    changed = torch.cat([g[p != b] for g, p, b in zip(gap, predicted[name], base, strict=True)])
    kept = torch.cat([g[p == b] for g, p, b in zip(gap, predicted[name], base, strict=True)])
    medians[name] = (changed.median().item(), kept.median().item())
    print(
        f"  {name:<14}{len(changed):>5} changed: {medians[name][0]:.2f}   {len(kept)} kept: {medians[name][1]:.2f}"
    )


def vote(predictions):
    """Each example's most frequent label over the seeds (ties to the smaller label), and whether
    that was a tie (two labels with the most votes, e.g. 2-2-1)."""
    counts = torch.stack(
        [torch.bincount(column, minlength=10) for column in torch.stack(predictions).T]
    )
    top = counts.max(dim=1, keepdim=True).values
    return counts.argmax(dim=1), (counts == top).sum(dim=1) > 1


# Hooker et al.'s exemplars, on five models a side: where the compressed models' vote differs
# from the fp32 models' vote.
fp32_vote, fp32_tie = vote(base)
fp32_right = torch.stack([b == y_test for b in base]).float().mean(dim=0) * 100
print()
exemplars, ties = {}, {}
for name in ("int4 weights", "50% pruned"):
    moved, tie = vote(predicted[name])
    exemplars[name] = where = moved != fp32_vote
    ties[name] = int((where & (tie | fp32_tie)).sum())
    print(
        f"{name}: {int(where.sum())} test examples whose vote moves, {ties[name]} of them on a tie"
        f" (fp32's or its own);\n  fp32 gets them right {fp32_right[where].mean():.1f}% of the"
        f" time, the rest {fp32_right[~where].mean():.1f}%"
    )
both = int((exemplars["int4 weights"] & exemplars["50% pruned"]).sum())
print(f"moved by both int4 and pruning: {both}")
harder = all(fp32_right[where].mean() < fp32_right[~where].mean() for where in exemplars.values())
print()
print(
    "check: int4 changes fewer predictions than another fp32 seed does, its paired interval below 0:"
    f" {paired['int4 weights'][1] < 0}"
)
print(
    "check: pruning changes more predictions than another fp32 seed does, its paired interval above 0:"
    f" {paired['50% pruned'][0] > 0}"
)
print(
    f"check: both change examples fp32 is less sure of, by the median gap: {all(c < k for c, k in medians.values())}"
)
print(f"check: fp32 is right less often on each one's exemplars than on the rest: {harder}")
print(
    "check: no int4 exemplar moved on a tie, and some of pruning's did:"
    f" {ties['int4 weights'] == 0 and ties['50% pruned'] > 0}"
)
