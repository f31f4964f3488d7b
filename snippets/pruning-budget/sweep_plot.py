"""The sweep of sweep.py as an SVG plot: test accuracy lost against the fraction of weights pruned."""

import contextlib
import io
import runpy
import statistics

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt

# Plot the very run the table comes from (run from the repository root); its table is not reprinted.
with contextlib.redirect_stdout(io.StringIO()):
    sweep = runpy.run_path("snippets/pruning-budget/sweep.py")

# Text as <text>, sized for a phone's width; stable ids, so the same SVG every run.
plt.rcParams.update({"font.size": 13, "svg.fonttype": "none", "svg.hashsalt": "pruning-budget"})
# Constrained layout makes room for the legend below the axes (and for the labels) in the figure.
fig, ax = plt.subplots(figsize=(5.0, 4.8), layout="constrained")
ax.axhspan(-1, 2, color="tab:purple", alpha=0.2, label="within the 2-point budget")
ax.axhline(
    2, color="tab:purple", linewidth=2, linestyle="--"
)  # the budget's edge, in either scheme
percent = [a * 100 for a in sweep["amounts"]]
for how, label in sweep["methods"].items():
    runs = [sweep["drops"]["test"][how][a] for a in sweep["amounts"]]
    mean = [statistics.mean(r) for r in runs]
    sd = [statistics.stdev(r) for r in runs]
    (line,) = ax.plot(percent, mean, marker="o", label=label)
    ax.fill_between(
        percent,
        [m - s for m, s in zip(mean, sd, strict=True)],
        [m + s for m, s in zip(mean, sd, strict=True)],
        color=line.get_color(),
        alpha=0.2,
    )
ax.set_ylim(-1, 15)  # where the methods part ways; the curves run off the top past it
ax.set_xlabel("weights pruned (%)")
ax.set_ylabel("test accuracy lost (points)")
ax.set_title("Digits MLP, no fine-tuning\n(mean ± sd over 5 seeds)")
ax.grid(alpha=0.3)
# Below the axes, where nothing is plotted: inside them, the curves and bands reach every corner
# at some amount.
fig.legend(loc="outside lower center", ncols=2, fontsize=12)

svg = io.StringIO()
# Transparent, so that the site's dark scheme can invert it (see docs/stylesheets/extra.css); no
# metadata, so the inline SVG is valid HTML.
fig.savefig(
    svg,
    format="svg",
    metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
    transparent=True,
)
svg = svg.getvalue()[svg.getvalue().index("<svg") :]
alt = (
    "Line plot of test accuracy lost, in points, against the percentage of weights pruned, for L1 "
    "pruning per layer, global L1 pruning and random pruning, each a mean over 5 seeds with a band "
    "of one standard deviation, and a shaded band marking the 2-point budget."
)
print(svg.replace("<svg ", f'<svg class="plot" role="img" aria-label="{alt}" ', 1))
