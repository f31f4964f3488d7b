"""The sweep of sweep.py as an SVG plot: test accuracy against the fraction of weights pruned."""
import contextlib
import io
import runpy

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt

# Plot the very run the table comes from (run from the repository root); its table is not reprinted.
with contextlib.redirect_stdout(io.StringIO()):
    sweep = runpy.run_path("snippets/pruning-budget/sweep.py")

fig, ax = plt.subplots(figsize=(7, 4))
ax.axhspan(sweep["baseline"] - 2, sweep["baseline"], color="tab:green", alpha=0.2, label="within 2 points of unpruned")
for how, label in sweep["methods"].items():
    ax.plot([a * 100 for a in sweep["amounts"]], sweep["accuracies"][how], marker="o", label=label)
ax.set_xlabel("weights pruned (%)")
ax.set_ylabel("test accuracy (%)")
ax.set_title("Pruning a digits MLP without fine-tuning")
ax.grid(alpha=0.3)
ax.legend()
fig.tight_layout()

plt.rcParams["svg.hashsalt"] = "pruning-budget"  # stable element ids, so the SVG is the same on every run
svg = io.StringIO()
# Transparent, so that the site's dark scheme can invert it (see docs/stylesheets/extra.css).
fig.savefig(svg, format="svg", metadata={"Date": None}, transparent=True)
svg = svg.getvalue()[svg.getvalue().index("<svg"):]
alt = (
    "Line plot of test accuracy in percent against the percentage of weights pruned, for L1 pruning "
    "per layer, global L1 pruning and random pruning, with a shaded band marking 2 points below the "
    "unpruned model's accuracy."
)
print(svg.replace("<svg ", f'<svg class="plot" role="img" aria-label="{alt}" ', 1))
