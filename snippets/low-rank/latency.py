"""Latency of counts.py's Linear(2048, 2048) factored at several ranks, at batch 64, and of a small
Linear(512, 512) at batch 1, against the dense layer: torch.utils.benchmark, one thread,
interleaved, with the load other processes put on the machine meanwhile."""

import contextlib
import copy
import io
import os
import runpy
import statistics
import time

# Every snippet of this page pins the kernels of a CPU with AVX2 only (accuracy.py needs it to
# print the same on every CPU), because the page's notebook runs them in one process, where only
# a pin set before torch is first imported takes effect. So these are the times of AVX2 kernels,
# with MKL in its reproducible mode (MKL_CBWR, which may be slower than its default): not what a
# default install runs on a CPU with AVX-512.
os.environ.update(
    ATEN_CPU_CAPABILITY="avx2",
    MKL_ENABLE_INSTRUCTIONS="AVX2",
    MKL_CBWR="AVX2",
    ONEDNN_MAX_CPU_ISA="AVX2",
    FBGEMM_ENABLE_INSTRUCTIONS="AVX2",
)

import torch
from torch import nn
from torch.utils import benchmark

THREADS = 1  # fixed, so that runs on different machines and builds compare like with like
MARGIN = 0.1  # a difference in latency smaller than this is not called either way
# The layer and its factorisations from counts.py (run from the repository root); its counts
# are not reprinted.
with contextlib.redirect_stdout(io.StringIO()):
    run = runpy.run_path("snippets/low-rank/counts.py")
torch.set_num_threads(THREADS)
torch.manual_seed(0)
TIMED = {r: run["factored"][r] for r in (64, 256, 512, 768, 1024, 1536)}  # of counts.py's ranks
small = nn.Linear(512, 512).eval()  # the shape of accuracy.py's hidden layer
TINY = "Linear(8, 8)"  # next to no work: its time is the fixed cost of one call of a Linear
tiny = nn.Linear(8, 8).eval()
SETUPS = [  # (title, dense layer, its factorisations by rank, batch)
    ("Linear(2048, 2048), batch 64", run["dense"], TIMED, 64),
    ("Linear(512, 512), batch 1", small, run["factor"](small, (8, 64, 128, 256)), 1),
]


def cpu_seconds() -> tuple[float, float, float]:
    """CPU seconds used so far by every process on the machine and by this one (Linux's
    /proc/stat), and the clock."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(n) for n in stat.readline().split()[1:9]]
        busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # not idle or I/O
    except OSError:
        busy = float("nan")
    return busy, time.process_time(), time.perf_counter()


def others_since(start: tuple[float, float, float]) -> tuple[float, float]:
    """Other processes' CPU seconds since `start`, and the seconds that passed."""
    end = cpu_seconds()
    return (end[0] - start[0]) - (end[1] - start[1]), end[2] - start[2]


def load_line(others: float, seconds: float) -> str:
    """The load the timings were taken under: they compare only when taken on an idle core."""
    if others != others:  # no /proc/stat here
        return "other processes while timing: ~not measured"
    cores = max(0.0, others / seconds)  # clock ticks are coarser than process_time
    verdict = "idle" if cores < 0.1 else "UNDER LOAD: not comparable with a run on an idle core"
    return f"other processes while timing: ~{cores:.2f} of a core ({verdict})"


def compared(quartiles: dict, rounds: dict, reference: str, margin: float = MARGIN) -> list[str]:
    """Each row against the reference, from each round's ratio of medians (the two are timed in
    the same round, so a burst of noise touches both, and the order rotates from round to round):
    faster or slower only where the rounds' median ratio lies beyond the margin and every round
    but one in four puts the two on the same side of 1; otherwise no difference was measured.
    Deciding on the median keeps a ratio well past the margin from flipping with one noisy round;
    asking nearly every round for the same side keeps a ratio that changes side from being
    called on the luck of one run."""
    lines = []
    for name in quartiles:
        if name != reference:
            ratios = [x / y for x, y in zip(rounds[name], rounds[reference], strict=True)]
            typical = statistics.median(ratios)
            allowed = (len(ratios) - 1) // 4  # rounds that may fall on the other side of 1
            if sum(r >= 1 for r in ratios) <= allowed and typical < 1 / (1 + margin):
                word = "faster"
            elif sum(r <= 1 for r in ratios) <= allowed and typical > 1 + margin:
                word = "slower"
            else:
                word = f"no difference measured beyond {margin:.0%}"
            lines.append(f"  {name} against {reference}: ~{word} ({typical:.2f}× the time)")
    return lines


def median_ratio(rounds: dict, name: str, reference: str = "dense") -> float:
    """The rounds' median ratio of `name`'s time to the reference's."""
    return statistics.median(x / y for x, y in zip(rounds[name], rounds[reference], strict=True))


def rotated(names: list, round_: int) -> list:
    """The names in the order of this round: each starts a round in turn, so that no one of
    them always runs first, after a warm-up or another's memory traffic."""
    start = round_ % len(names)
    return names[start:] + names[:start]


load = [0.0, 0.0]  # other processes' CPU seconds while timing, and the seconds timed
print(
    f"each comparison: faster or slower only where the rounds' median ratio lies more than "
    f"{MARGIN:.0%} from 1 and every round but one in four puts the two on the same side"
)
print(
    f"torch threads: {torch.get_num_threads()}; median per call, IQR in brackets; measured on "
    "the machine that built this page; FLOPs / dense is exact (counts.py)"
)
for title, dense, factored, batch in SETUPS:
    x, x_tiny = torch.randn(batch, dense.in_features), torch.randn(batch, 8)
    cases = {"dense": dense} | {f"rank {r}": m for r, m in factored.items()}
    flops = {name: run["cost"](m)[1] for name, m in cases.items()}
    cases[TINY] = tiny
    times = {name: [] for name in cases}
    rounds = {name: [] for name in cases}  # each round's median
    with torch.inference_mode():
        # Round -1 is the warm-up; many short rounds sample many allocations.
        for round_ in range(-1, 12):
            # Fresh copies of the layers and the input every round: where a tensor lands in
            # memory moves a memory-bound kernel's time, and one allocation would fix that luck
            # for the whole run.
            timers = {
                name: benchmark.Timer(
                    "m(x)",
                    globals={"m": copy.deepcopy(m), "x": (x_tiny if m is tiny else x).clone()},
                    num_threads=THREADS,
                )
                for name, m in cases.items()
            }
            if round_ < 0:
                for timer in timers.values():
                    timer.timeit(3)
                start = cpu_seconds()  # after the warm-up
                continue
            for name in rotated(list(timers), round_):
                measured = timers[name].blocked_autorange(min_run_time=0.02).times
                times[name] += measured
                rounds[name].append(statistics.median(measured))
        for i, value in enumerate(others_since(start)):
            load[i] += value
    quartiles = {
        name: torch.tensor(t).quantile(torch.tensor([0.25, 0.5, 0.75])).tolist()
        for name, t in times.items()
    }
    print(f"{title}:")
    for name, (q1, median, q3) in quartiles.items():
        share = (
            f"FLOPs / dense {flops[name] / flops['dense']:6.3f}"
            if name in flops
            else "near-empty call"
        )
        print(f"  {name:<13}{share:<22}~{median * 1e3:.3f} ms  [~{q1 * 1e3:.3f}, ~{q3 * 1e3:.3f}]")
    layers = {name: q for name, q in quartiles.items() if name != TINY}
    lines = compared(layers, rounds, "dense")
    print("\n".join(lines))
    # The share of the dense time each rank takes (the rounds' median ratio, as compared()
    # decides on), over the share of the FLOPs it does: near 1 where the time follows the FLOPs,
    # well above 1 where a fixed cost per call or memory traffic takes the time instead.
    ranks = [name for name in layers if name != "dense"]
    shares = {name: median_ratio(rounds, name) / (flops[name] / flops["dense"]) for name in ranks}
    follow = ", ".join(f"{name.removeprefix('rank ')}: {q:.1f}" for name, q in shares.items())
    print(f"  time share over FLOP share, by rank: ~{follow}")
    faster = [
        n.removeprefix("rank ") for n, line in zip(ranks, lines, strict=True) if "~faster" in line
    ]
    print(f"  ranks measured faster than dense: ~{', '.join(faster) or 'none'}")
print(load_line(*load))
