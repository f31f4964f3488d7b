"""The layers of a ResNet-18 basic block of the first stage (two 3×3 convolutions of 64
channels at 56×56, batch norm, the identity added, ReLU), with random weights and non-negative
random inputs (as after the stem's ReLU and max pool): the fp32 block and its PT2E int8 version,
both compiled by Inductor with freezing, timed at batch 1, with the int8 kernels one compiled
call ran. Which kernels run does not depend on what the weights learned. Timed alone, the int8
block also quantizes its fp32 input and dequantizes its output, which a block inside an int8
network would not."""

import copy
import os
import statistics
import time

import torch
import torch._inductor.config as inductor_config
from torch import nn
from torch.utils import benchmark
from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
from torchao.quantization.pt2e.quantizer.x86_inductor_quantizer import (
    X86InductorQuantizer,
    get_default_x86_inductor_quantization_config,
)

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


class BasicBlock(nn.Module):
    """The layers of torchvision's ResNet-18 BasicBlock(64, 64), stride 1 (no downsampling)."""

    def __init__(self, channels: int = 64) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(out)) + x)


load = [0.0, 0.0]  # other processes' CPU seconds while timing, and the seconds timed
print(
    f"each comparison: faster or slower only where the rounds' median ratio lies more than "
    f"{MARGIN:.0%} from 1 and every round but one in four puts the two on the same side"
)
inductor_config.freezing = True  # without it no int8 kernel runs (freezing.py)
# Inductor otherwise compiles and loads a test program for each vector instruction set the CPU's
# flags name (about 5 s, once per machine); the flags are enough where the compiler is gcc.
inductor_config.cpp.vec_isa_ok = True
model = BasicBlock().eval()
x = torch.randn(1, 64, 56, 56).relu()
exported = torch.export.export(model, (x,))
quantizer = X86InductorQuantizer().set_global(get_default_x86_inductor_quantization_config())
prepared = prepare_pt2e(exported.module(), quantizer)
with torch.no_grad():
    for _ in range(4):  # calibration: observers record activation ranges
        prepared(torch.randn(1, 64, 56, 56).relu())
    converted = convert_pt2e(prepared)
    fp32_compiled = torch.compile(copy.deepcopy(model), dynamic=False)
    fp32_compiled(x)  # compiled on its first call
    int8_compiled = torch.compile(converted, dynamic=False)
    int8_compiled(x)
    # Which kernels a compiled call really runs: the profiler records each operator it calls.
    # (How far int8 lands from fp32 depends on the CPU: without VNNI, oneDNN adds pairs of
    # products in 16 bits. So it is checked against a bound, not printed.)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profile:
        int8_compiled(x)
    reference = fp32_compiled(x)
    error = ((int8_compiled(x) - reference).norm() / reference.norm()).item()
convolutions = [e.name for e in profile.events() if e.name.startswith("onednn::qconv")]
print(f"oneDNN int8 convolutions one compiled int8 call ran: {len(convolutions)}")
print(f"which: {', '.join(sorted(set(convolutions))) or 'none'}")
print(
    f"check: the compiled int8 block runs both its convolutions in int8: {len(convolutions) == 2}"
)
print(
    "check: the compiled int8 block's output is within 5% of the fp32 block's "
    f"(relative error, L2 norm): {error < 0.05}"
)

print(
    f"torch threads: {torch.get_num_threads()}; batch 1, 64×56×56; median per call, IQR in "
    "brackets; measured on the machine that built this page"
)
models = {"fp32 (compiled, frozen)": fp32_compiled, "int8 PT2E (compiled, frozen)": int8_compiled}
timers = {
    name: benchmark.Timer("m(x)", globals={"m": m, "x": x}, num_threads=THREADS)
    for name, m in models.items()
}
times = {name: [] for name in models}
rounds = {name: [] for name in models}  # each round's median
with torch.no_grad():
    for timer in timers.values():
        timer.timeit(3)  # warm-up
    start = cpu_seconds()
    for round_ in range(4):
        for name in rotated(list(timers), round_):
            measured = timers[name].blocked_autorange(min_run_time=0.1).times
            times[name] += measured
            rounds[name].append(statistics.median(measured))
    for i, value in enumerate(others_since(start)):
        load[i] += value
quartiles = {
    name: torch.tensor(t).quantile(torch.tensor([0.25, 0.5, 0.75])).tolist()
    for name, t in times.items()
}
for name, (q1, median, q3) in quartiles.items():
    print(f"  {name:<30}~{median * 1e3:.3f} ms  [~{q1 * 1e3:.3f}, ~{q3 * 1e3:.3f}]")
print("\n".join(compared(quartiles, rounds, "fp32 (compiled, frozen)")))
print(load_line(*load))
