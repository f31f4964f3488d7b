"""torchao's int8 model and the fp32 model, both compiled by Inductor with freezing, at batch 64:
the int8 matrix multiplies in the compiled code, and each model's latency, with the load other
processes put on the machine meanwhile."""

import copy
import os
import re
import statistics
import time

import torch
import torch._inductor.config as inductor_config
from torch import nn
from torch._inductor.utils import run_and_get_code
from torch.utils import benchmark
from torchao.quantization import Int8DynamicActivationInt8WeightConfig, quantize_

THREADS = 1
MARGIN = 0.1  # a difference in latency smaller than this is not called either way
torch.set_num_threads(THREADS)
torch.manual_seed(0)


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


# Freezing folds the weights into the compiled graph as constants. It is off by default, and
# Inductor's x86 passes that prepack int8 weights and fuse the quantization around them run
# only with it (PyTorch's PT2E x86 tutorial turns it on too).
inductor_config.freezing = True
# Inductor otherwise compiles and loads a test program for each vector instruction set the CPU's
# flags name (about 5 s, once per machine); the flags are enough where the compiler is gcc.
inductor_config.cpp.vec_isa_ok = True
model = nn.Sequential(nn.Linear(2048, 2048), nn.ReLU(), nn.Linear(2048, 2048)).eval()
int8 = copy.deepcopy(model)
quantize_(int8, Int8DynamicActivationInt8WeightConfig())
x = torch.randn(64, 2048)  # one batch size: each compiles a graph of its own, seconds each
with torch.inference_mode():
    fp32_compiled = torch.compile(model, dynamic=False)
    fp32_compiled(x)  # compiled on its first call
    int8_compiled = torch.compile(int8, dynamic=False)
    # Compiled afresh, never from Inductor's cache: a cached graph generates no code to count.
    with inductor_config.patch(force_disable_caches=True):
        output, code = run_and_get_code(int8_compiled, x)
    same = torch.allclose(output, int8(x), rtol=1e-3, atol=1e-3)
# Which int8 kernel depends on the CPU: torchao's int8 matmul (_int_mm), or oneDNN's prepacked
# qlinear where Inductor's freezing pass matches torchao's pattern (its path differs with VNNI).
found = {
    kernel: sum(len(re.findall(rf"{re.escape(kernel)}\b", module)) for module in code)
    for kernel in ("extern_kernels._int_mm", "onednn.qlinear_pointwise")
}
int8_calls = sum(found.values())
print(f"int8 matrix multiplies the compiled int8 code calls: {int8_calls}")
print(f"which kernel on this CPU: ~{', '.join(k for k, n in found.items() if n) or 'none'}")
print(
    f"check: the compiled int8 model multiplies in int8, once per Linear layer: {int8_calls == 2}"
)
print(f"check: the compiled int8 model's outputs match the eager int8 model's: {same}")

print(
    f"torch threads: {torch.get_num_threads()}; batch 64; median per call, IQR in brackets; "
    "measured on the machine that built this page"
)
models = {
    "fp32 (eager)": model,
    "fp32 (compiled, frozen)": fp32_compiled,
    "int8 torchao (compiled, frozen)": int8_compiled,
}
timers = {
    name: benchmark.Timer("m(x)", globals={"m": m, "x": x}, num_threads=THREADS)
    for name, m in models.items()
}
times = {name: [] for name in models}
rounds = {name: [] for name in models}  # each round's median
with torch.inference_mode():
    for timer in timers.values():
        timer.timeit(1)  # warm-up
    start = cpu_seconds()
    for round_ in range(
        2
    ):  # two rounds: under torch 2.9.0, which lowers no int8 kernel here, a third takes the run past 120 s
        for name in rotated(list(timers), round_):
            timer = timers[name]
            measured = timer.blocked_autorange(min_run_time=0.05).times
            times[name] += measured
            rounds[name].append(statistics.median(measured))
    for i, value in enumerate(others_since(start)):
        load[i] += value
quartiles = {
    name: torch.tensor(t).quantile(torch.tensor([0.25, 0.5, 0.75])).tolist()
    for name, t in times.items()
}
for name, (q1, median, q3) in quartiles.items():
    print(f"  {name:<32}~{median * 1e3:.3f} ms  [~{q1 * 1e3:.3f}, ~{q3 * 1e3:.3f}]")
print("\n".join(compared(quartiles, rounds, "fp32 (compiled, frozen)")))
print(load_line(*load))
