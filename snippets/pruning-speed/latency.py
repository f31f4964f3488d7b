"""Latency of a 2048-wide MLP after 90% pruning: torch.utils.benchmark, one thread, interleaved."""

import contextlib
import io
import runpy

import torch
from torch.utils import benchmark

THREADS = 1  # fixed, so that runs on different machines and builds compare like with like
# The models of shrink.py (run from the repository root); its sizes are not reprinted.
with contextlib.redirect_stdout(io.StringIO()):
    run = runpy.run_path("snippets/pruning-speed/shrink.py")
torch.set_num_threads(THREADS)
dense_weight = run["unstructured"][0].weight.detach()
csr_weight = dense_weight.to_sparse_csr()

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
    timers = {
        name: benchmark.Timer(
            stmt, globals={"m": m, "x": x, "w": dense_weight, "c": csr_weight}, num_threads=THREADS
        )
        for name, (stmt, m) in cases.items()
    }
    times = {name: [] for name in cases}
    with torch.inference_mode():
        for timer in timers.values():
            timer.timeit(3)  # warm-up
        for _ in range(3):
            for name, timer in timers.items():
                times[name] += timer.blocked_autorange(min_run_time=0.05).times
    print(f"batch {batch}:")
    for name, t in times.items():
        q1, median, q3 = torch.tensor(t).quantile(torch.tensor([0.25, 0.5, 0.75])).tolist()
        print(f"  {name:<30}~{median * 1e3:.3f} ms  [~{q1 * 1e3:.3f}, ~{q3 * 1e3:.3f}]")
