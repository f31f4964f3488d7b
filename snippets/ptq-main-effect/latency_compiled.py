"""torchao's int8 model under torch.compile (Inductor), the path torchao's CPU kernels are written for."""

import copy

import torch
from torch import nn
from torch.utils import benchmark
from torchao.quantization import Int8DynamicActivationInt8WeightConfig, quantize_

THREADS = 1
torch.set_num_threads(THREADS)
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(2048, 2048), nn.ReLU(), nn.Linear(2048, 2048)).eval()
eager = copy.deepcopy(model)
quantize_(eager, Int8DynamicActivationInt8WeightConfig())
compiled = torch.compile(eager, dynamic=False)  # one graph per batch size, compiled on first call

print(
    f"torch threads: {torch.get_num_threads()}; median per call, IQR in brackets; measured on "
    "the machine that built this page"
)
for batch in (1, 64):
    x = torch.randn(batch, 2048)
    models = {
        "fp32 (eager)": model,
        "int8 torchao (eager)": eager,
        "int8 torchao (torch.compile)": compiled,
    }
    timers = {
        name: benchmark.Timer("m(x)", globals={"m": m, "x": x}, num_threads=THREADS)
        for name, m in models.items()
    }
    times = {name: [] for name in models}
    with torch.inference_mode():
        for timer in timers.values():
            timer.timeit(3)  # warm-up; the first call of the compiled model compiles it
        for _ in range(2):
            for name, timer in timers.items():
                times[name] += timer.blocked_autorange(min_run_time=0.05).times
        same = torch.allclose(compiled(x), eager(x), rtol=1e-3, atol=1e-3)
    print(f"MLP 2048-2048-2048, batch {batch} (compiled output matches eager: {same}):")
    for name, t in times.items():
        q1, median, q3 = torch.tensor(t).quantile(torch.tensor([0.25, 0.5, 0.75])).tolist()
        print(f"  {name:<30}~{median * 1e3:.3f} ms  [~{q1 * 1e3:.3f}, ~{q3 * 1e3:.3f}]")
