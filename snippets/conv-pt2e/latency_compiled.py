"""Latency of the PT2E int8 model compiled with torch.compile (Inductor, the backend the x86
quantizer prepares it for) against the fp32 model: torch.utils.benchmark, one thread."""

import contextlib
import io
import runpy

import torch
from torch.utils import benchmark

THREADS = 1
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
    for _ in range(2):
        for name, timer in timers.items():
            times[name] += timer.blocked_autorange(min_run_time=0.05).times
print(
    f"torch threads: {torch.get_num_threads()}; batch 64; median per call, IQR in brackets; "
    "measured on the machine that built this page"
)
print(f"compiled and eager int8 models agree on ~{same * 100:.0f}% of these predictions")
for name, t in times.items():
    q1, median, q3 = torch.tensor(t).quantile(torch.tensor([0.25, 0.5, 0.75])).tolist()
    print(f"  {name:<34}~{median * 1e3:.3f} ms  [~{q1 * 1e3:.3f}, ~{q3 * 1e3:.3f}]")
