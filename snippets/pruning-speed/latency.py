"""Latency of a 2048-wide MLP after 90% pruning: torch.utils.benchmark, one thread, interleaved,
with the load other processes put on the machine meanwhile."""

import contextlib
import copy
import io
import os
import runpy
import statistics
import time

import torch
from torch.utils import benchmark

THREADS = 1  # fixed, so that runs on different machines and builds compare like with like
MARGIN = 0.1  # a difference in latency smaller than this is not called either way
# The models of shrink.py (run from the repository root); its sizes are not reprinted.
with contextlib.redirect_stdout(io.StringIO()):
    run = runpy.run_path("snippets/pruning-speed/shrink.py")
torch.set_num_threads(THREADS)
dense_weight = run["unstructured"][0].weight.detach()
csr_weight = dense_weight.to_sparse_csr()


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
    "the machine that built this page"
)
print(
    f"the smaller model does {run['smaller'][0].weight.numel() / dense_weight.numel():.0%} of "
    "the dense model's multiply-adds"
)
for batch in (1, 64):
    x = torch.randn(batch, 2048)
    cases = {
        "dense": ("m(x)", run["model"]),
        "90% l1_unstructured + remove": ("m(x)", run["unstructured"]),
        "90% ln_structured + remove": ("m(x)", run["structured"]),
        "smaller model": ("m(x)", run["smaller"]),
        "first layer, dense matmul": ("w @ x.T", None),
        "first layer, CSR matmul": ("c @ x.T", None),
    }
    times = {name: [] for name in cases}
    rounds = {name: [] for name in cases}  # each round's median
    with torch.inference_mode():
        # Round -1 is the warm-up; many short rounds sample many allocations.
        for round_ in range(-1, 12):
            # Fresh copies of the models and operands every round: where a tensor lands in
            # memory (huge pages or not, which cache sets) moves a memory-bound kernel's time by
            # 10% or more, and one allocation would fix that luck for the whole run.
            operands = {"x": x.clone(), "w": dense_weight.clone(), "c": csr_weight.clone()}
            timers = {
                name: benchmark.Timer(
                    stmt, globals={"m": copy.deepcopy(m), **operands}, num_threads=THREADS
                )
                for name, (stmt, m) in cases.items()
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
    print(f"batch {batch}:")
    for name, (q1, median, q3) in quartiles.items():
        print(f"  {name:<30}~{median * 1e3:.3f} ms  [~{q1 * 1e3:.3f}, ~{q3 * 1e3:.3f}]")
    model_rows = {name: quartiles[name] for name in list(quartiles)[:4]}
    print("\n".join(compared(model_rows, rounds, "dense")))
    matmuls = {name: quartiles[name] for name in list(quartiles)[4:]}
    if batch > 1:
        print("\n".join(compared(matmuls, rounds, "first layer, dense matmul")))
    else:
        # A matrix-vector product reads the whole 16 MB weight per call and is bound by memory
        # traffic, which other machines on the same host share. Separate runs here measured
        # CSR at 0.67x to 1.04x the dense time; no rule inside one run decides it the same way
        # twice, so batch 1 shows the two times without calling either faster.
        spread = max(rounds["first layer, dense matmul"]) / min(rounds["first layer, dense matmul"])
        print(
            f"  first layer, dense matmul: ~{spread:.2f}× between its slowest and fastest round "
            "(memory-bound); CSR and dense not compared at batch 1"
        )
print(load_line(*load))
