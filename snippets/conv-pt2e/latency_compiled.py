"""Latency of the PT2E int8 model compiled with torch.compile (Inductor, the backend the x86
quantizer prepares it for) against the fp32 model: torch.utils.benchmark, one thread,
with the load other processes put on the machine meanwhile."""

import contextlib
import io
import os
import runpy
import time

import torch
from torch.utils import benchmark

THREADS = 1


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


def compared(quartiles: dict, reference: str) -> list[str]:
    """Each row against the reference: faster or slower only where the interquartile ranges
    do not overlap; otherwise no difference was measured."""
    r1, r_median, r3 = quartiles[reference]
    lines = []
    for name, (q1, median, q3) in quartiles.items():
        if name != reference:
            ratio = median / r_median
            word = "faster" if q3 < r1 else "slower" if q1 > r3 else "no difference measured"
            lines.append(f"  {name} against {reference}: ~{word} ({ratio:.2f}× the time)")
    return lines


load = [0.0, 0.0]  # other processes' CPU seconds while timing, and the seconds timed


# The models of pt2e.py (run from the repository root); its output is not reprinted.
with contextlib.redirect_stdout(io.StringIO()):
    run = runpy.run_path("snippets/conv-pt2e/pt2e.py")
torch.set_num_threads(THREADS)
compiled = torch.compile(
    run["converted"], dynamic=False
)  # one batch size: a simpler, faster compile
x = run["X_test"][:64]
with torch.no_grad():
    same = (compiled(x).argmax(dim=1) == run["converted"](x).argmax(dim=1)).float().mean().item()
models = {
    "fp32 (eager)": run["model"],
    "int8 PT2E (eager, q/dq in fp32)": run["converted"],
    "int8 PT2E (torch.compile)": compiled,
}
timers = {
    name: benchmark.Timer("m(x)", globals={"m": m, "x": x}, num_threads=THREADS)
    for name, m in models.items()
}
times = {name: [] for name in models}
with torch.no_grad():
    for timer in timers.values():
        timer.timeit(3)  # warm-up
    start = cpu_seconds()  # after the warm-up: a compile's worker processes are not load
    for _ in range(2):
        for name, timer in timers.items():
            times[name] += timer.blocked_autorange(min_run_time=0.05).times
    for i, value in enumerate(others_since(start)):
        load[i] += value
print(
    f"torch threads: {torch.get_num_threads()}; batch 64; median per call, IQR in brackets; "
    "measured on the machine that built this page"
)
print(f"compiled and eager int8 models agree on ~{same * 100:.0f}% of these predictions")
quartiles = {
    name: torch.tensor(t).quantile(torch.tensor([0.25, 0.5, 0.75])).tolist()
    for name, t in times.items()
}
for name, (q1, median, q3) in quartiles.items():
    print(f"  {name:<34}~{median * 1e3:.3f} ms  [~{q1 * 1e3:.3f}, ~{q3 * 1e3:.3f}]")
print("\n".join(compared(quartiles, "fp32 (eager)")))
print(load_line(*load))
